using System.Globalization;

namespace SweepCluster.Search.Space;

/// <summary>
/// Parameter values a person fixes for a trial (Optuna's <c>study.enqueue_trial</c>): parsed from text
/// ("lr=0.001"), checked against a <see cref="SearchSpace"/>, and held as internal values ready for
/// <see cref="HyperparameterSearch.Ask(IReadOnlyList{IReadOnlyList{Sampling.TrialRecord}}?, IReadOnlyDictionary{string, double}?)"/>.
/// </summary>
/// <example>
/// var fixedParams = FixedParams.Parse(space, FixedParams.Split("lr=0.001,optimizer=adamw"));
/// var trial = search.Ask(fixedParams: fixedParams); // lr and optimizer as given, the rest sampled
/// </example>
public static class FixedParams
{
    /// <summary>
    /// Splits "k=v,k=v" into names and values (whitespace around each trimmed). A value may not contain a
    /// comma: no choice in a search space needs one in practice, and a quoting syntax would be one more
    /// thing to learn for a command-line flag.
    /// </summary>
    /// <exception cref="ArgumentException">An item has no '=', an empty name, or a name given twice.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> Split(string text)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = item.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"'{item}' is not NAME=VALUE");
            var name = item[..eq].Trim();
            if (pairs.Any(p => p.Key == name)) throw new ArgumentException($"parameter '{name}' is given twice");
            pairs.Add(KeyValuePair.Create(name, item[(eq + 1)..].Trim()));
        }
        if (pairs.Count == 0) throw new ArgumentException("no parameters given (expected NAME=VALUE,...)");
        return pairs;
    }

    /// <summary>
    /// Checks each value against its parameter and returns internal values. A conditional parameter may be
    /// fixed only together with the parents its condition names, set to values that make it active: a
    /// value the trial would never use is refused rather than silently dropped.
    /// </summary>
    /// <exception cref="SearchSpaceException">
    /// Names the parameter: not in the space, not a number (float, int), not an integer (int), outside
    /// [low, high] or off its step grid, not one of the choices, or a conditional parameter whose condition
    /// fails with the other values given.
    /// </exception>
    public static IReadOnlyDictionary<string, double> Parse(SearchSpace space, IEnumerable<KeyValuePair<string, string>> values)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        var given = values.ToList();
        foreach (var (name, text) in given)
        {
            if (!space.Contains(name))
                throw new SearchSpaceException(name, $"not in the search space (its parameters: {string.Join(", ", space.Parameters.Select(p => p.Name))})");
            result[name] = ToInternal(space[name], text);
        }
        foreach (var (name, _) in given)
        {
            var definition = space[name];
            foreach (var condition in definition.Conditions)
            {
                if (!result.ContainsKey(condition.Parent))
                    throw new SearchSpaceException(name, $"is used only when {condition.Parent} is one of [{string.Join(", ", condition.Values)}]: give {condition.Parent} too");
                if (!space.IsActive(definition with { Conditions = [condition] }, result))
                    throw new SearchSpaceException(name,
                        $"is used only when {condition.Parent} is one of [{string.Join(", ", condition.Values)}], not {Text(space[condition.Parent].Distribution.ToExternal(result[condition.Parent]))}");
            }
        }
        return result;
    }

    private static double ToInternal(ParamDefinition definition, string text)
    {
        var name = definition.Name;
        switch (definition.Distribution)
        {
            case FloatDistribution f:
            {
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                    throw new SearchSpaceException(name, $"'{text}' is not a number (a float parameter)");
                if (v < f.Low || v > f.High) throw new SearchSpaceException(name, $"{Text(v)} is outside [{Text(f.Low)}, {Text(f.High)}]");
                if (!f.Contains(v)) throw new SearchSpaceException(name, $"{Text(v)} is not on the grid of step {Text(f.Step)} from {Text(f.Low)}");
                return v;
            }
            case IntDistribution i:
            {
                if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
                    throw new SearchSpaceException(name, $"'{text}' is not an integer (an int parameter)");
                if (v < i.Low || v > i.High) throw new SearchSpaceException(name, $"{v} is outside [{i.Low}, {i.High}]");
                if (!i.Contains(v)) throw new SearchSpaceException(name, $"{v} is not on the grid of step {i.Step} from {i.Low}");
                return v;
            }
            case CategoricalDistribution c:
            {
                // A choice matches by its written form ("8", "true", "adamw"), and numbers by value ("8.0" is 8).
                for (var k = 0; k < c.Choices.Count; k++)
                {
                    var choice = c.Choices[k];
                    if (string.Equals(Text(choice), text, StringComparison.Ordinal)
                        || (ChoiceEquality.IsNumber(choice) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && ChoiceEquality.AreEqual(choice, d)))
                        return k;
                }
                throw new SearchSpaceException(name, $"'{text}' is not one of the choices [{string.Join(", ", c.Choices.Select(Text))}]");
            }
            default:
                throw new SearchSpaceException(name, $"unsupported distribution {definition.Distribution.GetType().Name}");
        }
    }

    private static string Text(object? value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value?.ToString() ?? "",
    };
}

using SweepCluster.Search.Space;

namespace SweepCluster.Search.Sampling;

/// <summary>
/// Trials of related tasks (other backbones of one study) as a sampler may use them: finished (complete or
/// pruned) trials only, and only those that hold every unconditional parameter of this space with a value
/// inside its distribution (a trial that does not fit is left out). The values must already be in this space's
/// encoding: trials asked in another space go through <see cref="Translate"/> first. Tasks with no usable trial are dropped. Order is kept, so the result is deterministic.
/// </summary>
public static class RelatedTasks
{
    public static List<List<TrialRecord>> Usable(SearchSpace space, IReadOnlyList<IReadOnlyList<TrialRecord>> related)
    {
        var result = new List<List<TrialRecord>>();
        if (related.Count == 0) return result;
        foreach (var task in related)
        {
            var usable = new List<TrialRecord>();
            foreach (var t in task)
            {
                if (t.State is not (TrialState.Complete or TrialState.Pruned)) continue;
                if (Fits(space, t)) usable.Add(t);
            }
            if (usable.Count > 0) result.Add(usable);
        }
        return result;
    }

    private static bool Fits(SearchSpace space, TrialRecord t)
    {
        foreach (var p in space.Parameters)
        {
            if (t.Params.TryGetValue(p.Name, out var v))
            {
                if (!p.Distribution.Contains(v)) return false;
            }
            else if (!p.IsConditional)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Another task's trials, asked in <paramref name="from"/>, with their values re-expressed in
    /// <paramref name="to"/>'s internal encoding, ready to pass as related trials to a search over
    /// <paramref name="to"/>. Internal values of categoricals are choice indices, so a trial of a backbone whose
    /// <c>batch_size</c> choices are [8, 16, 64] holds 1 for 16, which a space with choices [16, 32] would read as
    /// 32. Here every value goes through its external value instead: a choice maps to the same choice, a number
    /// to the same number; a value <paramref name="to"/> cannot hold (a choice it lacks, a number off its type,
    /// a parameter it does not declare) is left out, and so is a conditional parameter whose condition does not
    /// hold in <paramref name="to"/>. Left-out unconditional values make the trial unusable (<see cref="Usable"/>),
    /// so backbones share only what their spaces have in common. Equal spaces return the trials as they are.
    /// </summary>
    public static IReadOnlyList<TrialRecord> Translate(SearchSpace from, SearchSpace to, IReadOnlyList<TrialRecord> trials)
    {
        if (from.Equals(to)) return trials;
        var result = new List<TrialRecord>(trials.Count);
        foreach (var t in trials)
        {
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var definition in to.Parameters)
            {
                if (!t.Params.TryGetValue(definition.Name, out var internalValue)) continue;
                if (!from.Contains(definition.Name)) continue;
                if (!to.IsActive(definition, values)) continue;
                if (TranslateValue(from[definition.Name].Distribution, definition.Distribution, internalValue) is double v)
                    values[definition.Name] = v;
            }
            result.Add(new TrialRecord
            {
                Number = t.Number, Params = values, State = t.State, Value = t.Value, Error = t.Error,
                Reports = new SortedDictionary<int, double>(t.Reports),
            });
        }
        return result;
    }

    private static double? TranslateValue(ParamDistribution from, ParamDistribution to, double internalValue)
    {
        if (!from.Contains(internalValue)) return null;
        var external = from.ToExternal(internalValue);
        // A string or boolean choice has no numeric counterpart (Convert would read true as 1).
        if (to is not CategoricalDistribution && !ChoiceEquality.IsNumber(external)) return null;
        double value;
        try
        {
            value = to.ToInternal(external);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            return null;
        }
        return to.Contains(value) ? value : null;
    }

    /// <summary>Finished trials over all usable tasks.</summary>
    public static int FinishedCount(List<List<TrialRecord>> usable) => usable.Sum(t => t.Count);
}

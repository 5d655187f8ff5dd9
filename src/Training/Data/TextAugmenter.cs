namespace SweepCluster.Training.Data;

/// <summary>
/// Easy data augmentation for classifier text: synonym replacement (about one word in ten, at least one,
/// among the words the synonym source knows) and random swaps of two words, each seeded.
/// </summary>
public sealed class TextAugmenter(ISynonymSource synonyms, double replaceFraction = 0.1, double swapFraction = 0.1)
{
    public string Augment(string text, Random random)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) return text;
        var replaceable = Enumerable.Range(0, words.Length).Where(i => synonyms.SynonymsOf(words[i].ToLowerInvariant()).Count > 0).OrderBy(_ => random.Next()).ToList();
        var replacements = Math.Max(1, (int)Math.Round(words.Length * replaceFraction));
        foreach (var i in replaceable.Take(replacements))
        {
            var options = synonyms.SynonymsOf(words[i].ToLowerInvariant());
            words[i] = options[random.Next(options.Count)];
        }
        var swaps = words.Length < 2 ? 0 : Math.Max(1, (int)Math.Round(words.Length * swapFraction));
        for (var s = 0; s < swaps; s++)
        {
            var a = random.Next(words.Length);
            var b = random.Next(words.Length);
            (words[a], words[b]) = (words[b], words[a]);
        }
        return string.Join(' ', words);
    }
}

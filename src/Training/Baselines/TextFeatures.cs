using System.Text;
using System.Text.RegularExpressions;

namespace SweepCluster.Training.Baselines;

/// <summary>
/// The terms the classic models count, defined as scikit-learn's vectorisers define them so their
/// results can be checked against scikit-learn: lower-cased words of two or more word characters
/// (token_pattern <c>(?u)\b\w\w+\b</c>) with their bigrams (ngram_range=(1, 2)), and character n-grams
/// inside word boundaries (analyzer='char_wb': each whitespace-separated word padded with one space on
/// either side; a padded word shorter than n counted once, whole).
/// </summary>
public static partial class TextFeatures
{
    /// <summary>Word unigrams then bigrams ("a b"), in text order, repeats kept (counts are their multiplicity).</summary>
    public static IEnumerable<string> WordNgrams(string text)
    {
        var words = Word().Matches(text.ToLowerInvariant()).Select(m => m.Value).ToArray();
        for (var i = 0; i < words.Length; i++) yield return words[i];
        for (var i = 0; i + 1 < words.Length; i++) yield return words[i] + " " + words[i + 1];
    }

    /// <summary>
    /// Character n-grams of length <paramref name="minN"/>…<paramref name="maxN"/> of each word padded
    /// with spaces, as scikit-learn's <c>_char_wb_ngrams</c> (sklearn/feature_extraction/text.py) yields them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">minN below 1 or maxN below minN.</exception>
    public static IEnumerable<string> CharWbNgrams(string text, int minN = 2, int maxN = 5)
    {
        if (minN < 1 || maxN < minN) throw new ArgumentOutOfRangeException(nameof(minN), $"n-gram range ({minN}, {maxN}) is empty");
        var builder = new StringBuilder();
        foreach (var word in text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            builder.Clear().Append(' ').Append(word).Append(' ');
            var padded = builder.ToString();
            for (var n = minN; n <= maxN; n++)
            {
                // A padded word no longer than n is one n-gram, counted once, and no longer n is tried.
                if (padded.Length <= n)
                {
                    yield return padded;
                    break;
                }
                for (var offset = 0; offset + n <= padded.Length; offset++) yield return padded.Substring(offset, n);
            }
        }
    }

    [GeneratedRegex(@"\b\w\w+\b")]
    private static partial Regex Word();
}

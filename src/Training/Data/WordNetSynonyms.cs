namespace SweepCluster.Training.Data;

/// <summary>A source of single-word synonyms for text augmentation.</summary>
public interface ISynonymSource
{
    /// <summary>Synonyms of a lower-case word (never the word itself); empty when it has none.</summary>
    IReadOnlyList<string> SynonymsOf(string word);
}

/// <summary>
/// Synonyms from WordNet's database files (Debian's wordnet-base: /usr/share/wordnet/data.noun, .verb,
/// .adj, .adv): words that share a synset are synonyms. Only single words are kept, since replacement
/// works word by word.
/// </summary>
public sealed class WordNetSynonyms : ISynonymSource
{
    public const string DebianFolder = "/usr/share/wordnet";
    private static readonly string[] Parts = ["noun", "verb", "adj", "adv"];
    private readonly Dictionary<string, string[]> _synonyms;

    private WordNetSynonyms(Dictionary<string, string[]> synonyms) => _synonyms = synonyms;

    public int WordCount => _synonyms.Count;

    public IReadOnlyList<string> SynonymsOf(string word) => _synonyms.TryGetValue(word, out var s) ? s : [];

    public static WordNetSynonyms Load(string folder = DebianFolder)
    {
        var files = Parts.Select(p => Path.Combine(folder, "data." + p)).ToList();
        var missing = files.Where(f => !File.Exists(f)).ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException($"WordNet data not found ({string.Join(", ", missing)}); install Debian's wordnet-base or set balancing to none, undersample or oversample", missing[0]);
        var sets = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var line in File.ReadLines(file))
            {
                // The licence header lines start with spaces; a synset line is
                // "offset lex_filenum ss_type w_cnt(hex) word lex_id [word lex_id …] p_cnt …".
                if (line.Length == 0 || line[0] == ' ') continue;
                var fields = line.Split(' ');
                if (fields.Length < 5) continue;
                var count = Convert.ToInt32(fields[3], 16);
                var words = new List<string>(count);
                for (var w = 0; w < count && 4 + 2 * w < fields.Length; w++)
                {
                    var word = fields[4 + 2 * w];
                    var marker = word.IndexOf('(');
                    if (marker > 0) word = word[..marker]; // adjective markers: "big(a)"
                    if (word.Contains('_') || word.Contains('-')) continue;
                    words.Add(word.ToLowerInvariant());
                }
                if (words.Count < 2) continue;
                foreach (var word in words)
                {
                    if (!sets.TryGetValue(word, out var set)) sets[word] = set = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var other in words) if (other != word) set.Add(other);
                }
            }
        }
        return new WordNetSynonyms(sets.ToDictionary(kv => kv.Key, kv => kv.Value.Order(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal));
    }
}

using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace SweepCluster.Training.Tokenization;

/// <summary>
/// RoBERTa's byte-level BPE (GPT-2's merges, RoBERTa's ids): &lt;s&gt; pieces &lt;/s&gt;. Reads the Hugging
/// Face names (vocab.json + merges.txt) or the original ones (encoder.json + vocab.bpe). An
/// encoder.json with GPT-2's own ids (no &lt;s&gt;) is renumbered through fairseq's dict.txt when the
/// folder has one, which is how RoBERTa's vocab.json was made.
/// </summary>
public sealed class ByteLevelBpeEncoder : TextEncoder
{
    private readonly BpeTokenizer _tokenizer;

    private ByteLevelBpeEncoder(BpeTokenizer tokenizer, SpecialTokenIds special, int vocabularySize) : base(special, vocabularySize) =>
        _tokenizer = tokenizer;

    public static ByteLevelBpeEncoder Load(string checkpointFolder) => Load(checkpointFolder, SpecialTokens.Read(checkpointFolder, SpecialTokens.Roberta));

    internal static ByteLevelBpeEncoder Load(string checkpointFolder, SpecialTokens special)
    {
        var (vocabularyFile, mergesFile) = Files(checkpointFolder);
        var vocabulary = ReadVocabulary(vocabularyFile);
        var fairseqDictionary = Path.Combine(checkpointFolder, "dict.txt");
        if (!vocabulary.ContainsKey(special.Start) && File.Exists(fairseqDictionary))
            vocabulary = Renumber(vocabulary, fairseqDictionary, special);
        var ids = special.Resolve(t => vocabulary.TryGetValue(t, out var id) ? id : null, checkpointFolder);

        var tokenizer = BpeTokenizer.Create(new BpeOptions(vocabulary)
        {
            // merges.txt opens with a "#version" line that is not a merge.
            Merges = File.ReadLines(mergesFile).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)),
            ByteLevel = true,
            PreTokenizer = RobertaPreTokenizer.Instance,
            UnknownToken = vocabulary.ContainsKey(special.Unknown) ? special.Unknown : null,
        });
        return new ByteLevelBpeEncoder(tokenizer, ids, vocabulary.Values.Max() + 1);
    }

    private static (string Vocabulary, string Merges) Files(string folder)
    {
        foreach (var (vocabulary, merges) in new[] { ("vocab.json", "merges.txt"), ("encoder.json", "vocab.bpe") })
            if (File.Exists(Path.Combine(folder, vocabulary)) && File.Exists(Path.Combine(folder, merges)))
                return (Path.Combine(folder, vocabulary), Path.Combine(folder, merges));
        throw new FileNotFoundException(
            $"{folder}: no vocab.json + merges.txt (byte-level BPE tokenizer files for the roberta family; encoder.json + vocab.bpe also accepted)",
            Path.Combine(folder, "vocab.json"));
    }

    private static Dictionary<string, int> ReadVocabulary(string path)
    {
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<Dictionary<string, int>>(stream)
            ?? throw new InvalidDataException($"{path}: not a JSON object of token ids");
    }

    /// <summary>
    /// fairseq's layout: &lt;s&gt;, &lt;pad&gt;, &lt;/s&gt;, &lt;unk&gt; take ids 0-3, then dict.txt line i (a GPT-2 id, or a
    /// literal token such as madeupword0000) takes id i + 4, and &lt;mask&gt; comes last.
    /// </summary>
    private static Dictionary<string, int> Renumber(Dictionary<string, int> gpt2, string dictionaryFile, SpecialTokens special)
    {
        var tokenOfGpt2Id = gpt2.ToDictionary(p => p.Value, p => p.Key);
        var renumbered = new Dictionary<string, int> { [special.Start] = 0, [special.Pad] = 1, [special.End] = 2, [special.Unknown] = 3 };
        foreach (var entry in File.ReadLines(dictionaryFile))
        {
            var symbol = entry[..entry.IndexOf(' ')];
            var token = int.TryParse(symbol, out var gpt2Id) && tokenOfGpt2Id.TryGetValue(gpt2Id, out var t) ? t : symbol;
            renumbered.TryAdd(token, renumbered.Count);
        }
        renumbered.TryAdd("<mask>", renumbered.Count);
        return renumbered;
    }

    protected override IReadOnlyList<int> Pieces(string text) => _tokenizer.EncodeToIds(text);

    protected override string DecodePieces(IEnumerable<int> pieces) => _tokenizer.Decode(pieces);
}

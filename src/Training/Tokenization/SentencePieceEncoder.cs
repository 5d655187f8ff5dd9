using System.Text;
using Google.Protobuf;
using Microsoft.ML.Tokenizers;

namespace SweepCluster.Training.Tokenization;

/// <summary>
/// DeBERTa-v3's SentencePiece Unigram model (spm.model), framed [CLS] pieces [SEP]. In DeBERTa-v3's
/// model [PAD], [CLS], [SEP] and [UNK] are pieces 0-3, so they resolve from the model's own vocabulary.
/// Normalisation is the model's own precompiled character map (DeBERTa-v3: nmt_nfkc, which maps U+200B, bidi
/// marks, U+FEFF and line separators to a space and NFKC-folds the rest), applied by Microsoft.ML.Tokenizers,
/// except its deletions: Microsoft.ML.Tokenizers 2.0.1 keeps a character the map deletes (nmt_nfkc deletes the
/// C0 controls but tab and line breaks, U+007F, U+008F, U+009F; sentencepiece data/nmt_nfkc.tsv) and emits an
/// empty [UNK] piece for it, so those characters are removed here first, read from the same map.
/// </summary>
public sealed class SentencePieceEncoder : TextEncoder
{
    private readonly SentencePieceTokenizer _tokenizer;
    private readonly int _unknownId;
    private readonly PrecompiledCharsMap _charsMap;

    private SentencePieceEncoder(SentencePieceTokenizer tokenizer, PrecompiledCharsMap charsMap, SpecialTokenIds special, int vocabularySize)
        : base(special, vocabularySize)
    {
        _tokenizer = tokenizer;
        _charsMap = charsMap;
        _unknownId = special.Unknown;
    }

    public static SentencePieceEncoder Load(string checkpointFolder) => Load(checkpointFolder, SpecialTokens.Read(checkpointFolder, SpecialTokens.DebertaV3));

    internal static SentencePieceEncoder Load(string checkpointFolder, SpecialTokens special)
    {
        var modelFile = Path.Combine(checkpointFolder, "spm.model");
        if (!File.Exists(modelFile))
            throw new FileNotFoundException($"{checkpointFolder}: no spm.model (the SentencePiece tokenizer model of the deberta-v2 family)", modelFile);
        using var stream = File.OpenRead(modelFile);
        // Framing is ours (TextEncoder), so the tokenizer adds neither its BOS nor its EOS.
        var tokenizer = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
        var vocabulary = tokenizer.Vocabulary;
        var ids = special.Resolve(t => vocabulary.TryGetValue(t, out var id) ? id : null, checkpointFolder);
        return new SentencePieceEncoder(tokenizer, PrecompiledCharsMap.Read(modelFile), ids, vocabulary.Values.Max() + 1);
    }

    /// <summary>
    /// SentencePiece itself merges a run of unknown characters into one unknown piece ("UPPER" → one
    /// [UNK]); Microsoft.ML.Tokenizers 2.0.1 emits one per character, so runs are collapsed here.
    /// </summary>
    protected override IReadOnlyList<int> Pieces(string text)
    {
        var ids = _tokenizer.EncodeToIds(_charsMap.RemoveDeleted(text), addBeginningOfSentence: false, addEndOfSentence: false);
        var merged = new List<int>(ids.Count);
        foreach (var id in ids)
        {
            if (id == _unknownId && merged.Count > 0 && merged[^1] == _unknownId) continue;
            merged.Add(id);
        }
        return merged;
    }

    protected override string DecodePieces(IEnumerable<int> pieces) => _tokenizer.Decode(pieces);
}

/// <summary>
/// The deletions of a SentencePiece model's normalizer_spec.precompiled_charsmap (sentencepiece
/// src/normalizer.cc: a little-endian uint32 trie size, a Darts-clone double array mapping UTF-8 keys to
/// offsets, then the NUL-terminated replacement strings). Only single characters whose replacement is empty
/// are looked up; longer rules and non-empty replacements are left to Microsoft.ML.Tokenizers.
/// </summary>
internal sealed class PrecompiledCharsMap
{
    private readonly uint[] _trie;
    private readonly byte[] _normalized;
    private readonly Dictionary<int, bool> _deleted = [];

    private PrecompiledCharsMap(uint[] trie, byte[] normalized) => (_trie, _normalized) = (trie, normalized);

    private static readonly PrecompiledCharsMap Identity = new([], []);

    /// <summary>The map of an spm.model (ModelProto field 3, NormalizerSpec field 2); an empty map when it has none.</summary>
    /// <exception cref="InvalidDataException">The model is not a SentencePiece ModelProto.</exception>
    public static PrecompiledCharsMap Read(string modelFile)
    {
        try
        {
            var blob = Field(File.ReadAllBytes(modelFile), 3) is { } spec ? Field(spec, 2) : null;
            if (blob is null || blob.Length < 4) return Identity;
            var trieSize = BitConverter.ToUInt32(blob, 0);
            if (trieSize % 4 != 0 || 4 + trieSize > blob.Length) throw new InvalidDataException($"{modelFile}: the precompiled character map is truncated");
            var trie = new uint[trieSize / 4];
            Buffer.BlockCopy(blob, 4, trie, 0, (int)trieSize);
            if (!BitConverter.IsLittleEndian) for (var i = 0; i < trie.Length; i++) trie[i] = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(trie[i]);
            return new PrecompiledCharsMap(trie, blob[(4 + (int)trieSize)..]);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{modelFile}: not a SentencePiece model ({e.Message})", e);
        }
    }

    // The first length-delimited field with this number, in protobuf wire format.
    private static byte[]? Field(byte[] message, int number)
    {
        var input = new CodedInputStream(message);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                return input.ReadBytes().ToByteArray();
            input.SkipLastField();
        }
        return null;
    }

    /// <summary>The text without the characters the map deletes.</summary>
    public string RemoveDeleted(string text)
    {
        if (_trie.Length == 0) return text;
        StringBuilder? kept = null;
        var index = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsDeleted(rune.Value)) kept ??= new StringBuilder(text, 0, index, text.Length);
            else kept?.Append(rune.ToString());
            index += rune.Utf16SequenceLength;
        }
        return kept?.ToString() ?? text;
    }

    private bool IsDeleted(int codePoint)
    {
        // Printable ASCII is never deleted by the predefined rules; skip the lookup for the common case.
        if (codePoint is >= 0x20 and < 0x7F) return false;
        lock (_deleted)
        {
            if (_deleted.TryGetValue(codePoint, out var deleted)) return deleted;
            Span<byte> key = stackalloc byte[4];
            var length = new Rune(codePoint).EncodeToUtf8(key);
            var offset = ExactMatch(key[..length]);
            return _deleted[codePoint] = offset >= 0 && offset < _normalized.Length && _normalized[offset] == 0;
        }
    }

    // Darts-clone DoubleArray::exactMatchSearch.
    private int ExactMatch(ReadOnlySpan<byte> key)
    {
        uint position = 0;
        var unit = _trie[0];
        foreach (var b in key)
        {
            position ^= Offset(unit) ^ b;
            if (position >= _trie.Length) return -1;
            unit = _trie[position];
            if ((unit & ((1u << 31) | 0xFF)) != b) return -1;
        }
        if (((unit >> 8) & 1) == 0) return -1;
        var leaf = position ^ Offset(unit);
        return leaf < _trie.Length ? (int)(_trie[leaf] & ((1u << 31) - 1)) : -1;
    }

    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);
}

using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Tokenization;

/// <summary>The tokenizer a checkpoint folder holds, chosen by the backbone's family.</summary>
public static class TokenizerLoader
{
    public static TextEncoder Load(string checkpointFolder, BackboneFamily family)
    {
        if (!Directory.Exists(checkpointFolder))
            throw new DirectoryNotFoundException($"{checkpointFolder}: no such checkpoint folder (looking for the {family} tokenizer)");
        return family switch
        {
            BackboneFamily.Bert or BackboneFamily.DistilBert or BackboneFamily.Electra => WordPieceEncoder.Load(checkpointFolder),
            BackboneFamily.Roberta => ByteLevelBpeEncoder.Load(checkpointFolder),
            BackboneFamily.DebertaV2 => SentencePieceEncoder.Load(checkpointFolder),
            _ => throw new ArgumentOutOfRangeException(nameof(family), family, "no tokenizer for this backbone family"),
        };
    }
}

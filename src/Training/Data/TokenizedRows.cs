namespace SweepCluster.Training.Data;

/// <summary>Tokenised rows: ids with the family's special tokens, already truncated.</summary>
public sealed record TokenizedRows(IReadOnlyList<long[]> Ids, long PadTokenId);

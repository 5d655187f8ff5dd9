using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Data;

/// <summary>
/// Where a study's labelled data lies and how to read it: the study file's <c>data:</c> section
/// (docs/study-spec.md), under the same names, as Training reads it. The defaults are the study file's.
/// Nothing is checked here: <see cref="LabelledDataset.Load"/> refuses what the file cannot satisfy
/// (<see cref="DataFileException"/>: a missing column, an unknown label, a class without rows).
/// </summary>
public sealed record DataSettings
{
    /// <summary>Path of the training CSV/TSV, used as given (the study parser resolves it against the study file's folder).</summary>
    public required string Train { get; init; }
    /// <summary>Path of the file predicted after the final retrain (no labels needed); null when there is none.</summary>
    public string? Test { get; init; }
    /// <summary>The column holding the text.</summary>
    public string TextColumn { get; init; } = "text";
    /// <summary>One column for binary/multi-class; several (each 0 or 1) for multi-label, e.g. the six Jigsaw labels.</summary>
    public IReadOnlyList<string> LabelColumns { get; init; } = ["label"];
    /// <summary>Raw label value → class index (e.g. EXTREMIST → 1). Empty: the labels already are class indices 0..K-1.</summary>
    public IReadOnlyDictionary<string, int> LabelMap { get; init; } = new Dictionary<string, int>();
    /// <summary>Share of the rows, in [0, 1), held out from the search to score the final models and the ensemble.</summary>
    public double HoldoutFraction { get; init; } = 0.2;
    /// <summary>How each fold's training rows are balanced (validation and held-out rows never are).</summary>
    public Balancing Balancing { get; init; } = Balancing.None;
    /// <summary>Column delimiter; null: from the extension (.tsv → tab, else comma).</summary>
    public string? Delimiter { get; init; }
    /// <summary>The row id column, copied to predictions; null: rows are numbered from 1.</summary>
    public string? IdColumn { get; init; }
    /// <summary>Rows whose cleaned text is shorter than this many characters are dropped.</summary>
    public int MinTextLength { get; init; } = 1;
}

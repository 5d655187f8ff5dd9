using Microsoft.Extensions.Logging;
using SweepCluster.Studies;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Training.Tokenization;

namespace SweepCluster.Training.Data;

/// <summary>
/// What every trial of one backbone in one study shares: the cleaned dataset, its splits (seeded by the
/// study, so every trial sees the same held-out rows and folds), the checkpoint's config, and the texts
/// tokenised once with the backbone's tokenizer. <see cref="MaxSequenceLength"/> is the effective length in tokens
/// (<see cref="BackboneConfig.EffectiveSequenceLength"/>), which the saved models record too.
/// </summary>
public sealed record PreparedData(LabelledDataset Dataset, DataSplits Splits, BackboneConfig Config, TextEncoder Encoder, TokenizedRows Rows, TrainingSetBalancer Balancer, int MaxSequenceLength)
{
    public static PreparedData Load(StudySpec spec, BackboneSpec backbone, ISynonymSource? synonyms)
    {
        var checkpoint = backbone.Checkpoint ?? throw new InvalidDataException($"backbone '{backbone.Name}' names no checkpoint folder");
        var (dataset, splits) = LoadSplits(spec);
        var config = BackboneConfig.Load(checkpoint);
        if (config.Family != backbone.Family)
            throw new InvalidDataException($"backbone '{backbone.Name}' is declared {backbone.Family} but {checkpoint}/config.json is model_type '{config.ModelType}'");
        var encoder = TokenizerLoader.Load(checkpoint, backbone.Family);
        var maxLength = config.EffectiveSequenceLength(backbone.MaxSequenceLength);
        var rows = new TokenizedRows(dataset.Texts.Select(t => encoder.Encode(t, maxLength)).ToList(), encoder.PadTokenId);
        var augmenter = spec.Data.Balancing == Balancing.Augment
            ? new TextAugmenter(synonyms ?? throw new InvalidOperationException("augment balancing needs a synonym source"))
            : null;
        var balancer = new TrainingSetBalancer(spec.Data.Balancing, dataset, rows, text => encoder.Encode(text, maxLength), augmenter);
        return new PreparedData(dataset, splits, config, encoder, rows, balancer, maxLength);
    }

    /// <summary>
    /// The study's dataset and its splits, the same for every backbone, trial and worker (seeded by the study).
    /// </summary>
    /// <exception cref="DataFileException">The file is unreadable, or a fold or the scored held-out set would miss a class.</exception>
    public static (LabelledDataset Dataset, DataSplits Splits) LoadSplits(StudySpec spec)
    {
        var dataset = LabelledDataset.Load(spec.Data);
        var splits = DataSplits.Stratified(dataset.Strata(), spec.Data.HoldoutFraction, spec.CvFolds, spec.Seed);
        splits.CheckCoverage(dataset, spec.CvFolds, spec.Data.HoldoutFraction, spec.Final.Retrain && splits.HeldOut.Length > 0, spec.Data.LabelColumns[0]);
        return (dataset, splits);
    }
}

/// <summary>Prepared data by study and backbone, the few most recent kept (a worker usually serves one study at a time).</summary>
public sealed class PreparedDataCache(ILogger logger)
{
    private const int Capacity = 4;
    private readonly Lock _gate = new();
    private readonly LinkedList<(string Key, PreparedData Data)> _entries = new();
    private readonly Lazy<ISynonymSource> _synonyms = new(() => WordNetSynonyms.Load());

    public PreparedData Get(string studyId, StudySpec spec, BackboneSpec backbone)
    {
        var key = $"{studyId}/{backbone.Name}";
        lock (_gate)
        {
            var hit = _entries.FirstOrDefault(e => e.Key == key);
            if (hit.Data is not null) return hit.Data;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var data = PreparedData.Load(spec, backbone, spec.Data.Balancing == Balancing.Augment ? _synonyms.Value : null);
        logger.LogInformation("{Study}/{Backbone}: {Rows} rows ({Dropped} dropped), {HeldOut} held out, {Folds} folds, tokenised in {Seconds:0.0}s",
            studyId, backbone.Name, data.Dataset.Count, data.Dataset.DroppedRows, data.Splits.HeldOut.Length, data.Splits.Folds.Count, clock.Elapsed.TotalSeconds);
        lock (_gate)
        {
            _entries.AddFirst((key, data));
            while (_entries.Count > Capacity) _entries.RemoveLast();
        }
        return data;
    }
}

using Microsoft.Extensions.Logging;
using SweepCluster.Training.Models;
using SweepCluster.Training.Tokenization;
using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Data;

/// <summary>
/// What every trial of one backbone in one study shares: the cleaned dataset, its splits (seeded by the
/// study, so every trial sees the same held-out rows and folds), the checkpoint's config, and the texts
/// tokenised once with the backbone's tokenizer. <see cref="MaxSequenceLength"/> is the effective length in tokens
/// (<see cref="BackboneConfig.EffectiveSequenceLength"/>), which the saved models record too.
/// </summary>
public sealed record PreparedData(LabelledDataset Dataset, DataSplits Splits, BackboneConfig Config, TextEncoder Encoder, TokenizedRows Rows, TrainingSetBalancer Balancer, int MaxSequenceLength)
{
    /// <summary>The study's data and splits, tokenised with the backbone's checkpoint.</summary>
    /// <param name="synonyms">The synonym source of augment balancing; null otherwise.</param>
    /// <exception cref="InvalidDataException">No checkpoint folder, or its config.json is of another family.</exception>
    /// <exception cref="DataFileException">As <see cref="LoadSplits"/>.</exception>
    public static PreparedData Load(TrainingStudy study, BackboneSettings backbone, ISynonymSource? synonyms)
    {
        var checkpoint = backbone.Checkpoint ?? throw new InvalidDataException($"backbone '{backbone.Name}' names no checkpoint folder");
        var (dataset, splits) = LoadSplits(study);
        var config = BackboneConfig.Load(checkpoint);
        if (config.Family != backbone.Family)
            throw new InvalidDataException($"backbone '{backbone.Name}' is declared {backbone.Family} but {checkpoint}/config.json is model_type '{config.ModelType}'");
        var encoder = TokenizerLoader.Load(checkpoint, backbone.Family);
        var maxLength = config.EffectiveSequenceLength(backbone.MaxSequenceLength);
        var rows = new TokenizedRows(dataset.Texts.Select(t => encoder.Encode(t, maxLength)).ToList(), encoder.PadTokenId);
        var augmenter = study.Data.Balancing == Balancing.Augment
            ? new TextAugmenter(synonyms ?? throw new InvalidOperationException("augment balancing needs a synonym source"))
            : null;
        var balancer = new TrainingSetBalancer(study.Data.Balancing, dataset, rows, text => encoder.Encode(text, maxLength), augmenter);
        return new PreparedData(dataset, splits, config, encoder, rows, balancer, maxLength);
    }

    /// <summary>
    /// The study's dataset and its splits, the same for every backbone, trial and worker (seeded by the study).
    /// </summary>
    /// <exception cref="DataFileException">The file is unreadable, or a fold or the scored held-out set would miss a class.</exception>
    public static (LabelledDataset Dataset, DataSplits Splits) LoadSplits(TrainingStudy study)
    {
        var dataset = LabelledDataset.Load(study.Data);
        var splits = DataSplits.Stratified(dataset.Strata(), study.Data.HoldoutFraction, study.CvFolds, study.Seed);
        splits.CheckCoverage(dataset, study.CvFolds, study.Data.HoldoutFraction, study.FinalRetrain && splits.HeldOut.Length > 0, study.Data.LabelColumns[0]);
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

    /// <summary>The prepared data of the study's backbone, loaded (<see cref="PreparedData.Load"/>, and its exceptions) unless recently used.</summary>
    public PreparedData Get(string studyId, TrainingStudy study, BackboneSettings backbone)
    {
        var key = $"{studyId}/{backbone.Name}";
        lock (_gate)
        {
            var hit = _entries.FirstOrDefault(e => e.Key == key);
            if (hit.Data is not null) return hit.Data;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var data = PreparedData.Load(study, backbone, study.Data.Balancing == Balancing.Augment ? _synonyms.Value : null);
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

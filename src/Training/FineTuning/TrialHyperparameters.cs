using System.Globalization;

namespace SweepCluster.Training.FineTuning;

/// <summary>
/// The training settings of one trial. Each comes from the study's search space when a parameter of
/// that name is searched, else from the study's `training:` section, else from the default here.
/// Names (aliases in brackets): learning_rate [lr], head_learning_rate, layer_decay, weight_decay,
/// beta1, beta2, adam_epsilon, warmup_ratio, batch_size, gradient_accumulation_steps, max_grad_norm,
/// dropout, label_smoothing, epochs, early_stopping_patience.
/// </summary>
public sealed record TrialHyperparameters
{
    public double LearningRate { get; init; } = 2e-5;
    /// <summary>The freshly initialised head usually wants a larger rate than the pretrained body.</summary>
    public double HeadLearningRate { get; init; } = 1e-4;
    /// <summary>1 = every layer at the same rate; 0.9 = each layer below the top at 0.9× the one above.</summary>
    public double LayerDecay { get; init; } = 1.0;
    public double WeightDecay { get; init; } = 0.01;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    public double WarmupRatio { get; init; } = 0.1;
    public int BatchSize { get; init; } = 16;
    public int GradientAccumulationSteps { get; init; } = 1;
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Overrides every dropout probability of the backbone; null keeps the checkpoint's config.</summary>
    public double? Dropout { get; init; }
    public double LabelSmoothing { get; init; }
    public int Epochs { get; init; } = 3;
    public int EarlyStoppingPatience { get; init; } = 2;

    /// <summary>Every parameter name a training trial reads (aliases included); a searched name outside it would be ignored.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "learning_rate", "lr", "head_learning_rate", "layer_decay", "weight_decay", "beta1", "beta2", "adam_epsilon", "warmup_ratio",
        "batch_size", "gradient_accumulation_steps", "max_grad_norm", "dropout", "label_smoothing", "epochs", "early_stopping_patience",
    ];

    /// <summary>The settings of one trial from its searched parameters, falling back to <paramref name="training"/> and the defaults.</summary>
    /// <exception cref="ArgumentException">A setting is impossible (a rate not above 0, a batch size below 1, a dropout outside [0, 1), …), named.</exception>
    public static TrialHyperparameters From(IReadOnlyDictionary<string, object> searched, TrainingSettings training)
    {
        double Number(string name, double fallback, string? alias = null) =>
            searched.TryGetValue(name, out var v) || (alias is not null && searched.TryGetValue(alias, out v))
                ? Convert.ToDouble(v, CultureInfo.InvariantCulture)
                : fallback;
        var defaults = new TrialHyperparameters();
        var learningRate = Number("learning_rate", defaults.LearningRate, "lr");
        return new TrialHyperparameters
        {
            LearningRate = learningRate,
            HeadLearningRate = Number("head_learning_rate", Math.Max(learningRate, defaults.HeadLearningRate)),
            LayerDecay = Number("layer_decay", defaults.LayerDecay),
            WeightDecay = Number("weight_decay", defaults.WeightDecay),
            Beta1 = Number("beta1", defaults.Beta1),
            Beta2 = Number("beta2", defaults.Beta2),
            AdamEpsilon = Number("adam_epsilon", defaults.AdamEpsilon),
            WarmupRatio = Number("warmup_ratio", defaults.WarmupRatio),
            BatchSize = (int)Number("batch_size", training.BatchSize),
            GradientAccumulationSteps = (int)Number("gradient_accumulation_steps", defaults.GradientAccumulationSteps),
            MaxGradNorm = Number("max_grad_norm", defaults.MaxGradNorm),
            Dropout = searched.ContainsKey("dropout") ? Number("dropout", 0.1) : null,
            LabelSmoothing = Number("label_smoothing", defaults.LabelSmoothing),
            Epochs = (int)Number("epochs", training.Epochs),
            EarlyStoppingPatience = (int)Number("early_stopping_patience", training.EarlyStoppingPatience),
        }.Validated();
    }

    private TrialHyperparameters Validated()
    {
        if (!(LearningRate > 0) || !(HeadLearningRate > 0)) throw new ArgumentException($"learning rates must be > 0 (got {LearningRate}, head {HeadLearningRate})");
        if (BatchSize < 1) throw new ArgumentException($"batch_size must be >= 1, got {BatchSize}");
        if (GradientAccumulationSteps < 1) throw new ArgumentException($"gradient_accumulation_steps must be >= 1, got {GradientAccumulationSteps}");
        if (Epochs < 1) throw new ArgumentException($"epochs must be >= 1, got {Epochs}");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}");
        if (LabelSmoothing is < 0 or >= 1) throw new ArgumentException($"label_smoothing must be in [0, 1), got {LabelSmoothing}");
        return this;
    }
}

namespace SweepCluster.Training.FineTuning;

/// <summary>
/// An epoch whose training loss or validation metric is NaN or infinite: the run diverged (a learning
/// rate too high for the backbone) or the metric is undefined on the validation rows (ROC-AUC on one
/// class). The trial fails with this message rather than reporting a value no pruner, sampler or JSON
/// file can use; Optuna likewise fails a trial whose objective returns NaN.
/// </summary>
public sealed class NonFiniteMetricException(string message) : Exception(message);

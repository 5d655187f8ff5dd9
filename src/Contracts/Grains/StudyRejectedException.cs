namespace SweepCluster.Contracts.Grains;

/// <summary>
/// <see cref="IStudyGrain.Submit"/> refused the study, or could not create it; either way nothing of it
/// was kept (no stored state, no entry in the study list), so the same id can be submitted again. The
/// message says why. The CLI reports it as an input error (exit 2).
/// </summary>
[GenerateSerializer, Alias("sweep.StudyRejectedException")]
public sealed class StudyRejectedException : Exception
{
    public StudyRejectedException(string message) : base(message) { }

    public StudyRejectedException(string message, Exception inner) : base(message, inner) { }
}

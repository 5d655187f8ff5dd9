namespace SweepCluster.Search.Sampling;

/// <summary>
/// Whether a study minimises or maximises its objective (Optuna's <c>StudyDirection</c>); the one direction
/// type of every project, from the study file to the samplers.
/// </summary>
/// <remarks>
/// The numbers are pinned, not declaration order: stored studies hold the direction as an integer (Orleans'
/// binary format, <c>ObjectiveSpec.Direction</c>), written when maximize was 0 and minimize 1
/// (<c>StoredStudyTests</c>). Never renumber.
/// </remarks>
public enum StudyDirection { Minimize = 1, Maximize = 0 }

/// <summary>Direction-aware comparisons, so samplers and pruners never branch on the direction themselves.</summary>
public static class StudyDirectionExtensions
{
    /// <summary>The value turned into a loss, so samplers and pruners only ever minimise.</summary>
    public static double AsLoss(this StudyDirection direction, double value) =>
        direction == StudyDirection.Minimize ? value : -value;

    /// <summary>Whether <paramref name="candidate"/> beats <paramref name="incumbent"/> in this direction.</summary>
    public static bool IsBetter(this StudyDirection direction, double candidate, double incumbent) =>
        direction == StudyDirection.Minimize ? candidate < incumbent : candidate > incumbent;
}

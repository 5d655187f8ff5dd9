namespace SweepCluster.Search.Sampling;

public enum StudyDirection { Minimize, Maximize }

public static class StudyDirectionExtensions
{
    /// <summary>The value turned into a loss, so samplers and pruners only ever minimise.</summary>
    public static double AsLoss(this StudyDirection direction, double value) =>
        direction == StudyDirection.Minimize ? value : -value;

    public static bool IsBetter(this StudyDirection direction, double candidate, double incumbent) =>
        direction == StudyDirection.Minimize ? candidate < incumbent : candidate > incumbent;
}

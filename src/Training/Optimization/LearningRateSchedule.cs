namespace SweepCluster.Training.Optimization;

/// <summary>Linear warm-up to the peak rate, then cosine decay to zero at the last optimiser step.</summary>
public sealed record LearningRateSchedule(int TotalSteps, double WarmupRatio)
{
    public int WarmupSteps => (int)Math.Ceiling(TotalSteps * Math.Clamp(WarmupRatio, 0, 1));

    /// <summary>The factor on the peak learning rate for optimiser step <paramref name="step"/> (0-based).</summary>
    public double Factor(int step)
    {
        if (TotalSteps <= 0) return 1;
        if (step < WarmupSteps) return (step + 1.0) / WarmupSteps;
        var decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        var progress = Math.Clamp((step - WarmupSteps) / (double)decaySteps, 0, 1);
        return 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>
    /// Layer-wise learning-rate decay: the head gets the full rate, each layer below it <paramref name="decay"/>
    /// times the one above, so the embeddings (depth 0) move least.
    /// </summary>
    public static double LayerFactor(int depth, int maxDepth, double decay) =>
        Math.Pow(Math.Clamp(decay, 0, 1), Math.Max(0, maxDepth - depth));
}

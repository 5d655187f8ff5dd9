using SweepCluster.Search.Space;

namespace SweepCluster.Search.Sampling;

/// <summary>
/// Trials of related tasks (other backbones of one study) as a sampler may use them: finished (complete or
/// pruned) trials only, and only those that hold every unconditional parameter of this space with a value
/// inside its distribution, so spaces that differ between backbones are safe (a trial that does not fit is
/// left out). Tasks with no usable trial are dropped. Order is kept, so the result is deterministic.
/// </summary>
public static class RelatedTasks
{
    public static List<List<TrialRecord>> Usable(SearchSpace space, IReadOnlyList<IReadOnlyList<TrialRecord>> related)
    {
        var result = new List<List<TrialRecord>>();
        if (related.Count == 0) return result;
        foreach (var task in related)
        {
            var usable = new List<TrialRecord>();
            foreach (var t in task)
            {
                if (t.State is not (TrialState.Complete or TrialState.Pruned)) continue;
                if (Fits(space, t)) usable.Add(t);
            }
            if (usable.Count > 0) result.Add(usable);
        }
        return result;
    }

    private static bool Fits(SearchSpace space, TrialRecord t)
    {
        foreach (var p in space.Parameters)
        {
            if (t.Params.TryGetValue(p.Name, out var v))
            {
                if (!p.Distribution.Contains(v)) return false;
            }
            else if (!p.IsConditional)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Finished trials over all usable tasks.</summary>
    public static int FinishedCount(List<List<TrialRecord>> usable) => usable.Sum(t => t.Count);
}

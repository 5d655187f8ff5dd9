namespace SweepCluster.Training.Evaluation;

/// <summary>Ranks for rank statistics (ROC-AUC's rank sum, Spearman's correlation).</summary>
public static class Ranks
{
    /// <summary>1-based ranks of <paramref name="values"/> in ascending order; tied values share the mean of their ranks.</summary>
    public static double[] Average(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            var average = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++) ranks[order[k]] = average;
            start = end + 1;
        }
        return ranks;
    }
}

namespace SweepCluster.Training.Data;

/// <summary>One fold: rows to train on and rows to validate on.</summary>
public sealed record Fold(int[] Train, int[] Validation);

/// <summary>A held-out set, never trained or validated on, and the folds over the remaining rows.</summary>
public sealed record DataSplits(int[] HeldOut, IReadOnlyList<Fold> Folds)
{
    /// <summary>
    /// Stratified by <paramref name="strata"/>: within each stratum the rows are shuffled (seeded), the
    /// first share goes to the held-out set and the rest are dealt round-robin to k parts, so each part's
    /// count of every stratum differs by at most one row. Fold i validates on part i and trains on the
    /// others. With k = 1 there is one fold validating on a stratified fifth of the remaining rows.
    /// </summary>
    public static DataSplits Stratified(int[] strata, double holdoutFraction, int folds, int seed)
    {
        if (folds < 1) throw new ArgumentException($"folds must be >= 1, got {folds}");
        if (holdoutFraction is < 0 or >= 1) throw new ArgumentException($"holdout fraction must be in [0, 1), got {holdoutFraction}");
        var random = new Random(seed);
        var heldOut = new List<int>();
        var parts = Enumerable.Range(0, Math.Max(folds, 2)).Select(_ => new List<int>()).ToArray();
        var dealt = 0;
        foreach (var stratum in strata.Select((s, i) => (Stratum: s, Row: i)).GroupBy(x => x.Stratum).OrderBy(g => g.Key))
        {
            var rows = stratum.Select(x => x.Row).OrderBy(_ => random.Next()).ToList();
            var held = (int)Math.Round(rows.Count * holdoutFraction);
            heldOut.AddRange(rows.Take(held));
            var rest = rows.Skip(held).ToList();
            if (folds == 1)
            {
                var validation = (int)Math.Round(rest.Count * 0.2);
                parts[0].AddRange(rest.Take(validation));
                parts[1].AddRange(rest.Skip(validation));
            }
            else
            {
                // The deal goes on where the previous stratum stopped, so small strata spread evenly too.
                foreach (var row in rest) parts[dealt++ % folds].Add(row);
            }
        }
        var sorted = parts.Select(p => p.Order().ToArray()).ToArray();
        var foldList = folds == 1
            ? [new Fold(sorted[1], sorted[0])]
            : Enumerable.Range(0, folds).Select(k => new Fold(sorted.Where((_, i) => i != k).SelectMany(p => p).Order().ToArray(), sorted[k])).ToList();
        return new DataSplits(heldOut.Order().ToArray(), foldList);
    }
}

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

    /// <summary>
    /// Refuses splits on which some fold or the held-out set would miss a class: a fold that validates on
    /// no row of a class has an undefined ROC-AUC and recall for it, and one that trains on none cannot
    /// learn it, so every trial would fail or score nonsense. scikit-learn's StratifiedKFold refuses
    /// n_splits above the rows of every class for the same reason. Multi-label folds are stratified by
    /// the rarest positive label and scored by labels present, so only single-label tasks are checked.
    /// </summary>
    /// <param name="scoresHeldOut">True when held-out rows are scored (final retrain and ensemble): each class must occur there too.</param>
    /// <exception cref="DataFileException">Naming the label column, the class, its row counts and cv_folds or holdout_fraction.</exception>
    public void CheckCoverage(LabelledDataset dataset, int folds, double holdoutFraction, bool scoresHeldOut, string labelColumn)
    {
        if (dataset.Kind == TaskKind.MultiLabel) return;
        var remaining = dataset.Count - HeldOut.Length;
        if (folds > 1 && remaining < folds)
            throw new DataFileException(dataset.Path, null, null,
                $"cv_folds {folds} needs at least {folds} rows to validate on, but {remaining} remain ({dataset.Count} usable rows, {HeldOut.Length} held out)");
        for (var c = 0; c < dataset.ClassNames.Count; c++)
        {
            var name = dataset.ClassNames[c];
            var total = dataset.Classes.Count(k => k == c);
            var held = HeldOut.Count(i => dataset.Classes[i] == c);
            var rest = total - held;
            var missing = Folds.Select((f, k) => (Fold: k + 1, Validates: f.Validation.Any(i => dataset.Classes[i] == c), Trains: f.Train.Any(i => dataset.Classes[i] == c)))
                .FirstOrDefault(f => !f.Validates || !f.Trains);
            if (missing.Fold > 0)
                throw new DataFileException(dataset.Path, null, null, folds > 1
                    ? $"class '{name}' has {rest} rows outside the held-out set ({total} in all, {held} held out), fewer than cv_folds {folds}: stratified k-fold validates every fold on every class, so each class needs at least {folds} rows there; lower cv_folds or add rows"
                    : $"class '{name}' has {rest} rows outside the held-out set ({total} in all, {held} held out): one fold validates on a fifth of them and trains on the rest, so it needs at least 3", labelColumn);
            if (scoresHeldOut && held == 0)
                throw new DataFileException(dataset.Path, null, null,
                    $"data.holdout_fraction {holdoutFraction} holds out no row of class '{name}' ({total} in all): the final models and the ensemble are scored on held-out rows, which need every class; raise holdout_fraction or add rows", labelColumn);
        }
    }
}

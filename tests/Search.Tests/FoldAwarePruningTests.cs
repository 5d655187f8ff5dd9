using SweepCluster.Search.Pruning;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Synthetic;

namespace SweepCluster.Search.Tests;

/// <summary>Issue 12: k-fold trials report (fold, epoch); pruners compare like with like and warm up per fold.</summary>
public class FoldAwarePruningTests
{
    private static TrialRecord Trial(int number, TrialState state, params double[][] folds)
    {
        var t = new TrialRecord { Number = number, Params = new Dictionary<string, double>(), State = state };
        for (var f = 0; f < folds.Length; f++)
            for (var e = 0; e < folds[f].Length; e++)
                t.Reports[ReportPosition.Of(f, e + 1).Step] = folds[f][e];
        return t;
    }

    /// <summary>Five completed 2-fold trials: trial i reports i+1 every epoch of fold 0 and (i+1)/e at epoch e of fold 1.</summary>
    private static List<TrialRecord> TwoFoldHistory() => Enumerable.Range(0, 5)
        .Select(i => Trial(i, TrialState.Complete,
            Enumerable.Repeat(i + 1.0, 5).ToArray(),
            Enumerable.Range(1, 5).Select(e => (i + 1.0) / e).ToArray()))
        .ToList();

    [Theory]
    [InlineData(0, 0)]
    [InlineData(7, 7)]
    [InlineData(999, 999)]
    [InlineData(1003, 1003)]
    [InlineData(2001, 2001)]
    public void Stored_steps_read_as_the_positions_they_always_meant(int step, int expectedStep)
    {
        var position = ReportPosition.FromStep(step);
        Assert.Equal((step / 1000, step % 1000), (position.Fold, position.Epoch));
        Assert.Equal(expectedStep, position.Step);
        Assert.True(ReportPosition.Of(1, 1).CompareTo(ReportPosition.Of(0, 999)) > 0);
        Assert.Equal("fold 2 epoch 3", ReportPosition.FromStep(1003).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => ReportPosition.Of(0, 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReportPosition.FromStep(-1));
    }

    [Fact]
    public void A_snapshot_with_steps_stored_before_positions_existed_still_reads_by_fold()
    {
        var search = AskTellTests.NewSearch(SamplerKind.Random, 0, new PrunerSettings { Kind = PrunerKind.Median });
        var trial = search.Ask();
        foreach (var step in new[] { 1, 2, 1001, 1002 }) search.Report(trial.Number, step, step);
        var restored = HyperparameterSearch.FromJson(search.ToJson()).Trials[0];
        Assert.Equal([(1, 1001.0), (2, 1002.0)], restored.ReportsInFold(1));
        Assert.Equal(ReportPosition.Of(1, 2), restored.LastPosition);
    }

    [Fact]
    public void A_trial_good_on_fold_1_and_bad_on_fold_2_is_pruned_in_fold_2_at_the_right_epoch()
    {
        // Fold 1 (index 0): 1.0, better than every completed trial. Fold 2: 10 at epoch 1 (warm-up), then 3.
        // Running mean (1 + 3)/2 = 2 against the completed trials' median (3 + 3/e)/2: 2.25 at e=2, 2 at e=3
        // (not worse), 1.875 at e=4 (worse): pruned at epoch 4. Comparing fold 2 alone, 3 > 3/2 prunes at
        // epoch 2. Before issue 12 the best value over all folds (1.0) kept it to the end.
        double[] fold2 = [10, 3, 3, 3, 3];
        Assert.Equal(4, PrunedAt(MedianPruner.Create(nWarmupSteps: 1)));
        Assert.Equal(2, PrunedAt(MedianPruner.Create(nWarmupSteps: 1, rule: FoldRule.CurrentFold)));

        int? PrunedAt(IPruner pruner)
        {
            var history = TwoFoldHistory();
            var trial = Trial(5, TrialState.Running, [1, 1, 1, 1, 1]);
            history.Add(trial);
            Assert.False(pruner.ShouldPrune(history, trial, StudyDirection.Minimize));
            for (var e = 1; e <= fold2.Length; e++)
            {
                trial.Reports[ReportPosition.Of(1, e).Step] = fold2[e - 1];
                if (pruner.ShouldPrune(history, trial, StudyDirection.Minimize)) return e;
            }
            return null;
        }
    }

    [Fact]
    public void Under_completed_folds_a_trial_is_raced_on_its_finished_folds_only()
    {
        // Completed trials' fold-1 best values are 1..5 (median 3); their fold-2 bests (i+1)/5. Hand computation:
        // finished-fold means at fold 3 are (i+1)(1 + 1/5)/2 = 0.6, 1.2, 1.8, 2.4, 3.0, median 1.8.
        var pruner = MedianPruner.Create(nWarmupSteps: 1, rule: FoldRule.CompletedFolds);
        var history = TwoFoldHistory();

        // Good fold 1 (1.0 < 3), bad fold 2: still a candidate for all of fold 2, whatever fold 2 reports...
        var candidate = Trial(5, TrialState.Running, [1, 1, 1, 1, 1]);
        history.Add(candidate);
        for (var e = 1; e <= 5; e++)
        {
            candidate.Reports[ReportPosition.Of(1, e).Step] = e == 1 ? 10 : 3;
            Assert.False(pruner.ShouldPrune(history, candidate, StudyDirection.Minimize));
        }
        // ...and judged on it once it has finished: at fold 3 epoch 1 its mean (1 + 3)/2 = 2 > 1.8, however good epoch 1 is.
        candidate.Reports[ReportPosition.Of(2, 1).Step] = 0.1;
        Assert.True(pruner.ShouldPrune(history, candidate, StudyDirection.Minimize));

        // A fold 1 worse than the completed trials' median (4.5 > 3) is pruned at fold 2's first report: no warm-up,
        // since the current fold's curve is not what is judged.
        var behind = Trial(6, TrialState.Running, [4.5, 4.5, 4.5, 4.5, 4.5], [0.1]);
        history.Add(behind);
        Assert.True(pruner.ShouldPrune(history, behind, StudyDirection.Minimize));
        // Fold 1 is still judged epoch by epoch, warm-up included.
        var first = Trial(7, TrialState.Running, [100]);
        history.Add(first);
        Assert.False(pruner.ShouldPrune(history, first, StudyDirection.Minimize));
        first.Reports[ReportPosition.Of(0, 2).Step] = 100;
        Assert.True(pruner.ShouldPrune(history, first, StudyDirection.Minimize));

        // The extrapolating pruner races on finished folds' final values the same way (completed finals 1..5).
        var extrapolating = new ExtrapolatingPruner(nWarmupSteps: 5, rule: FoldRule.CompletedFolds);
        Assert.True(extrapolating.ShouldPrune(history, behind, StudyDirection.Minimize));
        var goodFirst = Trial(8, TrialState.Running, [1, 1, 1, 1, 1], [50]);
        history.Add(goodFirst);
        Assert.False(extrapolating.ShouldPrune(history, goodFirst, StudyDirection.Minimize));
        Assert.Equal(FoldRule.CompletedFolds, PrunerSettings.ParseFoldRule("completed_folds"));
    }

    [Theory]
    [InlineData(1)] // workers number epochs from 1
    [InlineData(0)] // an Optuna-style ask/tell client from 0
    public void Warmup_of_one_protects_the_first_epoch_of_every_fold(int firstEpoch)
    {
        var history = Enumerable.Range(0, 5).Select(i => Trial(i, TrialState.Complete, [i + 1.0, i + 1, i + 1], [i + 1.0, i + 1, i + 1])).ToList();
        foreach (var t in history)
        {
            if (firstEpoch == 0) Shift(t);
        }
        var pruner = MedianPruner.Create(nWarmupSteps: 1);
        var trial = new TrialRecord { Number = 5, Params = new Dictionary<string, double>() };
        history.Add(trial);

        trial.Reports[ReportPosition.Of(0, firstEpoch).Step] = 100;
        Assert.False(pruner.ShouldPrune(history, trial, StudyDirection.Minimize)); // fold 1, epoch 1: warm-up
        trial.Reports[ReportPosition.Of(0, firstEpoch).Step] = 1;
        trial.Reports[ReportPosition.Of(0, firstEpoch + 1).Step] = 1;
        trial.Reports[ReportPosition.Of(0, firstEpoch + 2).Step] = 1;
        trial.Reports[ReportPosition.Of(1, firstEpoch).Step] = 100;
        Assert.False(pruner.ShouldPrune(history, trial, StudyDirection.Minimize)); // fold 2, epoch 1: warm-up again
        trial.Reports[ReportPosition.Of(1, firstEpoch + 1).Step] = 100;
        Assert.True(pruner.ShouldPrune(history, trial, StudyDirection.Minimize)); // fold 2, epoch 2: judged

        static void Shift(TrialRecord t)
        {
            var values = t.Reports.ToList();
            t.Reports.Clear();
            foreach (var (step, value) in values) t.Reports[step - 1] = value;
        }
    }

    [Fact]
    public void Extrapolating_pruner_fits_each_fold_on_its_own_epochs()
    {
        // Completed trials: two folds of a fast curve finishing near 0.30 each.
        static double[] Curve(int epochs, double a, double b, double c) => Enumerable.Range(1, epochs).Select(t => a + b * Math.Exp(-c * t)).ToArray();
        var history = Enumerable.Range(0, 5).Select(i => Trial(i, TrialState.Complete, Curve(30, 0.28 + 0.01 * i, 1.0, 0.5), Curve(30, 0.28 + 0.01 * i, 1.0, 0.5))).ToList();
        var pruner = new ExtrapolatingPruner(nWarmupSteps: 5);

        // Fold 2 of a slow starter heading for 0.12: at epoch 8 it is still at 0.80, far above every completed
        // trial's fold 2, but its fold-2 fit predicts ≈0.24 at epoch 30. A fit over steps 1..30, 1001..1008 would
        // see one curve with a jump and predict nonsense.
        var slow = Trial(5, TrialState.Running, Curve(30, 0.12, 1.3, 0.08), Curve(8, 0.12, 1.3, 0.08));
        history.Add(slow);
        Assert.False(pruner.ShouldPrune(history, slow, StudyDirection.Minimize));
        Assert.True(MedianPruner.Create().ShouldPrune(history, slow, StudyDirection.Minimize));

        // A fold 2 heading for 0.6 after a good fold 1: the running mean ≈ (0.2 + 0.6)/2 is worse than the others' ≈0.30.
        var bad = Trial(6, TrialState.Running, Curve(30, 0.12, 1.3, 0.08), Curve(8, 0.6, 0.8, 0.4));
        history.Add(bad);
        Assert.True(pruner.ShouldPrune(history, bad, StudyDirection.Minimize));
        // Warm-up counts fold 2's epochs: after 5 of them nothing is judged, whatever fold 1 did.
        var early = Trial(7, TrialState.Running, Curve(30, 0.12, 1.3, 0.08), Curve(5, 0.6, 0.8, 0.4));
        history.Add(early);
        Assert.False(pruner.ShouldPrune(history, early, StudyDirection.Minimize));
    }

    [Fact]
    public void Synthetic_folds_share_the_trial_quality_and_one_fold_is_the_suite_curve()
    {
        const string family = LearningCurves.Crossing;
        for (var t = 1; t <= 30; t++)
            Assert.Equal(LearningCurves.Observed(family, 1e-3, 0.3, 0.9, 7, 3, t), LearningCurves.Observed(family, 1e-3, 0.3, 0.9, 7, 3, t, 0, 1));
        var offsets = Enumerable.Range(0, 3).Select(f => LearningCurves.FoldOffset(7, 3, f, 3)).ToArray();
        Assert.Equal(3, offsets.Distinct().Count());
        Assert.All(offsets, o => Assert.InRange(o, -0.15, 0.15));
        Assert.Equal(LearningCurves.Noiseless(family, 1e-3, 0.3, 0.9, 30) + offsets[2],
            LearningCurves.Observed(family, 1e-3, 0.3, 0.9, 7, 3, 30, 2, 3), 0.06);
    }
}

using SweepCluster.Search.Gp;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Tests;

/// <summary>
/// Degenerate histories (the inputs of public reports on Optuna's GPSampler and TPESampler, BoTorch and
/// scikit-optimize): constant objectives, extreme and infinite values, histories with no complete trial,
/// repeated points. Degenerate spaces are <see cref="DegenerateSpaceTests"/>'. Each ask must lie in the space
/// and repeat by seed; where the GP has nothing to fit it falls back to its start-up points.
/// </summary>
public class DegenerateHistoryTests
{
    private const string Box = """{"x":{"type":"float","low":0,"high":1},"y":{"type":"float","low":0,"high":1}}""";

    private static HyperparameterSearch Search(SamplerKind kind, long seed, GpOptions? gp = null) =>
        HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson(Box),
            Sampler: new SamplerSettings { Kind = kind, Gp = gp ?? new GpOptions() }, Seed: seed));

    private static string Key(AskedTrial t) => string.Join(",", t.Params.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value:R}"));

    private static double Bowl(AskedTrial t) => Math.Pow((double)t.Params["x"] - 0.3, 2) + Math.Pow((double)t.Params["y"] - 0.7, 2);

    /// <summary>
    /// Before: equal losses were standardised by subtracting their computed mean, which need not round back to the
    /// value (seven losses of 0.1 average to 0.1 + 1.4e-17); that residue divided by its own size made every
    /// standardised loss −1 or +1 instead of 0. A zero-mean GP reads such a level as information: a related backbone
    /// whose trials all scored 0.1 pulled this backbone's posterior up or down near its points, one whose trials
    /// all scored 0.25 (an exact mean) did not, so the asks depended on which constant it was.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_related_backbone_with_a_constant_objective_steers_the_gp_the_same_whatever_the_constant(bool outputWarping)
    {
        var related = Search(SamplerKind.Random, 9);
        for (var i = 0; i < 7; i++) related.Ask();
        List<string> Asks(double constant)
        {
            var other = HyperparameterSearch.FromJson(related.ToJson());
            for (var i = 0; i < 7; i++) other.Tell(i, new TrialOutcome.Completed(constant));
            var search = Search(SamplerKind.Gp, 4, new GpOptions { OutputWarping = outputWarping });
            var asks = new List<string>();
            for (var i = 0; i < 10; i++)
            {
                var t = search.Ask([other.Trials]);
                asks.Add(Key(t));
                search.Tell(t.Number, new TrialOutcome.Completed(Bowl(t)));
            }
            return asks;
        }
        var exact = Asks(0.25);
        Assert.Equal(exact, Asks(0.1));
        Assert.Equal(exact, Asks(0.7));
        Assert.Equal(exact, Asks(-3e200));
    }

    [Fact]
    public void Equal_losses_standardise_to_zero_when_their_mean_does_not_round_back()
    {
        double[] losses = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
        Assert.Equal(1, OutputWarping.Apply(losses));
        Assert.All(losses, v => Assert.Equal(0, v));
    }

    /// <summary>
    /// Before: a history whose losses are all one level (a constant objective, ±∞ everywhere, pruned and running
    /// trials at the only complete value) standardised to all zeros, and the GP was fitted to them anyway: the
    /// lengthscales ran to their bounds, the posterior variance was flat to rounding, and log EI sent ask after
    /// ask to the cube's corners (in 300 trials of a constant objective on two floats each corner was asked 15
    /// times). With nothing to fit, the GP now asks its quasi-random start-up point, which a random search of the
    /// same seed asks too.
    /// </summary>
    [Theory]
    [InlineData("0.1")]
    [InlineData("1e300")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("one complete, the rest pruned")]
    [InlineData("four running at a time")]
    public void A_history_at_one_level_gets_the_gp_start_up_points(string history)
    {
        var gp = Search(SamplerKind.Gp, 6);
        var random = Search(SamplerKind.Random, 6);
        var parallel = history == "four running at a time" ? 4 : 1;
        var value = double.TryParse(history, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 2.5;
        var asked = new List<string>();
        for (var i = 0; i < 40; i += parallel)
        {
            var batch = Enumerable.Range(0, parallel).Select(_ => gp.Ask()).ToList();
            foreach (var t in batch)
            {
                Assert.Equal(Key(random.Ask()), Key(t));
                asked.Add(Key(t));
            }
            foreach (var t in batch)
            {
                if (history == "one complete, the rest pruned" && t.Number > 0)
                {
                    gp.Report(t.Number, 0, 1.0);
                    gp.Tell(t.Number, new TrialOutcome.Pruned());
                }
                else gp.Tell(t.Number, new TrialOutcome.Completed(value));
            }
        }
        Assert.Equal(asked.Count, asked.Distinct().Count());
    }

    [Fact]
    public void A_constant_history_with_one_loss_apart_by_1e_300_is_modelled()
    {
        // The boundary of the fallback above: any difference at all is a spread the GP standardises and models.
        var gp = Search(SamplerKind.Gp, 6);
        var random = Search(SamplerKind.Random, 6);
        var modelled = 0;
        for (var i = 0; i < 15; i++)
        {
            var t = gp.Ask();
            if (Key(t) != Key(random.Ask())) modelled++;
            gp.Tell(t.Number, new TrialOutcome.Completed(i == 2 ? 1e-300 : 0));
        }
        Assert.Equal(15 - 6, modelled);
    }

    /// <summary>The shared path: this backbone has no trial yet and the only related backbone's are all one level.</summary>
    [Fact]
    public void A_new_backbone_whose_related_backbone_is_at_one_level_gets_the_gp_start_up_points()
    {
        var related = Search(SamplerKind.Random, 9);
        for (var i = 0; i < 10; i++) related.Tell(related.Ask().Number, new TrialOutcome.Completed(0.1));
        var gp = Search(SamplerKind.Gp, 6);
        var random = Search(SamplerKind.Random, 6);
        for (var i = 0; i < 3; i++) Assert.Equal(Key(random.Ask()), Key(gp.Ask([related.Trials])));
    }

    /// <summary>
    /// Before: ±∞ losses were clipped to the finite ones' range, which with one finite level is that level, so a
    /// region where every trial scored −∞ (the best loss there is), or the only region that did not diverge to +∞,
    /// looked like the rest and the GP's asks after the start-up were spread as a random search's (about 30% in
    /// that region, its share of the box). Now −∞, the finite level and +∞ are three levels, and the GP goes there.
    /// </summary>
    [Theory]
    [InlineData(double.NegativeInfinity, 2.0)]
    [InlineData(2.0, double.PositiveInfinity)]
    public void Infinite_losses_beside_a_single_finite_one_steer_the_gp(double inside, double outside)
    {
        int there = 0, asks = 0;
        for (var seed = 0; seed < 4; seed++)
        {
            var search = Search(SamplerKind.Gp, seed);
            for (var i = 0; i < 25; i++)
            {
                var t = search.Ask();
                var inRegion = (double)t.Params["x"] < 0.3;
                if (i >= 10) { asks++; if (inRegion) there++; }
                search.Tell(t.Number, new TrialOutcome.Completed(inRegion ? inside : outside));
            }
        }
        Assert.True(there >= 0.8 * asks, $"{there} of {asks} asks after the start-up in the region x < 0.3");
    }

    /// <summary>No complete trial, so nothing to model: the GP's documented fallback is its start-up point.</summary>
    [Theory]
    [InlineData("pruned")]
    [InlineData("failed")]
    [InlineData("running")]
    public void With_no_complete_trial_the_gp_asks_its_start_up_points(string outcome)
    {
        var gp = Search(SamplerKind.Gp, 8);
        var random = Search(SamplerKind.Random, 8);
        for (var i = 0; i < 50; i++)
        {
            var t = gp.Ask();
            Assert.Equal(Key(random.Ask()), Key(t));
            if (outcome == "pruned") { gp.Report(t.Number, 0, 1.0); gp.Tell(t.Number, new TrialOutcome.Pruned()); }
            else if (outcome == "failed") gp.Tell(t.Number, new TrialOutcome.Failed("x"));
        }
    }

    public static readonly TheoryData<SamplerKind, string> KindsAndHistories = Histories();

    private static TheoryData<SamplerKind, string> Histories()
    {
        var data = new TheoryData<SamplerKind, string>();
        foreach (var kind in new[] { SamplerKind.Gp, SamplerKind.Tpe, SamplerKind.TpeMultivariate })
            foreach (var history in new[] { "constant", "1e300 and 1e-300", "infinities", "one point", "parallel" })
                data.Add(kind, history);
        return data;
    }

    /// <summary>
    /// Degenerate histories through a snapshot: the restored search asks bit-identically what the uninterrupted one
    /// asks, every ask in the space. "one point": 20 trials enqueued at one point and told different values (a kernel
    /// matrix of identical rows, which the GP's noise floor keeps positive definite), then free asks.
    /// </summary>
    [Theory]
    [MemberData(nameof(KindsAndHistories))]
    public void A_degenerate_history_restored_from_its_snapshot_asks_what_the_uninterrupted_search_asks(SamplerKind kind, string history)
    {
        const int total = 36, cut = 24;
        var parallel = history == "parallel" ? 12 : 1;
        void Step(HyperparameterSearch search, int from)
        {
            var batch = new List<AskedTrial>();
            for (var i = from; i < from + parallel; i++)
            {
                var fixedParams = history == "one point" && i < 20 ? new Dictionary<string, double> { ["x"] = 0.25, ["y"] = 0 } : null;
                batch.Add(search.Ask(fixedParams: fixedParams));
            }
            foreach (var t in batch)
            {
                var i = t.Number;
                double value = history switch
                {
                    "constant" => 0.1,
                    "1e300 and 1e-300" => (i % 2 == 0 ? 1e300 : 1e-300) * (1 + Bowl(t)),
                    "infinities" => i % 3 == 0 ? double.PositiveInfinity : i % 3 == 1 ? double.NegativeInfinity : 0.5,
                    "one point" => i < 20 ? i % 5 : Bowl(t),
                    _ => Bowl(t),
                };
                search.Tell(i, new TrialOutcome.Completed(value));
            }
        }
        var whole = Search(kind, 12);
        for (var i = 0; i < total; i += parallel) Step(whole, i);
        var interrupted = Search(kind, 12);
        for (var i = 0; i < cut; i += parallel) Step(interrupted, i);
        var resumed = HyperparameterSearch.FromJson(interrupted.ToJson());
        for (var i = cut; i < total; i += parallel) Step(resumed, i);
        Assert.Equal(whole.ToJson(), resumed.ToJson());
        Assert.Equal(whole.Trials.Select(t => t.Params), resumed.Trials.Select(t => t.Params));
    }
}

using System.Text.Json.Nodes;
using SweepCluster.Search.Gp;
using SweepCluster.Search.Numerics;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Tests;

/// <summary>
/// The GP for conditional parameters (<see cref="GpOptions.ConditionalGp"/>): the children of a modelled parent are
/// chosen by a second GP on the trials that hold them once <see cref="GpOptions.ConditionalStartupTrials"/> of those
/// are complete, and by univariate TPE before.
/// </summary>
public class ConditionalGpTests
{
    private const string Space = """
        {"lr":{"type":"float","low":1e-4,"high":1e-1,"log":true},
         "opt":{"type":"categorical","choices":["adam","sgd"]},
         "momentum":{"type":"float","low":0,"high":1,"when":{"opt":["sgd"]}},
         "dampening":{"type":"float","low":0,"high":1,"when":{"opt":["sgd"]}}}
        """;

    // sgd's children form a bowl whose floor (0 at momentum 0.73, dampening 0.2, lr 10^-2.5) is set by hand; adam is a
    // level 0.5 worse, so the first GP has a clear choice of parent.
    private static double Objective(IReadOnlyDictionary<string, object> p)
    {
        var lr = Math.Log10((double)p["lr"]) + 2.5;
        if ((string)p["opt"] == "adam") return 0.5 + 0.1 * lr * lr;
        var m = (double)p["momentum"] - 0.73;
        var d = (double)p["dampening"] - 0.2;
        return m * m + d * d + 0.1 * lr * lr;
    }

    private static readonly SearchSpace Parsed = SearchSpace.FromJson(Space);

    /// <summary>A history of <paramref name="sgd"/> complete sgd trials and 3 adam ones at seeded uniform points.</summary>
    private static List<TrialRecord> History(int sgd, int firstNumber = 0)
    {
        var random = new SeededRandom(42);
        var trials = new List<TrialRecord>();
        for (var i = 0; i < sgd + 3; i++)
        {
            var isSgd = i >= 3;
            var p = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["lr"] = Math.Pow(10, -4 + 3 * random.NextDouble()),
                ["opt"] = isSgd ? 1 : 0,
            };
            if (isSgd) { p["momentum"] = random.NextDouble(); p["dampening"] = random.NextDouble(); }
            var external = p.ToDictionary(kv => kv.Key, kv => Parsed[kv.Key].Distribution.ToExternal(kv.Value));
            trials.Add(new TrialRecord { Number = firstNumber + i, Params = p, State = TrialState.Complete, Value = Objective(external) });
        }
        return trials;
    }

    private static Dictionary<string, double> Ask(bool conditionalGp, List<TrialRecord> trials, IReadOnlyList<IReadOnlyList<TrialRecord>>? related = null)
    {
        var sampler = new GpSampler(new GpOptions { ConditionalGp = conditionalGp });
        var number = trials.Count == 0 ? 0 : trials.Max(t => t.Number) + 1;
        return sampler.Sample(new SamplingContext(Parsed, trials, number, StudyDirection.Minimize, SeededRandom.ForTrial(7, number), 7)
        {
            Related = related ?? [],
        });
    }

    [Fact]
    public void Children_are_left_to_tpe_until_their_active_set_has_ten_complete_trials()
    {
        // 9 sgd trials: below the start-up, so the ask is exactly the one without the conditional GP.
        Assert.Equal(Ask(false, History(9)), Ask(true, History(9)));
        // 10: the parent is the first GP's choice either way (it runs first, on the same stream), the children are not.
        var off = Ask(false, History(10));
        var on = Ask(true, History(10));
        Assert.Equal(1, off["opt"]);
        Assert.Equal(off["opt"], on["opt"]);
        Assert.NotEqual(off["momentum"], on["momentum"]);
    }

    [Fact]
    public void Other_backbones_trials_with_the_active_set_count_towards_its_start_up()
    {
        // 9 of this backbone's own and one of a sibling's: ten complete trials hold sgd's children.
        var sibling = History(1, firstNumber: 100).Where(t => t.Params.ContainsKey("momentum")).ToList();
        var shared = Ask(true, History(9), [sibling]);
        Assert.NotEqual(Ask(false, History(9), [sibling])["momentum"], shared["momentum"]);
    }

    [Fact]
    public void The_conditional_gp_finds_the_bowl_of_the_children_that_tpe_only_nears()
    {
        for (var seed = 0; seed < 3; seed++)
        {
            double Best(bool conditionalGp)
            {
                var search = HyperparameterSearch.Create(new SearchSettings(Parsed,
                    Sampler: new SamplerSettings { Kind = SamplerKind.Gp, Gp = new GpOptions { ConditionalGp = conditionalGp } }, Seed: seed));
                for (var i = 0; i < 30; i++)
                {
                    var t = search.Ask();
                    search.Tell(t.Number, new TrialOutcome.Completed(Objective(t.Params)));
                }
                return search.BestTrial!.Value!.Value;
            }
            var on = Best(true);
            var off = Best(false);
            // The floor is 0; within 0.005 is momentum and dampening each within about 0.05 of (0.73, 0.2).
            Assert.True(on < 0.005, $"seed {seed}: best with the conditional GP {on}");
            Assert.True(on < off, $"seed {seed}: with the conditional GP {on}, without {off}");
        }
    }

    [Fact]
    public void A_restored_snapshot_continues_bit_identically_through_the_conditional_gp()
    {
        static HyperparameterSearch New() => HyperparameterSearch.Create(new SearchSettings(Parsed,
            Sampler: new SamplerSettings { Kind = SamplerKind.Gp, Gp = new GpOptions { ConditionalStartupTrials = 2 } }, Seed: 5));
        static List<string> Continue(HyperparameterSearch search, int asks)
        {
            var log = new List<string>();
            for (var i = 0; i < asks; i++)
            {
                var t = search.Ask();
                log.Add(string.Join(",", t.Params.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value:R}")));
                search.Tell(t.Number, new TrialOutcome.Completed(Objective(t.Params)));
            }
            return log;
        }
        var whole = Continue(New(), 16);
        var interrupted = New();
        var head = Continue(interrupted, 9);
        Assert.Contains(head, a => a.Contains("momentum")); // the conditional GP has sgd trials to fit before the break
        var resumed = HyperparameterSearch.FromJson(interrupted.ToJson());
        Assert.Equal(2, resumed.Settings.Sampler.Gp.ConditionalStartupTrials);
        Assert.Equal(whole, head.Concat(Continue(resumed, 7)).ToList());
    }

    [Fact]
    public void A_branch_whose_children_are_tuned_hands_the_trial_to_another_branch()
    {
        // sgd: 10 trials across its children's range, then 20 packed around the floor of its bowl, as a tuned branch
        // looks, so its second GP expects little more there; adam: 3 poor trials. The first GP scores branches by
        // their trials' losses, so it chooses sgd. With a threshold of −4 (above the default −6: twenty packed trials
        // leave a little more log EI than the tuned branches of the benchmarks did) the trial goes to adam; with the
        // rule off (−∞) it stays in sgd.
        var random = new SeededRandom(3);
        var trials = new List<TrialRecord>();
        for (var i = 0; i < 33; i++)
        {
            var (isSgd, tuned) = (i >= 3, i >= 13);
            var p = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["lr"] = tuned ? Math.Pow(10, -2.5 + 0.02 * (random.NextDouble() - 0.5)) : Math.Pow(10, -4 + 3 * random.NextDouble()),
                ["opt"] = isSgd ? 1 : 0,
            };
            if (tuned) { p["momentum"] = 0.73 + 0.01 * (random.NextDouble() - 0.5); p["dampening"] = 0.2 + 0.01 * (random.NextDouble() - 0.5); }
            else if (isSgd) { p["momentum"] = random.NextDouble(); p["dampening"] = random.NextDouble(); }
            var external = p.ToDictionary(kv => kv.Key, kv => Parsed[kv.Key].Distribution.ToExternal(kv.Value));
            trials.Add(new TrialRecord { Number = i, Params = p, State = TrialState.Complete, Value = Objective(external) });
        }
        Dictionary<string, double> AskWith(double threshold) => new GpSampler(new GpOptions { ExhaustedBranchLogEi = threshold })
            .Sample(new SamplingContext(Parsed, trials, 33, StudyDirection.Minimize, SeededRandom.ForTrial(7, 33), 7));
        Assert.Equal(1, AskWith(double.NegativeInfinity)["opt"]);
        var moved = AskWith(-4);
        Assert.Equal(0, moved["opt"]);
        Assert.False(moved.ContainsKey("momentum"));
    }

    /// <summary>
    /// Two parents, only one with an active child: the first GP chose adam (no children) and mlp (<c>width</c>). The
    /// second GP, fitted on the mlp trials, kept model but chose opt again, as if it were a number: it asked sgd, and
    /// sgd's momentum went to TPE. The branch is the first GP's choice (docs/study-spec.md: "it keeps the parents the
    /// first GP chose"), so opt stays adam and the trial has no momentum.
    /// </summary>
    [Fact]
    public void A_parent_whose_children_are_inactive_stays_as_the_first_gp_chose_it()
    {
        var space = SearchSpace.FromJson("""
            {"lr":{"type":"float","low":1e-4,"high":1e-1,"log":true},
             "opt":{"type":"categorical","choices":["adam","sgd"]},
             "momentum":{"type":"float","low":0,"high":1,"when":{"opt":["sgd"]}},
             "model":{"type":"categorical","choices":["mlp","cnn"]},
             "width":{"type":"float","low":0,"high":1,"when":{"model":["mlp"]}}}
            """);
        var random = new SeededRandom(1006);
        var trials = new List<TrialRecord>();
        for (var i = 0; i < 24; i++)
        {
            var p = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["lr"] = Math.Pow(10, -4 + 3 * random.NextDouble()),
                ["opt"] = random.NextInt(2),
                ["model"] = random.NextDouble() < 0.7 ? 0 : 1,
            };
            if (p["opt"] == 1) p["momentum"] = random.NextDouble();
            if (p["model"] == 0) p["width"] = random.NextDouble();
            var lr = Math.Log10(p["lr"]) + 2.5;
            var value = 0.1 * lr * lr + (p["opt"] == 1 ? (p["momentum"] - 0.3) * (p["momentum"] - 0.3) : 0.1)
                + (p["model"] == 0 ? (p["width"] - 0.6) * (p["width"] - 0.6) : 0.15) + 0.05 * random.NextDouble();
            trials.Add(new TrialRecord { Number = i, Params = p, State = TrialState.Complete, Value = value });
        }
        Dictionary<string, double> Ask(bool conditionalGp) => new GpSampler(new GpOptions { ConditionalGp = conditionalGp, ExhaustedBranchLogEi = double.NegativeInfinity })
            .Sample(new SamplingContext(space, trials, 24, StudyDirection.Minimize, SeededRandom.ForTrial(7, 24), 7));
        // The first GP runs first on the same stream, so without the second GP the ask holds its parents: adam, mlp.
        var first = Ask(false);
        Assert.Equal((0.0, 0.0), (first["opt"], first["model"]));
        var ask = Ask(true);
        Assert.Equal((0.0, 0.0), (ask["opt"], ask["model"]));
        Assert.False(ask.ContainsKey("momentum"));
        Assert.NotEqual(first["width"], ask["width"]); // the second GP chose width
    }

    /// <summary>
    /// Before: <see cref="GpSampler.EncodedWidth"/> counted only the unconditional parameters, while the second GP fits
    /// them and the active children together; a 150-choice child read as a 3-column space, and <c>kind: auto</c>
    /// (which judges widths by it) chose gp for a space whose second GP is 153 columns wide.
    /// </summary>
    [Theory]
    // lr (1) + opt (2) + emb (150): the second GP's width in opt a.
    [InlineData("""{"lr":{"type":"float","low":0,"high":1},"opt":{"type":"categorical","choices":["a","b"]},"emb":{"type":"categorical","choices":[CHOICES150],"when":{"opt":["a"]}}}""", 153)]
    // Branches exclusive: opt a has ea (60) and x (1), opt b has eb (40) and x (1); the widest is a's, 1 + 2 + 61.
    [InlineData("""{"lr":{"type":"float","low":0,"high":1},"opt":{"type":"categorical","choices":["a","b"]},"ea":{"type":"categorical","choices":[CHOICES60],"when":{"opt":["a"]}},"eb":{"type":"categorical","choices":[CHOICES40],"when":{"opt":["b"]}},"x":{"type":"float","low":0,"high":1,"when":{"opt":["a","b"]}}}""", 64)]
    // Two parents: c needs A x and B p, d needs A y, e needs B q; d and e together (A y, B q) are the widest, 2.
    // f is two levels down (under d) and g's parent is single-valued: neither is in a GP. u (1) + A (2) + B (2) + 2.
    [InlineData("""{"u":{"type":"float","low":0,"high":1},"A":{"type":"categorical","choices":["x","y"]},"B":{"type":"categorical","choices":["p","q"]},"s":{"type":"categorical","choices":["only"]},"c":{"type":"float","low":0,"high":1,"when":{"A":["x"],"B":["p"]}},"d":{"type":"float","low":0,"high":1,"when":{"A":["y"]}},"e":{"type":"float","low":0,"high":1,"when":{"B":["q"]}},"f":{"type":"float","low":0,"high":1,"when":{"d":[0.5]}},"g":{"type":"categorical","choices":[1,2,3],"when":{"s":["only"]}}}""", 7)]
    // A numeric parent: l2 under layers 2-4 and l3 under 3-4 are active together at 3; layers (1) + 2.
    [InlineData("""{"layers":{"type":"int","low":1,"high":4},"l2":{"type":"int","low":8,"high":64,"when":{"layers":[2,3,4]}},"l3":{"type":"float","low":0,"high":1,"when":{"layers":[3,4]}}}""", 3)]
    public void The_encoded_width_is_the_widest_gp_the_sampler_fits(string json, int expected)
    {
        static string Choices(int n) => string.Join(",", Enumerable.Range(0, n).Select(i => $"\"c{i}\""));
        json = json.Replace("CHOICES150", Choices(150)).Replace("CHOICES60", Choices(60)).Replace("CHOICES40", Choices(40));
        Assert.Equal(expected, GpSampler.EncodedWidth(SearchSpace.FromJson(json)));
    }

    [Fact]
    public void Snapshots_written_before_the_conditional_gp_resume_without_it()
    {
        var search = HyperparameterSearch.Create(new SearchSettings(Parsed, Sampler: new SamplerSettings { Kind = SamplerKind.Gp }, Seed: 1));
        var json = JsonNode.Parse(search.ToJson())!;
        Assert.True(HyperparameterSearch.FromJson(json.ToJsonString()).Settings.Sampler.Gp.ConditionalGp);
        Assert.Equal(-6, HyperparameterSearch.FromJson(json.ToJsonString()).Settings.Sampler.Gp.ExhaustedBranchLogEi);
        json["sampler"]!["gp"]!.AsObject().Remove("conditional_gp");
        json["sampler"]!["gp"]!.AsObject().Remove("exhausted_branch_log_ei");
        var restored = HyperparameterSearch.FromJson(json.ToJsonString()).Settings.Sampler.Gp;
        Assert.False(restored.ConditionalGp);
        Assert.Equal(double.NegativeInfinity, restored.ExhaustedBranchLogEi);
        // A value the options refuse is a snapshot that is not readable, not a crash later in the sampler.
        json["sampler"]!["gp"]!["exhausted_branch_log_ei"] = "NaN";
        Assert.Throws<FormatException>(() => HyperparameterSearch.FromJson(json.ToJsonString()));
        // Off (−∞) is written and read back, not refused by JSON.
        var off = HyperparameterSearch.Create(new SearchSettings(Parsed,
            Sampler: new SamplerSettings { Kind = SamplerKind.Gp, Gp = new GpOptions { ExhaustedBranchLogEi = double.NegativeInfinity } }, Seed: 1));
        Assert.Equal(double.NegativeInfinity, HyperparameterSearch.FromJson(off.ToJson()).Settings.Sampler.Gp.ExhaustedBranchLogEi);
    }
}

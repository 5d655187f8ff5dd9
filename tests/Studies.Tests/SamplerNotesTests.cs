namespace SweepCluster.Studies.Tests;

/// <summary>
/// Valid sampler settings that probably are not what the author meant get a note (docs/study-spec.md, "sampler"):
/// sharing with nothing to share, a budget spent entirely on start-up trials, gp on a conditional space.
/// </summary>
public sealed class SamplerNotesTests
{
    private static IReadOnlyList<string> Notes(string sampler, int trials, int backbones, string space = "lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}") =>
        SamplerNotes.For(StudySpecParser.Parse($"""
            name: notes
            data: {"{"}train: train.csv{"}"}
            budget: {"{"}trials_per_backbone: {trials}{"}"}
            workload: {"{"}kind: simulated{"}"}
            sampler: {sampler}
            search_space:
              {space}
            backbones:
            {string.Concat(Enumerable.Range(0, backbones).Select(i => $"  - {{name: b{i}, family: bert}}\n"))}
            """));

    [Fact]
    public void A_model_based_search_with_more_trials_than_start_up_trials_gets_no_note()
    {
        // gp takes over after 6 start-up trials (GpOptions), tpe after 10 (TpeOptions), or after startup_trials.
        Assert.Empty(Notes("{kind: gp}", trials: 7, backbones: 2));
        Assert.Empty(Notes("{kind: tpe}", trials: 11, backbones: 1));
        Assert.Empty(Notes("{kind: tpe, startup_trials: 2}", trials: 3, backbones: 2));
        Assert.Empty(Notes("{kind: random}", trials: 3, backbones: 2));
    }

    [Theory]
    [InlineData("{kind: gp}", 6, 6)]
    [InlineData("{kind: gp}", 3, 6)]
    [InlineData("{kind: tpe}", 10, 10)]
    [InlineData("{kind: tpe_multivariate, startup_trials: 5}", 4, 5)]
    public void A_budget_spent_entirely_on_start_up_trials_is_noted(string sampler, int trials, int startup)
    {
        var note = Assert.Single(Notes(sampler, trials, backbones: 2));
        Assert.Contains($"every trial is one of the sampler's {startup} start-up trials", note);
        Assert.Contains($"no backbone has more than {trials} trials", note);
        Assert.Contains("sampler.startup_trials", note);
    }

    [Fact]
    public void With_sharing_the_start_up_counts_every_backbones_trials()
    {
        // 2 backbones × 3 trials = 6 finished trials seen: gp's 6 start-up trials use all of them; × 4 = 8 leaves two.
        var note = Assert.Single(Notes("{kind: gp, share_across_backbones: true}", trials: 3, backbones: 2));
        Assert.Contains("no backbone has more than 6 trials counted across backbones", note);
        Assert.Empty(Notes("{kind: gp, share_across_backbones: true}", trials: 4, backbones: 2));
    }

    [Fact]
    public void Sharing_with_nothing_to_share_is_noted()
    {
        Assert.Contains("sampler.share_across_backbones has no effect with one backbone",
            Notes("{kind: tpe, startup_trials: 2, share_across_backbones: true}", trials: 5, backbones: 1));
        Assert.Equal(["sampler.share_across_backbones has no effect with the random sampler, which learns from no trial"],
            Notes("{kind: random, share_across_backbones: true}", trials: 5, backbones: 2));
    }

    [Fact]
    public void Gp_on_a_space_with_conditional_parameters_two_levels_deep_names_those_it_hands_to_tpe()
    {
        // momentum and sgd_variant are one level below optimizer, which the GP models, so the second GP models them;
        // dampening is conditional on sgd_variant, itself conditional, so TPE samples it (docs/study-spec.md).
        var oneLevel = "optimizer: {type: categorical, choices: [adamw, sgd]}\n  momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: [sgd]}}";
        Assert.Empty(Notes("{kind: gp, startup_trials: 2}", trials: 10, backbones: 1, oneLevel));
        var twoLevels = oneLevel + "\n  sgd_variant: {type: categorical, choices: [plain, nesterov], when: {optimizer: [sgd]}}"
            + "\n  dampening: {type: float, low: 0, high: 0.5, when: {sgd_variant: [plain]}}"
            // Single-valued: it takes its value unmodelled, so it is handed to nobody and not named.
            + "\n  nesterov_lr_scale: {type: float, low: 1.0, high: 1.0, when: {sgd_variant: [nesterov]}}";
        var note = Assert.Single(Notes("{kind: gp, startup_trials: 2}", trials: 10, backbones: 1, twoLevels));
        Assert.StartsWith("backbone b0: the gp sampler hands dampening to TPE:", note);
        Assert.Empty(Notes("{kind: tpe, startup_trials: 2}", trials: 10, backbones: 1, twoLevels));
        // Backbones with the same list share one note that names them all.
        var shared = Assert.Single(Notes("{kind: gp, startup_trials: 2}", trials: 10, backbones: 2, twoLevels));
        Assert.StartsWith("backbones b0, b1: the gp sampler hands dampening to TPE:", shared);
    }
}

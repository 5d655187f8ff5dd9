namespace SweepCluster.Studies.Tests;

/// <summary>
/// <c>sampler.kind: auto</c>, the study file's default (docs/study-spec.md, "Which sampler when"): gp when there are at
/// most 100 trials per backbone (200 in all when shared) and no space is over 100 GP columns, tpe otherwise.
/// </summary>
public sealed class AutoSamplerTests
{
    private const string Plain = "lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}";

    private const string Conditional = """
        model: {type: categorical, choices: [a, b]}
          depth: {type: int, low: 1, high: 4, when: {model: [b]}}
        """;

    private static StudySpec Parse(string? sampler, int trials, int backbones, string space = Plain) =>
        StudySpecParser.Parse($"""
            name: auto
            data: {"{"}train: train.csv{"}"}
            budget: {"{"}trials_per_backbone: {trials}{"}"}
            workload: {"{"}kind: simulated{"}"}
            {(sampler is null ? "" : $"sampler: {sampler}")}
            search_space:
              {space}
            backbones:
            {string.Concat(Enumerable.Range(0, backbones).Select(i => $"  - {{name: b{i}, family: bert}}\n"))}
            """);

    [Theory]
    [InlineData(null, 20, 1, "gp")]
    [InlineData("{kind: auto}", 20, 3, "gp")]
    [InlineData("{kind: auto}", 100, 2, "gp")]
    [InlineData("{kind: auto}", 101, 1, "tpe")]
    [InlineData("{kind: auto, share_across_backbones: true}", 40, 5, "gp")]
    [InlineData("{kind: auto, share_across_backbones: true}", 41, 5, "tpe")]
    [InlineData("{kind: auto, share_across_backbones: false}", 41, 5, "gp")]
    public void Auto_chooses_by_the_documented_budget_rule(string? sampler, int trials, int backbones, string expected)
    {
        var spec = Parse(sampler, trials, backbones);
        Assert.Equal(expected, spec.Sampler.Kind);
        Assert.True(spec.Sampler.Auto);
    }

    [Theory]
    [InlineData(100, "gp")]
    [InlineData(101, "tpe")]
    public void A_conditional_space_is_judged_by_the_same_budget_rule(int trials, string expected)
    {
        // Since the GP chooses conditional parameters too (2026-12-02, tenth session), they no longer decide.
        Assert.Equal(expected, Parse(null, trials, 1, Conditional).Sampler.Kind);
    }

    [Fact]
    public void The_choice_is_noted_with_its_reason()
    {
        var note = Assert.Single(SamplerNotes.For(Parse(null, 20, 2)));
        Assert.StartsWith("sampler.kind auto chose gp: 20 trials per backbone (gp up to 100)", note);
    }

    /// <summary>
    /// Before: with per-backbone <c>trials:</c> overrides the note read "500 trials per backbone" (or "80 trials per
    /// backbone") although the other backbone had 10. The rule applies to the largest budget (docs/study-spec.md:
    /// "at most 100 trials per backbone"), so 500 on one backbone means tpe and 80 means gp; the note names that backbone.
    /// </summary>
    [Theory]
    [InlineData(500, "tpe", "sampler.kind auto chose tpe: backbone big has 500 trials, more than the 100 per backbone the GP is chosen for")]
    [InlineData(80, "gp", "sampler.kind auto chose gp: 80 trials on backbone big, the most of any (gp up to 100 per backbone)")]
    public void Uneven_backbone_budgets_are_judged_by_the_largest_and_the_note_names_its_backbone(int bigTrials, string expected, string notePrefix)
    {
        var spec = StudySpecParser.Parse($$"""
            name: auto
            data: {train: train.csv}
            budget: {trials_per_backbone: 10}
            workload: {kind: simulated}
            search_space:
              {{Plain}}
            backbones:
              - {name: small, family: bert}
              - {name: big, family: bert, trials: {{bigTrials}}}
            """);
        Assert.Equal(expected, spec.Sampler.Kind);
        var note = Assert.Single(SamplerNotes.For(spec), n => n.Contains("sampler.kind auto"));
        Assert.StartsWith(notePrefix, note);
        Assert.DoesNotContain("trials per backbone", note);
    }

    [Theory]
    [InlineData("tpe")]
    [InlineData("tpe_multivariate")]
    [InlineData("gp")]
    [InlineData("random")]
    public void A_kind_the_file_names_is_kept_and_not_marked_chosen(string kind)
    {
        var spec = Parse($"{{kind: {kind}}}", 500, 1, Conditional);
        Assert.Equal(kind, spec.Sampler.Kind);
        Assert.False(spec.Sampler.Auto);
        Assert.DoesNotContain(SamplerNotes.For(spec), n => n.Contains("auto"));
    }

    [Theory]
    [InlineData(99, "gp")]
    [InlineData(100, "tpe")]
    public void A_space_wider_than_100_gp_columns_gets_tpe(int choices, string expected)
    {
        // One GP column per number and one per categorical choice (docs/study-spec.md): lr plus the choices.
        var categorical = "family: {type: categorical, choices: [" + string.Join(", ", Enumerable.Range(0, choices).Select(i => $"c{i}")) + "]}";
        var spec = Parse(null, 20, 1, Plain + "\n  " + categorical);
        Assert.Equal(expected, spec.Sampler.Kind);
        if (expected == "tpe") Assert.Contains(SamplerNotes.For(spec), n => n.Contains("101 GP columns wide"));
    }

    [Fact]
    public void A_conditional_parameter_counts_towards_the_width_since_the_gp_models_it()
    {
        // The second GP fits lr, model (2 columns) and, under model a, the 99-choice family: 102 columns, over 100.
        // Before, only the unconditional parameters were counted (3 columns) and auto chose gp.
        var family = "  family: {type: categorical, choices: [" + string.Join(", ", Enumerable.Range(0, 99).Select(i => $"c{i}")) + "], when: {model: [a]}}";
        var spec = Parse(null, 20, 1, Plain + "\n  model: {type: categorical, choices: [a, b]}\n" + family);
        Assert.Equal("tpe", spec.Sampler.Kind);
        Assert.Contains(SamplerNotes.For(spec), n => n.Contains("102 GP columns wide"));
    }

    [Fact]
    public void A_stored_spec_never_holds_auto()
    {
        // The grain re-checks closed sets on Submit: auto is a study-file word, not a sampler.
        var spec = Parse(null, 20, 1) with { Sampler = new SamplerSpec { Kind = "auto" } };
        Assert.Contains(StudyLimits.Problems(spec), p => p.KeyPath == "sampler.kind");
    }
}

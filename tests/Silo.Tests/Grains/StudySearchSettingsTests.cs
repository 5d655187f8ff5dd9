using SweepCluster.Studies;
using SweepCluster.Search;
using SweepCluster.Search.Pruning;
using SweepCluster.Search.Sampling;
using SweepCluster.Silo.Grains;

namespace SweepCluster.Silo.Tests.Grains;

/// <summary>A study file's sampler and pruner keys reach each backbone's search as docs/study-spec.md documents them.</summary>
public sealed class StudySearchSettingsTests
{
    private const string Study = """
        name: settings
        data: {train: train.csv}
        budget: {trials_per_backbone: 10}
        workload: {kind: simulated}
        objective: {metric: f1, direction: maximize}
        search_space:
          lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
        backbones:
          - {name: a, family: bert}

        """;

    [Fact]
    public void The_fold_rule_defaults_to_the_running_mean_and_current_fold_is_honoured()
    {
        var byDefault = StudySearchSettings.For(StudySpecParser.Parse(Study), StudySpecParser.Parse(Study).Backbones[0]);
        Assert.Equal(FoldRule.RunningMean, byDefault.Pruner.FoldRule);

        var spec = StudySpecParser.Parse(Study + "pruner: {kind: extrapolating, warmup_steps: 6, fold_rule: current_fold}\n");
        var settings = StudySearchSettings.For(spec, spec.Backbones[0]);
        Assert.Equal((PrunerKind.Extrapolating, 6, FoldRule.CurrentFold), (settings.Pruner.Kind, settings.Pruner.NWarmupSteps, settings.Pruner.FoldRule));
        var pruner = Assert.IsType<ExtrapolatingPruner>(settings.Pruner.Create());
        Assert.Equal(FoldRule.CurrentFold, pruner.Rule);
        Assert.Equal(StudyDirection.Maximize, settings.Direction);
    }
}

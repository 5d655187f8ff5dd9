using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Search;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Search.Tpe;

namespace SweepCluster.Silo.Grains;

/// <summary>Turns a study spec's backbone into the settings of its src/Search search.</summary>
public static class StudySearchSettings
{
    public static SearchSettings For(StudySpec spec, BackboneSpec backbone)
    {
        var sampler = new SamplerSettings
        {
            Kind = SamplerSettings.ParseKind(spec.Sampler.Kind),
            Tpe = spec.Sampler.StartupTrials is int startup ? new TpeOptions { NStartupTrials = startup } : new TpeOptions(),
            Gp = spec.Sampler.StartupTrials is int gpStartup ? new SweepCluster.Search.Gp.GpOptions { NStartupTrials = gpStartup } : new SweepCluster.Search.Gp.GpOptions(),
        };
        var pruner = new PrunerSettings
        {
            Kind = PrunerSettings.ParseKind(spec.Pruner.Kind),
            Percentile = spec.Pruner.Percentile,
            NStartupTrials = spec.Pruner.StartupTrials,
            NWarmupSteps = spec.Pruner.WarmupSteps,
            IntervalSteps = spec.Pruner.IntervalSteps,
            FoldRule = PrunerSettings.ParseFoldRule(spec.Pruner.FoldRule),
        };
        return new SearchSettings(backbone.Space, spec.Objective.Direction, sampler, pruner, SearchSettings.BackboneSeed(spec.Seed, backbone.Name));
    }
}

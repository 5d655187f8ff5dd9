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
        return new SearchSettings(backbone.Space, spec.Objective.Direction, sampler, pruner, BackboneSeed(spec.Seed, backbone.Name));
    }

    /// <summary>Each backbone gets its own stream, stable across processes (FNV-1a of the name, not string.GetHashCode).</summary>
    public static long BackboneSeed(int studySeed, string backbone)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in backbone)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return (long)((ulong)studySeed * 0x9E3779B97F4A7C15UL ^ hash) & long.MaxValue;
    }
}

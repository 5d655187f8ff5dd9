using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Silo.Tests.Cluster;

/// <summary>
/// Issue 10, kind 1: a study over an extreme space is created and asks its trials, and a study the grain
/// refuses leaves nothing behind (no stored state, no entry in the study list).
/// </summary>
public sealed class StudyCreationTests(SweepTestCluster fixture) : IClassFixture<SweepTestCluster>
{
    private IGrainFactory Grains => fixture.Grains;
    private static string NewId() => "s" + Guid.NewGuid().ToString("N")[..10];

    private static StudySpec WithSpace(string spaceJson, string sampler = "tpe") => TestStudies.Simulated(trials: 4, maxParallel: 2) with
    {
        Backbones = [TestStudies.Simulated().Backbones[0] with { SpaceJson = spaceJson }],
        Sampler = new SamplerSpec { Kind = sampler },
    };

    [Theory]
    [InlineData("tpe")]
    [InlineData("tpe_multivariate")]
    [InlineData("random")]
    public async Task A_seed_over_0_to_2_pow_32_minus_1_is_sampled_by_the_study(string sampler)
    {
        // Before: Submit threw an overflow, yet the study was stored and stayed running with 0 trials.
        var id = NewId();
        var status = await Grains.Study(id).Submit(WithSpace("""{"seed":{"type":"int","low":0,"high":4294967295}}""", sampler));
        Assert.Equal(2, status.Count(TrialState.Waiting));
        var trials = await Grains.Study(id).GetTrials();
        Assert.All(trials, t => Assert.InRange((long)t.Params["seed"], 0L, 4294967295L));
    }

    [Fact]
    public async Task A_single_point_float_is_that_value_in_every_trial()
    {
        var id = NewId();
        await Grains.Study(id).Submit(WithSpace("""{"a":{"type":"float","low":1.0,"high":1.0},"b":{"type":"float","low":0.001,"high":0.001,"log":true}}"""));
        Assert.All(await Grains.Study(id).GetTrials(), t =>
        {
            Assert.Equal(1.0, t.Params["a"]);
            Assert.Equal(0.001, t.Params["b"]);
        });
    }

    [Fact]
    public async Task A_refused_study_leaves_nothing_stored_and_can_be_submitted_again()
    {
        // A spec that bypassed the parser: the grain must still refuse it before storing anything.
        var id = NewId();
        var error = await Assert.ThrowsAsync<StudyRejectedException>(() =>
            Grains.Study(id).Submit(WithSpace("""{"n":{"type":"int","low":0,"high":9007199254740993}}""")));
        Assert.Contains("parameter 'n'", error.Message);
        Assert.Contains("nothing was stored", error.Message);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Grains.Study(id).GetStatus());
        Assert.DoesNotContain(await Grains.GetGrain<IStudyDirectoryGrain>(0).List(), s => s.StudyId == id);

        var status = await Grains.Study(id).Submit(WithSpace("""{"n":{"type":"int","low":0,"high":9007199254740992}}"""));
        Assert.Equal(2, status.Count(TrialState.Waiting));
    }
}

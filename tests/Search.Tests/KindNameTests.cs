using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Tests;

public class KindNameTests
{
    [Fact]
    public void Every_sampler_and_pruner_kind_round_trips_through_its_one_name()
    {
        foreach (var kind in Enum.GetValues<SamplerKind>())
            Assert.Equal(kind, SamplerSettings.ParseKind(SamplerSettings.KindName(kind)));
        foreach (var kind in Enum.GetValues<PrunerKind>())
            Assert.Equal(kind, PrunerSettings.ParseKind(PrunerSettings.KindName(kind)));
        Assert.Equal(["tpe", "tpe_multivariate", "gp", "random"], SamplerSettings.KindNames);
        Assert.Equal(["none", "median", "percentile", "extrapolating"], PrunerSettings.KindNames);
    }

    [Theory]
    [InlineData("tpe-multivariate")]
    [InlineData("tpe-mv")]
    [InlineData("nop")]
    public void Other_spellings_are_refused_with_the_names_accepted(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => name == "nop" ? (object)PrunerSettings.ParseKind(name) : SamplerSettings.ParseKind(name));
        Assert.Contains(name == "nop" ? "none, median" : "tpe, tpe_multivariate, gp, random", e.Message);
    }

    [Fact]
    public void A_snapshot_written_with_the_hyphenated_multivariate_name_still_reads()
    {
        var settings = new SearchSettings(SearchSpace.FromJson(AskTellTests.MixedSpace), StudyDirection.Maximize,
            new SamplerSettings { Kind = SamplerKind.TpeMultivariate }, Seed: 3);
        var json = SearchSnapshot.Write(settings, []);
        Assert.Contains("\"tpe_multivariate\"", json);
        var (read, _) = SearchSnapshot.Read(json.Replace("\"tpe_multivariate\"", "\"tpe-multivariate\""));
        Assert.Equal(SamplerKind.TpeMultivariate, read.Sampler.Kind);
        Assert.Equal(StudyDirection.Maximize, read.Direction);
    }

    [Fact]
    public void Direction_and_state_numbers_are_the_ones_stored_studies_hold()
    {
        // Stored grain state holds these enums as integers (StoredStudyTests loads such a database).
        Assert.Equal([0, 1], new[] { (int)StudyDirection.Maximize, (int)StudyDirection.Minimize });
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], new[] { TrialState.Waiting, TrialState.Leased, TrialState.Running, TrialState.Complete,
            TrialState.Pruned, TrialState.Failed, TrialState.Cancelled }.Select(s => (int)s));
    }
}

using Orleans.Concurrency;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;

namespace SweepCluster.Contracts.Grains;

/// <summary>All studies (key 0): the list for `sweep status`, and the ticker that keeps running studies moving.</summary>
[Alias("sweep.IStudyDirectoryGrain")]
public interface IStudyDirectoryGrain : IGrainWithIntegerKey
{
    [Alias("Register")] Task Register(StudySummary study);
    [Alias("Update")] Task Update(StudySummary study);
    /// <summary>Drops a study that was registered but whose creation was then rolled back.</summary>
    [Alias("Unregister")] Task Unregister(string studyId);
    [Alias("List")] Task<IReadOnlyList<StudySummary>> List();
    /// <summary>Ticks every running study. Called by each silo's StudyTicker every couple of seconds.</summary>
    [Alias("Tick")] Task Tick();
}

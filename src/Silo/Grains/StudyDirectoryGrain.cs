using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;

namespace SweepCluster.Silo.Grains;

[GenerateSerializer, Alias("sweep.StudyDirectoryState")]
public sealed class StudyDirectoryState
{
    [Id(0)] public Dictionary<string, StudySummary> Studies { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Every study ever submitted, and the ticker that keeps the running ones moving.</summary>
[GrainType("sweep.studies")]
public sealed class StudyDirectoryGrain(
    [PersistentState("studies", SiloHost.StorageName)] IPersistentState<StudyDirectoryState> store) : Grain, IStudyDirectoryGrain
{
    public async Task Register(StudySummary study)
    {
        store.State.Studies[study.StudyId] = study;
        await store.WriteStateAsync();
    }

    public Task Update(StudySummary study) => Register(study);

    public async Task Unregister(string studyId)
    {
        if (store.State.Studies.Remove(studyId)) await store.WriteStateAsync();
    }

    public Task<IReadOnlyList<StudySummary>> List() =>
        Task.FromResult<IReadOnlyList<StudySummary>>(store.State.Studies.Values.OrderBy(s => s.CreatedUtc).ToList());

    public Task Tick()
    {
        // One-way calls: a study never waits on this grain while this grain waits on it.
        foreach (var study in store.State.Studies.Values.Where(s => s.State == StudyState.Running))
            GrainFactory.GetGrain<IStudyGrain>(study.StudyId).Tick().Ignore();
        return Task.CompletedTask;
    }
}

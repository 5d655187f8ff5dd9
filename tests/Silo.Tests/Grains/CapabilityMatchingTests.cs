using SweepCluster.Studies;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Trials;
using SweepCluster.Silo.Grains;

namespace SweepCluster.Silo.Tests.Grains;

/// <summary>Which worker may lease which job: simulated anywhere; training by family and GPU memory; the ensemble step on any training worker.</summary>
public sealed class CapabilityMatchingTests
{
    private static QueueEntry Entry(string family, bool simulated = false, long gpuMemory = 0) => new()
    {
        StudyId = "s", Backbone = family.Length == 0 ? "" : "b", Kind = family.Length == 0 ? JobKind.Ensemble : JobKind.SearchTrial, Family = family, Number = 0, Attempt = 1,
        Params = new Dictionary<string, object>(), LeaseDuration = TimeSpan.FromSeconds(30), MinGpuMemoryMb = gpuMemory, Simulated = simulated,
    };

    [Fact]
    public void Jobs_go_to_workers_that_can_run_them()
    {
        var robertaOnly = new WorkerInfo { WorkerId = "r", Families = ["Roberta"], GpuMemoryMb = 16000 };
        var simulatedOnly = new WorkerInfo { WorkerId = "s", SimulatedOnly = true };
        Assert.True(WorkQueueGrain.CanRun(robertaOnly, Entry("Roberta")));
        Assert.False(WorkQueueGrain.CanRun(robertaOnly, Entry("Bert")));
        Assert.False(WorkQueueGrain.CanRun(robertaOnly, Entry("Roberta", gpuMemory: 24000)));
        Assert.True(WorkQueueGrain.CanRun(robertaOnly, Entry("", gpuMemory: 0)), "the ensemble step has no family");
        Assert.True(WorkQueueGrain.CanRun(simulatedOnly, Entry("Bert", simulated: true)));
        Assert.False(WorkQueueGrain.CanRun(simulatedOnly, Entry("")));
    }
}

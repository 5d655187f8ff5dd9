using System.Reflection;
using SweepCluster.Training.Data;

namespace SweepCluster.Training.Tests.Layering;

/// <summary>
/// Training stays below the study model: it references no Orleans assembly, not even through our own
/// assemblies (Studies carries Orleans' serializer for the stored spec records; docs/architecture.md).
/// </summary>
public sealed class AssemblyReferenceTests
{
    [Fact]
    public void Training_reaches_no_Orleans_assembly_and_not_Studies()
    {
        var reached = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>(typeof(TrainingStudy).Assembly.GetReferencedAssemblies());
        while (pending.TryPop(out var name))
        {
            if (!reached.Add(name.Name!)) continue;
            // Only our own assemblies are walked: a package reaching Orleans would have to be referenced through one.
            if (name.Name!.StartsWith("SweepCluster.", StringComparison.Ordinal))
                foreach (var next in Assembly.Load(name).GetReferencedAssemblies()) pending.Push(next);
        }

        Assert.Contains("SweepCluster.Vocabulary", reached); // the walk did reach our own assemblies
        Assert.DoesNotContain(reached, n => n.StartsWith("Orleans", StringComparison.Ordinal));
        Assert.DoesNotContain("SweepCluster.Studies", reached);
    }
}

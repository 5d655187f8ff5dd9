using SweepCluster.Cli.Rendering;
using System.Text.RegularExpressions;

namespace SweepCluster.Cli.Tests.Layering;

/// <summary>
/// Issue 13's rule for the CLI: verbs compose the layers below and shared helpers (StudyFile, TrialRendering,
/// StudyRendering, LocalHome, …); no verb reaches into another verb's class, and no verb calls TorchSharp itself.
/// </summary>
public sealed partial class VerbBoundaryTests
{
    [Fact]
    public void No_verb_calls_another_verbs_internals()
    {
        var offences = new List<string>();
        foreach (var file in VerbFiles())
        {
            var self = Path.GetFileNameWithoutExtension(file);
            foreach (Match m in OtherVerbMember().Matches(File.ReadAllText(file)))
                if (m.Groups[1].Value != self && m.Groups[2].Value != "Create") offences.Add($"{self} -> {m.Value}");
        }
        Assert.Empty(offences);
    }

    [Fact]
    public void No_verb_calls_torch_directly()
    {
        var offences = VerbFiles().Where(f => TorchCall().IsMatch(File.ReadAllText(f))).Select(Path.GetFileName).ToList();
        Assert.Empty(offences);
    }

    [Fact]
    public void The_scan_sees_the_verbs()
    {
        // A scan that found no files would pass the two rules above vacuously.
        var names = VerbFiles().Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.Contains("SubmitCommand", names);
        Assert.Contains("UpCommand", names);
        Assert.Contains("WorkerCommand", names);
        Assert.True(names.Count >= 15, string.Join(", ", names));
    }

    private static IEnumerable<string> VerbFiles()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SweepCluster.sln"))) root = root.Parent;
        Assert.NotNull(root);
        return Directory.GetFiles(Path.Combine(root.FullName, "src", "Cli"), "*Command.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));
    }

    [GeneratedRegex(@"\b([A-Z][A-Za-z]*Command)\.([A-Z][A-Za-z]*)")]
    private static partial Regex OtherVerbMember();

    [GeneratedRegex(@"\bTorchSharp\.|\btorch\.[a-z_]+\(")]
    private static partial Regex TorchCall();
}

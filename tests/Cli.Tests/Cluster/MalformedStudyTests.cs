using Microsoft.Data.Sqlite;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>Bad study files are refused by `sweep submit` with the key and line named, and nothing stored changes.</summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class MalformedStudyTests(MalformedStudyTests.ClusterWithBaseline fixture) : IClassFixture<MalformedStudyTests.ClusterWithBaseline>
{
    /// <summary>One silo for all cases, holding one valid study (no workers, so nothing changes by itself).</summary>
    public sealed class ClusterWithBaseline : IAsyncLifetime
    {
        public LocalCluster Cluster { get; } = new();

        public async ValueTask InitializeAsync()
        {
            await Cluster.StartSilo();
            await Cluster.Submit(Cluster.WriteStudy("baseline", Good("baseline")), "baseline");
        }

        public ValueTask DisposeAsync() => Cluster.DisposeAsync();
    }

    private static string Good(string name = "good") =>
        LocalCluster.SimulatedStudy(name, ["distilbert"], trials: 4, maxParallel: 2, steps: 3, stepSeconds: 0);

    /// <summary>Each kind of mistake, and what the error must name.</summary>
    public static TheoryData<string, string, string[]> Mistakes => new()
    {
        { "yaml syntax", Good().Replace("seed: 7", "seed: [7"), ["study.yaml:"] },
        { "unknown key", Good().Replace("budget:", "budgte:"), ["budgte", "study.yaml:5"] },
        { "wrong type", Good().Replace("trials_per_backbone: 4", "trials_per_backbone: many"), ["budget.trials_per_backbone", "study.yaml:5"] },
        { "missing key", Good().Replace("budget: {trials_per_backbone: 4, max_parallel: 2}", ""), ["budget"] },
        { "out of range", Good().Replace("max_parallel: 2", "max_parallel: 0"), ["budget.max_parallel"] },
        { "unknown family", Good().Replace("family: distilbert", "family: gpt2"), ["backbones[0].family", "gpt2"] },
        { "bad search space", Good().Replace("reg: {type: float, low: 0.0, high: 1.0}", "reg: {type: float, low: 2.0, high: 1.0}"), ["search_space.reg"] },
        // Issue 10: spaces the samplers cannot sample exactly are refused by submit, before anything is stored.
        { "int beyond 2^53", Good().Replace("reg: {type: float, low: 0.0, high: 1.0}", "reg: {type: int, low: 0, high: 9007199254740993}"), ["search_space.reg", "±2^53"] },
        { "infinite bound", Good().Replace("reg: {type: float, low: 0.0, high: 1.0}", "reg: {type: float, low: 0.0, high: .inf}"), ["search_space.reg.high", "finite"] },
        { "grid over 2^53 points", Good().Replace("reg: {type: float, low: 0.0, high: 1.0}", "reg: {type: float, low: 0.0, high: 1.0, step: 1.1102230246251565e-16}"), ["search_space.reg", "2^53"] },
        { "unknown pruner", Good().Replace("kind: median", "kind: hyperband"), ["pruner.kind", "hyperband"] },
        { "training without checkpoint", Good().Replace("kind: simulated", "kind: train"), ["backbones[0].checkpoint"] },
        // Issue 11, item 1: limits on a study's size (docs/study-spec.md, "Limits"), not an overflow or a hung submit.
        { "int.MaxValue trials on two backbones", IssueInput(), ["budget.trials_per_backbone", "study.yaml:5", "must be in [1, 10000], got 2147483647"] },
        { "max_parallel one million", Good().Replace("max_parallel: 2", "max_parallel: 1000000"), ["budget.max_parallel", "study.yaml:5", "must be in [1, 10000]"] },
        { "backbones x trials over the study limit", LocalCluster.SimulatedStudy("big", ["distilbert", "roberta", "electra"], trials: 10_000, maxParallel: 2, steps: 3, stepSeconds: 0),
            ["budget.trials_per_backbone", "at most 20,000, got 30,000"] },
        { "a 1 MB name", Good().Replace("name: good", "name: " + new string('n', 1_000_000)), ["name", "(1,000,000 characters)"] },
    };

    /// <summary>The input of issue 11, item 1: <c>budget: {trials_per_backbone: 2147483647, max_parallel: 2147483647}</c>, two backbones.</summary>
    private static string IssueInput() =>
        LocalCluster.SimulatedStudy("huge", ["distilbert", "roberta"], trials: int.MaxValue, maxParallel: int.MaxValue, steps: 3, stepSeconds: 0);

    [Fact]
    public async Task Check_refuses_the_issue_11_budget_with_exit_2_not_an_overflow()
    {
        // Before: exit 1 with "Arithmetic operation resulted in an overflow" (the trial count summed in an int).
        var (code, output, error) = await Sweep.Run("submit", "--check", fixture.Cluster.WriteStudy("study", IssueInput()));

        Assert.True(code == 2, $"exit {code}\n{error}{output}");
        Assert.Contains("budget.trials_per_backbone", error);
        Assert.DoesNotContain("overflow", error, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task A_malformed_study_is_refused_naming_the_problem_without_touching_stored_state(string kind, string yaml, string[] mentions)
    {
        var cluster = fixture.Cluster;
        var before = StoredRows(cluster);

        var (code, output, error) = await Sweep.Run("submit", cluster.WriteStudy("study", yaml), "--cluster", cluster.Address);

        Assert.True(code == 2, $"{kind}: exit {code}\n{error}{output}");
        Assert.Equal("", output);
        foreach (var m in mentions) Assert.Contains(m, error);
        Assert.DoesNotContain("   at ", error); // a message, not a stack trace
        Assert.True(error.Length < 2_000, $"{kind}: the error repeats the input ({error.Length} characters)");
        Assert.Equal(before, StoredRows(cluster));
        var studies = await Sweep.Json("status", "--json", "--cluster", cluster.Address);
        Assert.Equal(["baseline"], studies.EnumerateArray().Select(s => s.GetProperty("study_id").GetString()));
    }

    /// <summary>Every stored grain state with its version and payload: any write shows up here.</summary>
    private static List<string> StoredRows(LocalCluster cluster)
    {
        var path = cluster.Storage["sqlite:".Length..];
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT GrainTypeString, ifnull(GrainIdExtensionString, ''), Version, hex(PayloadBinary) FROM OrleansStorage ORDER BY 1, 2";
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read()) rows.Add($"{reader.GetString(0)}|{reader.GetString(1)}|{reader.GetInt64(2)}|{reader.GetString(3)}");
        Assert.NotEmpty(rows);
        return rows;
    }
}

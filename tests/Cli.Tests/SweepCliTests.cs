using SweepCluster.Cli.Rendering;
using System.Text.Json;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Cli.Tests;

/// <summary>The command wiring, run in-process with in-memory streams.</summary>
public class SweepCliTests
{
    private static (int ExitCode, string Out, string Error) Run(string input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = SweepCli.Run(args, new CliIO(new StringReader(input), output, error));
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public void Serve_answers_each_request_on_stdout_and_exits_0_at_end_of_input()
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", TestSpaces.Mixed);
        var (exitCode, output, error) = Run("{\"op\":\"ask\"}\n{\"op\":\"tell\",\"trial\":0,\"value\":1}\n{\"op\":\"nope\"}\n",
            "sampler", "serve", "--space", space, "--sampler", "tpe", "--seed", "3", "--direction", "maximize");

        Assert.Equal(ExitCodes.Ok, exitCode);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => JsonDocument.Parse(line));
        Assert.Contains("serving tpe", error);
    }

    [Fact]
    public void A_bad_space_file_is_a_usage_error_naming_the_parameter()
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", """{"x":{"type":"float","low":0,"high":1},"lr":{"type":"float","low":0,"high":1,"log":true}}""");
        var (exitCode, output, error) = Run("", "sampler", "serve", "--space", space, "--sampler", "tpe", "--seed", "1");
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal("", output);
        Assert.Contains("parameter 'lr': a log scale needs low > 0", error);
    }

    [Theory]
    [InlineData("""{"seed":{"type":"int","low":0,"high":9007199254740993}}""", "parameter 'seed'", "within ±2^53")]
    [InlineData("""{"x":{"type":"float","low":0,"high":1e400}}""", "parameter 'x'", "\"high\" must be a finite number")]
    [InlineData("""{"x":{"type":"float","low":0,"high":1,"step":1.1102230246251565e-16}}""", "parameter 'x'", "more than 2^53")]
    public void A_space_the_samplers_cannot_sample_exactly_is_a_usage_error_naming_the_parameter(string json, string parameter, string problem)
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", json);
        var (exitCode, output, error) = Run("{\"op\":\"ask\"}\n", "sampler", "serve", "--space", space, "--sampler", "tpe", "--seed", "1");
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal("", output);
        Assert.Contains(parameter, error);
        Assert.Contains(problem, error);
    }

    [Theory]
    [InlineData("reg: {type: int, low: 0, high: 4294967295}", 0, "ok (1 backbone")]
    [InlineData("reg: {type: float, low: 1.0, high: 1.0}", 0, "ok (1 backbone")]
    [InlineData("reg: {type: int, low: 0, high: 9007199254740993}", 2, "search_space.reg: \"low\" and \"high\" of an int must lie within ±2^53")]
    [InlineData("reg: {type: float, low: -1.0e308, high: 1.0e308}", 2, "search_space.reg: the range [-1E+308, 1E+308] is too wide")]
    [InlineData("reg: {type: float, low: 0.0, high: 1.0, step: .nan}", 2, "search_space.reg.step: expected a finite number")]
    public void Submit_check_passes_what_the_samplers_sample_and_refuses_the_rest_with_exit_2(string definition, int expectedExit, string message)
    {
        using var dir = new TempDirectory();
        var yaml = Cluster.LocalCluster.SimulatedStudy("extreme", ["distilbert"], trials: 4, maxParallel: 2, steps: 3, stepSeconds: 0)
            .Replace("reg: {type: float, low: 0.0, high: 1.0}", definition);
        Assert.Contains(definition, yaml);
        var (exitCode, output, error) = Run("", "submit", "--check", dir.File("study.yaml", yaml));
        Assert.True(expectedExit == exitCode, $"exit {exitCode}: {error}{output}");
        Assert.Contains(message, expectedExit == 0 ? output : error);
    }

    [Fact]
    public void Cli_json_writes_non_finite_trial_values_instead_of_throwing()
    {
        // A trial pruned on a NaN report keeps NaN as its value; `sweep trials --format json` threw on it.
        var json = JsonSerializer.Serialize(new { value = double.NaN, best = double.PositiveInfinity, worst = double.NegativeInfinity }, SweepCluster.Cli.Rendering.CliJson.Options);
        var parsed = JsonDocument.Parse(json).RootElement;
        Assert.Equal("NaN", parsed.GetProperty("value").GetString());
        Assert.Equal("Infinity", parsed.GetProperty("best").GetString());
        Assert.Equal("-Infinity", parsed.GetProperty("worst").GetString());
    }

    [Fact]
    public void A_missing_space_file_is_a_usage_error()
    {
        using var dir = new TempDirectory();
        var (exitCode, output, error) = Run("", "sampler", "serve", "--space", dir.File("none.json"), "--sampler", "tpe", "--seed", "1");
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal("", output);
        Assert.Contains("cannot read space file", error);
    }

    [Theory]
    [InlineData("'annealing' not recognized", "--sampler", "annealing", "--seed", "1")]
    [InlineData("--seed", "--sampler", "tpe")]
    [InlineData("'x'", "--sampler", "tpe", "--seed", "x")]
    [InlineData("--pruner-percentile applies only to --pruner percentile", "--sampler", "tpe", "--seed", "1", "--pruner", "median", "--pruner-percentile", "20")]
    [InlineData("--pruner-warmup-steps needs --pruner", "--sampler", "tpe", "--seed", "1", "--pruner-warmup-steps", "2")]
    [InlineData("--pruner-warmup-steps must be >= 0", "--sampler", "tpe", "--seed", "1", "--pruner", "median", "--pruner-warmup-steps", "-1")]
    [InlineData("--pruner-percentile must be between 0 and 100", "--sampler", "tpe", "--seed", "1", "--pruner", "percentile", "--pruner-percentile", "101")]
    [InlineData("--n-startup-trials applies only to the tpe, tpe_multivariate and gp samplers", "--sampler", "random", "--seed", "1", "--n-startup-trials", "3")]
    [InlineData("--share-across-backbones needs --backbones", "--sampler", "gp", "--seed", "1", "--share-across-backbones")]
    [InlineData("--backbones: a backbone name is blank", "--sampler", "gp", "--seed", "1", "--backbones", "bert,,roberta")]
    [InlineData("--backbones: backbone \"bert\" is named twice", "--sampler", "gp", "--seed", "1", "--backbones", "bert,roberta,bert")]
    public void Bad_options_are_usage_errors(string expected, params string[] options)
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", TestSpaces.Mixed);
        var (exitCode, output, error) = Run("{\"op\":\"ask\"}\n", ["sampler", "serve", "--space", space, .. options]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal("", output);
        Assert.Contains(expected, error);
        Assert.Contains("sweep sampler serve --help", error);
    }

    [Fact]
    public void No_verb_is_a_usage_error_and_help_is_not()
    {
        Assert.Equal(ExitCodes.Usage, Run("").ExitCode);
        var (exitCode, output, _) = Run("", "sampler", "serve", "--help");
        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains("--pruner-warmup-steps", output);
    }

    [Fact]
    public void A_state_file_written_under_other_settings_is_refused()
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", TestSpaces.Mixed);
        var state = dir.File("state.json");
        string[] serve = ["sampler", "serve", "--space", space, "--sampler", "tpe", "--state", state];
        Assert.Equal(ExitCodes.Ok, Run("{\"op\":\"ask\"}\n", [.. serve, "--seed", "1"]).ExitCode);

        var (exitCode, output, error) = Run("{\"op\":\"ask\"}\n", [.. serve, "--seed", "2"]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal("", output);
        Assert.Contains("holds a search with seed 1, not 2", error);
    }

    /// <summary>
    /// The help gives --n-startup-trials defaults of 10 for TPE and 6 for GP, so naming the default is the same
    /// search and resumes; before, either way round was refused as "different sampler options", because the
    /// option was also recorded in the other sampler's options. A real difference names the option.
    /// </summary>
    [Theory]
    [InlineData("gp", "", "6", null)]
    [InlineData("gp", "6", "", null)]
    [InlineData("tpe", "10", "", null)]
    [InlineData("tpe", "", "10", null)]
    [InlineData("tpe_multivariate", "10", "", null)]
    [InlineData("gp", "3", "", "holds a search with --n-startup-trials 3, not 6")]
    [InlineData("gp", "", "3", "holds a search with --n-startup-trials 6, not 3")]
    [InlineData("tpe", "3", "4", "holds a search with --n-startup-trials 3, not 4")]
    public void A_state_file_resumes_when_the_start_up_count_is_named_at_its_default_and_names_a_real_difference(
        string sampler, string first, string second, string? refusal)
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", TestSpaces.Mixed);
        var state = dir.File("state.json");
        string[] Serve(string startup) => ["sampler", "serve", "--space", space, "--sampler", sampler, "--seed", "1", "--state", state,
            .. startup == "" ? Array.Empty<string>() : ["--n-startup-trials", startup]];
        Assert.Equal(ExitCodes.Ok, Run("{\"op\":\"ask\"}\n", Serve(first)).ExitCode);

        var (exitCode, output, error) = Run("{\"op\":\"ask\"}\n", Serve(second));
        if (refusal is null)
        {
            Assert.Equal(ExitCodes.Ok, exitCode);
            Assert.StartsWith("{\"trial\":1,", output);
        }
        else
        {
            Assert.Equal(ExitCodes.Usage, exitCode);
            Assert.Contains(refusal, error);
        }
    }

    /// <summary>
    /// A server of several backbones saves them all: stopped after every request and restarted on its state file, it
    /// answers exactly what one uninterrupted server answers (shared asks depend on every backbone's history).
    /// </summary>
    [Fact]
    public void A_server_of_several_backbones_resumes_from_its_state_file_bit_identically()
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", TestSpaces.Mixed);
        string[] Serve(string state) => ["sampler", "serve", "--space", space, "--sampler", "gp", "--seed", "5",
            "--backbones", "bert,roberta", "--share-across-backbones", "--n-startup-trials", "2", "--state", state];
        var requests = new List<string>();
        for (var i = 0; i < 4; i++)
            foreach (var backbone in new[] { "bert", "roberta" })
            {
                requests.Add($$"""{"op":"ask","backbone":"{{backbone}}"}""");
                requests.Add($$"""{"op":"tell","backbone":"{{backbone}}","trial":{{i}},"value":{{(i * 7 + backbone.Length) % 5 * 0.1}}}""");
            }
        requests.Add("""{"op":"trials"}""");

        var uninterrupted = Run(string.Join('\n', requests) + "\n", Serve(dir.File("one.json")));
        Assert.Equal(ExitCodes.Ok, uninterrupted.ExitCode);
        var restarted = new List<string>();
        var state = dir.File("many.json");
        foreach (var request in requests)
        {
            var (exitCode, output, error) = Run(request + "\n", Serve(state));
            Assert.True(exitCode == ExitCodes.Ok, error);
            restarted.Add(output.TrimEnd('\n'));
        }
        Assert.Equal(uninterrupted.Out.TrimEnd('\n').Split('\n'), restarted);
        Assert.Contains("\"backbone\":\"roberta\"", restarted[^1]);
    }

    [Theory]
    [InlineData("--backbones bert,roberta --share-across-backbones", "--backbones bert,roberta", "holds a search with --share-across-backbones, given now without it")]
    [InlineData("--backbones bert,roberta", "--backbones roberta,bert", "holds a search with backbones bert,roberta, not roberta,bert")]
    [InlineData("", "--backbones bert", "holds a search with no backbones, not --backbones bert")]
    [InlineData("--backbones bert", "", "holds a search with backbones bert, not none")]
    [InlineData("--backbones bert --seed 2", "--backbones bert --seed 3", "holds a search with --seed 2, not 3")]
    [InlineData("--backbones bert,roberta --share-across-backbones", "--backbones bert,roberta --share-across-backbones --n-startup-trials 3", "--n-startup-trials 6, not 3")]
    public void A_backbones_state_file_under_other_options_is_refused_naming_the_difference(string first, string second, string refusal)
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", TestSpaces.Mixed);
        var state = dir.File("state.json");
        string[] Serve(string options)
        {
            var extra = options.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return ["sampler", "serve", "--space", space, "--sampler", "gp", "--state", state,
                .. extra.Contains("--seed") ? Array.Empty<string>() : ["--seed", "1"], .. extra];
        }
        var ask = first.Contains("--backbones") ? "{\"op\":\"ask\",\"backbone\":\"bert\"}\n" : "{\"op\":\"ask\"}\n";
        Assert.Equal(ExitCodes.Ok, Run(ask, Serve(first)).ExitCode);

        var (exitCode, output, error) = Run("", Serve(second));
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal("", output);
        Assert.Contains(refusal, error);
    }

    [Fact]
    public void Sharing_with_one_backbone_is_served_with_a_note()
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", TestSpaces.Mixed);
        var (exitCode, output, error) = Run("{\"op\":\"ask\",\"backbone\":\"bert\"}\n",
            "sampler", "serve", "--space", space, "--sampler", "gp", "--seed", "1", "--backbones", "bert", "--share-across-backbones");
        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.StartsWith("{\"trial\":0,\"backbone\":\"bert\"", output);
        Assert.Contains("note: --share-across-backbones has no effect with one backbone", error);
    }

    [Fact]
    public void A_corrupt_state_file_is_a_usage_error()
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", TestSpaces.Mixed);
        var state = dir.File("state.json", "{\"format\":1}");
        var (exitCode, _, error) = Run("", "sampler", "serve", "--space", space, "--sampler", "tpe", "--seed", "1", "--state", state);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("is not a search snapshot", error);
    }

    [Fact]
    public void A_state_file_in_use_by_another_server_is_a_runtime_failure()
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", TestSpaces.Mixed);
        var state = dir.File("state.json");
        using var held = State.SearchStateFile.Open(state);
        var (exitCode, output, error) = Run("", "sampler", "serve", "--space", space, "--sampler", "tpe", "--seed", "1", "--state", state);
        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Equal("", output);
        Assert.Contains("cannot lock it", error);
    }

    [Theory]
    [InlineData("up")]
    [InlineData("submit")]
    [InlineData("status")]
    [InlineData("watch")]
    [InlineData("trials")]
    [InlineData("best")]
    [InlineData("report")]
    [InlineData("cancel")]
    [InlineData("workers")]
    [InlineData("silo")]
    [InlineData("worker")]
    public void Every_cluster_verb_has_help_with_the_cluster_options_and_exit_codes(string verb)
    {
        var (exitCode, output, _) = Run("", verb, "--help");
        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains($" {verb} ", output); // the usage line
        if (verb is not ("up" or "silo")) Assert.Contains("--cluster", output);
        if (verb is not ("silo" or "worker")) Assert.Contains("Exit codes", output);
    }

    [Theory]
    [InlineData(100, 100)]
    [InlineData(80, 80)]
    [InlineData(300, SweepCli.HelpWidth)] // a wide terminal still gets readable lines
    public void Help_of_every_verb_fits_the_terminal(int columns, int widest)
    {
        string[][] verbs = [[], ["up"], ["submit"], ["status"], ["watch"], ["trials"], ["best"], ["report"], ["cancel"], ["finalize"],
            ["enqueue"], ["retry"], ["delete"], ["predict"], ["workers"], ["silo"], ["worker"], ["sampler", "serve"], ["checkpoint"]];
        foreach (var verb in verbs)
        {
            var output = new StringWriter();
            var io = new CliIO(new StringReader(""), output, new StringWriter()) { Terminal = new TerminalInfo(true, false, () => columns) };
            Assert.Equal(ExitCodes.Ok, SweepCli.Run([.. verb, "--help"], io));
            var lines = output.ToString().Split('\n');
            Assert.True(lines.Length > 5, string.Join(" ", verb));
            Assert.All(lines, line => Assert.True(line.TrimEnd().Length <= widest, $"sweep {string.Join(" ", verb)} --help, {line.TrimEnd().Length} > {widest} columns: {line}"));
        }
    }

    [Theory]
    [InlineData(new[] { "--silo-port", "41071", "--gateway-port", "41071" }, "--silo-port and --gateway-port are both 41071: each needs a port of its own")]
    [InlineData(new[] { "--gateway-port", "41082", "--metrics-port", "41082" }, "--gateway-port and --metrics-port are both 41082")]
    [InlineData(new[] { "--silo-port", "70000" }, "--silo-port must be a port from 1 to 65535, got 70000")]
    [InlineData(new[] { "--gateway-port", "0" }, "--gateway-port must be a port from 1 to 65535, got 0")]
    [InlineData(new[] { "--metrics-port", "-5" }, "--metrics-port must be a port from 1 to 65535 (0 turns it off), got -5")]
    public void Up_refuses_a_port_out_of_range_or_given_twice_before_anything_starts(string[] ports, string message)
    {
        // Orleans listens with SO_REUSEPORT: a silo and a gateway on one port would both start and split the connections.
        using var dir = new TempDirectory();
        var (exitCode, _, error) = Run("", ["up", "--workers", "0", "--data-dir", dir.Path, .. ports]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains(message, error);
        Assert.False(File.Exists(Path.Combine(dir.Path, "sweep.db")), "nothing may be created before the ports are checked");
    }

    [Fact]
    public void Submit_check_validates_a_study_file_without_a_cluster()
    {
        using var dir = new TempDirectory();
        var yaml = Cluster.LocalCluster.SimulatedStudy("ok", ["distilbert", "roberta"], trials: 5, maxParallel: 2, steps: 3, stepSeconds: 0);
        var good = dir.File("good.yaml", yaml);
        var (exitCode, output, _) = Run("", "submit", good, "--check");
        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains("ok (2 backbones, 10 trials)", output);

        var bad = dir.File("bad.yaml", yaml.Replace("family: roberta", "family: gpt2"));
        (exitCode, output, var error) = Run("", "submit", bad, "--check");
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("bad.yaml:15: backbones[1].family: unknown family 'gpt2'", error);
    }

    [Fact]
    public void Submit_check_notes_sampler_settings_that_change_nothing_and_still_passes()
    {
        using var dir = new TempDirectory();
        var yaml = Cluster.LocalCluster.SimulatedStudy("notes", ["distilbert"], trials: 5, maxParallel: 2, steps: 3, stepSeconds: 0)
            .Replace("budget:", "sampler: {kind: tpe, startup_trials: 2, share_across_backbones: true}\nbudget:");
        var study = dir.File("study.yaml", yaml);
        var (exitCode, output, error) = Run("", "submit", study, "--check");
        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains("ok (1 backbone, 5 trials)", output);
        Assert.Contains($"{study}: note: sampler.share_across_backbones has no effect with one backbone", error);
    }

    /// <summary>A training study whose every trial would fail is refused at the door, with each problem named.</summary>
    [Fact]
    public void Submit_refuses_a_training_study_with_a_missing_column_or_an_unusable_checkpoint()
    {
        using var dir = new TempDirectory();
        static string Shared(string relative)
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (Path.Exists(Path.Combine(d.FullName, "shared", relative))) return Path.Combine(d.FullName, "shared", relative);
            throw new FileNotFoundException(relative);
        }
        var noWeights = Shared("models/tokenizers/bert-tiny-emotion-config"); // config.json and vocab.txt, no weights
        var study = dir.File("study.yaml", $$"""
            name: preflight
            data: {train: {{Shared("data/extremism/train.csv")}}, text_column: Original_Message, label_column: Extremism_Lbl}
            budget: {trials_per_backbone: 2}
            workload: {kind: train}
            search_space:
              learning_rate: {type: float, low: 1.0e-5, high: 1.0e-3, log: true}
            backbones:
              - {name: a, family: bert, checkpoint: {{noWeights}}}
              - {name: b, family: roberta, checkpoint: {{noWeights}}}
            """);
        var (exitCode, _, error) = Run("", "submit", study, "--check");
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("the study cannot run", error);
        Assert.Contains("train.csv", error);
        Assert.Contains("Extremism_Lbl", error);
        Assert.Contains($"{noWeights}: no model.safetensors or pytorch_model.bin", error);
        Assert.Contains("backbone 'b' is declared Roberta, but", error);
    }

    [Fact]
    public void Trials_csv_has_one_column_per_parameter_and_quotes_what_needs_it()
    {
        var trial = new SweepCluster.Contracts.Trials.TrialView
        {
            StudyId = "s", Backbone = "bert", Number = 0, Status = SweepCluster.Search.Sampling.TrialState.Failed,
            Params = new Dictionary<string, object> { ["lr"] = 0.001, ["opt"] = "adam,w" },
            InternalParams = new Dictionary<string, double>(), IntermediateValues = [new(1, 0.5)], Attempts = 2, Error = "said \"no\"",
            StartedUtc = new DateTime(2026, 12, 1, 22, 40, 26, 615, DateTimeKind.Utc),
        };
        var csv = SweepCluster.Cli.Rendering.TrialRendering.Csv([trial]).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal("backbone,number,status,value,steps,attempts,started_utc,finished_utc,duration_seconds,error,param_lr,param_opt", csv[0]);
        // ISO 8601 round-trip form of 2026-12-01 22:40:26.615 UTC; no finish, so no finish time and no duration.
        Assert.Equal("bert,0,failed,,1,2,2026-12-01T22:40:26.6150000Z,,,\"said \"\"no\"\"\",0.001,\"adam,w\"", csv[1]);
    }
}

using System.Globalization;
using System.Text.Json;
using SweepCluster.Cli.Protocol;
using SweepCluster.Search;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Cli.Tests;

public class AskTellServerTests
{
    [Fact]
    public void Ask_report_tell_round_trip()
    {
        var server = new AskTellServer(TestSpaces.NewSearch());

        var asked = server.Send("""{"op":"ask"}""");
        Assert.Equal(0, asked.GetProperty("trial").GetInt32());
        var parameters = asked.GetProperty("params");
        Assert.InRange(parameters.GetProperty("x0").GetDouble(), -5, 10);

        var report = server.Send("""{"op":"report","trial":0,"step":3,"value":0.41}""");
        Assert.False(report.GetProperty("prune").GetBoolean());

        var told = server.Send("""{"op":"tell","trial":0,"value":0.37}""");
        Assert.True(told.GetProperty("ok").GetBoolean());

        var trial = Assert.Single(server.Search.Trials);
        Assert.Equal(TrialState.Complete, trial.State);
        Assert.Equal(0.37, trial.Value);
        Assert.Equal(0.41, trial.IntermediateValues[3]);

        var best = server.Send("""{"op":"best"}""").GetProperty("best");
        Assert.Equal(0, best.GetProperty("trial").GetInt32());
        Assert.Equal(0.37, best.GetProperty("value").GetDouble());
        Assert.Equal(parameters.GetRawText(), best.GetProperty("params").GetRawText());
    }

    [Fact]
    public void Params_keep_their_json_types()
    {
        var server = new AskTellServer(TestSpaces.NewSearch());
        for (var i = 0; i < 40; i++)
        {
            var parameters = server.Send("""{"op":"ask"}""").GetProperty("params");
            // Floats always carry a fraction or exponent, so a client never sees 0.0 as the integer 0.
            foreach (var name in new[] { "x0", "lr", "d" })
                Assert.True(parameters.GetProperty(name).GetRawText().IndexOfAny(['.', 'E', 'e']) >= 0, name);
            Assert.True(parameters.GetProperty("epochs").TryGetInt64(out _));
            Assert.DoesNotContain('.', parameters.GetProperty("epochs").GetRawText());
            Assert.Contains(parameters.GetProperty("bs").GetRawText(), new[] { "8", "16", "32", "64" });
            Assert.Equal(JsonValueKind.String, parameters.GetProperty("optimizer").ValueKind);
            Assert.Equal(parameters.GetProperty("optimizer").GetString() == "adamw", parameters.TryGetProperty("beta2", out _));
            Assert.Contains(parameters.GetProperty("mixed").GetRawText(), new[] { "\"a\"", "true", "0.5", "3" });
        }
        var mixedSeen = server.Search.Trials.Select(t => (int)t.Params["mixed"]).Distinct().Count();
        Assert.Equal(4, mixedSeen);
    }

    [Fact]
    public void Median_pruner_answers_prune_for_a_trial_worse_than_the_median()
    {
        var server = new AskTellServer(TestSpaces.NewSearch(pruner: new PrunerSettings { Kind = PrunerKind.Median, NStartupTrials = 2 }));
        double[][] curves = [[1.0, 0.9, 0.8], [1.2, 1.0, 0.9]];
        for (var trial = 0; trial < curves.Length; trial++)
        {
            server.Send("""{"op":"ask"}""");
            for (var step = 0; step < curves[trial].Length; step++)
            {
                var report = server.Send(Report(trial, step, curves[trial][step]));
                Assert.False(report.GetProperty("prune").GetBoolean());
            }
            server.Send($$"""{"op":"tell","trial":{{trial}},"value":{{curves[trial][^1]}}}""");
        }

        server.Send("""{"op":"ask"}""");
        server.Send("""{"op":"ask"}""");
        // Median at step 0 is 1.1: below it keeps going, above it is pruned.
        Assert.False(server.Send(Report(2, 0, 1.05)).GetProperty("prune").GetBoolean());
        Assert.True(server.Send(Report(3, 0, 3.0)).GetProperty("prune").GetBoolean());

        Assert.True(server.Send("""{"op":"tell","trial":3,"state":"pruned"}""").GetProperty("ok").GetBoolean());
        Assert.Equal(TrialState.Pruned, server.Search.Trials[3].State);
        Assert.Equal(3.0, server.Search.Trials[3].Value);
    }

    [Fact]
    public void Fold_and_epoch_reports_are_judged_fold_by_fold()
    {
        // Median pruner, one completed 2-fold trial: fold 0 epochs 1-2 = 1.0, 0.8; fold 1 epochs 1-2 = 1.0, 0.8.
        var server = new AskTellServer(TestSpaces.NewSearch(pruner: new PrunerSettings { Kind = PrunerKind.Median, NStartupTrials = 1 }));
        server.Send("""{"op":"ask"}""");
        foreach (var fold in new[] { 0, 1 })
        {
            Assert.False(server.Send(FoldReport(0, fold, 1, 1.0)).GetProperty("prune").GetBoolean());
            Assert.False(server.Send(FoldReport(0, fold, 2, 0.8)).GetProperty("prune").GetBoolean());
        }
        server.Send("""{"op":"tell","trial":0,"value":0.8}""");
        // Stored as the documented step 1000·fold + epoch.
        Assert.Equal([1, 2, 1001, 1002], server.Search.Trials[0].IntermediateValues.Keys.Order().ToArray());

        // Trial 1 is better on fold 0 (best 0.5 against 0.8). In fold 1 at epoch 1 it reports 1.4: its running
        // fold mean is (0.5 + 1.4) / 2 = 0.95 against trial 0's (0.8 + 1.0) / 2 = 0.9, so it is pruned there
        // (a hand computation of the documented RunningMean rule), not at a raw step 1001 compared with anything else.
        server.Send("""{"op":"ask"}""");
        Assert.False(server.Send(FoldReport(1, 0, 1, 0.9)).GetProperty("prune").GetBoolean());
        Assert.False(server.Send(FoldReport(1, 0, 2, 0.5)).GetProperty("prune").GetBoolean());
        Assert.True(server.Send(FoldReport(1, 1, 1, 1.4)).GetProperty("prune").GetBoolean());

        var listed = server.Send("""{"op":"trials"}""").GetProperty("trials")[1];
        Assert.Equal(1001, listed.GetProperty("last_step").GetInt32());
        Assert.Equal(1, listed.GetProperty("last_fold").GetInt32());
        Assert.Equal(1, listed.GetProperty("last_epoch").GetInt32());
    }

    [Theory]
    [InlineData("""{"op":"report","trial":0,"value":1}""", "needs \"step\", or \"fold\" and \"epoch\"")]
    [InlineData("""{"op":"report","trial":0,"fold":1,"value":1}""", "with \"fold\" also needs \"epoch\"")]
    [InlineData("""{"op":"report","trial":0,"epoch":1,"value":1}""", "with \"epoch\" also needs \"fold\"")]
    [InlineData("""{"op":"report","trial":0,"step":3,"fold":0,"epoch":3,"value":1}""", "not both")]
    [InlineData("""{"op":"report","trial":0,"fold":-1,"epoch":3,"value":1}""", "\"fold\" must be >= 0")]
    [InlineData("""{"op":"report","trial":0,"fold":0,"epoch":1000,"value":1}""", "\"epoch\" must be in [0, 999]")]
    [InlineData("""{"op":"report","trial":0,"fold":"1","epoch":1,"value":1}""", "\"fold\" must be an integer")]
    public void A_report_position_must_be_a_step_or_a_fold_and_an_epoch(string request, string message)
    {
        var server = new AskTellServer(TestSpaces.NewSearch());
        server.Send("""{"op":"ask"}""");
        Assert.Contains(message, server.Send(request).GetProperty("error").GetString());
        Assert.Empty(server.Search.Trials[0].IntermediateValues);
    }

    [Fact]
    public void Warmup_steps_are_never_pruned()
    {
        var server = new AskTellServer(TestSpaces.NewSearch(
            pruner: new PrunerSettings { Kind = PrunerKind.Median, NStartupTrials = 1, NWarmupSteps = 2 }));
        server.Send("""{"op":"ask"}""");
        for (var step = 0; step < 4; step++) server.Send(Report(0, step, 1.0));
        server.Send("""{"op":"tell","trial":0,"value":1.0}""");

        server.Send("""{"op":"ask"}""");
        Assert.False(server.Send(Report(1, 0, 9)).GetProperty("prune").GetBoolean());
        Assert.False(server.Send(Report(1, 1, 9)).GetProperty("prune").GetBoolean());
        Assert.True(server.Send(Report(1, 2, 9)).GetProperty("prune").GetBoolean());
    }

    [Theory]
    [InlineData(SamplerKind.Tpe)]
    [InlineData(SamplerKind.TpeMultivariate)]
    [InlineData(SamplerKind.Random)]
    public void Parallel_asks_get_distinct_trials_and_can_be_told_in_any_order(SamplerKind sampler)
    {
        var server = new AskTellServer(TestSpaces.NewSearch(sampler));
        var numbers = Enumerable.Range(0, 6).Select(_ => server.Send("""{"op":"ask"}""").GetProperty("trial").GetInt32()).ToList();
        Assert.Equal([0, 1, 2, 3, 4, 5], numbers);

        foreach (var trial in new[] { 4, 1, 5, 0, 3, 2 })
            Assert.True(server.Send($$"""{"op":"tell","trial":{{trial}},"value":{{trial}}}""").GetProperty("ok").GetBoolean());
        Assert.All(server.Search.Trials, t => Assert.Equal(t.Number, t.Value));
        Assert.Equal(0, server.Send("""{"op":"best"}""").GetProperty("best").GetProperty("trial").GetInt32());
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("{\"op\":\"ask\"", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("\"ask\"", "must be a JSON object")]
    [InlineData("{}", "missing \"op\"")]
    [InlineData("{\"op\":3}", "\"op\" must be a string")]
    [InlineData("{\"op\":\"fly\"}", "unknown op \"fly\"")]
    [InlineData("{\"op\":\"ask\",\"trial\":1}", "unknown field \"trial\"")]
    [InlineData("{\"op\":\"report\",\"step\":1,\"value\":0.5}", "needs \"trial\"")]
    [InlineData("{\"op\":\"report\",\"trial\":1,\"value\":0.5}", "needs \"step\"")]
    [InlineData("{\"op\":\"report\",\"trial\":1,\"step\":1}", "needs \"value\"")]
    [InlineData("{\"op\":\"report\",\"trial\":\"1\",\"step\":1,\"value\":0.5}", "\"trial\" must be an integer")]
    [InlineData("{\"op\":\"report\",\"trial\":1,\"step\":1.5,\"value\":0.5}", "\"step\" must be an integer")]
    [InlineData("{\"op\":\"report\",\"trial\":1,\"step\":1,\"value\":\"low\"}", "\"value\" must be a number")]
    [InlineData("{\"op\":\"report\",\"trial\":1,\"step\":-1,\"value\":0.5}", "step must be >= 0")]
    [InlineData("{\"op\":\"report\",\"trial\":1,\"trial\":1,\"step\":1,\"value\":0.5}", "Duplicate property 'trial'")]
    [InlineData("{\"op\":\"report\",\"trial\":42,\"step\":1,\"value\":0.5}", "unknown trial 42")]
    [InlineData("{\"op\":\"report\",\"trial\":-1,\"step\":1,\"value\":0.5}", "unknown trial -1")]
    [InlineData("{\"op\":\"report\",\"trial\":0,\"step\":1,\"value\":0.5}", "trial 0 is already complete")]
    [InlineData("{\"op\":\"tell\",\"trial\":42,\"value\":0.5}", "unknown trial 42")]
    [InlineData("{\"op\":\"tell\",\"trial\":1}", "a completed trial needs \"value\"")]
    [InlineData("{\"op\":\"tell\",\"trial\":1,\"state\":\"done\"}", "unknown \"state\" \"done\"")]
    [InlineData("{\"op\":\"tell\",\"trial\":1,\"state\":\"pruned\",\"value\":1}", "a pruned trial takes no \"value\"")]
    [InlineData("{\"op\":\"tell\",\"trial\":1,\"value\":1,\"error\":\"x\"}", "\"error\" goes only with")]
    [InlineData("{\"op\":\"tell\",\"trial\":0,\"value\":0.9}", "trial 0 is already complete with value 0.5; cannot tell complete with value 0.9")]
    [InlineData("{\"op\":\"tell\",\"trial\":0,\"state\":\"failed\"}", "trial 0 is already complete")]
    public void Every_bad_request_gets_an_error_and_the_server_keeps_serving(string line, string expectedMessage)
    {
        var search = TestSpaces.NewSearch();
        var output = new StringWriter();
        var input = string.Join('\n',
            """{"op":"ask"}""", """{"op":"ask"}""", """{"op":"tell","trial":0,"value":0.5}""",
            line,
            """{"op":"report","trial":1,"step":0,"value":0.7}""", """{"op":"ask"}""");
        new AskTellServer(search).Run(new StringReader(input), output);

        var answers = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, answers.Length);
        var error = JsonDocument.Parse(answers[3]).RootElement;
        Assert.Contains(expectedMessage, Assert.Single(error.EnumerateObject(), p => p.Name == "error").Value.GetString());
        Assert.False(JsonDocument.Parse(answers[4]).RootElement.GetProperty("prune").GetBoolean());
        Assert.Equal(2, JsonDocument.Parse(answers[5]).RootElement.GetProperty("trial").GetInt32());
        // A refused request changes nothing.
        Assert.Equal(0.5, search.Trials[0].Value);
        Assert.Equal([0], search.Trials[1].IntermediateValues.Keys);
    }

    [Fact]
    public void Blank_lines_get_no_answer_and_every_request_exactly_one()
    {
        var output = new StringWriter();
        new AskTellServer(TestSpaces.NewSearch()).Run(
            new StringReader("\n   \n{\"op\":\"ask\"}\r\n\n{\"op\":\"trials\"}\n{\"op\":\"best\"}"), output);
        var answers = output.ToString().Split('\n');
        Assert.Equal(4, answers.Length);
        Assert.Equal("", answers[^1]);
        var trials = JsonDocument.Parse(answers[1]).RootElement.GetProperty("trials");
        Assert.Equal("running", Assert.Single(trials.EnumerateArray()).GetProperty("state").GetString());
        Assert.Equal("""{"best":null}""", answers[2]);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("\"NaN\"")]
    public void A_nan_objective_value_marks_the_trial_failed(string literal)
    {
        var server = new AskTellServer(TestSpaces.NewSearch());
        server.Send("""{"op":"ask"}""");
        // Python's json.dumps writes bare NaN; a diverged run must still be reportable.
        Assert.False(server.Send($$"""{"op":"report","trial":0,"step":0,"value":{{literal}}}""").GetProperty("prune").GetBoolean());
        Assert.True(server.Send($$"""{"op":"tell","trial":0,"value":{{literal}}}""").GetProperty("ok").GetBoolean());
        var trial = server.Send("""{"op":"trials"}""").GetProperty("trials")[0];
        Assert.Equal("failed", trial.GetProperty("state").GetString());
        Assert.Contains("objective value", trial.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("Infinity", "Infinity")]
    [InlineData("-Infinity", "-Infinity")]
    [InlineData("\"Infinity\"", "Infinity")]
    public void An_infinite_objective_value_completes_the_trial_and_is_written_back_as_a_string(string literal, string written)
    {
        // Optuna's tell: only NaN fails a trial; ±inf is a value. JSON has no infinity, so it goes back
        // as the string the request side accepts.
        var server = new AskTellServer(TestSpaces.NewSearch());
        server.Send("""{"op":"ask"}""");
        Assert.True(server.Send($$"""{"op":"tell","trial":0,"value":{{literal}}}""").GetProperty("ok").GetBoolean());
        var trial = server.Send("""{"op":"trials"}""").GetProperty("trials")[0];
        Assert.Equal("complete", trial.GetProperty("state").GetString());
        Assert.Equal(written, trial.GetProperty("value").GetString());
    }

    [Theory]
    [InlineData(SamplerKind.Tpe)]
    [InlineData(SamplerKind.TpeMultivariate)]
    [InlineData(SamplerKind.Random)]
    public void Single_point_parameters_are_their_value_on_every_ask_through_the_protocol(SamplerKind kind)
    {
        // Issue 10: with tpe the 11th ask answered "a": null (NaN).
        var server = new AskTellServer(TestSpaces.NewSearch(kind, space: """
            {"a": {"type": "float", "low": 1.0, "high": 1.0}, "b": {"type": "float", "low": 0.001, "high": 0.001, "log": true},
             "n": {"type": "int", "low": 3, "high": 3}, "c": {"type": "categorical", "choices": ["only"]}}
            """));
        for (var i = 0; i < 15; i++)
        {
            var asked = server.Send("""{"op":"ask"}""");
            var p = asked.GetProperty("params");
            Assert.Equal(1.0, p.GetProperty("a").GetDouble());
            Assert.Equal(0.001, p.GetProperty("b").GetDouble());
            Assert.Equal(3, p.GetProperty("n").GetInt64());
            Assert.Equal("only", p.GetProperty("c").GetString());
            server.Send($$"""{"op":"tell","trial":{{i}},"value":{{i % 4}}}""");
        }
    }

    [Theory]
    [InlineData(SamplerKind.Tpe)]
    [InlineData(SamplerKind.Random)]
    public void A_seed_over_0_to_2_pow_31_minus_1_is_asked_through_the_protocol(SamplerKind kind)
    {
        // Issue 10: every ask answered an internal overflow error.
        var server = new AskTellServer(TestSpaces.NewSearch(kind, space: """{"seed": {"type": "int", "low": 0, "high": 2147483647}}"""));
        for (var i = 0; i < 12; i++)
        {
            var asked = server.Send("""{"op":"ask"}""");
            Assert.False(asked.TryGetProperty("error", out _), asked.ToString());
            Assert.InRange(asked.GetProperty("params").GetProperty("seed").GetInt64(), 0L, 2147483647L);
            server.Send($$"""{"op":"tell","trial":{{i}},"value":{{i % 5}}}""");
        }
    }

    [Fact]
    public void The_issue_pruning_input_is_pruned_through_the_protocol()
    {
        // Completed trials reported 0.5, 0.6 and +Infinity at step 1; 10.0 is worse than the median 0.6.
        var server = new AskTellServer(TestSpaces.NewSearch(pruner: new PrunerSettings { Kind = PrunerKind.Median, NStartupTrials = 1 }));
        var values = new[] { "0.5", "0.6", "Infinity" };
        for (var i = 0; i < values.Length; i++)
        {
            server.Send("""{"op":"ask"}""");
            server.Send($$"""{"op":"report","trial":{{i}},"step":1,"value":{{values[i]}}}""");
            server.Send($$"""{"op":"tell","trial":{{i}},"value":{{values[i]}}}""");
        }
        server.Send("""{"op":"ask"}""");
        Assert.True(server.Send("""{"op":"report","trial":3,"step":1,"value":10.0}""").GetProperty("prune").GetBoolean());
    }

    [Fact]
    public void Non_finite_literals_inside_strings_are_left_alone()
    {
        Assert.Equal("""{"op":"NaN \"Infinity\"","value":"-Infinity"}""",
            ProtocolRequest.QuoteNonFiniteLiterals("""{"op":"NaN \"Infinity\"","value":-Infinity}"""));
    }

    [Fact]
    public void Failed_tell_keeps_its_error_and_retried_tells_are_accepted()
    {
        var server = new AskTellServer(TestSpaces.NewSearch());
        server.Send("""{"op":"ask"}""");
        server.Send("""{"op":"ask"}""");
        Assert.True(server.Send("""{"op":"tell","trial":0,"state":"failed","error":"CUDA out of memory"}""").GetProperty("ok").GetBoolean());
        Assert.True(server.Send("""{"op":"tell","trial":1,"value":2.5}""").GetProperty("ok").GetBoolean());
        Assert.True(server.Send("""{"op":"tell","trial":1,"value":2.5}""").GetProperty("ok").GetBoolean());

        var trials = server.Send("""{"op":"trials"}""").GetProperty("trials");
        Assert.Equal("CUDA out of memory", trials[0].GetProperty("error").GetString());
        Assert.False(trials[0].TryGetProperty("value", out _));
        Assert.Equal("complete", trials[1].GetProperty("state").GetString());
        Assert.Equal(2.5, trials[1].GetProperty("value").GetDouble());
    }

    [Fact]
    public void Changes_are_persisted_before_the_answer_and_reads_are_not()
    {
        var persisted = new List<int>();
        var server = new AskTellServer(TestSpaces.NewSearch(), search => persisted.Add(search.Trials.Count));
        server.Send("""{"op":"ask"}""");
        server.Send("""{"op":"report","trial":0,"step":0,"value":1}""");
        server.Send("""{"op":"tell","trial":0,"value":1}""");
        server.Send("""{"op":"best"}""");
        server.Send("""{"op":"trials"}""");
        server.Send("""{"op":"tell","trial":7,"value":1}""");
        Assert.Equal([1, 1, 1], persisted);
    }

    [Fact]
    public void A_failed_save_is_answered_with_an_error_and_stops_serving()
    {
        var server = new AskTellServer(TestSpaces.NewSearch(), _ => throw new IOException("disk full"));
        var output = new StringWriter();
        var thrown = Assert.Throws<StatePersistenceException>(() =>
            server.Run(new StringReader("{\"op\":\"best\"}\n{\"op\":\"ask\"}\n{\"op\":\"ask\"}\n"), output));
        Assert.Contains("disk full", thrown.Message);
        var answers = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, answers.Length);
        Assert.Contains("could not save the search state: disk full", JsonDocument.Parse(answers[1]).RootElement.GetProperty("error").GetString());
    }

    private static string FoldReport(int trial, int fold, int epoch, double value) =>
        $$"""{"op":"report","trial":{{trial}},"fold":{{fold}},"epoch":{{epoch}},"value":{{value.ToString("R", CultureInfo.InvariantCulture)}}}""";

    private static string Report(int trial, int step, double value) =>
        $$"""{"op":"report","trial":{{trial}},"step":{{step}},"value":{{value.ToString("R", CultureInfo.InvariantCulture)}}}""";
}

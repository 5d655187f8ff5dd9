using System.Text.Json;
using SweepCluster.Search;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Cli.Protocol;

/// <summary>
/// The JSON-lines ask/tell protocol over a <see cref="HyperparameterSearch"/>, or over one per backbone
/// (<see cref="ServedSearches"/>; then every request names its <c>"backbone"</c>, except <c>best</c> and
/// <c>trials</c>, which without one answer for all backbones): each non-blank input line is one request object
/// and gets exactly one answer line. A bad request gets <c>{"error":"..."}</c> and serving goes on; the end of
/// input ends serving.
/// </summary>
public sealed class AskTellServer
{
    public const string Ops = "ask, report, tell, best or trials";

    private readonly Action<ServedSearches>? _persist;
    private readonly TextWriter? _diagnostics;

    /// <param name="searches">What is served: one search, or one per backbone.</param>
    /// <param name="persist">
    /// Called after every change to a search and before the answer is written, so whatever a client has seen is
    /// durable. If it throws, the client gets an error line and <see cref="Run"/> throws <see cref="StatePersistenceException"/>.
    /// </param>
    /// <param name="diagnostics">Where unexpected failures are logged (never the protocol output).</param>
    public AskTellServer(ServedSearches searches, Action<ServedSearches>? persist = null, TextWriter? diagnostics = null)
    {
        Searches = searches;
        _persist = persist;
        _diagnostics = diagnostics;
    }

    /// <summary>Serves one search (requests carry no <c>"backbone"</c>).</summary>
    public AskTellServer(HyperparameterSearch search, Action<HyperparameterSearch>? persist = null, TextWriter? diagnostics = null)
        : this(ServedSearches.Of(search), persist is null ? null : s => persist(s.Single!), diagnostics)
    {
    }

    public ServedSearches Searches { get; }

    /// <summary>The search of a server without backbones.</summary>
    /// <exception cref="InvalidOperationException">The server serves several backbones.</exception>
    public HyperparameterSearch Search => Searches.Single ?? throw new InvalidOperationException("this server serves several backbones; use Searches");

    /// <summary>Serves requests until <paramref name="input"/> ends.</summary>
    public void Run(TextReader input, TextWriter output)
    {
        while (input.ReadLine() is { } line)
        {
            string? answer;
            try
            {
                answer = Handle(line);
            }
            catch (StatePersistenceException e)
            {
                WriteLine(output, ProtocolJson.Error(e.Message));
                throw;
            }
            if (answer is not null) WriteLine(output, answer);
        }
    }

    /// <summary>The answer to one request line, or null for a blank line (which gets no answer).</summary>
    public string? Handle(string line)
    {
        if (string.IsNullOrWhiteSpace(line)) return null;
        try
        {
            var request = ProtocolRequest.Parse(line);
            return request.Op switch
            {
                "ask" => Ask(request),
                "report" => Report(request),
                "tell" => Tell(request),
                "best" => Best(request),
                "trials" => Trials(request),
                _ => throw new ProtocolException($"unknown op \"{request.Op}\" (expected {Ops})"),
            };
        }
        // The engine reports refused operations (unknown trial, report after tell, conflicting tell) with these.
        catch (Exception e) when (e is ProtocolException or UnknownTrialException or InvalidOperationException or ArgumentException)
        {
            return ProtocolJson.Error(e.Message);
        }
        catch (Exception e) when (e is not StatePersistenceException)
        {
            _diagnostics?.WriteLine($"sweep: internal error on request {line}: {e}");
            return ProtocolJson.Error($"internal error: {e.Message}");
        }
    }

    private string Ask(ProtocolRequest request)
    {
        var backbone = request.OptionalString("backbone");
        request.RejectUnreadFields();
        var trial = Searches.Ask(backbone);
        Persist();
        return ProtocolJson.Write(w =>
        {
            w.WriteNumber("trial", trial.Number);
            if (backbone is not null) w.WriteString("backbone", backbone);
            w.WritePropertyName("params");
            WriteParams(w, trial.Params);
        });
    }

    private string Report(ProtocolRequest request)
    {
        var trial = request.RequiredInt("trial");
        var backbone = request.OptionalString("backbone");
        var search = Searches.Get(backbone);
        var step = ReportStep(request);
        var value = request.RequiredNumber("value");
        request.RejectUnreadFields();
        var prune = OfBackbone(backbone, search, () => search.Report(trial, step, value));
        Persist();
        return ProtocolJson.Write(w => w.WriteBoolean("prune", prune));
    }

    /// <summary>
    /// A report's position: either <c>"fold"</c> and <c>"epoch"</c> (a k-fold trial; fold 0-based) or a bare
    /// <c>"step"</c> (a single curve, or the stored step 1000·fold + epoch), never both, so a client cannot
    /// send two positions that disagree.
    /// </summary>
    private static int ReportStep(ProtocolRequest request)
    {
        var step = request.OptionalInt("step");
        var fold = request.OptionalInt("fold");
        var epoch = request.OptionalInt("epoch");
        if (step is not null)
        {
            if (fold is not null || epoch is not null)
                throw new ProtocolException("give either \"step\" or \"fold\" and \"epoch\", not both");
            return step.Value;
        }
        if (fold is null && epoch is null) throw new ProtocolException("op \"report\" needs \"step\", or \"fold\" and \"epoch\"");
        if (fold is null || epoch is null) throw new ProtocolException($"op \"report\" with \"{(fold is null ? "epoch" : "fold")}\" also needs \"{(fold is null ? "fold" : "epoch")}\"");
        if (fold < 0) throw new ProtocolException($"\"fold\" must be >= 0 (0-based), got {fold}");
        if (epoch is < 0 or > ReportPosition.MaxEpoch) throw new ProtocolException($"\"epoch\" must be in [0, {ReportPosition.MaxEpoch}], got {epoch}");
        return ReportPosition.Of(fold.Value, epoch.Value).Step;
    }

    private string Tell(ProtocolRequest request)
    {
        var trial = request.RequiredInt("trial");
        var backbone = request.OptionalString("backbone");
        var search = Searches.Get(backbone);
        var state = request.OptionalString("state") ?? "complete";
        var value = request.OptionalNumber("value");
        var error = request.OptionalString("error");
        request.RejectUnreadFields();
        TrialOutcome outcome = state switch
        {
            "complete" or "completed" => new TrialOutcome.Completed(
                value ?? throw new ProtocolException("a completed trial needs \"value\" (or \"state\":\"pruned\" or \"failed\")")),
            // As in Optuna, a pruned trial's value is its last report, and a failed one has none.
            "pruned" or "failed" when value is not null =>
                throw new ProtocolException($"a {state} trial takes no \"value\" (a pruned trial keeps its last reported value)"),
            "pruned" => new TrialOutcome.Pruned(),
            "failed" => new TrialOutcome.Failed(error),
            _ => throw new ProtocolException($"unknown \"state\" \"{state}\" (expected complete, pruned or failed)"),
        };
        if (error is not null && outcome is not TrialOutcome.Failed)
            throw new ProtocolException("\"error\" goes only with \"state\":\"failed\"");
        OfBackbone(backbone, search, () => search.Tell(trial, outcome));
        Persist();
        return ProtocolJson.Write(w => w.WriteBoolean("ok", true));
    }

    /// <summary>
    /// Runs an operation on one backbone's trial. Each backbone numbers its trials from 0, so "unknown trial 3" alone
    /// does not tell a client that trial 3 exists, under another backbone; the refusal names the backbone asked.
    /// </summary>
    /// <exception cref="ProtocolException">The backbone has no such trial.</exception>
    private static void OfBackbone(string? backbone, HyperparameterSearch search, Action operation) =>
        OfBackbone(backbone, search, () => { operation(); return true; });

    private static T OfBackbone<T>(string? backbone, HyperparameterSearch search, Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (UnknownTrialException e) when (backbone is not null)
        {
            throw new ProtocolException($"unknown trial {e.Number} of backbone \"{backbone}\" (it has {search.Trials.Count} trials, numbered from 0)");
        }
    }

    private string Best(ProtocolRequest request)
    {
        var backbone = request.OptionalString("backbone");
        request.RejectUnreadFields();
        // Without a backbone: the best over every search served (they share one direction).
        var searches = Searches.Named(backbone);
        (string? Backbone, HyperparameterSearch Search, TrialRecord Trial)? best = null;
        foreach (var (name, search) in searches)
        {
            if (search.BestTrial is not { } trial) continue;
            if (best is null || search.Settings.Direction.IsBetter(trial.Value!.Value, best.Value.Trial.Value!.Value)) best = (name, search, trial);
        }
        return ProtocolJson.Write(w =>
        {
            w.WritePropertyName("best");
            if (best is not { } b) w.WriteNullValue();
            else WriteTrial(w, b.Backbone, b.Search, b.Trial);
        });
    }

    private string Trials(ProtocolRequest request)
    {
        var backbone = request.OptionalString("backbone");
        request.RejectUnreadFields();
        var searches = Searches.Named(backbone);
        return ProtocolJson.Write(w =>
        {
            w.WriteStartArray("trials");
            foreach (var (name, search) in searches)
                foreach (var trial in search.Trials) WriteTrial(w, name, search, trial);
            w.WriteEndArray();
        });
    }

    private static void WriteTrial(Utf8JsonWriter w, string? backbone, HyperparameterSearch search, TrialRecord trial)
    {
        w.WriteStartObject();
        w.WriteNumber("trial", trial.Number);
        if (backbone is not null) w.WriteString("backbone", backbone);
        w.WriteString("state", trial.State.ToString().ToLowerInvariant());
        if (trial.Value is double value)
        {
            w.WritePropertyName("value");
            ProtocolJson.WriteFloat(w, value);
        }
        if (trial.LastReport is { } last)
        {
            w.WriteNumber("last_step", last.Step);
            var position = ReportPosition.FromStep(last.Step);
            w.WriteNumber("last_fold", position.Fold);
            w.WriteNumber("last_epoch", position.Epoch);
        }
        if (trial.Error is not null) w.WriteString("error", trial.Error);
        w.WritePropertyName("params");
        WriteParams(w, search.ExternalParams(trial.Params));
        w.WriteEndObject();
    }

    private static void WriteParams(Utf8JsonWriter w, IReadOnlyDictionary<string, object> parameters)
    {
        w.WriteStartObject();
        foreach (var (name, value) in parameters)
        {
            w.WritePropertyName(name);
            ProtocolJson.WriteValue(w, value);
        }
        w.WriteEndObject();
    }

    private void Persist()
    {
        if (_persist is null) return;
        try
        {
            _persist(Searches);
        }
        catch (Exception e)
        {
            throw new StatePersistenceException($"could not save the search state: {e.Message}", e);
        }
    }

    private static void WriteLine(TextWriter output, string line)
    {
        output.Write(line);
        output.Write('\n');
        output.Flush();
    }
}

/// <summary>The search changed but could not be saved; serving stops, since a restart would lose what clients were told.</summary>
public sealed class StatePersistenceException(string message, Exception inner) : Exception(message, inner);

using SweepCluster.Search.Numerics;
using SweepCluster.Search.Pruning;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;

namespace SweepCluster.Search;

/// <summary>A trial handed out by <see cref="HyperparameterSearch.Ask"/>, with external parameter values.</summary>
public sealed record AskedTrial(int Number, IReadOnlyDictionary<string, object> Params);

/// <summary>How a trial ended, as a search is told it (<see cref="HyperparameterSearch.Tell"/>).</summary>
public abstract record TrialOutcome
{
    public sealed record Completed(double Value) : TrialOutcome;
    public sealed record Pruned : TrialOutcome;
    public sealed record Failed(string? Error = null) : TrialOutcome;
}

public sealed class UnknownTrialException(int number) : Exception($"unknown trial {number}")
{
    public int Number { get; } = number;
}

/// <summary>
/// The ask/tell surface of the search engine. Deterministic: the same settings and the same history give the
/// same next ask, so a search persisted with <see cref="ToJson"/> and restored with <see cref="FromJson"/>
/// continues bit-identically. Not thread-safe; the owner (a grain, a server loop) serialises calls.
/// </summary>
/// <example>
/// var search = HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson(spaceJson), Seed: 7));
/// var trial = search.Ask();
/// for (var epoch = 1; epoch &lt;= 10; epoch++)
///     if (search.Report(trial.Number, epoch, Train(trial.Params, epoch))) { search.Tell(trial.Number, new TrialOutcome.Pruned()); break; }
/// </example>
public sealed class HyperparameterSearch
{
    private readonly List<TrialRecord> _trials;
    private readonly ISampler _sampler;
    private readonly IPruner _pruner;

    private HyperparameterSearch(SearchSettings settings, List<TrialRecord> trials)
    {
        Settings = settings;
        _trials = trials;
        _sampler = settings.Sampler.Create();
        _pruner = settings.Pruner.Create();
    }

    public static HyperparameterSearch Create(SearchSettings settings) => new(settings, []);

    public SearchSettings Settings { get; }

    public IReadOnlyList<TrialRecord> Trials => _trials;

    /// <summary>The best completed trial, or null when none has completed.</summary>
    public TrialRecord? BestTrial
    {
        get
        {
            TrialRecord? best = null;
            foreach (var t in _trials)
            {
                if (t.State != TrialState.Complete || t.Value is not double v || double.IsNaN(v)) continue;
                if (best is null || Settings.Direction.IsBetter(v, best.Value!.Value)) best = t;
            }
            return best;
        }
    }

    /// <summary>Starts a trial. Trials asked but not yet told count as running for the sampler.</summary>
    /// <exception cref="InvalidOperationException">
    /// The sampler produced a value outside its parameter's distribution (a NaN, say); nothing is recorded,
    /// so a bad value is never handed out. A valid space never gets here.
    /// </exception>
    /// <param name="related">
    /// Trials of related tasks (other backbones of the study, one list per backbone) for the sampler to learn
    /// from (share_across_backbones); null or empty: this search's own history only, exactly as before.
    /// Their values must be internal values of this search's space: pass another search's trials through
    /// <see cref="TrialsIn"/> when its space may differ (categorical values are choice indices).
    /// The ask is deterministic given the history and these lists, so a caller that wants bit-identical
    /// resumes must pass the same lists (a replay adopts trials and never re-asks, so it need not).
    /// </param>
    /// <param name="fixedParams">
    /// Internal values this trial must take (Optuna's <c>enqueue_trial</c>; see <see cref="FixedParams"/>);
    /// the sampler draws the others as it would. Where a fixed value changes which conditional parameters
    /// are active, the sampled ones that became inactive are dropped and any that became active are drawn
    /// uniformly with the trial's own seeded random, so the ask stays deterministic.
    /// </param>
    public AskedTrial Ask(IReadOnlyList<IReadOnlyList<TrialRecord>>? related = null, IReadOnlyDictionary<string, double>? fixedParams = null)
    {
        var number = _trials.Count;
        var random = SeededRandom.ForTrial(Settings.Seed, number);
        var internalParams = _sampler.Sample(new SamplingContext(Settings.Space, _trials, number, Settings.Direction, random, Settings.Seed)
        {
            Related = related ?? [],
        });
        if (fixedParams is { Count: > 0 }) internalParams = WithFixed(internalParams, fixedParams, random);
        foreach (var (name, value) in internalParams)
        {
            var distribution = Settings.Space[name].Distribution;
            if (!distribution.Contains(value))
                throw new InvalidOperationException($"parameter '{name}': the sampler produced {value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, which is not in {distribution}");
        }
        _trials.Add(new TrialRecord { Number = number, Params = internalParams });
        return new AskedTrial(number, ExternalParams(internalParams));
    }

    /// <summary>
    /// This search's trials in <paramref name="space"/>'s internal encoding, to pass to another search over that
    /// space as related trials (<see cref="Ask"/>; <see cref="RelatedTasks.Translate"/> says what is kept).
    /// </summary>
    public IReadOnlyList<TrialRecord> TrialsIn(SearchSpace space) => RelatedTasks.Translate(Settings.Space, space, _trials);

    /// <summary>The sampled values with the fixed ones put in, in declaration order so conditions see their parents.</summary>
    private Dictionary<string, double> WithFixed(Dictionary<string, double> sampled, IReadOnlyDictionary<string, double> fixedParams, SeededRandom random)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var definition in Settings.Space.Parameters)
        {
            if (!Settings.Space.IsActive(definition, result)) continue;
            if (fixedParams.TryGetValue(definition.Name, out var v)) result[definition.Name] = v;
            else if (sampled.TryGetValue(definition.Name, out var s)) result[definition.Name] = s;
            else result[definition.Name] = UniformSampling.Draw(definition.Distribution, random);
        }
        foreach (var name in fixedParams.Keys)
            if (!result.ContainsKey(name)) throw new ArgumentException($"parameter '{name}': fixed, but its condition does not hold in this trial");
        return result;
    }

    /// <summary>
    /// Replays a trial asked earlier (by another process, before a restart) so that the search continues
    /// exactly where it was: it must be the next trial number and its parameters must lie in the space.
    /// Tell it afterwards if it has finished.
    /// </summary>
    public void Adopt(int number, IReadOnlyDictionary<string, double> internalParams, IEnumerable<KeyValuePair<int, double>> intermediateValues)
    {
        if (number != _trials.Count)
            throw new ArgumentException($"trials are adopted in order: expected trial {_trials.Count}, got {number}");
        foreach (var name in internalParams.Keys)
        {
            if (Settings.Space.Parameters.All(p => p.Name != name))
                throw new ArgumentException($"trial {number} has parameter '{name}', which is not in the search space");
        }
        var record = new TrialRecord { Number = number, Params = new Dictionary<string, double>(internalParams, StringComparer.Ordinal) };
        foreach (var (step, value) in intermediateValues) record.Reports.TryAdd(step, value);
        _trials.Add(record);
    }

    /// <summary>Records an intermediate value; returns true when the trial should be pruned now.</summary>
    public bool Report(int trialNumber, int step, double value)
    {
        var trial = Get(trialNumber);
        if (trial.IsFinished)
            throw new InvalidOperationException($"trial {trialNumber} is already {trial.State.ToString().ToLowerInvariant()}; reports are closed");
        if (step < 0) throw new ArgumentException($"step must be >= 0, got {step}");
        // A repeated report of a step (a retried call) keeps the first value.
        trial.Reports.TryAdd(step, value);
        return _pruner.ShouldPrune(_trials, trial, Settings.Direction);
    }

    /// <summary>
    /// Finishes a trial. Telling the same outcome twice is a no-op, so retried calls are safe. As in
    /// Optuna (<c>study._tell</c>: "The value nan is not acceptable"), a NaN objective value fails the
    /// trial, while ±infinity completes it and ranks as the worst (or best) value there is.
    /// </summary>
    /// <exception cref="UnknownTrialException">No trial has that number.</exception>
    /// <exception cref="InvalidOperationException">The trial already ended with another outcome.</exception>
    public void Tell(int trialNumber, TrialOutcome outcome) => Tell(trialNumber, outcome, []);

    /// <summary>
    /// Finishes a trial as <see cref="Tell(int, TrialOutcome)"/> does, first recording the reports among
    /// <paramref name="reports"/> that this search has not seen (they went to another process, or the trial's
    /// own record of them is the complete one); a step already recorded keeps its first value.
    /// </summary>
    public void Tell(int trialNumber, TrialOutcome outcome, IEnumerable<KeyValuePair<int, double>> reports)
    {
        var trial = Get(trialNumber);
        if (!trial.IsFinished)
            foreach (var (step, reported) in reports) trial.Reports.TryAdd(step, reported);
        var (state, value, error) = outcome switch
        {
            TrialOutcome.Completed { Value: var v } when double.IsNaN(v) =>
                (TrialState.Failed, (double?)null, $"objective value is {v}"),
            TrialOutcome.Completed c => (TrialState.Complete, c.Value, (string?)null),
            TrialOutcome.Pruned => (TrialState.Pruned, trial.LastReport?.Value, null),
            TrialOutcome.Failed f => (TrialState.Failed, null, f.Error),
            _ => throw new ArgumentException($"unknown outcome {outcome}"),
        };
        if (trial.IsFinished)
        {
            if (trial.State == state && Nullable.Equals(trial.Value, value)) return;
            throw new InvalidOperationException(
                $"trial {trialNumber} is already {Describe(trial.State, trial.Value)}; cannot tell {Describe(state, value)}");
        }
        trial.State = state;
        trial.Value = value;
        trial.Error = error;
    }

    /// <summary>"complete with value 0.37", "pruned", "failed": a repeated tell that differs only in its value says both values.</summary>
    private static string Describe(TrialState state, double? value) =>
        state == TrialState.Complete && value is double v
            ? $"complete with value {v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"
            : state.ToString().ToLowerInvariant();

    public IReadOnlyDictionary<string, object> ExternalParams(IReadOnlyDictionary<string, double> internalParams)
    {
        var external = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var definition in Settings.Space.Parameters)
        {
            if (internalParams.TryGetValue(definition.Name, out var v)) external[definition.Name] = definition.Distribution.ToExternal(v);
        }
        return external;
    }

    /// <summary>
    /// Dry-runs <paramref name="space"/> through every sampler (random, TPE, multivariate TPE and GP, the latter
    /// three from their first ask and with a history) with made-up objective values, so a space the samplers
    /// cannot handle is refused when it is loaded rather than on a later ask. Cheap: a few dozen asks.
    /// </summary>
    /// <exception cref="SearchSpaceException">A sampler failed; names the parameter when it can be told.</exception>
    public static void Rehearse(SearchSpace space)
    {
        foreach (var kind in new[] { SamplerKind.Random, SamplerKind.Tpe, SamplerKind.TpeMultivariate, SamplerKind.Gp })
        {
            var settings = new SearchSettings(space, Sampler: new SamplerSettings
            {
                Kind = kind,
                Tpe = new Tpe.TpeOptions { NStartupTrials = 0 },
                Gp = new Gp.GpOptions { NStartupTrials = 0, RandomCandidates = 16, LocalSteps = 4 },
            }, Seed: 1);
            try
            {
                var search = Create(settings);
                for (var i = 0; i < RehearsalAsks; i++)
                {
                    var trial = search.Ask();
                    // Varied values, an infinite one and a failure: every path TPE ranks through.
                    TrialOutcome outcome = i switch
                    {
                        3 => new TrialOutcome.Failed("rehearsal"),
                        4 => new TrialOutcome.Completed(double.PositiveInfinity),
                        5 => new TrialOutcome.Pruned(),
                        _ => new TrialOutcome.Completed(Math.Sin(i)),
                    };
                    search.Tell(trial.Number, outcome);
                }
            }
            catch (Exception e) when (e is not SearchSpaceException)
            {
                throw new SearchSpaceException(Culprit(space, e), $"the {SamplerSettings.KindName(kind)} sampler cannot sample it: {e.Message}");
            }
        }
    }

    private const int RehearsalAsks = 8;

    /// <summary>The parameter a failed rehearsal names, or the one that fails on its own, or "(space)".</summary>
    private static string Culprit(SearchSpace space, Exception e)
    {
        if (space.Parameters.Count == 1) return space.Parameters[0].Name;
        foreach (var p in space.Parameters)
        {
            if (e.Message.StartsWith($"parameter '{p.Name}'", StringComparison.Ordinal)) return p.Name;
        }
        foreach (var p in space.Parameters)
        {
            try
            {
                Rehearse(new SearchSpace([p with { Conditions = [] }]));
            }
            catch (SearchSpaceException)
            {
                return p.Name;
            }
        }
        return "(space)";
    }

    private TrialRecord Get(int trialNumber) =>
        trialNumber >= 0 && trialNumber < _trials.Count ? _trials[trialNumber] : throw new UnknownTrialException(trialNumber);

    public string ToJson() => SearchSnapshot.Write(Settings, _trials);

    public static HyperparameterSearch FromJson(string json)
    {
        var (settings, trials) = SearchSnapshot.Read(json);
        return new HyperparameterSearch(settings, trials);
    }
}

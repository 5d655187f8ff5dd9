using System.CommandLine;
using System.CommandLine.Parsing;
using SweepCluster.Cli.Protocol;
using SweepCluster.Cli.State;
using SweepCluster.Search;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Search.Tpe;
using SweepCluster.Studies;

namespace SweepCluster.Cli.Commands;

/// <summary>
/// <c>sweep sampler serve</c>: an ask/tell server speaking JSON lines on stdin/stdout (see <see cref="AskTellServer"/>),
/// so any training script can drive the search engine without a cluster.
/// </summary>
public static class SamplerServeCommand
{
    public static Command Create(CliIO io)
    {
        var space = new Option<string>("--space")
        {
            Description = "The search space (SPACE.json).",
            HelpName = "SPACE.json",
            Required = true,
        };
        var sampler = new Option<string>("--sampler")
        {
            Description = "How parameters are proposed.",
            Required = true,
        };
        sampler.AcceptOnlyFromAmong([.. SamplerSettings.KindNames]);
        var seed = new Option<long>("--seed")
        {
            Description = "Seed; the same seed and history always give the same asks.",
            Required = true,
        };
        var direction = new Option<string>("--direction")
        {
            Description = "Whether lower or higher objective values are better.",
            DefaultValueFactory = _ => "minimize",
        };
        direction.AcceptOnlyFromAmong("minimize", "maximize");
        var nStartupTrials = new Option<int>("--n-startup-trials")
        {
            Description = "TPE and GP: finished trials sampled at random before the model takes over (default 10 for TPE, 6 for GP).",
            DefaultValueFactory = _ => new TpeOptions().NStartupTrials,
        };
        var pruner = new Option<string>("--pruner")
        {
            Description = "When to stop a trial early on its reported values.",
            DefaultValueFactory = _ => PrunerSettings.KindName(new PrunerSettings().Kind),
        };
        pruner.AcceptOnlyFromAmong([.. PrunerSettings.KindNames]);
        var defaults = new PrunerSettings();
        var percentile = new Option<double>("--pruner-percentile")
        {
            Description = "Percentile pruner: prune trials worse than this percentile (0-100) of completed trials at the same step.",
            HelpName = "P",
            DefaultValueFactory = _ => defaults.Percentile,
        };
        var prunerStartupTrials = new Option<int>("--pruner-startup-trials")
        {
            Description = "Pruner: completed trials needed before anything is pruned.",
            HelpName = "N",
            DefaultValueFactory = _ => defaults.NStartupTrials,
        };
        var warmupSteps = new Option<int>("--pruner-warmup-steps")
        {
            Description = "Pruner: steps of each trial that are never pruned.",
            HelpName = "K",
            DefaultValueFactory = _ => defaults.NWarmupSteps,
        };
        var intervalSteps = new Option<int>("--pruner-interval-steps")
        {
            Description = "Pruner: check once per this many steps.",
            HelpName = "N",
            DefaultValueFactory = _ => defaults.IntervalSteps,
        };
        var foldRule = new Option<string>("--pruner-fold-rule")
        {
            Description = "Pruner, k-fold trials (reports with \"fold\"): judge fold k by the running fold mean (running_mean), by the current fold alone (current_fold), or by its finished folds only, racing (completed_folds).",
            DefaultValueFactory = _ => PrunerSettings.FoldRuleName(defaults.FoldRule),
        };
        foldRule.AcceptOnlyFromAmong([.. PrunerSettings.FoldRuleNames]);
        var backbones = new Option<string?>("--backbones")
        {
            Description = "Serve one search per backbone (comma-separated names), each seeded as a study's backbones are; every request then names its \"backbone\".",
            HelpName = "NAME,NAME,...",
        };
        var share = new Option<bool>("--share-across-backbones")
        {
            Description = "With --backbones: each backbone's asks also learn from the other backbones' trials (the study file's sampler.share_across_backbones).",
        };
        var state = new Option<string?>("--state")
        {
            Description = "Snapshot file: resumed from when it exists, rewritten atomically after every ask, report and tell.",
            HelpName = "FILE",
        };

        backbones.Validators.Add(result =>
        {
            if (ServedSearches.NamesProblem(BackboneNames(result.GetValueOrDefault<string?>() ?? "")) is { } problem)
                result.AddError($"--backbones: {problem}");
        });
        AtLeast(nStartupTrials, 0);
        AtLeast(prunerStartupTrials, 0);
        AtLeast(warmupSteps, 0);
        AtLeast(intervalSteps, 1);
        percentile.Validators.Add(result =>
        {
            var p = result.GetValueOrDefault<double>();
            if (!(p >= 0 && p <= 100)) result.AddError($"--pruner-percentile must be between 0 and 100, got {p}");
        });

        var command = new Command("serve", """
            Serve ask/tell over JSON lines: one request per stdin line, one answer per stdout line.
              {"op":"ask"}                                  -> {"trial":0,"params":{...}}
              {"op":"report","trial":0,"step":3,"value":0.4} -> {"prune":false}
              {"op":"report","trial":0,"fold":1,"epoch":3,"value":0.4} (k-fold trials; fold 0-based)
              {"op":"tell","trial":0,"value":0.37}          -> {"ok":true}
              {"op":"tell","trial":0,"state":"pruned"|"failed"[,"error":"..."]}
              {"op":"best"}, {"op":"trials"}
            With --backbones a,b: {"op":"ask","backbone":"a"} -> {"trial":0,"backbone":"a","params":{...}};
              report and tell name the backbone too; best and trials without one answer for all backbones.
            Bad requests get {"error":"..."} and the server keeps serving; end of input stops it (exit 0).
            Exit codes: 0 ok, 1 runtime failure (e.g. state file not writable), 2 usage or input error.
            """)
        {
            space, sampler, seed, direction, nStartupTrials,
            pruner, percentile, prunerStartupTrials, warmupSteps, intervalSteps, foldRule, backbones, share, state,
        };
        command.Validators.Add(result =>
        {
            // Raw tokens, not GetValue: these run even when a value failed its own validation.
            var prunerKind = GivenToken(result, pruner) ?? "none";
            if (prunerKind is not ("percentile" or "extrapolating") && IsGiven(result, percentile))
                result.AddError("--pruner-percentile applies only to --pruner percentile or extrapolating");
            if (prunerKind == "none")
            {
                foreach (var option in new Option[] { prunerStartupTrials, warmupSteps, intervalSteps, foldRule })
                    if (IsGiven(result, option)) result.AddError($"{option.Name} needs --pruner median or --pruner percentile");
            }
            if (IsGiven(result, share) && !IsGiven(result, backbones))
                result.AddError("--share-across-backbones needs --backbones (the backbones whose trials are shared)");
            if (GivenToken(result, sampler) == "random" && IsGiven(result, nStartupTrials))
                result.AddError("--n-startup-trials applies only to the tpe, tpe_multivariate and gp samplers");
        });

        command.SetAction(parseResult =>
        {
            var settings = new SearchSettings(
                LoadSpace(parseResult.GetRequiredValue(space)),
                parseResult.GetValue(direction) == "maximize" ? StudyDirection.Maximize : StudyDirection.Minimize,
                new SamplerSettings
                {
                    Kind = SamplerSettings.ParseKind(parseResult.GetRequiredValue(sampler)),
                    Tpe = new TpeOptions { NStartupTrials = parseResult.GetValue(nStartupTrials) },
                    // The option's default is TPE's; the GP keeps its own unless the option is given.
                    Gp = parseResult.GetResult(nStartupTrials) is { Implicit: false }
                        ? new SweepCluster.Search.Gp.GpOptions { NStartupTrials = parseResult.GetValue(nStartupTrials) }
                        : new SweepCluster.Search.Gp.GpOptions(),
                },
                new PrunerSettings
                {
                    Kind = PrunerSettings.ParseKind(parseResult.GetRequiredValue(pruner)),
                    Percentile = parseResult.GetValue(percentile),
                    NStartupTrials = parseResult.GetValue(prunerStartupTrials),
                    NWarmupSteps = parseResult.GetValue(warmupSteps),
                    IntervalSteps = parseResult.GetValue(intervalSteps),
                    FoldRule = PrunerSettings.ParseFoldRule(parseResult.GetValue(foldRule)!),
                },
                parseResult.GetValue(seed));
            var names = parseResult.GetValue(backbones) is { } list ? BackboneNames(list) : null;
            return Serve(settings, names, parseResult.GetValue(share), parseResult.GetValue(state), io);
        });
        return command;
    }

    private static int Serve(SearchSettings settings, IReadOnlyList<string>? backbones, bool share, string? statePath, CliIO io)
    {
        using var stateFile = statePath is null ? null : SearchStateFile.Open(statePath);
        var searches = stateFile?.Load() is { } restored
            ? Resume(restored, settings, backbones, share, stateFile.Path)
            : CreateSearches(settings, backbones, share);
        stateFile?.Save(searches);

        var server = new AskTellServer(searches, stateFile is null ? null : stateFile.Save, io.Error);
        var trials = searches.All.Sum(s => s.Search.Trials.Count);
        var what = backbones is null
            ? $"{settings.Space.Parameters.Count} parameters"
            : $"{backbones.Count} backbone{(backbones.Count == 1 ? "" : "s")}{(share && backbones.Count > 1 ? " sharing their trials" : "")}, {settings.Space.Parameters.Count} parameters";
        io.Error.WriteLine(
            $"sweep: serving {SamplerSettings.KindName(settings.Sampler.Kind)} (seed {settings.Seed}, {what}, {trials} trials so far); one JSON request per line");
        // As `sweep submit` notes a study file's settings that change nothing (SamplerNotes), without refusing them.
        if (share && backbones is not null && SamplerNotes.SharingIdle(backbones.Count, settings.Sampler.Kind) is { } why)
            io.Error.WriteLine($"sweep: note: --share-across-backbones has no effect {why}");
        server.Run(io.In, io.Out);
        return ExitCodes.Ok;
    }

    private static ServedSearches CreateSearches(SearchSettings settings, IReadOnlyList<string>? backbones, bool share)
    {
        try
        {
            return backbones is null
                ? ServedSearches.Of(HyperparameterSearch.Create(settings))
                : ServedSearches.ForBackbones(settings, backbones, share);
        }
        catch (ArgumentException e)
        {
            // Sampler and pruner validate their options on construction; ForBackbones names a blank or repeated backbone.
            throw new UsageException(backbones is null ? e.Message : $"--backbones: {e.Message}", e);
        }
    }

    private static ServedSearches Resume(ServedSearches restored, SearchSettings requested, IReadOnlyList<string>? backbones, bool share, string path)
    {
        // Resuming under other settings would not continue the same search; refuse rather than guess.
        if (ServedDifference(restored, requested, backbones, share) is { } difference)
        {
            throw new UsageException(
                $"state file '{path}' holds a search with {difference}; rerun with the original options or use another --state file");
        }
        return restored;
    }

    /// <summary>How the restored searches differ from what the options ask for (backbones, sharing, then each search's settings); null when they agree.</summary>
    internal static string? ServedDifference(ServedSearches restored, SearchSettings requested, IReadOnlyList<string>? backbones, bool share)
    {
        if (restored.Single is { } single)
            return backbones is null ? SettingsDifference(single.Settings, requested) : $"no backbones, not --backbones {string.Join(",", backbones)}";
        if (backbones is null) return $"backbones {string.Join(",", restored.Backbones)}, not none";
        if (!restored.Backbones.SequenceEqual(backbones)) return $"backbones {string.Join(",", restored.Backbones)}, not {string.Join(",", backbones)}";
        if (restored.ShareAcrossBackbones != share)
            return restored.ShareAcrossBackbones ? "--share-across-backbones, given now without it" : "no --share-across-backbones, given now with it";
        if (restored.Seed is { } stored && stored != requested.Seed) return $"--seed {stored}, not {requested.Seed}";
        foreach (var (name, search) in restored.All)
        {
            var seed = SearchSettings.BackboneSeed(requested.Seed, name!);
            // Each backbone's stored seed is derived from the process's; compare derived with derived and name the given one.
            if (search.Settings.Seed != seed) return $"another --seed than {requested.Seed}";
            if (SettingsDifference(search.Settings, requested with { Seed = seed }) is { } difference) return difference;
        }
        return null;
    }

    internal static string? SettingsDifference(SearchSettings stored, SearchSettings requested)
    {
        if (stored.Space.ToJson() != requested.Space.ToJson()) return "a different search space";
        if (stored.Direction != requested.Direction)
            return $"direction {stored.Direction.ToString().ToLowerInvariant()}, not {requested.Direction.ToString().ToLowerInvariant()}";
        if (stored.Seed != requested.Seed) return $"seed {stored.Seed}, not {requested.Seed}";
        if (stored.Sampler.Kind != requested.Sampler.Kind)
            return $"sampler {SamplerSettings.KindName(stored.Sampler.Kind)}, not {SamplerSettings.KindName(requested.Sampler.Kind)}";
        // Only the options of the sampler in use: --n-startup-trials is recorded in the TPE and the GP options
        // alike, and the other sampler's copy never changes an ask (given as its default, it made a resume fail).
        var (storedStartup, requestedStartup, sameOptions) = stored.Sampler.Kind switch
        {
            SamplerKind.Gp => (stored.Sampler.Gp.NStartupTrials, requested.Sampler.Gp.NStartupTrials, stored.Sampler.Gp == requested.Sampler.Gp),
            SamplerKind.Random => (0, 0, stored.Sampler.QuasiRandom == requested.Sampler.QuasiRandom),
            _ => (stored.Sampler.Tpe.NStartupTrials, requested.Sampler.Tpe.NStartupTrials, stored.Sampler.Tpe == requested.Sampler.Tpe),
        };
        if (storedStartup != requestedStartup) return $"--n-startup-trials {storedStartup}, not {requestedStartup}";
        if (!sameOptions) return "different sampler options";
        if (stored.Pruner.Kind != requested.Pruner.Kind)
            return $"pruner {stored.Pruner.Kind.ToString().ToLowerInvariant()}, not {requested.Pruner.Kind.ToString().ToLowerInvariant()}";
        if (stored.Pruner != requested.Pruner) return "different pruner options";
        return null;
    }

    private static SearchSpace LoadSpace(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read space file '{path}': {e.Message}", e);
        }
        try
        {
            var space = SearchSpace.FromJson(json);
            HyperparameterSearch.Rehearse(space);
            return space;
        }
        catch (SearchSpaceException e)
        {
            throw new UsageException($"space file '{path}': {e.Message}", e);
        }
    }

    /// <summary>--backbones' comma-separated names, each trimmed.</summary>
    private static List<string> BackboneNames(string option) => [.. option.Split(',', StringSplitOptions.TrimEntries)];

    private static bool IsGiven(CommandResult result, Option option) => result.GetResult(option) is { Implicit: false };

    private static string? GivenToken(CommandResult result, Option option) =>
        result.GetResult(option) is { Implicit: false, Tokens.Count: > 0 } given ? given.Tokens[^1].Value : null;

    private static void AtLeast(Option<int> option, int minimum) =>
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value < minimum) result.AddError($"{option.Name} must be >= {minimum}, got {value}");
        });
}

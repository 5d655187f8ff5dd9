using System.CommandLine;
using SweepCluster.Cli.Cluster;
using SweepCluster.Cli.Commands;

namespace SweepCluster.Cli;

/// <summary>The <c>sweep</c> command line: builds the command tree and maps outcomes to <see cref="ExitCodes"/>.</summary>
public static class SweepCli
{
    /// <summary>Every verb, each writing to <paramref name="io"/>.</summary>
    /// <summary>The widest help text in columns, whatever the terminal's width.</summary>
    public const int HelpWidth = 120;

    public static RootCommand BuildRootCommand(CliIO io)
    {
        var root = new RootCommand("SweepCluster: hyperparameter search on a cluster, or locally.");
        // Each verb (or verb group) is one class with a Create(io), registered here: cluster verbs in Cluster/,
        // model verbs (predict, checkpoint) in Training/, the local sampler in Commands/.
        root.Subcommands.Add(UpCommand.Create(io));
        root.Subcommands.Add(SubmitCommand.Create(io));
        root.Subcommands.Add(StatusCommand.Create(io));
        root.Subcommands.Add(WatchCommand.Create(io));
        root.Subcommands.Add(TrialsCommand.Create(io));
        root.Subcommands.Add(BestCommand.Create(io));
        root.Subcommands.Add(ReportCommand.Create(io));
        root.Subcommands.Add(CancelCommand.Create(io));
        root.Subcommands.Add(FinalizeCommand.Create(io));
        root.Subcommands.Add(EnqueueCommand.Create(io));
        root.Subcommands.Add(RetryCommand.Create(io));
        root.Subcommands.Add(DeleteCommand.Create(io));
        root.Subcommands.Add(Training.PredictCommand.Create(io));
        root.Subcommands.Add(WorkersCommand.Create(io));
        root.Subcommands.Add(SiloCommand.Create(io));
        root.Subcommands.Add(WorkerCommand.Create(io));
        root.Subcommands.Add(SamplerCommand.Create(io));
        root.Subcommands.Add(Training.CheckpointCommand.Create(io));
        // Help fits the terminal (or COLUMNS); System.CommandLine sees our own writer, not the console, and
        // would print each option on one unbroken line. Capped at 120 columns so prose stays readable in pipes.
        foreach (var option in root.Options)
            if (option.Action is System.CommandLine.Help.HelpAction help) help.MaxWidth = Math.Min(io.Terminal.Width, HelpWidth);
        return root;
    }

    /// <summary>Parses and runs one command line; returns its exit code (see <see cref="ExitCodes"/>).</summary>
    public static int Run(string[] args, CliIO io)
    {
        var parseResult = BuildRootCommand(io).Parse(args);
        if (parseResult.Action is not { ClearsParseErrors: true } && UnknownOptions(parseResult, args) is { Count: > 0 } unknown)
        {
            foreach (var message in unknown) io.Error.WriteLine($"sweep: {message}");
            io.Error.WriteLine($"Run '{CommandPath(parseResult)} --help' for usage.");
            return ExitCodes.Usage;
        }
        // Parse errors are usage errors (exit 2); System.CommandLine's own handler would exit 1.
        // Help and version actions clear parse errors, so `sweep x --help` still shows help.
        if (parseResult.Errors.Count > 0 && parseResult.Action is not { ClearsParseErrors: true })
        {
            foreach (var error in parseResult.Errors) io.Error.WriteLine($"sweep: {Readable(error.Message)}");
            io.Error.WriteLine($"Run '{CommandPath(parseResult)} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return parseResult.Invoke(new InvocationConfiguration
            {
                Output = io.Out,
                Error = io.Error,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (UsageException e)
        {
            io.Error.WriteLine($"sweep: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (RefusedException e)
        {
            io.Error.WriteLine($"sweep: {e.Message}");
            return ExitCodes.Refused;
        }
        catch (Exception wrapped) when (SweepCluster.Contracts.Grains.StorageUnavailableException.Find(wrapped) is { } e)
        {
            // The cluster itself keeps retrying (workers, studies); this command does not, so say what to do.
            io.Error.WriteLine($"sweep: {e.Message}; the cluster retries on its own: run this again once the storage is back");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            io.Error.WriteLine($"sweep: {e.Message}");
            if (Environment.GetEnvironmentVariable("SWEEP_DEBUG") is "1") io.Error.WriteLine(e);
            return ExitCodes.Failure;
        }
    }

    /// <summary>
    /// A parse error as a person reads it: System.CommandLine names the expected .NET type ("as expected type
    /// 'System.Nullable`1[System.Int32]'"); this says "as an integer" (a number, a true/false value) instead.
    /// </summary>
    internal static string Readable(string message) => System.Text.RegularExpressions.Regex.Replace(message,
        @"as expected type '(?:System\.Nullable`1\[)?System\.(\w+)\]?'", m => "as " + (m.Groups[1].Value switch
        {
            "Int32" or "Int64" or "Int16" or "UInt32" or "UInt64" => "an integer",
            "Double" or "Single" or "Decimal" => "a number",
            "Boolean" => "true or false",
            "TimeSpan" => "a duration",
            var other => "a " + other.ToLowerInvariant(),
        }));

    /// <summary>
    /// Words that look like options ("-x", "--name") and match none: System.CommandLine binds such a word to
    /// an optional argument (so `sweep status --jsn` would ask for a study named "--jsn") or reports it
    /// without a suggestion. Each message names the nearest option of the command, when one is close.
    /// Words after "--" are arguments by convention and stay so; so do negative numbers.
    /// </summary>
    internal static List<string> UnknownOptions(ParseResult parseResult, IReadOnlyList<string> args)
    {
        var separator = args.ToList().IndexOf("--");
        var beforeSeparator = separator < 0 ? args : args.Take(separator).ToList();
        var suspects = new List<string>();
        foreach (var token in parseResult.UnmatchedTokens) suspects.Add(token);
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            foreach (var child in result.Children.OfType<System.CommandLine.Parsing.ArgumentResult>())
                suspects.AddRange(child.Tokens.Select(t => t.Value));
        var options = new List<string>();
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            foreach (var option in result.Command.Options.Where(o => result == parseResult.CommandResult || o.Recursive))
                options.AddRange(option.Aliases.Prepend(option.Name));
        var messages = new List<string>();
        foreach (var word in suspects.Distinct())
        {
            if (word.Length < 2 || word[0] != '-' || double.TryParse(word, System.Globalization.CultureInfo.InvariantCulture, out _)) continue;
            if (!beforeSeparator.Contains(word)) continue;
            var name = word.Split('=', 2)[0];
            var nearest = options.Distinct().Select(o => (Option: o, Distance: Levenshtein(name, o))).OrderBy(p => p.Distance).ThenBy(p => p.Option, StringComparer.Ordinal).FirstOrDefault();
            // Within a third of the name's length: close enough to be a typo, far enough not to suggest nonsense.
            var hint = nearest.Option is not null && nearest.Distance <= Math.Max(2, name.Length / 3) ? $"; did you mean '{nearest.Option}'?" : "";
            messages.Add($"unknown option '{name}'{hint}");
        }
        return messages;
    }

    private static int Levenshtein(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }

    private static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Command is RootCommand ? "sweep" : result.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }
}

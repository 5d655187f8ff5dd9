using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace SweepCluster.Cli.Cluster;

/// <summary>Long-running verbs log one timestamped line per event to stderr (stdout stays for results).</summary>
public static class CliLogging
{
    /// <summary>Orleans at <paramref name="level"/>; SweepCluster's own progress at Information or more verbose.</summary>
    public static void ToStandardError(ILoggingBuilder logging, LogLevel level)
    {
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        logging.SetMinimumLevel(level);
        logging.AddFilter("SweepCluster", (LogLevel)Math.Min((int)level, (int)LogLevel.Information));
        // Below debug, the categories in ErrorsOnly keep only their errors (each one's reason is on its constant).
        if (level > LogLevel.Debug)
            foreach (var category in ErrorsOnly) logging.AddFilter(category, LogLevel.Error);
        // A storage outage is logged once, in one line, by StorageErrorMapping; these repeat it per call.
        if (level > LogLevel.Debug)
            foreach (var category in SweepCluster.Silo.Storage.StorageErrorMapping.RedundantLogCategories) logging.AddFilter(category, LogLevel.None);
    }

    /// <summary>
    /// Everything <see cref="ToStandardError"/> would log goes to <paramref name="file"/>; stderr keeps only
    /// warnings and errors (less the noise <see cref="ToStandardError"/> filters), so a person still sees what
    /// needs them while the progress view stays readable.
    /// </summary>
    public static void ToFileAndStandardError(ILoggingBuilder logging, LogLevel level, string file)
    {
        ToStandardError(logging, level);
        logging.AddProvider(new FileLoggerProvider(file));
        // A provider-specific rule replaces the general ones for that provider alone, so repeat their exceptions.
        var redundant = SweepCluster.Silo.Storage.StorageErrorMapping.RedundantLogCategories;
        logging.AddFilter<ConsoleLoggerProvider>((category, entryLevel) =>
            entryLevel >= LogLevel.Warning && entryLevel >= level
            && !(category is not null && entryLevel < LogLevel.Error && ErrorsOnly.Any(q => category.StartsWith(q, StringComparison.Ordinal)))
            && !(category is not null && redundant.Any(r => category.StartsWith(r, StringComparison.Ordinal))));
    }

    /// <summary>
    /// The Orleans logger category of one network connection (client, gateway or silo-to-silo). It logs every
    /// connection that ends abruptly (a client or worker killed, a CLI that exits mid-call) as a warning with a full
    /// stack trace. That is a normal event for a cluster, and the losses that matter are reported elsewhere (lease
    /// expiry by the trial, a dead silo by membership, a failed call by the caller).
    /// </summary>
    public const string ConnectionCategory = "Orleans.Runtime.Messaging.Connection";

    /// <summary>
    /// The Orleans client's gateway list. While a silo restarts, a worker's client logged its two "all gateways marked
    /// dead … expediting refresh" warnings up to 22 times a second (350 lines per bench/Chaos/chaos.sh run); the
    /// worker's own lines already say the cluster is unreachable ("cluster calls keep failing", "succeed again").
    /// </summary>
    public const string GatewayManagerCategory = "Orleans.Messaging.GatewayManager";

    /// <summary>Categories that log only errors below debug, on stderr and in the log file alike.</summary>
    public static readonly IReadOnlyList<string> ErrorsOnly = [ConnectionCategory, GatewayManagerCategory];
}

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
    }
}

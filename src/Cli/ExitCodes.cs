namespace SweepCluster.Cli;

/// <summary>Process exit codes shared by every verb.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked (for a server: its input ended).</summary>
    public const int Ok = 0;

    /// <summary>Something failed while running: an I/O error, a state file that could not be written or is locked.</summary>
    public const int Failure = 1;

    /// <summary>The command line or an input file is wrong: fix the invocation, retrying will not help.</summary>
    public const int Usage = 2;

    /// <summary>`sweep watch`: the study was cancelled rather than finished.</summary>
    public const int Cancelled = 3;

    /// <summary>`sweep best`: no trial has completed yet.</summary>
    public const int NothingYet = 4;

    /// <summary>`sweep delete`: the question was answered no (or not at all); nothing was deleted.</summary>
    public const int NotConfirmed = 5;

    /// <summary>
    /// `enqueue`, `retry`, `delete`: the study refused in its present state (it was cancelled, or trials run and
    /// `--force` was not given). Distinct from <see cref="Failure"/> so a script can tell it from a dead cluster.
    /// </summary>
    public const int Refused = 6;

    /// <summary>
    /// `sweep watch`: stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report an interrupted command);
    /// the study itself goes on.
    /// </summary>
    public const int Interrupted = 130;
}

/// <summary>The study refused what was asked in its present state; reported without a stack trace, exit code 6.</summary>
public sealed class RefusedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An error in what the user gave (arguments, input files); reported without a stack trace, exit code 2.</summary>
public sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner);

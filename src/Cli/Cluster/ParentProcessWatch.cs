using System.Diagnostics;
using System.Globalization;

namespace SweepCluster.Cli.Cluster;

/// <summary>
/// Calls back once when a given process (the `sweep up` that started this worker) has ended, so the
/// worker stops instead of living on as an orphan that joins the next cluster on the same port.
/// </summary>
/// <remarks>
/// Polling, not Linux's parent-death signal (<c>prctl(PR_SET_PDEATHSIG)</c>), for two reasons: that signal
/// fires when the parent <em>thread</em> that forked the child exits, and .NET starts processes from
/// whatever thread-pool thread runs <see cref="Process.Start()"/>, which the pool may retire at any time
/// and would kill a healthy worker; and it does not exist on macOS. A poll every second costs nothing and
/// stops the worker through its ordinary shutdown path (the running trial is released).
/// <para>How "ended" is judged: on Linux, this process's parent pid (/proc/self/stat) stops being the
/// watched pid; that holds even when the dead parent is not yet reaped (a zombie still has its pid).
/// Elsewhere, or when the watched process is not our parent, the watched pid must still exist with the
/// start time it had when the watch began (a pid can be reused by a new process).</para>
/// </remarks>
public sealed class ParentProcessWatch : IDisposable
{
    /// <summary>How often the watched process is checked.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Timer _timer;
    private readonly int _pid;
    private readonly bool _isParent;
    private readonly DateTime? _startTime;
    private readonly Action _onEnded;
    private int _fired;

    private ParentProcessWatch(int pid, Action onEnded)
    {
        _pid = pid;
        _onEnded = onEnded;
        _isParent = ParentPidFromProc() == pid;
        _startTime = StartTimeOf(pid);
        _timer = new Timer(_ => Check(), null, TimeSpan.Zero, Interval);
    }

    /// <summary>
    /// Starts watching process <paramref name="pid"/>; <paramref name="onEnded"/> runs once (on a
    /// thread-pool thread) within <see cref="Interval"/> of its end, or at once if it is already gone.
    /// </summary>
    public static ParentProcessWatch Start(int pid, Action onEnded) => new(pid, onEnded);

    /// <summary>Whether the watched process still runs.</summary>
    public bool IsAlive()
    {
        if (_isParent) return ParentPidFromProc() == _pid;
        return _startTime is { } started && StartTimeOf(_pid) == started;
    }

    private void Check()
    {
        if (Volatile.Read(ref _fired) != 0 || IsAlive()) return;
        if (Interlocked.Exchange(ref _fired, 1) == 0) _onEnded();
    }

    /// <summary>The parent pid of this process on Linux; null elsewhere.</summary>
    private static int? ParentPidFromProc()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            // Field 4 of /proc/self/stat; the command name (field 2) is in parentheses and may contain spaces.
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static DateTime? StartTimeOf(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : process.StartTime;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    public void Dispose() => _timer.Dispose();
}

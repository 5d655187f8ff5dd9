using System.Diagnostics;

namespace SweepCluster.Cli.Cluster;

/// <summary>
/// Child `sweep worker` processes for `sweep up`: started with this same executable, their output
/// prefixed and forwarded, restarted (with back-off) if one dies, and sent SIGTERM on shutdown. Each
/// watches this process (<c>--parent-pid</c>) and stops when it ends, however it ends.
/// With <paramref name="logDirectory"/>, worker N's output goes to <c>worker-N.log</c> there and only its
/// warnings and errors are forwarded.
/// </summary>
public sealed class WorkerProcesses(TextWriter log, IReadOnlyList<string> workerArgs, int count, string? logDirectory = null) : IAsyncDisposable
{
    /// <summary>The file worker <paramref name="index"/> logs to, when output goes to files.</summary>
    public string? LogFile(int index) => logDirectory is null ? null : Path.Combine(logDirectory, $"worker-{index}.log");

    /// <summary>
    /// A line a person should see even when logs go to files: a warning, error or critical entry of the
    /// console logger ("12:00:01 warn: …"), or output outside the logger that reports an exception or error.
    /// </summary>
    public static bool ShowsOnScreen(string line)
    {
        var match = System.Text.RegularExpressions.Regex.Match(line, @"^\S+ (trce|dbug|info|warn|fail|crit): ");
        return match.Success
            ? match.Groups[1].Value is "warn" or "fail" or "crit"
            : line.Contains("exception", StringComparison.OrdinalIgnoreCase) || line.Contains("error", StringComparison.OrdinalIgnoreCase);
    }

    private readonly List<Task> _supervisors = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Process> _running = [];

    /// <summary>Starts the workers and their supervisors.</summary>
    public void Start()
    {
        if (logDirectory is not null) Directory.CreateDirectory(logDirectory);
        for (var i = 1; i <= count; i++)
        {
            var index = i;
            _supervisors.Add(Task.Run(() => Supervise(index)));
        }
    }

    /// <summary>The command that runs this program again: the apphost, or `dotnet sweep.dll`.</summary>
    public static (string FileName, List<string> Prefix) SelfCommand()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the sweep executable");
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? (process, [typeof(WorkerProcesses).Assembly.Location])
            : (process, []);
    }

    private async Task Supervise(int index)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!_stop.IsCancellationRequested)
        {
            var (file, prefix) = SelfCommand();
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            // No --id: each process gets its own (host-pid-start time), so a worker restarted here, or one
            // orphaned by an earlier `sweep up`, is never mistaken for another. --parent-pid: the worker stops
            // when this process ends, even by kill -9, when nothing here runs to stop it.
            foreach (var a in prefix.Concat(["worker", "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]).Concat(workerArgs))
                info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            lock (_gate) _running[index] = process;
            var started = DateTime.UtcNow;
            await using var logFile = LogFile(index) is { } path
                ? new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true }
                : null;
            var forward = Task.WhenAll(Forward(process.StandardOutput, index, logFile), Forward(process.StandardError, index, logFile));
            await process.WaitForExitAsync(CancellationToken.None);
            await forward;
            lock (_gate) _running.Remove(index);
            if (_stop.IsCancellationRequested) return;
            if (DateTime.UtcNow - started > TimeSpan.FromMinutes(1)) backoff = TimeSpan.FromSeconds(1);
            lock (_gate) log.WriteLine($"worker {index} exited with code {process.ExitCode}; restarting in {backoff.TotalSeconds:0} s");
            try
            {
                await Task.Delay(backoff, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    private async Task Forward(StreamReader reader, int index, StreamWriter? file)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_gate)
            {
                file?.WriteLine(line);
                if (file is null || ShowsOnScreen(line)) log.WriteLine($"[worker {index}] {line}");
            }
        }
    }

    private bool _disposed;

    /// <summary>Stops every worker (SIGTERM, then kill after 15 s). Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _stop.CancelAsync();
        lock (_gate)
        {
            // SIGTERM lets each worker release its trial; the silo is still up to receive that.
            foreach (var p in _running.Values)
            {
                try
                {
                    Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
                }
                catch (InvalidOperationException)
                {
                }
            }
        }
        var all = Task.WhenAll(_supervisors);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(15))) != all)
        {
            lock (_gate)
                foreach (var p in _running.Values) p.Kill(entireProcessTree: true);
        }
        _stop.Dispose();
    }
}

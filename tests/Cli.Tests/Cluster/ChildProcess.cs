using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>A long-running `sweep` child (silo, worker, up) whose output is collected for assertions and failure messages.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    public string Name { get; }

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_gate) _output.AppendLine(line);
    }

    public string Output
    {
        get { lock (_gate) return _output.ToString(); }
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Perl code that puts SIGINT and SIGQUIT back to their default action, then runs its arguments. A test
    /// runner started in the background by a non-interactive shell (`bash .ci/run &`, nohup) inherits both
    /// as ignored, an ignored signal stays ignored across exec, and .NET then keeps ignoring it, so Ctrl-C
    /// tests would measure the runner's start-up rather than the CLI. Perl is part of every Debian system.
    /// </summary>
    public const string DefaultSignals = "$SIG{INT}=$SIG{QUIT}='DEFAULT'; exec @ARGV or die \"exec: $!\"";

    public static ChildProcess Start(string name, params string[] args)
    {
        var start = new ProcessStartInfo("perl")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add(DefaultSignals);
        start.ArgumentList.Add(SweepProcess.DotnetHost());
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sweep.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        return new ChildProcess(name, Process.Start(start)!);
    }

    public async Task WaitForOutput(string text, double timeoutSeconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before printing '{text}':\n{Output}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Name} did not print '{text}' in {timeoutSeconds} s:\n{Output}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>kill -9: no shutdown code runs, like a crashed process or a lost machine.</summary>
    public void KillHard()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>kill -9 of this process alone: its children live on, as they do when a parent crashes.</summary>
    public void KillHardAlone()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>
    /// SIGSTOP (<paramref name="frozen"/>) or SIGCONT: a stopped process keeps its sockets open and answers
    /// nothing, so requests already sent to it hang, as they do when a silo dies or stalls mid-call.
    /// </summary>
    public void Freeze(bool frozen)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [frozen ? "-STOP" : "-CONT", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>SIGTERM, then wait for a clean exit; returns the exit code.</summary>
    public async Task<int> TerminateAsync(double timeoutSeconds = 30)
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill!.WaitForExitAsync();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(timeoutSeconds));
        }
        return _process.ExitCode;
    }

    public async Task<int> WaitForExitAsync(double timeoutSeconds)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(timeoutSeconds));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} still running after {timeoutSeconds} s:\n{Output}");
        }
        return _process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One-shot `sweep` commands (submit, status, trials, …) run to completion.</summary>
public static class Sweep
{
    public static async Task<(int ExitCode, string Out, string Error)> Run(params string[] args)
    {
        var start = new ProcessStartInfo(SweepProcess.DotnetHost())
        {
            // stdin an empty pipe, never the test runner's terminal: nobody answers a question a command asks.
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sweep.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Runs a command that must succeed and returns its stdout.</summary>
    public static async Task<string> Ok(params string[] args)
    {
        var (code, output, error) = await Run(args);
        Assert.True(code == 0, $"sweep {string.Join(' ', args)} exited {code}:\n{error}\n{output}");
        return output;
    }

    public static async Task<JsonElement> Json(params string[] args) => JsonDocument.Parse(await Ok(args)).RootElement.Clone();
}

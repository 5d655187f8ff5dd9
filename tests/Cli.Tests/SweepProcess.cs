using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace SweepCluster.Cli.Tests;

/// <summary>The real <c>sweep</c> binary (sweep.dll, copied next to this test assembly) as a child process.</summary>
public sealed class SweepProcess : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Task<string> _stderr;

    private SweepProcess(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static SweepProcess Start(string workingDirectory, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "sweep.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing; the test project must reference src/Cli");
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        return new SweepProcess(Process.Start(start)!);
    }

    /// <summary>Writes one request line and reads the one answer line.</summary>
    public async Task<string> RequestAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line.AsMemory(), TestContext.Current.CancellationToken);
        await _process.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
        var answer = await WithTimeout(_process.StandardOutput.ReadLineAsync());
        // Only read stderr once stdout has closed: it ends when the process does.
        if (answer is null) Assert.Fail($"sweep closed stdout; stderr: {await _stderr}");
        return answer;
    }

    public async Task<JsonElement> RequestJsonAsync(string line) => JsonDocument.Parse(await RequestAsync(line)).RootElement.Clone();

    /// <summary>Closes stdin and waits for the exit; returns the exit code, any stdout left over and stderr.</summary>
    public async Task<(int ExitCode, string RemainingOutput, string Error)> EndAsync()
    {
        _process.StandardInput.Close();
        var remaining = await WithTimeout(_process.StandardOutput.ReadToEndAsync());
        await WithTimeout(_process.WaitForExitAsync());
        return (_process.ExitCode, remaining, await WithTimeout(_stderr));
    }

    // Pipe reads ignore cancellation on some platforms, so time out the wait instead; Dispose kills the child.
    private static Task<T> WithTimeout<T>(Task<T> task) => task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

    private static Task WithTimeout(Task task) => task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
    }

    /// <summary>The dotnet muxer running this test, so the child uses the same runtime.</summary>
    internal static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { } hostPath && File.Exists(hostPath)) return hostPath;
        var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        // The runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/; the muxer in <root>.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var muxer = Path.Combine(root, name);
        return File.Exists(muxer) ? muxer : name;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SweepCluster.Cli.Tests.Cluster;
using SweepCluster.Tests.Shared;

namespace SweepCluster.Cli.Tests.Deploy;

/// <summary>
/// The images of deploy/docker, built and started without a container runtime (there is none on CI): each
/// Dockerfile's build stage is replayed step by step (its COPY lines into an empty folder, filtered by
/// /.dockerignore; its RUN lines with the ARG defaults), so a restore layer that misses a project fails here
/// as it would in `docker build`. The publish output then runs as the image and the manifests say: the
/// image's ENTRYPOINT, the numeric USER, the Deployment's args and environment, on a read-only root with a
/// writable /tmp (a private mount namespace, as readOnlyRootFilesystem and the emptyDir give), with no
/// capabilities, against a real PostgreSQL, up to the health checks the manifests probe: the silo's
/// /healthz/ready, and the workers' exec liveness probe run in their mount namespace.
/// Not verified here: the base images' contents (the aspnet:10.0 runtime is taken to be the one installed
/// here, at the same /usr/share/dotnet path), the CUDA build (TorchBackend=cuda is not on this feed),
/// image layers and caching, and the kubelet itself.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class ContainerImageTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task Silo_and_worker_images_start_as_uid_1654_on_a_read_only_root_up_to_their_health_checks()
    {
        if (Environment.UserName != "root") Assert.Skip("needs root for a private mount namespace and setpriv (CI runs as root)");
        var root = KubernetesManifestTests.RepoRoot();
        var work = Path.Combine(AppContext.BaseDirectory, "image-build");
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);

        var silo = await Build(root, Path.Combine(root, "deploy/docker/silo.Dockerfile"), Path.Combine(work, "silo"));
        var worker = await Build(root, Path.Combine(root, "deploy/docker/worker.Dockerfile"), Path.Combine(work, "worker"));
        Assert.Equal(["/app/sweep", "silo"], silo.Entrypoint);
        Assert.Equal(["/app/sweep", "worker"], worker.Entrypoint);
        Assert.Equal("1654", silo.User);
        Assert.Equal("1654", worker.User);
        Assert.False(File.Exists(Path.Combine(silo.App, "libtorch.so")), "the silo image must not carry libtorch (TorchBackend=none)");
        Assert.True(File.Exists(Path.Combine(worker.App, "libtorch.so")), "the worker image needs libtorch");
        // The image's runtime (aspnet:10.0, Ubuntu 24.04) has the libstdc++ TorchSharp 0.107 wants; this Debian 12 host
        // does not, so the worker would patch libLibTorchSharp.so at start (TorchRuntime), which a read-only root
        // forbids. Apply that patch now, before the root turns read-only, as the image never needs it.
        if (OperatingSystem.IsLinux() && !SweepCluster.Training.Runtime.TorchRuntime.HostHasVersion(SweepCluster.Training.Runtime.TorchRuntime.RequiredVersion))
            SweepCluster.Training.Runtime.ElfVersionPatcher.MakeWeak(Path.Combine(worker.App, "libLibTorchSharp.so"), SweepCluster.Training.Runtime.TorchRuntime.RequiredVersion);

        var storage = "postgres:" + postgres.ConnectionString;
        var metricsPort = PostgresServer.FreePort();
        var gatewayPort = PostgresServer.FreePort();
        var siloArgs = ManifestArgs(root, "deploy/k8s/base/silo.yaml")
            .Select(a => a.Replace("$(POD_IP)", "127.0.0.1", StringComparison.Ordinal))
            .Select(a => Regex.Replace(a, "^--metrics-port=.*", $"--metrics-port={metricsPort}"))
            .Select(a => Regex.Replace(a, "^--gateway-port=.*", $"--gateway-port={gatewayPort}"))
            .Select(a => Regex.Replace(a, "^--silo-port=.*", $"--silo-port={PostgresServer.FreePort()}"))
            .Select(a => Regex.Replace(a, "^--metrics-bind=.*", "--metrics-bind=127.0.0.1"))
            .ToList();
        Assert.Contains("--clustering=database", siloArgs);
        await using var siloProcess = Contained.Start("silo", silo, [.. silo.Entrypoint.Skip(1), .. siloArgs], new() { ["SWEEP_STORAGE"] = storage });
        await siloProcess.WaitUntil(async () => await Status($"http://127.0.0.1:{metricsPort}/healthz/ready") == HttpStatusCode.OK, 180, "the silo's /healthz/ready");
        Assert.Equal(HttpStatusCode.OK, await Status($"http://127.0.0.1:{metricsPort}/healthz/live"));

        // The GPU worker's Deployment, on CPU: the same entry point, args, user and environment, but no GPU here.
        var workerEnv = ManifestEnv(root, "deploy/k8s/base/worker-gpu.yaml");
        var cluster = $"postgres:{postgres.ConnectionString}";
        var workerArgs = ManifestArgs(root, "deploy/k8s/base/worker-gpu.yaml")
            .Select(a => a.Replace("$(GPU_MEMORY_MB)", workerEnv["GPU_MEMORY_MB"], StringComparison.Ordinal))
            .Select(a => a == "--device=cuda" ? "--device=cpu" : a)
            .Select(a => a == "--artifacts=/artifacts" ? "--artifacts=/tmp/artifacts" : a)
            .ToList();
        var heartbeat = workerEnv["SWEEP_HEARTBEAT_FILE"];
        await using var gpuWorker = Contained.Start("worker", worker, [.. worker.Entrypoint.Skip(1), .. workerArgs],
            new() { ["SWEEP_CLUSTER"] = cluster, ["SWEEP_HEARTBEAT_FILE"] = heartbeat });
        var probe = ProbeCommand(root, "deploy/k8s/base/worker-gpu.yaml");
        await gpuWorker.WaitUntil(async () => await gpuWorker.Exec(probe) == 0, 120, "the GPU worker's liveness probe");

        // The simulated worker runs from the silo image with the Deployment's command.
        var simulatedCommand = ManifestList(root, "deploy/k8s/base/worker-simulated.yaml", "command");
        Assert.Equal("/app/sweep", simulatedCommand[0]);
        var simulatedEnv = ManifestEnv(root, "deploy/k8s/base/worker-simulated.yaml");
        await using var simulated = Contained.Start("simulated worker", silo, [.. simulatedCommand.Skip(1)],
            new() { ["SWEEP_CLUSTER"] = cluster, ["SWEEP_HEARTBEAT_FILE"] = simulatedEnv["SWEEP_HEARTBEAT_FILE"], ["SWEEP_ARTIFACTS"] = simulatedEnv["SWEEP_ARTIFACTS"] });
        await simulated.WaitUntil(async () => await simulated.Exec(ProbeCommand(root, "deploy/k8s/base/worker-simulated.yaml")) == 0, 120, "the simulated worker's liveness probe");

        // The probe can fail: a worker that stopped (SIGSTOP: alive but hung) with a two-minute-old heartbeat.
        gpuWorker.Signal("STOP");
        Assert.Equal(0, await gpuWorker.Exec(["touch", "-d", "-2 minutes", heartbeat]));
        Assert.NotEqual(0, await gpuWorker.Exec(probe));
        gpuWorker.Signal("CONT");
        await gpuWorker.WaitUntil(async () => await gpuWorker.Exec(probe) == 0, 30, "the probe after the worker resumed");
    }

    // ---- replaying a Dockerfile ----

    private sealed record Image(string App, IReadOnlyList<string> Entrypoint, string User);

    /// <summary>
    /// Replays the build stage of <paramref name="dockerfile"/> into <paramref name="folder"/> (the stage's
    /// WORKDIR is <c>folder/src</c>, its <c>/app</c> is <c>folder/app</c>) and reads the final stage.
    /// </summary>
    private static async Task<Image> Build(string root, string dockerfile, string folder)
    {
        var lines = Regex.Replace(File.ReadAllText(dockerfile), @"\\\r?\n", " ").Split('\n').Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var args = new Dictionary<string, string>();
        var context = Path.Combine(folder, "src");
        var app = Path.Combine(folder, "app");
        Directory.CreateDirectory(context);
        var ignore = DockerIgnore(root);
        var stage = 0;
        string? user = null;
        List<string>? entrypoint = null;
        foreach (var line in lines)
        {
            var (instruction, rest) = (line.Split(' ', 2)[0].ToUpperInvariant(), line.Split(' ', 2).ElementAtOrDefault(1) ?? "");
            switch (instruction)
            {
                case "ARG":
                    var parts = rest.Split('=', 2);
                    if (parts.Length == 2) args[parts[0]] = parts[1];
                    break;
                case "FROM":
                    stage++;
                    break;
                case "COPY" when stage == 1:
                    var items = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    var destination = Path.Combine(context, items[^1]);
                    foreach (var source in items[..^1]) Copy(root, source, destination, ignore, items.Length > 2 || items[^1].EndsWith('/'));
                    break;
                case "RUN" when stage == 1:
                    var command = Regex.Replace(rest, @"\$\{(\w+)\}", m => args.GetValueOrDefault(m.Groups[1].Value, ""))
                        .Replace(" -o /app ", $" -o {app} ", StringComparison.Ordinal);
                    var (code, output) = await Shell(command, context);
                    Assert.True(code == 0, $"{Path.GetFileName(dockerfile)}: RUN {command} failed ({code}):\n{output}");
                    break;
                case "USER":
                    user = rest;
                    break;
                case "ENTRYPOINT":
                    entrypoint = JsonSerializer.Deserialize<List<string>>(rest);
                    break;
            }
        }
        Assert.NotNull(user);
        Assert.NotNull(entrypoint);
        return new Image(app, entrypoint, user);
    }

    private static List<Regex> DockerIgnore(string root) =>
        File.ReadAllLines(Path.Combine(root, ".dockerignore")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(p => new Regex("^" + Regex.Escape(p).Replace(@"\*\*/", "(.*/)?").Replace(@"\*\*", ".*").Replace(@"\*", "[^/]*") + "(/.*)?$"))
            .ToList();

    private static void Copy(string root, string source, string destination, List<Regex> ignore, bool intoFolder)
    {
        var from = Path.Combine(root, source.TrimEnd('/'));
        if (File.Exists(from))
        {
            var target = intoFolder ? Path.Combine(destination, Path.GetFileName(from)) : destination;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(from, target, overwrite: true);
            return;
        }
        Assert.True(Directory.Exists(from), $"COPY {source}: not in the build context");
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (ignore.Any(r => r.IsMatch(relative))) continue;
            var target = Path.Combine(destination, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    private static async Task<(int Code, string Output)> Shell(string command, string directory)
    {
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output + await error);
    }

    // ---- what the manifests say ----

    private static List<Dictionary<object, object>> Deployment(string root, string file) =>
        KubernetesManifestTests.ParseAll(File.ReadAllText(Path.Combine(root, file))).Where(d => d["kind"]?.ToString() == "Deployment").ToList();

    private static Dictionary<object, object> Container(string root, string file)
    {
        var deployment = Assert.Single(Deployment(root, file));
        var pod = (Dictionary<object, object>)((Dictionary<object, object>)((Dictionary<object, object>)deployment["spec"])["template"])["spec"];
        return (Dictionary<object, object>)Assert.Single((List<object>)pod["containers"]);
    }

    private static List<string> ManifestList(string root, string file, string key) =>
        Container(root, file).TryGetValue(key, out var value) ? ((List<object>)value).Select(x => x.ToString()!).ToList() : [];

    private static List<string> ManifestArgs(string root, string file) => ManifestList(root, file, "args");

    private static Dictionary<string, string> ManifestEnv(string root, string file) =>
        ((List<object>)Container(root, file)["env"]).Cast<Dictionary<object, object>>()
            .Where(e => e.ContainsKey("value")).ToDictionary(e => e["name"].ToString()!, e => e["value"].ToString()!);

    private static List<string> ProbeCommand(string root, string file)
    {
        var probe = (Dictionary<object, object>)Container(root, file)["livenessProbe"];
        return ((List<object>)((Dictionary<object, object>)probe["exec"])["command"]).Select(x => x.ToString()!).ToList();
    }

    private static async Task<HttpStatusCode?> Status(string url)
    {
        try
        {
            using var response = await Http.GetAsync(url, TestContext.Current.CancellationToken);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// A process started as a container would run it: a private mount namespace whose root is read-only and
    /// whose /tmp is an empty tmpfs (readOnlyRootFilesystem plus the emptyDir), the image's /app bound onto
    /// the publish output, then setpriv to UID/GID 1654 with no capabilities and no new privileges.
    /// </summary>
    private sealed class Contained : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly string _name;

        private Contained(string name, Process process)
        {
            _name = name;
            _process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public static Contained Start(string name, Image image, IReadOnlyList<string> args, Dictionary<string, string> environment)
        {
            // /app does not exist on this root: a tmpfs over /mnt gives a mount point for it before the root turns read-only.
            var script = string.Join(" && ",
                "mount --make-rprivate /",
                "mount -t tmpfs -o mode=755 tmpfs /mnt && mkdir /mnt/app",
                $"mount --bind {Quote(image.App)} /mnt/app",
                "mount --bind / / && mount -o remount,bind,ro /",
                "mount -t tmpfs -o mode=1777 tmpfs /tmp",
                "cd /mnt/app",
                $"exec setpriv --reuid={image.User} --regid={image.User} --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs " +
                string.Join(' ', new[] { image.Entrypoint[0].Replace("/app/", "/mnt/app/", StringComparison.Ordinal) }.Concat(args).Select(Quote)));
            var start = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--mount", "--propagation", "private", "/bin/sh", "-c", script }) start.ArgumentList.Add(a);
            start.Environment.Clear();
            start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
            start.Environment["HOME"] = "/home/app";
            foreach (var (key, value) in environment) start.Environment[key] = value;
            return new Contained(name, Process.Start(start)!);
        }

        private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

        public string Output { get { lock (_output) return _output.ToString(); } }

        public async Task WaitUntil(Func<Task<bool>> condition, double seconds, string what)
        {
            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            while (!await condition())
            {
                if (_process.HasExited) Assert.Fail($"{_name} exited ({_process.ExitCode}) before {what} passed:\n{Output}");
                if (DateTime.UtcNow > deadline) Assert.Fail($"{what} did not pass in {seconds} s:\n{Output}");
                await Task.Delay(500, TestContext.Current.CancellationToken);
            }
        }

        /// <summary>
        /// Runs a command in the process's mount namespace, with its root and working directory (the bind mount
        /// that made / read-only sits above the root the process started with) and as its user, as the kubelet
        /// runs an exec probe.
        /// </summary>
        public async Task<int> Exec(IReadOnlyList<string> command)
        {
            var start = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--target", _process.Id.ToString(CultureInfo.InvariantCulture), "--mount", "--root", "--wd", "--", "setpriv", "--reuid=1654", "--regid=1654", "--clear-groups" }.Concat(command))
                start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var drained = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            await drained;
            return process.ExitCode;
        }

        public void Signal(string signal)
        {
            using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        public async ValueTask DisposeAsync()
        {
            if (_process.HasExited) return;
            Signal("CONT");
            Signal("TERM");
            if (!await Task.Run(() => _process.WaitForExit(TimeSpan.FromSeconds(20)))) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}

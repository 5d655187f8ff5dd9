using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SweepCluster.Tests.Shared;

/// <summary>
/// A real PostgreSQL server for one test run (Debian's postgresql package): initdb into a temp folder,
/// listen on 127.0.0.1 only on a free port, stopped and deleted afterwards. As root, the server runs as the
/// postgres user, since initdb refuses root.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"sweep-pg-{Guid.NewGuid():N}");
    private string _bin = "";

    public int Port { get; private set; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";

    public async ValueTask InitializeAsync()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderDescending().FirstOrDefault() ?? ""
            : "";
        if (_bin == "")
            throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql; .ci/run does this)");
        Directory.CreateDirectory(_directory);
        if (Environment.UserName == "root") await Run("chown", ["-R", "postgres:postgres", _directory]);
        Port = FreePort();
        var data = Path.Combine(_directory, "data");
        await RunPostgres("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        await StartAsync();
    }

    /// <summary>Starts the server again after <see cref="StopAsync"/>: same data, same port.</summary>
    public Task StartAsync() =>
        RunPostgres("pg_ctl", ["-D", Path.Combine(_directory, "data"), "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "60",
            "-o", $"-c listen_addresses=127.0.0.1 -c port={Port} -c unix_socket_directories={_directory} -c fsync=off", "start"]);

    /// <summary>Stops the server at once (an outage: open connections are cut; new ones are refused).</summary>
    public Task StopAsync() => RunPostgres("pg_ctl", ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunPostgres("pg_ctl", ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"]);
        }
        finally
        {
            try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        }
    }

    private Task RunPostgres(string tool, string[] args) =>
        Environment.UserName == "root"
            ? Run("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args])
            : Run(Path.Combine(_bin, tool), args);

    private static async Task Run(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await error}{await output}");
    }

    /// <summary>
    /// A port free now and not handed out before in this process: the kernel may give a just-closed ephemeral port
    /// again, and a silo now refuses two options on one port (Orleans' SO_REUSEPORT would let both bind).
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (HandedOut)
                if (HandedOut.Add(port)) return port;
        }
    }

    private static readonly HashSet<int> HandedOut = [];
}

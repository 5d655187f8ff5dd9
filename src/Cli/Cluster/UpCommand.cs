using SweepCluster.Cli.Rendering;
using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using SweepCluster.Connection;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Silo;
using SweepCluster.Training.Storage;

namespace SweepCluster.Cli.Cluster;

/// <summary>
/// <c>sweep up</c>: the whole system on one machine: a silo with embedded durable storage (SQLite in
/// the data folder) plus N worker processes. A study submitted to it survives a restart of `sweep up`.
/// </summary>
public static class UpCommand
{
    public static Command Create(CliIO io)
    {
        var workers = new Option<int>("--workers") { Description = "Worker processes to start.", DefaultValueFactory = _ => 2, HelpName = "N" };
        var dataDir = new Option<string?>("--data-dir") { Description = $"Where the embedded storage lives (default: {LocalHome.DefaultHelp}).", HelpName = "DIR" };
        var storage = new Option<string?>("--storage") { Description = "Override the storage: sqlite:PATH, postgres:CONNECTION-STRING or memory.", HelpName = "LOCATION" };
        var submit = new Option<string?>("--submit") { Description = "Submit this study file once the cluster is up.", HelpName = "STUDY.yaml" };
        var untilDone = new Option<bool>("--until-done") { Description = "With --submit: follow the study, print the best trials and exit when it ends." };
        var siloOptions = SiloOptions.Create();
        var command = new Command("up", "Run a local cluster: one silo with durable storage on disk and N workers, until Ctrl-C.\n" +
                                        "Exit codes: 0 ok, 1 runtime failure, 2 bad options or study file, 3 (--until-done) the study was cancelled, 130 (--until-done) stopped by Ctrl-C or SIGTERM before the study ended.")
        {
            workers, dataDir, storage, submit, untilDone,
        };
        siloOptions.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var count = parse.GetValue(workers);
            if (count < 0) throw new UsageException("--workers must be >= 0");
            var study = parse.GetValue(submit) is { } file ? StudyFile.Load(file, io.Error) : null;
            if (parse.GetValue(untilDone) && study is null) throw new UsageException("--until-done needs --submit");
            var home = LocalHome.Resolve(parse.GetValue(dataDir));
            var location = StorageOption.Parse(parse.GetValue(storage) ?? $"sqlite:{LocalHome.Database(home)}");
            var options = siloOptions.Read(parse, location);
            var artifactsRoot = LocalHome.ArtifactsRoot(home);
            options = options with { Reports = new Reports.StudyReportPage.LiveRenderer(artifactsRoot) };
            // --until-done is a person following one study: logs go to files so the screen shows the study
            // (warnings and errors still reach it). A plain `up` is a server, and its log is its output.
            var logDirectory = parse.GetValue(untilDone) ? Path.GetFullPath(Path.Combine(home, "logs")) : null;
            if (logDirectory is not null)
            {
                var siloLog = Path.Combine(logDirectory, "silo.log");
                var level = siloOptions.ReadLogLevel(parse);
                options = options with { Logging = logging => CliLogging.ToFileAndStandardError(logging, level, siloLog) };
            }

            using var shutdown = new ShutdownSignal(ct);
            await using var silo = await SiloHost.BuildAsync(options, shutdown.Token);
            await silo.StartAsync(shutdown.Token);
            var cluster = $"localhost:{options.GatewayPort}";
            io.Error.WriteLine($"SweepCluster is up.\n  cluster:   {cluster}   (other terminals: sweep status --cluster {cluster})\n  storage:   {location}\n" +
                               (options.MetricsPort > 0 ? $"  metrics:   http://{options.MetricsBind}:{options.MetricsPort}/metrics\n" : "") +
                               (options.MetricsPort > 0 ? $"  reports:   {ReportsUrl(options, null)}   (live, refreshed every {StudyReportEndpoints.RefreshSeconds} s)\n" : "") +
                               $"  dashboard: {DashboardHint()}\n  workers:   {count} (training and simulated; artifacts in {artifactsRoot})" +
                               (logDirectory is null ? "" : $"\n  logs:      {Path.Combine(logDirectory, "silo.log")}, " +
                                                            $"{Path.Combine(logDirectory, "worker-N.log")} (warnings and errors also here)"));

            // Each local worker gets an equal share of the cores, so parallel trials do not fight over them.
            var threadsPerWorker = Math.Max(1, Environment.ProcessorCount / Math.Max(1, count));
            var workerArgs = new List<string> { "--cluster", cluster, "--artifacts", artifactsRoot, "--threads", threadsPerWorker.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            await using var children = new WorkerProcesses(io.Error, workerArgs, count, logDirectory);
            children.Start();
            var exit = ExitCodes.Ok;
            try
            {
                if (study is not null)
                {
                    var grains = silo.Services.GetRequiredService<IGrainFactory>();
                    var studyId = StudyFile.NewStudyId(study.Name);
                    await grains.GetGrain<IStudyGrain>(studyId).Submit(study);
                    io.Out.WriteLine(studyId);
                    if (options.MetricsPort > 0) io.Error.WriteLine($"  report:    {ReportsUrl(options, studyId)}");
                    if (parse.GetValue(untilDone)) exit = await Follow(io, grains, studyId, artifactsRoot, shutdown.Token);
                }
                if (!parse.GetValue(untilDone)) await Task.Delay(Timeout.Infinite, shutdown.Token);
            }
            catch (OperationCanceledException) when (shutdown.Token.IsCancellationRequested)
            {
                // Following a study, an interruption is not its end: say so by the exit code, as `watch` does.
                if (parse.GetValue(untilDone)) exit = ExitCodes.Interrupted;
            }
            io.Error.WriteLine("stopping workers, then the silo");
            await children.DisposeAsync();
            await silo.StopAsync(CancellationToken.None);
            return exit;
        });
        return command;
    }

    /// <summary>The live view on a terminal, else progress lines on stderr, until the study ends; then the per-backbone table.</summary>
    private static async Task<int> Follow(CliIO io, IGrainFactory grains, string studyId, string artifactsRoot, CancellationToken cancellationToken)
    {
        var study = grains.GetGrain<IStudyGrain>(studyId);
        // A person at a terminal gets the same live view as `sweep watch`, left on screen as the final table.
        var status = await Terminal.StudyFollower.Run(io, await study.GetStatus(), () => study.GetStatus(), TimeSpan.FromSeconds(1), io.Error, cancellationToken);
        var report = Reports.StudyReportPage.LoadEnsemble(ArtifactLayout.EnsembleReport(artifactsRoot, studyId), out var problem);
        if (problem is not null) io.Error.WriteLine($"sweep: {problem}");
        var page = await Reports.StudyReportPage.WriteAsync(ArtifactLayout.ReportPage(artifactsRoot, studyId), status, await study.GetTrials(), report, cancellationToken);
        io.Out.WriteLine($"report: {page}");
        if (report is not null)
        {
            io.Out.WriteLine($"held-out rows: {report.HeldOutRows}");
            foreach (var row in report.Rows)
                io.Out.WriteLine($"  {row.Name,-40} " + string.Join("  ", row.Metrics.Where(m => m.Key != "loss").Select(m => $"{m.Key} {m.Value:0.0000}")));
            io.Out.WriteLine(SweepCluster.Training.Ensembles.EnsembleTable.Format(report));
            io.Out.WriteLine(report.Verdict);
            io.Out.WriteLine($"artifacts: {ArtifactLayout.Study(artifactsRoot, studyId)}");
            if (File.Exists(ArtifactLayout.Submission(artifactsRoot, studyId))) io.Out.WriteLine($"submission: {ArtifactLayout.Submission(artifactsRoot, studyId)}");
        }
        return status.State == StudyState.Cancelled ? ExitCodes.Cancelled : ExitCodes.Ok;
    }

    /// <summary>The silo's live report index, or one study's page, on the metrics port's address.</summary>
    private static string ReportsUrl(SiloHostOptions options, string? studyId)
    {
        // A wildcard bind is reachable here at the loopback address; a link to 0.0.0.0 does not open everywhere.
        var host = options.MetricsBind is "0.0.0.0" or "::" or "[::]" ? "127.0.0.1" : options.MetricsBind;
        return $"http://{host}:{options.MetricsPort}" + (studyId is null ? StudyReportEndpoints.IndexPath : StudyReportEndpoints.ReportPath(studyId));
    }

    /// <summary>The Grafana dashboard shipped in deploy/, found relative to the working folder or the program.</summary>
    private static string DashboardHint()
    {
        const string relative = "deploy/grafana/sweepcluster-dashboard.json";
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate)) return $"import {candidate} into Grafana (Prometheus config: {Path.Combine(dir.FullName, "deploy/prometheus/prometheus.yml")})";
            }
        }
        return $"import {relative} from the SweepCluster repository into Grafana";
    }
}

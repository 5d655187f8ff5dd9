using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Grains;

namespace SweepCluster.Silo;

/// <summary>
/// Every silo nudges the study directory every two seconds. That single tick is what resumes studies
/// after a restart, re-queues trials after the queue's silo died, and picks up lost notifications.
/// </summary>
internal sealed class StudyTicker(IGrainFactory grains, ILogger<StudyTicker> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await grains.GetGrain<IStudyDirectoryGrain>(0).Tick();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogDebug(e, "study tick failed; next one in {Interval}", Interval);
            }
        }
    }
}

using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;

namespace SweepCluster.Cli.Cluster;

/// <summary>Study lookups that turn "no such study" into a usage error (exit 2) instead of a failure.</summary>
public static class StudyQueries
{
    public static Task<StudyStatus> Status(IGrainFactory grains, string studyId) =>
        Guard(studyId, () => grains.GetGrain<IStudyGrain>(studyId).GetStatus());

    public static Task<IReadOnlyList<TrialView>> Trials(IGrainFactory grains, string studyId) =>
        Guard(studyId, () => grains.GetGrain<IStudyGrain>(studyId).GetTrials());

    public static Task<StudyStatus> Cancel(IGrainFactory grains, string studyId) =>
        Guard(studyId, () => grains.GetGrain<IStudyGrain>(studyId).Cancel());

    public static Task<StudyStatus> Finalize(IGrainFactory grains, string studyId) =>
        Guard(studyId, () => grains.GetGrain<IStudyGrain>(studyId).Finalize());

    public static Task<StudySpec> Spec(IGrainFactory grains, string studyId) =>
        Guard(studyId, () => grains.GetGrain<IStudyGrain>(studyId).GetSpec());

    /// <summary>
    /// Runs a study call: no such study, and what the study refuses as a bad argument (an unknown backbone or
    /// trial, a value outside the space: <see cref="ArgumentException"/>), become usage errors (exit 2); what it
    /// refuses in its present state (<see cref="InvalidOperationException"/>) becomes a refusal (exit 6).
    /// </summary>
    public static async Task<T> Guard<T>(string studyId, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (KeyNotFoundException)
        {
            throw new UsageException($"no study '{studyId}' (list them with: sweep status)");
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        catch (InvalidOperationException e)
        {
            // The study's own refusal in its present state (cancelled; trials running without --force).
            throw new RefusedException(e.Message, e);
        }
    }
}

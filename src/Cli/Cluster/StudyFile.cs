using SweepCluster.Studies;
using SweepCluster.Worker.Training;

namespace SweepCluster.Cli.Cluster;

/// <summary>A study file as the verbs that take one (`submit`, `up --submit`) read it, and the id a new study gets.</summary>
public static class StudyFile
{
    /// <summary>
    /// Parses and checks a study file; every problem is a usage error naming the key and line. Notes (the
    /// study runs, but not quite as written) go to <paramref name="notes"/>, once.
    /// </summary>
    /// <exception cref="UsageException">The file is missing, malformed, or the study cannot run (each problem named).</exception>
    public static StudySpec Load(string path, TextWriter? notes = null)
    {
        if (!File.Exists(path)) throw new UsageException($"{path}: no such study file");
        StudySpec spec;
        try
        {
            spec = StudySpecParser.Load(path);
        }
        catch (StudySpecException e)
        {
            throw new UsageException(e.Message, e);
        }
        if (spec.Workload.Kind == WorkloadKind.Train)
        {
            var missing = StudySpecParser.MissingFiles(spec);
            if (missing.Count > 0) throw new UsageException($"{path}: these files do not exist: {string.Join(", ", missing)}");
            var preflight = SweepCluster.Training.Preflight.StudyPreflight.Run(spec.ToTrainingStudy(), spec.Training.ToTrainingSettings(), spec.ToPreflightBackbones());
            if (preflight.Problems.Count > 0) throw new UsageException($"{path}: the study cannot run:\n  " + string.Join("\n  ", preflight.Problems));
            foreach (var note in preflight.Notes) notes?.WriteLine($"{path}: note: {note}");
        }
        foreach (var note in SamplerNotes.For(spec)) notes?.WriteLine($"{path}: note: {note}");
        return spec;
    }

    /// <summary>A new study's id when none is given: NAME-yyyyMMdd-HHmmss-xxxx (UTC, four random hex digits).</summary>
    public static string NewStudyId(string name) =>
        $"{name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x1000, 0xFFFF):x4}";
}

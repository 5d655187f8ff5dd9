namespace SweepCluster.Studies.Tests;

/// <summary>Study documents for the parser tests; line numbers in the tests refer to <see cref="Valid"/>.</summary>
internal static class StudyYaml
{
    /// <summary>A valid study using most sections (the numbers on the right are line numbers).</summary>
    public const string Valid = """
        name: demo
        seed: 7
        data:
          train: data/train.csv
          label_map: {NON_EXTREMIST: 0, EXTREMIST: 1}
        objective: {metric: f1, direction: maximize}
        cv_folds: 5
        budget: {trials_per_backbone: 4, max_parallel: 2}
        sampler: {kind: tpe}
        pruner: {kind: median, percentile: 50}
        training: {epochs: 3, mixed_precision: true}
        workload: {kind: simulated, curve_family: crossing, steps: 3, step_seconds: 0, failure_rate: 0}
        trials: {lease_seconds: 30, max_attempts: 3}
        final: {retrain: true, ensemble: soft}
        search_space:
          lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
          optimizer: {type: categorical, choices: [adamw, sgd]}
          beta2: {type: float, low: 0.9, high: 0.999, when: {optimizer: [adamw]}}
        backbones:
          - name: distilbert
            family: distilbert
            checkpoint: models/distilbert
          - name: roberta
            family: roberta

        """;

    /// <summary>The smallest valid study: everything else takes its default.</summary>
    public const string Minimal = """
        name: minimal
        data: {train: train.csv}
        budget: {trials_per_backbone: 10}
        workload: {kind: simulated}
        search_space:
          lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
        backbones:
          - {name: bert, family: bert}

        """;

    /// <summary><see cref="Valid"/> with <paramref name="text"/> replaced, failing loudly if it is not there.</summary>
    public static string ValidWith(string text, string replacement)
    {
        Assert.Contains(text, Valid);
        return Valid.Replace(text, replacement);
    }

    /// <summary><see cref="Valid"/> with the second backbone given extra lines (indented as its keys).</summary>
    public static string WithRobertaLines(params string[] lines) =>
        Valid + string.Concat(lines.Select(line => $"    {line}\n"));

    /// <summary>The repository root (it holds examples/ and docs/), found from the test's output folder.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SweepCluster.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no SweepCluster.sln above {AppContext.BaseDirectory}");
    }
}

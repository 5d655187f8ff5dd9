namespace SweepCluster.Bench.Hpo;

/// <summary>
/// One objective of the public HPO suite (SUITE.md), minimised.
/// </summary>
/// <param name="Name">The suite's name for it, as in REFERENCE.md (e.g. "branin").</param>
/// <param name="SpaceJson">The search space in the CLI's SPACE.json format, keys in suggestion order.</param>
/// <param name="KnownOptimum">The global minimum f*.</param>
/// <param name="Evaluate">The noiseless value at the given params (floats as double, ints as long, choices as their JSON type).</param>
/// <param name="Noisy">True when the optimiser is told <see cref="Observe"/> rather than <see cref="Evaluate"/>.</param>
/// <param name="Observe">
/// For noisy functions, the value the optimiser is told: (params, seed, 0-based trial index) → observation.
/// Null for noiseless functions, where the observation is <see cref="Evaluate"/>.
/// </param>
public sealed record SuiteFunction(
    string Name,
    string SpaceJson,
    double KnownOptimum,
    Func<IReadOnlyDictionary<string, object>, double> Evaluate,
    bool Noisy,
    Func<IReadOnlyDictionary<string, object>, ulong, ulong, double>? Observe = null);

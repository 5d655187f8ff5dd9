using System.Globalization;
using SweepCluster.Search;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;

namespace SweepCluster.Bench.Hpo;

/// <summary>
/// multibackbone: issue 17's benchmark of shared search (share_across_backbones) against independent search.
/// Options: --seeds N, --samplers tpe,gp,..., --shift A (default 0.12), --backbones N (default 5), --tpe/--gp overrides.
///
/// Construction. From each of the suite's mixed-space functions f (mixed_fine_tune, conditional_mixed) five
/// related objectives ("backbones") b = 0..4 (by default) over f's own space:
///   f_b(p) = c_b + a_b·(f(p − δ_b) − f*) + a_b·σ_b·ε,  ε ~ N(0, 1) per evaluation,
/// where p − δ_b shifts every numeric parameter by δ_b,k = A·sin(1.7·(b + 1) + 2.3·k) of its range (in log
/// space for log parameters; clamped to the box, integers rounded), so each backbone's optimum sits up to A
/// (--shift, default 0.12) of the range away from f's, in a different direction per parameter; categoricals are not shifted (the same
/// batch size / model family stays best). a_b = 0.6 + 0.2·b rescales, c_b = 0.03·b offsets, and the noise
/// σ_b = 0.002·(1 + b/2) (in f's units) grows with b. Regret is f(p − δ_b) − f* at the incumbent (the trial
/// with the best observed value), noiseless and in f's units, so it averages across backbones.
///
/// Schedule (--parallel P): backbones one after another, as when later backbones are started after earlier ones
/// have finished (the case issue 17 names: "later backbones start where earlier ones found good regions"); each
/// backbone asks P trials at once, evaluates and tells them, and repeats. Shared: each ask gets the earlier
/// backbones' trials (and, at P > 1, its own running ones as usual).
///
/// Schedule (default): interleaved like a study with max_parallel = the number of backbones: each round asks one trial per backbone (in
/// backbone order; a backbone sees the other backbones' trials finished in earlier rounds), then evaluates and
/// tells them all. Shared: each ask gets the other backbones' trials; independent: none. Both runs use
/// the same per-backbone seeds (seed·1000 + b), so a budget's first rounds are the same start-up points.
/// </summary>
internal static class MultiBackbone
{
    /// <summary>Backbones per study (--backbones, default 5).</summary>
    public static int Backbones { get; set; } = 5;

    public static readonly int[] Checkpoints = [3, 5, 10, 20];

    /// <summary>The first seed (--first-seed, default 0): seeds FirstSeed … FirstSeed + N − 1. Another range is a hold-out
    /// for a change to shared search, so the reported table (seeds 0–19) is not the one it was chosen on.</summary>
    public static int FirstSeed { get; set; }

    /// <summary>--parallel P: the sequential schedule with P asks at a time; 0 (default): interleaved rounds.</summary>
    public static int SequentialParallel { get; set; }

    /// <summary>A: the largest shift of a backbone's optimum, as a fraction of each parameter's range.</summary>
    public static double ShiftAmplitude { get; set; } = 0.12;

    public static void Run(int seeds, IReadOnlyList<string> samplers)
    {
        var functions = SuiteFunctions.All.Where(f => f.Name is "mixed_fine_tune" or "conditional_mixed").ToList();
        var schedule = SequentialParallel > 0 ? $"one backbone after another, {SequentialParallel} asks at a time" : "interleaved rounds";
        Console.WriteLine($"## Shared vs independent search over {Backbones} related backbones ({schedule}; shift A = {ShiftAmplitude:G3}): mean over backbones of final regret, mean ± SE over {seeds} seeds ({FirstSeed}–{FirstSeed + seeds - 1})");
        Console.WriteLine();
        // How related the backbones are: the regret a backbone has at another backbone's optimum (and at f's own).
        foreach (var function in functions)
        {
            var optimum = function.Name == "mixed_fine_tune" ? MixedFineTune.OptimumParams : ConditionalMixed.OptimumParams;
            var space = SearchSpace.FromJson(function.SpaceJson);
            var cross = new List<double>();
            for (var b = 0; b < Backbones; b++)
                for (var c = 0; c < Backbones; c++)
                    if (b != c) cross.Add(Regret(function, space, b, ShiftParams(space, c, optimum, +1)));
            var atCentre = Enumerable.Range(0, Backbones).Average(b => Regret(function, space, b, optimum));
            Console.WriteLine($"- {function.Name}: regret at another backbone's optimum {cross.Average():F4} on average (max {cross.Max():F4}); at the unshifted optimum {atCentre:F4}");
        }
        Console.WriteLine();
        Console.WriteLine("| function | sampler | search | " + string.Join(" | ", Checkpoints.Select(c => $"{c}/backbone")) + " | shared@10 ≤ independent@20 |");
        Console.WriteLine("|---|---|---|" + string.Join("", Checkpoints.Select(_ => "---|")) + "---|");
        foreach (var function in functions)
        {
            foreach (var samplerName in samplers)
            {
                var kind = SamplerSettings.ParseKind(samplerName);
                var results = new Dictionary<bool, double[][]>();
                foreach (var shared in new[] { false, true })
                {
                    var perSeed = new double[seeds][];
                    Parallel.For(0, seeds, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) },
                        seed => perSeed[seed] = Study(function, kind, FirstSeed + seed, shared, Checkpoints[^1]));
                    results[shared] = perSeed;
                    if (Environment.GetEnvironmentVariable("MB_DEBUG") is not null)
                        Console.WriteLine($"{function.Name} {samplerName} shared={shared} @10: " + string.Join(" ", perSeed.Select(r => r[Array.IndexOf(Checkpoints, 10)].ToString("F3", CultureInfo.InvariantCulture))));
                }
                foreach (var shared in new[] { false, true })
                {
                    var cells = Checkpoints.Select((c, i) => Cell(results[shared].Select(r => r[i]).ToArray()));
                    var verdict = shared
                        ? (results[true].Average(r => r[Array.IndexOf(Checkpoints, 10)]) <= results[false].Average(r => r[Array.IndexOf(Checkpoints, 20)]) ? "yes" : "no")
                        : "";
                    Console.WriteLine($"| {function.Name} | {samplerName} | {(shared ? "shared" : "independent")} | {string.Join(" | ", cells)} | {verdict} |");
                }
            }
        }
        Console.WriteLine();
    }

    private static string Cell(double[] v)
    {
        var mean = v.Average();
        var se = Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Sum() / Math.Max(1, v.Length - 1) / v.Length);
        return $"{mean.ToString("F5", CultureInfo.InvariantCulture)} ± {se.ToString("F5", CultureInfo.InvariantCulture)}";
    }

    /// <summary>Mean over backbones of the incumbent's regret after each checkpoint's number of trials per backbone.</summary>
    public static double[] Study(SuiteFunction function, SamplerKind kind, int seed, bool shared, int trialsPerBackbone)
    {
        var space = SearchSpace.FromJson(function.SpaceJson);
        var searches = Enumerable.Range(0, Backbones).Select(b => HyperparameterSearch.Create(new SearchSettings(space,
            Sampler: new SamplerSettings { Kind = kind, Tpe = BenchmarkRuns.Tpe, Gp = BenchmarkRuns.Gp }, Seed: seed * 1000L + b))).ToArray();
        var bestObserved = Enumerable.Repeat(double.PositiveInfinity, Backbones).ToArray();
        var incumbentRegret = new double[Backbones];
        var result = new double[Checkpoints.Length];
        if (SequentialParallel > 0)
        {
            for (var b = 0; b < Backbones; b++)
            {
                IReadOnlyList<IReadOnlyList<TrialRecord>>? related = shared
                    ? Enumerable.Range(0, b).Select(o => searches[o].Trials).ToList()
                    : null;
                for (var done = 0; done < trialsPerBackbone;)
                {
                    var batch = Enumerable.Range(0, Math.Min(SequentialParallel, trialsPerBackbone - done)).Select(_ => searches[b].Ask(related)).ToList();
                    foreach (var asked in batch)
                    {
                        var regret = Regret(function, space, b, asked.Params);
                        var observed = Observed(b, regret, seed, asked.Number);
                        searches[b].Tell(asked.Number, new TrialOutcome.Completed(observed));
                        if (observed < bestObserved[b]) (bestObserved[b], incumbentRegret[b]) = (observed, regret);
                        done++;
                        var checkpoint = Array.IndexOf(Checkpoints, done);
                        if (checkpoint >= 0) result[checkpoint] += incumbentRegret[b] / Backbones;
                    }
                }
            }
            return result;
        }
        for (var round = 0; round < trialsPerBackbone; round++)
        {
            var asked = new AskedTrial[Backbones];
            for (var b = 0; b < Backbones; b++)
            {
                IReadOnlyList<IReadOnlyList<TrialRecord>>? related = shared
                    ? Enumerable.Range(0, Backbones).Where(o => o != b).Select(o => searches[o].Trials).ToList()
                    : null;
                asked[b] = searches[b].Ask(related);
            }
            for (var b = 0; b < Backbones; b++)
            {
                var regret = Regret(function, space, b, asked[b].Params);
                var observed = Observed(b, regret, seed, round);
                searches[b].Tell(asked[b].Number, new TrialOutcome.Completed(observed));
                if (observed < bestObserved[b]) (bestObserved[b], incumbentRegret[b]) = (observed, regret);
            }
            var checkpoint = Array.IndexOf(Checkpoints, round + 1);
            if (checkpoint >= 0) result[checkpoint] = incumbentRegret.Average();
        }
        return result;
    }

    /// <summary>What backbone b's sampler is told: c_b + a_b·(regret + σ_b·ε), ε drawn from (seed, b, the trial's index).</summary>
    private static double Observed(int b, double regret, int seed, int index) =>
        0.03 * b + Scale(b) * (regret + NoiseSd(b) * Normal((ulong)seed, (ulong)b, (ulong)index));

    private static double Scale(int b) => 0.6 + 0.2 * b;

    private static double NoiseSd(int b) => 0.002 * (1 + b / 2.0);

    private static double Shift(int b, int k) => ShiftAmplitude * Math.Sin(1.7 * (b + 1) + 2.3 * k);

    /// <summary>f(p − δ_b) − f*.</summary>
    public static double Regret(SuiteFunction function, SearchSpace space, int b, IReadOnlyDictionary<string, object> p) =>
        function.Evaluate(ShiftParams(space, b, p, -1)) - function.KnownOptimum;

    /// <summary>p + sign·δ_b (numeric parameters only; clamped, integers rounded).</summary>
    private static Dictionary<string, object> ShiftParams(SearchSpace space, int b, IReadOnlyDictionary<string, object> p, int sign)
    {
        var shifted = new Dictionary<string, object>(p, StringComparer.Ordinal);
        for (var k = 0; k < space.Parameters.Count; k++)
        {
            var definition = space.Parameters[k];
            if (!p.TryGetValue(definition.Name, out var value)) continue;
            switch (definition.Distribution)
            {
                case FloatDistribution f when f.Low < f.High:
                    shifted[definition.Name] = ShiftNumber(Convert.ToDouble(value, CultureInfo.InvariantCulture), f.Low, f.High, f.Log, -sign * Shift(b, k));
                    break;
                case IntDistribution n when n.Low < n.High:
                    shifted[definition.Name] = (long)Math.Round(ShiftNumber(Convert.ToDouble(value, CultureInfo.InvariantCulture), n.Low, n.High, n.Log, -sign * Shift(b, k)));
                    break;
            }
        }
        return shifted;
    }

    private static double ShiftNumber(double x, double low, double high, bool log, double delta)
    {
        if (log) return Math.Exp(Math.Clamp(Math.Log(x) - delta * (Math.Log(high) - Math.Log(low)), Math.Log(low), Math.Log(high)));
        return Math.Clamp(x - delta * (high - low), low, high);
    }

    /// <summary>A standard normal draw from (seed, backbone, round): SplitMix64 then Box–Muller.</summary>
    private static double Normal(ulong seed, ulong b, ulong round)
    {
        static ulong Mix(ulong z)
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
        var h = Mix(Mix(Mix(seed) ^ b) ^ round);
        var u1 = ((h >> 11) + 1.0) / 9007199254740993.0;
        var u2 = (Mix(h) >> 11) / 9007199254740992.0;
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

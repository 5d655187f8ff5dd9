using SweepCluster.Search.Numerics;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Tpe;

/// <summary>
/// Tree-structured Parzen Estimator. Finished trials are ranked (complete by value, then pruned by how far
/// they got and their last value); the best gamma(n) form l(x), the rest — plus running trials, under the
/// constant-liar rule — form g(x). Candidates are drawn from l and the one maximising l/g is returned.
/// </summary>
public sealed class TpeSampler : ISampler
{
    private readonly TpeOptions _options;
    private readonly RandomSampler _startup;

    public TpeSampler(TpeOptions? options = null)
    {
        _options = options ?? new TpeOptions();
        _options.Validate();
        _startup = new RandomSampler(_options.QuasiRandomStartup);
        _outsideGroupOptions = _options.Multivariate && _options.UnivariateWidthsOutsideGroup ? _options with { Multivariate = false } : _options;
    }

    /// <summary>Options for parameters sampled one at a time (all of them, or those outside the joint group).</summary>
    private readonly TpeOptions _outsideGroupOptions;

    public Dictionary<string, double> Sample(SamplingContext context)
    {
        var finished = 0;
        foreach (var trial in context.Trials)
        {
            if (trial.State is TrialState.Complete or TrialState.Pruned) finished++;
        }
        // Shared search: other backbones' finished trials count towards the start-up too, so a backbone
        // whose siblings have explored starts modelling at once.
        var related = RelatedTasks.Usable(context.Space, context.Related);
        if (finished + RelatedTasks.FinishedCount(related) < _options.NStartupTrials) return _startup.Sample(context);

        var ranked = RankFinished(context.Trials, context.Direction);

        var assigned = new Dictionary<string, double>(StringComparer.Ordinal);
        var space = context.Space;
        if (_options.Multivariate)
        {
            // Single-point parameters take their value unmodelled (see SampleActive), so they stay out of the joint group.
            var group = space.Parameters.Where(p => !p.IsConditional && !p.Distribution.IsSingle).ToList();
            if (group.Count > 0)
            {
                var values = SampleGroup(group, ranked, related, context, _options);
                for (var d = 0; d < group.Count; d++) assigned[group[d].Name] = values[d];
            }
        }
        FillRemaining(context, ranked, assigned);
        return assigned;
    }

    /// <summary>
    /// Samples every active parameter not yet in <paramref name="assigned"/> one at a time (univariate TPE),
    /// in space order so that a conditional parameter sees its parent. The GP sampler uses it for the
    /// parameters its model leaves out.
    /// </summary>
    internal void FillRemaining(SamplingContext context, List<TrialRecord> ranked, Dictionary<string, double> assigned)
    {
        var space = context.Space;
        var related = RelatedTasks.Usable(space, context.Related);
        foreach (var definition in space.Parameters)
        {
            if (assigned.ContainsKey(definition.Name) || !space.IsActive(definition, assigned)) continue;
            // Optuna's Trial._suggest returns a single() distribution's value without asking the sampler:
            // its kernels would have zero width (a NaN density) and there is nothing to choose.
            assigned[definition.Name] = definition.Distribution.IsSingle
                ? definition.Distribution.SingleValue
                : SampleGroup([definition], ranked, related, context, _outsideGroupOptions)[0];
        }
    }

    /// <summary>Samples a group of parameters jointly from the trials that have all of them.</summary>
    /// <param name="related">
    /// Other tasks' usable finished trials (<see cref="RelatedTasks.Usable"/>). Each task is split into good and
    /// bad by its own gamma quantile (so offsets and scales between backbones do not matter), and its
    /// observations join l and g with weight w = 1 / (1 + n / SharedWeightScale) relative to this task's,
    /// n being this task's eligible finished trials: they lead while the task is new and fade as it learns.
    /// </param>
    private double[] SampleGroup(IReadOnlyList<ParamDefinition> group, List<TrialRecord> ranked, List<List<TrialRecord>> related,
        SamplingContext context, TpeOptions options)
    {
        // Every trial holds every unconditional parameter, so only conditional groups need the lookup.
        var anyConditional = group.Any(p => p.IsConditional);
        bool HasAll(TrialRecord t)
        {
            if (!anyConditional) return true;
            foreach (var p in group) if (!t.Params.ContainsKey(p.Name)) return false;
            return true;
        }

        // The best gamma(n) of the eligible finished trials form "below"; everything else eligible is "above".
        var isBelow = new bool[context.Trials.Count];
        var eligibleCount = 0;
        foreach (var t in ranked) if (HasAll(t)) eligibleCount++;
        var nBelow = _options.Gamma(eligibleCount);
        var taken = 0;
        for (var i = 0; i < ranked.Count && taken < nBelow; i++)
        {
            if (!HasAll(ranked[i])) continue;
            isBelow[ranked[i].Number] = true;
            taken++;
        }
        // Both groups in trial order (oldest first), which the weight ramp relies on; running trials join
        // "above" as the constant liar's worst values.
        var below = new List<TrialRecord>(nBelow);
        var above = new List<TrialRecord>(Math.Max(0, context.Trials.Count - nBelow));
        foreach (var t in context.Trials)
        {
            var counts = t.State is TrialState.Complete or TrialState.Pruned
                || (_options.ConstantLiar && t.State == TrialState.Running && t.Number != context.TrialNumber);
            if (!counts || !HasAll(t)) continue;
            if (isBelow[t.Number]) below.Add(t); else above.Add(t);
        }

        var distributions = new ParamDistribution[group.Count];
        for (var d = 0; d < group.Count; d++) distributions[d] = group[d].Distribution;
        double[]? belowWeights = null, aboveWeights = null;
        if (related.Count > 0)
        {
            // Other tasks first (they count as older observations under the weight ramp), then this task's.
            var sharedBelow = new List<TrialRecord>();
            var sharedAbove = new List<TrialRecord>();
            foreach (var task in related)
            {
                var eligible = task.Where(HasAll).ToList();
                var good = new HashSet<TrialRecord>(RankFinished(eligible, context.Direction).Take(_options.Gamma(eligible.Count)), ReferenceEqualityComparer.Instance);
                foreach (var t in eligible) (good.Contains(t) ? sharedBelow : sharedAbove).Add(t);
            }
            var w = 1.0 / (1.0 + eligibleCount / _options.SharedWeightScale);
            belowWeights = [.. Enumerable.Repeat(w, sharedBelow.Count), .. Enumerable.Repeat(1.0, below.Count)];
            aboveWeights = [.. Enumerable.Repeat(w, sharedAbove.Count), .. Enumerable.Repeat(1.0, above.Count)];
            sharedBelow.AddRange(below);
            sharedAbove.AddRange(above);
            below = sharedBelow;
            above = sharedAbove;
        }
        var l = new ParzenEstimator(distributions, Observations(group, below), options, belowWeights);
        var g = new ParzenEstimator(distributions, Observations(group, above), options, aboveWeights);

        var candidates = l.Sample(_options.EffectiveEiCandidates, context.Random);
        var logL = l.LogPdf(candidates);
        var logG = g.LogPdf(candidates);
        var best = 0;
        var bestScore = double.NegativeInfinity;
        for (var i = 0; i < candidates.Length; i++)
        {
            var score = logL[i] - logG[i];
            if (score > bestScore)
            {
                bestScore = score;
                best = i;
            }
        }
        return candidates[best];
    }

    private static List<double[]> Observations(IReadOnlyList<ParamDefinition> group, List<TrialRecord> trials)
    {
        var observations = new List<double[]>(group.Count);
        foreach (var p in group)
        {
            var values = new double[trials.Count];
            for (var i = 0; i < trials.Count; i++) values[i] = trials[i].Params[p.Name];
            observations.Add(values);
        }
        return observations;
    }

    /// <summary>
    /// Best first: complete trials by loss, then pruned trials by furthest step reached and then their loss
    /// at that step (a trial pruned late was more promising than one pruned early).
    /// </summary>
    internal static List<TrialRecord> RankFinished(IReadOnlyList<TrialRecord> trials, StudyDirection direction)
    {
        // Sort keys in parallel arrays: this runs once per ask over the whole history.
        // Keyed by position in the list (a search's own trials: position = number; another task's may be a subset).
        var keys = new RankKey[trials.Count];
        var count = 0;
        for (var index = 0; index < trials.Count; index++)
        {
            var t = trials[index];
            switch (t.State)
            {
                case TrialState.Complete:
                    keys[count++] = new RankKey(0, 0, NanLast(direction.AsLoss(t.Value ?? double.NaN)), index);
                    break;
                case TrialState.Pruned:
                    keys[count++] = t.LastReport is { } r
                        ? new RankKey(1, -r.Step, NanLast(direction.AsLoss(r.Value)), index)
                        : new RankKey(1, double.PositiveInfinity, double.PositiveInfinity, index);
                    break;
            }
        }
        Array.Sort(keys, 0, count);
        var ranked = new List<TrialRecord>(count);
        for (var i = 0; i < count; i++) ranked.Add(trials[keys[i].Number]);
        return ranked;
    }

    private readonly record struct RankKey(int Tier, double StepKey, double Loss, int Number) : IComparable<RankKey>
    {
        public int CompareTo(RankKey other)
        {
            var c = Tier.CompareTo(other.Tier);
            if (c != 0) return c;
            c = StepKey.CompareTo(other.StepKey);
            if (c != 0) return c;
            c = Loss.CompareTo(other.Loss);
            return c != 0 ? c : Number.CompareTo(other.Number);
        }
    }

    private static double NanLast(double loss) => double.IsNaN(loss) ? double.PositiveInfinity : loss;
}

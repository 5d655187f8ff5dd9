using SweepCluster.Search.Numerics;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Search.Tpe;

namespace SweepCluster.Search.Gp;

/// <summary>
/// Gaussian-process Bayesian optimisation. After <see cref="GpOptions.NStartupTrials"/> quasi-random trials, the
/// unconditional parameters are encoded into the unit cube (log scales in log space; integers and stepped floats
/// as cells of equal width, rounded to the grid before every evaluation; categoricals one-hot), an ARD Matérn-5/2
/// GP with a convex quadratic prior mean (<see cref="QuadraticMean"/>) is fitted by maximum a posteriori (<see cref="GpFitter"/>) to the standardised, Yeo–Johnson-warped losses
/// (<see cref="OutputWarping"/>; bench/Hpo/GP.md measures it), and the point
/// maximising log expected improvement over the best complete trial is returned. Log EI is maximised over
/// <see cref="GpOptions.RandomCandidates"/> uniform points, then the best few and the incumbent are refined
/// by a local (1+1) search whose step shrinks on failure.
///
/// As TPE ranks them: complete trials enter with their loss (±∞ clipped to the worst/best finite loss, or, where
/// all finite losses are one, −∞, that loss and +∞ as three levels); pruned
/// trials, which TPE ranks below every complete one, enter at the worst complete loss; failed trials are left
/// out; running trials enter at the worst complete loss too (the constant liar, TPE's rule), so parallel asks
/// spread out. A history whose losses are all one level (a constant objective, say) gives the GP nothing to fit:
/// the start-up point is asked instead, as it is while no complete trial holds every modelled parameter. Conditional
/// parameters: once the GP has chosen the unconditional ones, the active conditional parameters one level down are
/// chosen by a second GP fitted on the trials that hold them, after <see cref="GpOptions.ConditionalStartupTrials"/>
/// of those are complete (<see cref="GpOptions.ConditionalGp"/>); before that, and for deeper levels, univariate TPE
/// samples each from the trials that have it. When the second GP's best log EI in the chosen branch is below
/// <see cref="GpOptions.ExhaustedBranchLogEi"/>, the branch is taken as tuned and the first GP's best point in another
/// branch is asked instead.
/// Stateless between asks: everything is rebuilt from the history and the trial's seeded stream, so a
/// restored snapshot continues bit-identically.
/// </summary>
public sealed class GpSampler : ISampler
{
    private readonly GpOptions _options;
    private readonly RandomSampler _startup = new(quasiRandom: true);
    private readonly TpeSampler _fallback = new(new TpeOptions { NStartupTrials = 0 });

    public GpSampler(GpOptions? options = null)
    {
        _options = options ?? new GpOptions();
        _options.Validate();
    }

    /// <summary>The parameters the GP models: the unconditional ones that have more than one value.</summary>
    private static List<ParamDefinition> ModelledParameters(SearchSpace space) =>
        space.Parameters.Where(p => !p.IsConditional && !p.Distribution.IsSingle).ToList();

    /// <summary>
    /// Whether the second GP (<see cref="GpOptions.ConditionalGp"/>) models <paramref name="p"/>: a conditional parameter
    /// with more than one value whose parents are all modelled, i.e. one level below them.
    /// </summary>
    private static bool IsSecondGpParameter(SearchSpace space, ParamDefinition p) =>
        p.IsConditional && !p.Distribution.IsSingle && p.Conditions.All(c => !space[c.Parent].IsConditional && !space[c.Parent].Distribution.IsSingle);

    /// <summary>
    /// The conditional parameters (with more than one value) that neither GP models, so univariate TPE samples them:
    /// those under a conditional or single-valued parent. `sweep submit` names them in a note.
    /// </summary>
    public static IReadOnlyList<string> ParametersLeftToTpe(SearchSpace space) =>
        space.Parameters.Where(p => p.IsConditional && !p.Distribution.IsSingle && !IsSecondGpParameter(space, p)).Select(p => p.Name).ToList();

    /// <summary>
    /// The widest GP input the sampler fits for <paramref name="space"/>: one column per numeric parameter and one per
    /// choice of a categorical, over the modelled parameters and, for the second GP (<see cref="GpOptions.ConditionalGp"/>),
    /// the conditional parameters one level below them that can be active together (the widest branch). A fit costs
    /// O(n²·width + n³) per likelihood evaluation in n trials, so this is what makes a GP ask expensive on wide spaces.
    /// </summary>
    public static int EncodedWidth(SearchSpace space)
    {
        var group = ModelledParameters(space);
        var width = new UnitCubeEncoding(group).Width;
        var children = space.Parameters.Where(p => IsSecondGpParameter(space, p)).ToList();
        if (children.Count == 0) return width;
        var childWidths = children.Select(p => new UnitCubeEncoding([p]).Width).ToList();
        // A child is active when each parent it names holds one of its listed values, so only listed values can widen
        // the second GP: try every combination of them. Past a few thousand combinations, count every child (a bound).
        var parents = children.SelectMany(p => p.Conditions).GroupBy(c => c.Parent, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Values: g.SelectMany(c => c.Values).Select(v => space[g.Key].Distribution.ToInternal(v)).Distinct().ToList()))
            .ToList();
        var combinations = parents.Aggregate(1L, (product, p) => Math.Min(product * p.Values.Count, long.MaxValue / 1024));
        if (combinations > 4096) return width + childWidths.Sum();
        var widest = 0;
        var assigned = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var index = 0L; index < combinations; index++)
        {
            var rest = index;
            foreach (var (name, values) in parents)
            {
                assigned[name] = values[(int)(rest % values.Count)];
                rest /= values.Count;
            }
            var active = 0;
            for (var i = 0; i < children.Count; i++) if (space.IsActive(children[i], assigned)) active += childWidths[i];
            widest = Math.Max(widest, active);
        }
        return width + widest;
    }

    public Dictionary<string, double> Sample(SamplingContext context)
    {
        var finished = 0;
        var completed = 0;
        foreach (var trial in context.Trials)
        {
            if (trial.State is TrialState.Complete or TrialState.Pruned) finished++;
            if (trial.State == TrialState.Complete) completed++;
        }
        // Shared search: other backbones' finished trials count towards the start-up too.
        var related = RelatedTasks.Usable(context.Space, context.Related);
        var relatedCompleted = related.Sum(task => task.Count(t => t.State == TrialState.Complete));
        if (finished + RelatedTasks.FinishedCount(related) < _options.NStartupTrials || completed + relatedCompleted == 0)
            return _startup.Sample(context);

        var assigned = new Dictionary<string, double>(StringComparer.Ordinal);
        var group = ModelledParameters(context.Space);
        if (group.Count > 0)
        {
            var encoding = new UnitCubeEncoding(group);
            // Null when no complete trial holds every modelled parameter (adopted trials may lack some), or when
            // every loss the GP would see is at one level.
            if (Fit(encoding, context, related) is not { } firstGp) return _startup.Sample(context);
            var first = MaximizeLogEi(encoding, context, firstGp);
            for (var i = 0; i < group.Count; i++) assigned[group[i].Name] = first.Values[i];
            if (_options.ConditionalGp && SampleChildren(context, related, group, encoding, assigned) is { } branch
                && branch.LogEi < _options.ExhaustedBranchLogEi)
            {
                var chosenBranch = branch.ParentIndices.Select(i => first.Values[i]).ToArray();
                bool SameBranch(double[] u)
                {
                    for (var k = 0; k < branch.ParentIndices.Length; k++) if (u[branch.ParentIndices[k]] != chosenBranch[k]) return false;
                    return true;
                }
                if (MaximizeLogEi(encoding, context, firstGp, excluded: SameBranch) is var other && !double.IsNegativeInfinity(other.LogEi))
                {
                    assigned.Clear();
                    for (var i = 0; i < group.Count; i++) assigned[group[i].Name] = other.Values[i];
                    SampleChildren(context, related, group, encoding, assigned);
                }
            }
        }
        _fallback.FillRemaining(context, TpeSampler.RankFinished(context.Trials, context.Direction), assigned);
        return assigned;
    }

    /// <summary>
    /// The conditional parameters one level below the modelled ones (active, every parent modelled; conditional_mixed's
    /// <c>width</c> once <c>model</c> is <c>mlp</c>) are chosen by a second GP over the modelled parameters and them,
    /// fitted on the trials that hold all of them (the active set's own trials, and with sharing the other backbones'),
    /// with log EI against the best of those trials. The parents stay as the first GP chose them, those of inactive
    /// children too (the branch is the first GP's choice); every other modelled parameter is chosen again, by the GP
    /// that also sees the children. Until
    /// <see cref="GpOptions.ConditionalStartupTrials"/> of those trials are complete, the children are left to
    /// univariate TPE (the caller's <see cref="TpeSampler.FillRemaining"/>), as is everything deeper. Fills
    /// <paramref name="assigned"/>; leaves it as it is when the GP has nothing to fit.
    /// </summary>
    /// <returns>
    /// The second GP's best log EI and the positions in <paramref name="group"/> of the branch's parents, for the
    /// exhausted-branch rule; null when the second GP did not run or a parent is numeric (its branch is a range of
    /// values, not one).
    /// </returns>
    private (double LogEi, int[] ParentIndices)? SampleChildren(SamplingContext context, List<List<TrialRecord>> related, List<ParamDefinition> group,
        UnitCubeEncoding groupEncoding, Dictionary<string, double> assigned)
    {
        var space = context.Space;
        var children = space.Parameters.Where(p => IsSecondGpParameter(space, p) && space.IsActive(p, assigned)).ToList();
        if (children.Count == 0) return null;
        var full = group.Concat(children).ToList();
        var encoding = new UnitCubeEncoding(full);
        var complete = context.Trials.Concat(related.SelectMany(task => task))
            .Count(t => t.State == TrialState.Complete && encoding.ToPointOrNull(t.Params) is not null);
        if (complete < _options.ConditionalStartupTrials) return null;
        var parents = new HashSet<string>(children.SelectMany(p => p.Conditions.Select(c => c.Parent)), StringComparer.Ordinal);
        // Every modelled parent is kept, also one whose children are inactive here: changing it would change the branch,
        // which is the first GP's choice, and its newly active children would go to TPE.
        var anyParent = new HashSet<string>(space.Parameters.SelectMany(p => p.Conditions.Select(c => c.Parent)), StringComparer.Ordinal);
        var chosen = groupEncoding.ToPointOrNull(assigned)!;
        var fixedU = new double[full.Count];
        for (var i = 0; i < full.Count; i++) fixedU[i] = i < group.Count && anyParent.Contains(group[i].Name) ? chosen[i] : double.NaN;
        if (Optimize(encoding, context, related, fixedU) is not { } result) return null;
        for (var i = 0; i < full.Count; i++) assigned[full[i].Name] = result.Values[i];
        var parentIndices = Enumerable.Range(0, group.Count).Where(i => parents.Contains(group[i].Name)).ToArray();
        // Only categorical parents name a branch by value; a numeric parent's branch is a range.
        return parentIndices.All(i => group[i].Distribution is CategoricalDistribution) ? (result.LogEi, parentIndices) : null;
    }

    /// <summary>
    /// Shared search: a multi-task GP (<see cref="GaussianProcess"/>'s coregionalisation, ρ fitted) over this
    /// task's observations (task 0) and each related task's (tasks 1..), every task standardised on its own so
    /// that offsets and scales between backbones do not matter; log EI is for task 0 against its own best
    /// (the best standardised value of any task while task 0 has no complete trial).
    /// </summary>
    private (double[] Values, double LogEi)? Optimize(UnitCubeEncoding encoding, SamplingContext context, List<List<TrialRecord>> related,
        double[]? fixedU = null) =>
        Fit(encoding, context, related) is { } model ? MaximizeLogEi(encoding, context, model, fixedU) : null;

    /// <summary>A fitted GP with what log EI needs: the best observed value and the incumbent's point.</summary>
    private sealed record FittedGp(GaussianProcess Gp, int N, double Best, double[] IncumbentU);

    /// <summary>The GP of <see cref="Optimize"/>, fitted; null when there is nothing to fit.</summary>
    private FittedGp? Fit(UnitCubeEncoding encoding, SamplingContext context, List<List<TrialRecord>> related)
    {
        var xs = new List<double[]>();
        var points = new List<double[]>();
        var ys = new List<double>();
        var isComplete = new List<bool>();
        var isRunning = new List<bool>();
        var taskOf = new List<int>();
        AddTask(encoding, context.Trials, context, 0, points, xs, ys, isComplete, isRunning, taskOf);
        for (var k = 0; k < related.Count; k++) AddTask(encoding, related[k], context, k + 1, points, xs, ys, isComplete, isRunning, taskOf);
        if (!isComplete.Contains(true)) return null;
        var n = ys.Count;
        var y = ys.ToArray();
        // Every observation at one level (each task standardised to 0: a constant objective, ±∞ everywhere, pruned
        // and running trials at the only complete value) leaves the GP nothing to fit. Fitted anyway, its lengthscales
        // ran to their bounds, the posterior variance was flat to rounding, and log EI sent ask after ask to the same
        // corners of the cube. Null: the caller asks the start-up point instead.
        if (Array.TrueForAll(y, v => v == y[0])) return null;
        var x = xs.ToArray();
        var tasks = related.Count > 0 ? taskOf.ToArray() : null;
        var incumbent = -1;
        for (var i = 0; i < n; i++)
            if (isComplete[i] && taskOf[i] == 0 && (incumbent < 0 || y[i] < y[incumbent])) incumbent = i;
        if (incumbent < 0)
            for (var i = 0; i < n; i++)
                if (isComplete[i] && (incumbent < 0 || y[i] < y[incumbent])) incumbent = i;
        var best = y[incumbent];

        var hyperparameters = taskOf[incumbent] == 0
            ? GpFitter.Fit(x, y, encoding.Width, MaxFitEvaluations(n), tasks, _options.QuadraticMean)
            : FitWithoutOwnScale(encoding, x, y, isComplete, isRunning, taskOf, _options.QuadraticMean);
        return new FittedGp(new GaussianProcess(x, y, hyperparameters, tasks), n, best, points[incumbent]);
    }

    /// <summary>
    /// Shared search, for a backbone with no complete trial yet (it starts while its siblings have finished some,
    /// e.g. with max_parallel asks at once). Its pruned and running trials, all at one level, have no scale of their
    /// own: standardised alone they would all be 0, the siblings' mean. So the hyperparameters are fitted to the other
    /// backbones' trials, pruned ones go at the worst standardised value of any backbone (TPE ranks pruned below
    /// every complete trial), and running ones at the posterior mean there (the Kriging believer of Ginsbourger,
    /// Le Riche and Carraro 2010, instead of the constant liar, which needs the backbone's own worst value). A liar at
    /// the siblings' worst sent a new backbone's parallel asks away from the region the siblings had found good
    /// (BackboneServeTests measures it); the believer only lowers the variance where a trial is already running.
    /// Overwrites those entries of <paramref name="y"/>; returns the hyperparameters.
    /// </summary>
    private static GpHyperparameters FitWithoutOwnScale(UnitCubeEncoding encoding, double[][] x, double[] y, List<bool> isComplete, List<bool> isRunning, List<int> taskOf, bool quadraticMean)
    {
        var others = Enumerable.Range(0, y.Length).Where(i => taskOf[i] != 0).ToArray();
        var xOthers = others.Select(i => x[i]).ToArray();
        var yOthers = others.Select(i => y[i]).ToArray();
        var tasksOthers = others.Select(i => taskOf[i]).ToArray();
        var hyperparameters = GpFitter.Fit(xOthers, yOthers, encoding.Width, MaxFitEvaluations(others.Length), tasksOthers, quadraticMean);
        var siblings = new GaussianProcess(xOthers, yOthers, hyperparameters, tasksOthers);
        var worst = others.Where(i => isComplete[i]).Max(i => y[i]);
        var scratch = new double[others.Length];
        for (var i = 0; i < y.Length; i++)
        {
            if (taskOf[i] != 0) continue;
            y[i] = isRunning[i] ? siblings.Predict(x[i], scratch).Mean : worst;
        }
        return hyperparameters;
    }

    /// <summary>
    /// Adds one task's observations, standardised by that task's own mean and spread: complete trials by loss;
    /// pruned trials and (for task 0) running ones under the constant liar at the task's worst complete loss.
    /// </summary>
    private void AddTask(UnitCubeEncoding encoding, IReadOnlyList<TrialRecord> trials, SamplingContext context, int task,
        List<double[]> points, List<double[]> xs, List<double> ys, List<bool> isComplete, List<bool> isRunning, List<int> taskOf)
    {
        var first = ys.Count;
        double worst = double.NegativeInfinity, bestFinite = double.PositiveInfinity;
        var anyPositiveInfinity = false;
        foreach (var t in trials)
        {
            if (t.State != TrialState.Complete || t.Value is not double v) continue;
            var loss = context.Direction.AsLoss(v);
            if (double.IsFinite(loss)) { worst = Math.Max(worst, loss); bestFinite = Math.Min(bestFinite, loss); }
            else if (double.IsPositiveInfinity(loss)) anyPositiveInfinity = true;
        }
        if (double.IsNegativeInfinity(worst)) { worst = 1; bestFinite = 0; } // only infinite losses: any two levels will do
        // One finite level: clipped to it, a trial at −∞ (the best loss there is) or +∞ (a diverged one) was that level
        // too, and the GP could not tell them apart (it saw a constant). The task is standardised on its own, so offset
        // and scale do not matter: the levels −1 (−∞), 0 (the finite loss) and 1 (+∞) stand for them, and pruned and
        // running trials take the worst complete one, as they always do. Two finite levels or more: unchanged.
        var level = worst == bestFinite ? worst : double.NaN;
        if (!double.IsNaN(level)) (bestFinite, worst) = (-1, anyPositiveInfinity ? 1 : 0);
        foreach (var t in trials)
        {
            double loss;
            switch (t.State)
            {
                case TrialState.Complete:
                    loss = context.Direction.AsLoss(t.Value ?? double.NaN);
                    if (!double.IsNaN(level) && !double.IsNaN(loss)) loss = Math.Sign(loss - level); // Sign throws on NaN
                    loss = double.IsNaN(loss) ? worst : Math.Clamp(loss, bestFinite, worst);
                    break;
                case TrialState.Pruned:
                    loss = worst;
                    break;
                case TrialState.Running when task == 0 && _options.ConstantLiar && t.Number != context.TrialNumber:
                    loss = worst;
                    break;
                default:
                    continue;
            }
            var point = encoding.ToPointOrNull(t.Params);
            if (point is null) continue;
            var features = new double[encoding.Width];
            encoding.Features(point, features);
            points.Add(point);
            xs.Add(features);
            ys.Add(loss);
            isComplete.Add(t.State == TrialState.Complete);
            isRunning.Add(t.State == TrialState.Running);
            taskOf.Add(task);
        }
        var n = ys.Count - first;
        if (n == 0) return;
        ScaleExtremeLosses(ys, first, n);
        // Each task is standardised on its own (and warped, by default), by the one rule OutputWarping uses.
        var own = ys.GetRange(first, n).ToArray();
        if (_options.OutputWarping) OutputWarping.Apply(own);
        else OutputWarping.Standardise(own);
        for (var i = 0; i < n; i++) ys[first + i] = own[i];
    }

    /// <summary>
    /// Losses too large or too small for a standardisation's sum of squares (beyond 2^±500, about 3e±150: the
    /// squares of 1e155 overflow to ∞, those of 1e-160 underflow to 0) are first multiplied by a power of two
    /// that brings the largest magnitude into [1, 2). Standardising is invariant to scale, and a power of two is
    /// exact, so they are modelled as the same losses divided by a constant would be; ordinary losses are
    /// left bit-for-bit as they were. Without this, losses near ±1.8e308 made the mean infinite and the fit NaN,
    /// and a loss above ~1e154 made the spread infinite, every standardised loss 0 and the model flat.
    /// </summary>
    internal static void ScaleExtremeLosses(List<double> ys, int first, int n)
    {
        const double largest = 3.2733906078961419e150, smallest = 3.0549363634996047e-151; // 2^500, 2^-500
        double max = 0;
        for (var i = first; i < first + n; i++) max = Math.Max(max, Math.Abs(ys[i]));
        if (max <= largest && (max >= smallest || max == 0)) return;
        var exponent = -Math.ILogB(max);
        for (var i = first; i < first + n; i++) ys[i] = Math.ScaleB(ys[i], exponent);
    }

    private (double[] Values, double LogEi) MaximizeLogEi(UnitCubeEncoding encoding, SamplingContext context, FittedGp model,
        double[]? fixedU = null, Func<double[], bool>? excluded = null)
    {
        var (gp, n, best, incumbentU) = model;
        // The conditional GP keeps the parents as chosen: every candidate gets them back (a step that moved only a
        // fixed coordinate is then no step, a small waste).
        double[] Fix(double[] u)
        {
            if (fixedU is null) return u;
            for (var i = 0; i < u.Length; i++) if (!double.IsNaN(fixedU[i])) u[i] = fixedU[i];
            return u;
        }
        incumbentU = Fix((double[])incumbentU.Clone());
        var scratch = new double[n];
        var candidateFeatures = new double[encoding.Width];
        double Score(double[] u)
        {
            if (excluded is not null && excluded(u)) return double.NegativeInfinity;
            encoding.Features(u, candidateFeatures);
            var (mu, var) = gp.Predict(candidateFeatures, scratch);
            return LogExpectedImprovement.Evaluate(mu, Math.Sqrt(var), best);
        }

        var random = context.Random;
        var starts = new List<(double Score, double[] U)>();
        for (var c = 0; c < _options.RandomCandidates; c++)
        {
            var u = Fix(encoding.RandomPoint(random));
            starts.Add((Score(u), u));
        }
        // Stable order: by score, ties by draw order (List.Sort is unstable, so sort indices explicitly).
        var order = Enumerable.Range(0, starts.Count).OrderByDescending(i => starts[i].Score).ThenBy(i => i).ToList();
        var refine = order.Take(_options.LocalStarts).Select(i => starts[i]).ToList();
        refine.Add((Score(incumbentU), incumbentU));

        var (bestScore, bestU) = starts[order[0]];
        foreach (var (startScore, startU) in refine)
        {
            var (score, u) = (startScore, startU);
            var step = 0.1;
            for (var s = 0; s < _options.LocalSteps; s++)
            {
                var candidate = Fix(encoding.Perturb(u, step, random));
                var candidateScore = Score(candidate);
                if (candidateScore > score)
                {
                    (score, u) = (candidateScore, candidate);
                    step = Math.Min(step * 1.5, 0.3);
                }
                else
                {
                    step = Math.Max(step * 0.7, 1e-4);
                }
            }
            if (score > bestScore) (bestScore, bestU) = (score, u);
        }
        return (encoding.Decode(bestU), bestScore);
    }

    /// <summary>
    /// L-BFGS evaluations for the hyperparameter fit: each costs O(n³), so fewer as the history grows, which
    /// keeps an ask under 100 ms at 200 trials (bench/Hpo scaling).
    /// </summary>
    private static int MaxFitEvaluations(int n) => n <= 50 ? 60 : n <= 100 ? 30 : n <= 150 ? 20 : 12;
}

/// <summary>
/// The unit-cube encoding of a group of unconditional parameters. A point u holds one number per parameter:
/// u ∈ [0, 1] for numbers (log scale for log parameters; integers and stepped floats span [low − step/2,
/// high + step/2] so every grid value gets an equal cell), the choice index for categoricals. Features (GP inputs)
/// are u snapped to the grid for numbers and one-hot columns for categoricals.
/// </summary>
internal sealed class UnitCubeEncoding
{
    private readonly IReadOnlyList<ParamDefinition> _group;
    private readonly double[] _low, _high;
    private readonly bool[] _log;
    private readonly int[] _offsets;

    public int Width { get; }

    public UnitCubeEncoding(IReadOnlyList<ParamDefinition> group)
    {
        _group = group;
        _low = new double[group.Count];
        _high = new double[group.Count];
        _log = new bool[group.Count];
        _offsets = new int[group.Count];
        var width = 0;
        for (var i = 0; i < group.Count; i++)
        {
            _offsets[i] = width;
            switch (group[i].Distribution)
            {
                case CategoricalDistribution c:
                    width += c.Choices.Count;
                    continue;
                case FloatDistribution { Log: true } f:
                    (_low[i], _high[i], _log[i]) = (Math.Log(f.Low), Math.Log(f.High), true);
                    break;
                case FloatDistribution { Step: double step } f:
                    (_low[i], _high[i]) = (f.Low - step / 2, f.High + step / 2);
                    break;
                case FloatDistribution f:
                    (_low[i], _high[i]) = (f.Low, f.High);
                    break;
                case IntDistribution { Log: true } n:
                    (_low[i], _high[i], _log[i]) = (Math.Log(n.Low - 0.5), Math.Log(n.High + 0.5), true);
                    break;
                case IntDistribution n:
                    (_low[i], _high[i]) = (n.Low - n.Step / 2.0, n.High + n.Step / 2.0);
                    break;
                default:
                    throw new NotSupportedException(group[i].Distribution.GetType().Name);
            }
            width++;
        }
        Width = width;
    }

    private bool IsCategorical(int i) => _group[i].Distribution is CategoricalDistribution;

    /// <summary>The point of a trial's internal values, or null when it lacks one of the group.</summary>
    public double[]? ToPointOrNull(IReadOnlyDictionary<string, double> values)
    {
        var u = new double[_group.Count];
        for (var i = 0; i < _group.Count; i++)
        {
            if (!values.TryGetValue(_group[i].Name, out var v)) return null;
            u[i] = IsCategorical(i) ? v : Math.Clamp(((_log[i] ? Math.Log(v) : v) - _low[i]) / (_high[i] - _low[i]), 0, 1);
        }
        return u;
    }


    /// <summary>Internal values of a point, snapped to each parameter's grid.</summary>
    public double[] Decode(double[] u)
    {
        var values = new double[_group.Count];
        for (var i = 0; i < _group.Count; i++) values[i] = DecodeOne(i, u[i]);
        return values;
    }

    private double DecodeOne(int i, double u)
    {
        if (IsCategorical(i)) return u;
        var raw = _low[i] + Math.Clamp(u, 0, 1) * (_high[i] - _low[i]);
        if (_log[i]) raw = Math.Exp(raw);
        return _group[i].Distribution switch
        {
            FloatDistribution f => f.Snap(raw),
            IntDistribution n => n.Snap(raw),
            _ => raw,
        };
    }

    /// <summary>Features of a point: numbers snapped to their grid and re-encoded, categoricals one-hot.</summary>
    public void Features(double[] u, Span<double> features)
    {
        features.Clear();
        for (var i = 0; i < _group.Count; i++)
        {
            if (IsCategorical(i))
            {
                features[_offsets[i] + (int)u[i]] = 1;
                continue;
            }
            var value = DecodeOne(i, u[i]);
            features[_offsets[i]] = Math.Clamp(((_log[i] ? Math.Log(value) : value) - _low[i]) / (_high[i] - _low[i]), 0, 1);
        }
    }

    public double[] RandomPoint(SeededRandom random)
    {
        var u = new double[_group.Count];
        for (var i = 0; i < _group.Count; i++)
            u[i] = _group[i].Distribution is CategoricalDistribution c ? random.NextInt(c.Choices.Count) : random.NextDouble();
        return u;
    }

    /// <summary>A Gaussian step of width <paramref name="step"/> on a random subset of the numbers; a chosen categorical is re-drawn.</summary>
    public double[] Perturb(double[] u, double step, SeededRandom random)
    {
        // Each coordinate moves with probability min(1, 2/d) (at least one moves): in many dimensions a step in
        // all of them at once almost never improves, while steps along a few do.
        var result = (double[])u.Clone();
        var d = _group.Count;
        var forced = random.NextInt(d);
        for (var i = 0; i < d; i++)
        {
            if (i != forced && random.NextDouble() * d >= 2) continue;
            result[i] = _group[i].Distribution is CategoricalDistribution c
                ? random.NextInt(c.Choices.Count)
                : Math.Clamp(u[i] + step * NormalDraw(random), 0, 1);
        }
        return result;
    }

    private static double NormalDraw(SeededRandom random) =>
        Math.Sqrt(-2 * Math.Log(random.NextOpenDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

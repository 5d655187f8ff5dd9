using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Synthetic;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Worker.Simulation;

/// <summary>
/// One trial's learning curve: SUITE.md §5's formula at the trial's inputs, with its asymptote shifted by
/// the backbone and by any parameters beyond lr/reg/momentum. A pure function of (study seed, backbone,
/// trial number, parameters), so a re-leased trial reports the very same values on any worker.
/// </summary>
internal readonly record struct SimulatedCurve(
    string Family, CurveInputs Inputs, double AsymptoteShift, ulong Seed, ulong TrialIndex, bool ReportOneMinusLoss)
{
    public const double MaxBackboneOffset = 0.03;

    public static SimulatedCurve For(TrialAssignment assignment, StudySpec spec)
    {
        var family = spec.Workload.CurveFamily;
        var mapping = CurveInputMapping.For(spec.Backbone(assignment.Backbone).Space);
        var (inputs, parameterShift) = mapping.Map(assignment.Params, LearningCurves.OptimumInputs(family));
        return new SimulatedCurve(family, inputs, parameterShift + BackboneOffset(assignment.Backbone),
            unchecked((ulong)spec.Seed), TrialIndex: NoiseTrialIndex(assignment.Backbone, assignment.Number),
            ReportOneMinusLoss: spec.Objective.Direction == StudyDirection.Maximize);
    }

    /// <summary>
    /// The value reported at step t (1-based). The curves are losses; a study that maximises its metric
    /// (e.g. f1) is given 1 − loss, so better parameters still score higher.
    /// </summary>
    public double ValueAt(int step) => ValueAt(0, 1, step);

    /// <summary>The value reported at step t (1-based) of fold <paramref name="fold"/> (0-based) of <paramref name="folds"/>.</summary>
    public double ValueAt(int fold, int folds, int step)
    {
        var loss = LearningCurves.Observed(Family, Inputs.Lr, Inputs.Reg, Inputs.Momentum, Seed, TrialIndex, step, fold, folds) + AsymptoteShift;
        return ReportOneMinusLoss ? 1 - loss : loss;
    }

    /// <summary>How much worse this backbone's asymptote is: 0 to <see cref="MaxBackboneOffset"/>, from its name.</summary>
    public static double BackboneOffset(string backbone) => MaxBackboneOffset * StableHash.ToUnit(StableHash.Of(backbone));

    /// <summary>The trial's index in the noise stream (SUITE's i): backbones draw disjoint noise for the same trial number.</summary>
    public static ulong NoiseTrialIndex(string backbone, int number) => (StableHash.Of(backbone) << 32) | (uint)number;
}

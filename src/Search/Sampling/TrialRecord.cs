namespace SweepCluster.Search.Sampling;

/// <summary>
/// One trial in a search's history. Params hold internal values (see ParamDistribution): the value itself
/// for numbers, the choice index for categoricals. Only parameters that were active are present.
/// </summary>
public sealed class TrialRecord
{
    public required int Number { get; init; }
    public TrialState State { get; internal set; } = TrialState.Running;
    public required IReadOnlyDictionary<string, double> Params { get; init; }
    public double? Value { get; internal set; }
    /// <summary>
    /// Reports keyed by stored step (<see cref="ReportPosition.Step"/>), in step order; read positions with
    /// <see cref="ReportPosition.FromStep"/>. Read-only: reports reach a trial through its search
    /// (<see cref="HyperparameterSearch.Report"/>, <see cref="HyperparameterSearch.Tell"/>, <see cref="HyperparameterSearch.Adopt"/>).
    /// </summary>
    public IReadOnlyDictionary<int, double> IntermediateValues => Reports;

    /// <summary>The reports themselves, for the search (and tests that build histories by hand).</summary>
    internal SortedDictionary<int, double> Reports { get; init; } = new();
    public string? Error { get; internal set; }

    public bool IsFinished => State.IsFinished();

    /// <summary>The last reported step and its value, or null when nothing was reported.</summary>
    public (int Step, double Value)? LastReport =>
        Reports.Count == 0 ? null : (Reports.Keys.Last(), Reports.Values.Last());

    /// <summary>The position of the last report, or null when nothing was reported.</summary>
    public ReportPosition? LastPosition => LastReport is { } last ? ReportPosition.FromStep(last.Step) : null;

    /// <summary>The reports of one fold in epoch order (empty when the trial never reached it).</summary>
    public IEnumerable<(int Epoch, double Value)> ReportsInFold(int fold)
    {
        var low = fold * ReportPosition.StepsPerFold;
        // A SortedDictionary has no range view; trials report at most a few hundred values, so a scan is cheap.
        foreach (var (step, value) in IntermediateValues)
        {
            if (step < low) continue;
            if (step >= low + ReportPosition.StepsPerFold) yield break;
            yield return (step - low, value);
        }
    }

    /// <summary>The value reported at <paramref name="position"/>, if any.</summary>
    public bool TryGetValue(ReportPosition position, out double value) => Reports.TryGetValue(position.Step, out value);
}

using System.Globalization;
using System.Text;

namespace SweepCluster.Training.Ensembles;

/// <summary>
/// The ensemble's result as a plain-text table, the same in the worker's log and in `sweep up --until-done`:
/// the members (fine-tuned or classic) with their weights, dropped ones marked, the thresholds, every
/// scored row, and the bootstrap comparison with the best member.
/// </summary>
public static class EnsembleTable
{
    public static string Format(EnsembleReport report)
    {
        string F(double v) => double.IsNaN(v) ? "-" : v.ToString("0.0000", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"  {"member",-32} {"kind",-11} {"weight",8}\n");
        foreach (var name in report.MemberModels.Keys.Order(StringComparer.Ordinal))
        {
            var kind = report.MemberKinds.GetValueOrDefault(name, "fine-tuned");
            var weight = report.Weights.TryGetValue(name, out var w) ? F(w) : "0 (dropped)";
            sb.Append(CultureInfo.InvariantCulture, $"  {name,-32} {kind,-11} {weight,8}\n");
        }
        sb.Append("  thresholds: ").Append(report.Thresholds.Count == 0 ? "arg max" : string.Join(", ", report.Thresholds.Select(F))).Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"  {"scored on " + report.HeldOutRows + " held-out rows",-44} {report.Metric}\n");
        foreach (var row in report.Rows)
            sb.Append(CultureInfo.InvariantCulture, $"  {row.Name,-44} {F(row.Metrics.GetValueOrDefault(report.Metric, double.NaN))}\n");
        foreach (var c in report.Comparison) sb.Append("  ").Append(Ensembler.Describe(c)).Append('\n');
        return sb.ToString().TrimEnd('\n');
    }
}

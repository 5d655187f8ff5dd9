using System.Globalization;
using System.Text;
using SweepCluster.Training.Data;

namespace SweepCluster.Bench.Ensemble;

/// <summary>The benchmark's datasets (../shared/data) and splits, and its probability files.</summary>
public static class BenchData
{
    /// <summary>Rows used from each dataset: all 2,250 of extremism; a fixed stratified 1,200 of Davidson's 24,783 (what 2 cores allow).</summary>
    public static int Rows(string name) => name == "davidson" ? 1200 : 2250;

    public static (LabelledDataset Dataset, HashSet<int> Subset) Load(string name)
    {
        var spec = name switch
        {
            "extremism" => new DataSettings
            {
                Train = Shared("data/extremism/train.csv"), TextColumn = "Original_Message", LabelColumns = ["Extremism_Label"],
                LabelMap = new Dictionary<string, int> { ["NON_EXTREMIST"] = 0, ["EXTREMIST"] = 1 }, IdColumn = "ID",
            },
            // Davidson et al. 2017: 0 hate speech, 1 offensive, 2 neither.
            "davidson" => new DataSettings { Train = Shared("data/davidson-hate-speech/labeled_data.csv"), TextColumn = "tweet", LabelColumns = ["class"] },
            _ => throw new ArgumentException($"unknown dataset '{name}' (extremism, davidson)"),
        };
        var dataset = LabelledDataset.Load(spec);
        var wanted = Rows(name);
        if (dataset.Count <= wanted) return (dataset, Enumerable.Range(0, dataset.Count).ToHashSet());
        // A fixed stratified subset (seed 0): the same rows for every split seed.
        var subset = DataSplits.Stratified(dataset.Strata(), 1.0 - (double)wanted / dataset.Count, 2, 0).Folds.SelectMany(f => f.Validation).ToHashSet();
        return (dataset, subset);
    }

    /// <summary>The product's stratified split of the subset: 20% held out, <paramref name="folds"/> folds over the rest.</summary>
    public static DataSplits Split(LabelledDataset dataset, HashSet<int> subset, int folds, int seed)
    {
        var rows = subset.Order().ToArray();
        var strata = dataset.Strata();
        var splits = DataSplits.Stratified(rows.Select(r => strata[r]).ToArray(), 0.2, folds, seed);
        int[] Map(int[] indices) => indices.Select(i => rows[i]).ToArray();
        return new DataSplits(Map(splits.HeldOut), splits.Folds.Select(f => new Fold(Map(f.Train), Map(f.Validation))).ToList());
    }

    public static void Write(string path, IEnumerable<KeyValuePair<int, double[]>> probabilities)
    {
        var text = new StringBuilder();
        foreach (var (row, p) in probabilities.OrderBy(p => p.Key))
            text.Append(row.ToString(CultureInfo.InvariantCulture)).Append(',').AppendJoin(',', p.Select(v => v.ToString("R", CultureInfo.InvariantCulture))).Append('\n');
        File.WriteAllText(path, text.ToString());
    }

    public static Dictionary<int, double[]> Read(string path) => File.ReadLines(path).Select(l => l.Split(','))
        .ToDictionary(f => int.Parse(f[0], CultureInfo.InvariantCulture), f => f.Skip(1).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());

    public static string Shared(string relative)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (Path.Combine(dir.FullName, "shared", relative) is var path && (File.Exists(path) || Directory.Exists(path))) return path;
        throw new FileNotFoundException($"shared/{relative} not found above {Directory.GetCurrentDirectory()}");
    }
}

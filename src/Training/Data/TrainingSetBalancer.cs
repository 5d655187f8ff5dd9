using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Data;

/// <summary>The rows one fold trains on after balancing: their token ids and targets (augmented rows appended after the dataset's).</summary>
public sealed record BalancedTrainingSet(TokenizedRows Rows, TrainingTargets Targets, int[] Train);

/// <summary>
/// Balances a fold's training rows by stratum (the class; for multi-label the rarest positive label):
/// undersample every stratum down to the smallest, oversample (draw with replacement) up to the largest,
/// or augment the smaller strata up to the largest with new texts (<see cref="TextAugmenter"/>). Only the
/// training indices it is given are touched, so validation and held-out rows never are.
/// </summary>
public sealed class TrainingSetBalancer(Balancing mode, LabelledDataset dataset, TokenizedRows rows, Func<string, long[]> encode, TextAugmenter? augmenter)
{
    public Balancing Mode => mode;

    public BalancedTrainingSet Apply(int[] train, int seed)
    {
        if (mode == Balancing.None) return new BalancedTrainingSet(rows, dataset.Targets, train);
        if (mode == Balancing.Augment && augmenter is null) throw new InvalidOperationException("augment balancing needs a synonym source");
        var random = new Random(seed);
        var strata = dataset.Strata();
        var groups = train.GroupBy(i => strata[i]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToList();
        if (groups.Count < 2) return new BalancedTrainingSet(rows, dataset.Targets, train);
        switch (mode)
        {
            case Balancing.Undersample:
            {
                var smallest = groups.Min(g => g.Length);
                return new BalancedTrainingSet(rows, dataset.Targets, groups.SelectMany(g => g.OrderBy(_ => random.Next()).Take(smallest)).Order().ToArray());
            }
            case Balancing.Oversample:
            {
                var largest = groups.Max(g => g.Length);
                var drawn = groups.SelectMany(g => g.Concat(Enumerable.Range(0, largest - g.Length).Select(_ => g[random.Next(g.Length)])));
                return new BalancedTrainingSet(rows, dataset.Targets, drawn.ToArray());
            }
            default:
                return Augmented(groups, train, random);
        }
    }

    private BalancedTrainingSet Augmented(List<int[]> groups, int[] train, Random random)
    {
        var largest = groups.Max(g => g.Length);
        var ids = new List<long[]>(rows.Ids);
        var sources = new List<int>();
        foreach (var group in groups)
        {
            for (var n = group.Length; n < largest; n++)
            {
                var source = group[random.Next(group.Length)];
                ids.Add(encode(augmenter!.Augment(dataset.Texts[source], random)));
                sources.Add(source);
            }
        }
        var targets = dataset.Targets switch
        {
            TrainingTargets.SingleLabel single => (TrainingTargets)new TrainingTargets.SingleLabel([.. single.Classes, .. sources.Select(s => single.Classes[s])], single.ClassCount),
            TrainingTargets.MultiLabel multi => new TrainingTargets.MultiLabel([.. multi.Labels, .. sources.Select(s => multi.Labels[s])]),
            _ => throw new InvalidOperationException("unknown targets"),
        };
        var added = Enumerable.Range(rows.Ids.Count, sources.Count);
        return new BalancedTrainingSet(new TokenizedRows(ids, rows.PadTokenId), targets, [.. train, .. added]);
    }
}

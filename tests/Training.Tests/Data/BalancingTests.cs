using SweepCluster.Training.Data;
using SweepCluster.Training.FineTuning;
using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Tests.Data;

/// <summary>Balancing of a fold's training rows on the real extremism data (1,139 EXTREMIST : 1,110 NON_EXTREMIST, made skewed here).</summary>
public sealed class BalancingTests
{
    private static readonly Lazy<WordNetSynonyms> WordNet = new(() => WordNetSynonyms.Load());

    /// <summary>The extremism rows with most NON_EXTREMIST rows dropped from training, so balancing has work to do.</summary>
    private static (LabelledDataset Data, TokenizedRows Rows, Fold Fold) Skewed()
    {
        var data = ExtremismData.Dataset;
        var fold = DataSplits.Stratified(data.Strata(), 0.2, 2, seed: 1).Folds[0];
        var skewedTrain = fold.Train.Where((row, i) => data.Classes[row] == 1 || i % 4 == 0).ToArray();
        var rows = new TokenizedRows(data.Texts.Select(t => t.Split(' ').Select(w => (long)(w.Length + 3)).Prepend(1).ToArray()).ToList(), 0);
        return (data, rows, fold with { Train = skewedTrain });
    }

    private static Dictionary<int, int> CountByClass(BalancedTrainingSet set) =>
        set.Train.GroupBy(i => ((TrainingTargets.SingleLabel)set.Targets).Classes[i]).ToDictionary(g => g.Key, g => g.Count());

    [Theory]
    [InlineData(Balancing.Undersample)]
    [InlineData(Balancing.Oversample)]
    [InlineData(Balancing.Augment)]
    public void Each_mode_evens_the_classes_and_never_touches_validation_or_held_out_rows(Balancing mode)
    {
        var (data, rows, fold) = Skewed();
        var balancer = new TrainingSetBalancer(mode, data, rows, t => [1, .. t.Split(' ').Select(w => (long)(w.Length + 3))], new TextAugmenter(WordNet.Value));
        var before = fold.Train.GroupBy(i => data.Classes[i]).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(before[1] > 2 * before[0]);

        var set = balancer.Apply(fold.Train, seed: 4);
        var after = CountByClass(set);
        Assert.Equal(after[0], after[1]);
        Assert.Equal(mode == Balancing.Undersample ? before[0] : before[1], after[0]);
        var original = set.Train.Where(i => i < data.Count).ToHashSet();
        Assert.Empty(original.Intersect(fold.Validation));
        Assert.Subset(fold.Train.ToHashSet(), original);
        if (mode == Balancing.Augment)
        {
            Assert.Equal(data.Count + before[1] - before[0], set.Rows.Ids.Count);
            Assert.All(set.Train.Where(i => i >= data.Count), i => Assert.Equal(0, ((TrainingTargets.SingleLabel)set.Targets).Classes[i]));
        }
        else
        {
            Assert.Same(rows, set.Rows);
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_rows()
    {
        var (data, rows, fold) = Skewed();
        var balancer = new TrainingSetBalancer(Balancing.Oversample, data, rows, _ => [1], null);
        Assert.Equal(balancer.Apply(fold.Train, 9).Train, balancer.Apply(fold.Train, 9).Train);
        Assert.NotEqual(balancer.Apply(fold.Train, 9).Train, balancer.Apply(fold.Train, 10).Train);
    }

    [Fact]
    public void WordNet_gives_single_word_synonyms_from_shared_synsets()
    {
        Assert.Contains("glad", WordNet.Value.SynonymsOf("happy"));
        Assert.Contains("car", WordNet.Value.SynonymsOf("automobile"));
        Assert.DoesNotContain("happy", WordNet.Value.SynonymsOf("happy"));
        Assert.Empty(WordNet.Value.SynonymsOf("qwertyuiop"));
        Assert.True(WordNet.Value.WordCount > 30_000, $"{WordNet.Value.WordCount} words");
    }

    [Fact]
    public void Augmentation_replaces_a_word_with_a_synonym_and_keeps_the_words()
    {
        var augmenter = new TextAugmenter(WordNet.Value, swapFraction: 0);
        var text = "the quick brown fox jumps over the lazy dog";
        var augmented = augmenter.Augment(text, new Random(1));
        Assert.NotEqual(text, augmented);
        Assert.Equal(text.Split(' ').Length, augmented.Split(' ').Length);
        Assert.Equal(augmented, augmenter.Augment(text, new Random(1)));
    }

    [Fact]
    public void Missing_wordnet_data_names_the_files_and_the_alternatives()
    {
        var e = Assert.Throws<FileNotFoundException>(() => WordNetSynonyms.Load("/nonexistent-wordnet"));
        Assert.Contains("/nonexistent-wordnet/data.noun", e.Message);
        Assert.Contains("wordnet-base", e.Message);
    }
}

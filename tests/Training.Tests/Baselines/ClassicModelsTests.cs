using SweepCluster.Training.Baselines;
using SweepCluster.Training.Evaluation;

namespace SweepCluster.Training.Tests.Baselines;

/// <summary>
/// The classic members against scikit-learn. Expected probabilities come from
/// <c>/usr/bin/python3 tests/Training.Tests/Baselines/classic_models_reference.py</c> (scikit-learn 1.2.1,
/// Debian's python3-sklearn), which holds the same texts; CI has no scikit-learn, so they are embedded here.
/// Our solver runs a fixed number of iterations, so agreement is to a tolerance, not to the last digit.
/// </summary>
public sealed class ClassicModelsTests
{
    private static readonly (string Text, int Topic)[] Train =
    [
        ("the team won the match in the final minute", 0),
        ("a great goal by the striker won the game", 0),
        ("the coach praised the team after the match", 0),
        ("fans cheered as the team scored again", 0),
        ("the striker missed a penalty in the game", 0),
        ("the match ended in a draw after extra time", 0),
        ("the goal keeper saved the final penalty", 0),
        ("our team lost the game at home", 0),
        ("bake the bread in a hot oven for an hour", 1),
        ("the soup needs more salt and fresh pepper", 1),
        ("stir the sauce and add the fresh herbs", 1),
        ("the chef baked a cake for the final course", 1),
        ("slice the bread and toast it in the oven", 1),
        ("a hot soup with bread is a great dinner", 1),
        ("add salt to the water before the pasta", 1),
        ("the chef praised the sauce at dinner", 1),
        ("heavy rain is expected in the afternoon", 2),
        ("the wind and rain will ease by the evening", 2),
        ("a hot sunny day with a light wind", 2),
        ("snow is expected on the hills tonight", 2),
        ("the rain stopped and the sun came out", 2),
        ("a cold wind from the north tonight", 2),
        ("sunny spells with a chance of rain", 2),
        ("the storm brought heavy snow and wind", 2),
    ];

    private static readonly string[] Test =
    [
        "the team scored a late goal",
        "bake a cake with fresh herbs",
        "rain and wind in the evening",
        "the chef watched the match at home",
        "a hot day for the final game",
        "fresh snow on a cold morning",
    ];

    private static readonly string[] Texts = Train.Select(t => t.Text).ToArray();
    private static readonly int[] Topics = Train.Select(t => t.Topic).ToArray();
    private static readonly int[] Sports = Train.Select(t => t.Topic == 0 ? 1 : 0).ToArray();

    /// <summary>L2 = 0.01 (C = 1/(0.01·24) in scikit-learn) converges well within the iterations.</summary>
    private static readonly ClassicOptions Options = new() { L2 = 0.01, Iterations = 2000 };

    public static TheoryData<string, bool, double[][]> Expected => new()
    {
        { "tfidf_word", false, [[0.216388, 0.783612], [0.846645, 0.153355], [0.879667, 0.120333], [0.602669, 0.397331], [0.625682, 0.374318], [0.829904, 0.170096]] },
        { "tfidf_word", true, [[0.772126, 0.112205, 0.115669], [0.171069, 0.510154, 0.318777], [0.121304, 0.148429, 0.730266], [0.428659, 0.437636, 0.133705], [0.406193, 0.451132, 0.142675], [0.194705, 0.430976, 0.374319]] },
        { "tfidf_char", false, [[0.249958, 0.750042], [0.883466, 0.116534], [0.884116, 0.115884], [0.469089, 0.530911], [0.538205, 0.461795], [0.832492, 0.167508]] },
        { "tfidf_char", true, [[0.741232, 0.142378, 0.116390], [0.120769, 0.632646, 0.246585], [0.115130, 0.145918, 0.738952], [0.562083, 0.302996, 0.134921], [0.499546, 0.356285, 0.144169], [0.189229, 0.428322, 0.382449]] },
        { "nbsvm", false, [[0.028687, 0.971313], [0.923975, 0.076025], [0.990243, 0.009757], [0.421778, 0.578222], [0.737338, 0.262662], [0.903035, 0.096965]] },
        { "nbsvm", true, [[0.938514, 0.034031, 0.027455], [0.172970, 0.688300, 0.138731], [0.009503, 0.021325, 0.969173], [0.525364, 0.446943, 0.027693], [0.473767, 0.477538, 0.048694], [0.184362, 0.496006, 0.319632]] },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Probabilities_match_scikit_learn(string kind, bool threeTopics, double[][] expected)
    {
        var model = threeTopics ? ClassicModels.Fit(kind, Texts, Topics, 3, Options) : ClassicModels.Fit(kind, Texts, Sports, 2, Options);
        var actual = model.PredictProbabilities(Test);
        for (var i = 0; i < Test.Length; i++)
            for (var j = 0; j < expected[i].Length; j++)
                Assert.True(Math.Abs(actual[i][j] - expected[i][j]) < 2e-4, $"{kind} text {i} class {j}: {actual[i][j]:0.000000}, scikit-learn {expected[i][j]:0.000000}");
    }

    [Fact]
    public void Char_wb_ngrams_pad_each_word_and_count_a_short_word_once()
    {
        // By hand, following sklearn's _char_wb_ngrams: " ab " gives 2-grams " a","ab","b ", 3-grams " ab","ab ",
        // then itself once as a 4-gram; " c " gives " c","c " and then itself once (length 3 ≤ 3) and stops.
        Assert.Equal([" a", "ab", "b ", " ab", "ab ", " ab ", " c", "c ", " c "], TextFeatures.CharWbNgrams("AB  c", 2, 5));
    }

    [Fact]
    public void Word_ngrams_are_lower_cased_words_of_two_letters_or_more_and_their_bigrams()
    {
        // token_pattern (?u)\b\w\w+\b drops "a"; bigrams join neighbouring kept words.
        Assert.Equal(["the", "cat", "sat", "the cat", "cat sat"], TextFeatures.WordNgrams("The cat a sat"));
    }

    [Theory]
    [InlineData(ClassicModels.TfidfWord)]
    [InlineData(ClassicModels.TfidfChar)]
    [InlineData(ClassicModels.NbSvm)]
    public void Saved_models_predict_the_same_after_loading(string kind)
    {
        var folder = Directory.CreateTempSubdirectory("classic-").FullName;
        try
        {
            var single = ClassicModels.Fit(kind, Texts, Topics, 3, Options);
            single.Save(Path.Combine(folder, "single"));
            var loaded = ClassicModels.Load(Path.Combine(folder, "single"));
            Assert.Equal((kind, "MultiClass"), (loaded.Kind, loaded.Task));
            Assert.Equal(single.PredictProbabilities(Test), loaded.PredictProbabilities(Test));

            var labels = Train.Select(t => new[] { t.Topic == 0 ? 1 : 0, t.Topic == 2 ? 1 : 0 }).ToArray();
            var multi = ClassicModels.FitMultiLabel(kind, Texts, labels, Options);
            multi.Save(Path.Combine(folder, "multi"));
            Assert.Equal(multi.PredictProbabilities(Test), ClassicModels.Load(Path.Combine(folder, "multi")).PredictProbabilities(Test));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(ClassicModels.TfidfWord)]
    [InlineData(ClassicModels.NbSvm)]
    public void A_multi_label_model_is_one_binary_model_per_label(string kind)
    {
        var labels = Train.Select(t => new[] { t.Topic == 0 ? 1 : 0, t.Topic == 2 ? 1 : 0 }).ToArray();
        var multi = ClassicModels.FitMultiLabel(kind, Texts, labels, Options).PredictProbabilities(Test);
        var sports = ClassicModels.Fit(kind, Texts, Sports, 2, Options).PredictProbabilities(Test);
        var weather = ClassicModels.Fit(kind, Texts, Topics.Select(t => t == 2 ? 1 : 0).ToArray(), 2, Options).PredictProbabilities(Test);
        for (var i = 0; i < Test.Length; i++)
        {
            Assert.Equal(sports[i][1], multi[i][0], 12);
            Assert.Equal(weather[i][1], multi[i][1], 12);
        }
    }

    [Fact]
    public void Unknown_kinds_and_bad_labels_are_refused_with_what_was_wrong()
    {
        Assert.Contains("'svm'", Assert.Throws<ArgumentException>(() => ClassicModels.Fit("svm", Texts, Sports, 2)).Message);
        Assert.Contains("label 3", Assert.Throws<ArgumentException>(() => ClassicModels.Fit(ClassicModels.TfidfWord, Texts, Topics.Select(t => t + 1).ToArray(), 3)).Message);
        Assert.Throws<FileNotFoundException>(() => ClassicModels.Load(Path.GetTempPath()));
    }

    [Theory]
    [InlineData(ClassicModels.TfidfWord, 0.70)]
    [InlineData(ClassicModels.TfidfChar, 0.70)]
    [InlineData(ClassicModels.NbSvm, 0.70)]
    public void Each_kind_learns_the_extremism_task_well_above_chance_on_held_out_rows(string kind, double minimumAccuracy)
    {
        var (texts, labels) = (ExtremismData.Texts, ExtremismData.Labels);
        // Every fifth row held out (the classes are interleaved evenly enough for this check).
        var heldOut = Enumerable.Range(0, texts.Length).Where(i => i % 5 == 0).ToArray();
        var train = Enumerable.Range(0, texts.Length).Where(i => i % 5 != 0).ToArray();
        var model = ClassicModels.Fit(kind, train.Select(i => texts[i]).ToList(), train.Select(i => labels[i]).ToList(), classes: 2);
        var report = ClassificationMetrics.SingleLabel(model.PredictProbabilities(heldOut.Select(i => texts[i]).ToList()), heldOut.Select(i => labels[i]).ToList());
        Assert.True(report.Accuracy > minimumAccuracy, $"{kind}: held-out accuracy {report.Accuracy:0.000}");
        Assert.True(report.RocAuc > 0.78, $"{kind}: held-out ROC-AUC {report.RocAuc:0.000}");
    }
}

using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Ensembles;
using SweepCluster.Training.Models;
using SweepCluster.Training.Runtime;
using SweepCluster.Training.Tests.Tokenization;
using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Tests.Ensembles;

/// <summary>
/// One effective sequence length everywhere (issue 10): a backbone's max_sequence_length above its
/// checkpoint's max_position_embeddings is cut to the latter, and a trained model that recorded more
/// (saved before that rule) is cut on load, so `sweep predict` and the ensemble never index past the
/// position table (libtorch: "index out of range in self").
/// </summary>
public sealed class TrainedModelTests : IDisposable
{
    static TrainedModelTests() => TorchRuntime.EnsureLoadable();

    private readonly string _folder = Directory.CreateTempSubdirectory("trained-model-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(BackboneFamily.Bert, "models/tokenizers/bert-tiny-emotion-config", 32, 32)]
    [InlineData(BackboneFamily.Bert, "models/tokenizers/bert-tiny-emotion-config", 512, 128)]
    public void The_effective_length_is_the_smaller_of_the_study_s_and_the_position_table_s(BackboneFamily family, string tokenizer, int requested, int expected)
    {
        var config = RandomCheckpoint.Create(family, TokenizerFiles.Find("shared/" + tokenizer), Path.Combine(_folder, "c"), new CheckpointShape { MaxPositions = 128 }, seed: 1);
        Assert.Equal(128, config.MaxPositions);
        Assert.Equal(expected, config.EffectiveSequenceLength(requested));
    }

    [Fact]
    public void RoBERTa_s_position_offset_is_left_out_of_its_length()
    {
        // RoBERTa numbers positions from pad_token_id + 1: 514 positions with pad 1 hold 512 tokens (roberta-base's config).
        var config = BackboneConfig.Parse("""
            {"model_type": "roberta", "vocab_size": 50265, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
             "intermediate_size": 16, "max_position_embeddings": 514, "pad_token_id": 1}
            """);
        Assert.Equal(512, config.EffectiveSequenceLength(4096));
    }

    [Fact]
    public void A_model_that_recorded_more_tokens_than_its_positions_predicts_long_texts()
    {
        var checkpoint = Path.Combine(_folder, "checkpoint");
        var config = RandomCheckpoint.Create(BackboneFamily.Bert, TokenizerFiles.Find("shared/models/tokenizers/bert-tiny-emotion-config"), checkpoint, new CheckpointShape { MaxPositions = 16 }, seed: 2);
        var trained = Path.Combine(_folder, "trained");
        using (var model = SequenceClassifier.Create(BackboneFamily.Bert, config, 2))
        {
            CheckpointLoader.Load(model, checkpoint);
            TrainedModel.Save(trained, model, checkpoint, new TrainedModelInfo
            {
                Backbone = "b", Family = BackboneFamily.Bert, Task = "Binary", ClassNames = ["no", "yes"], MaxSequenceLength = 128,
            });
        }
        using var loaded = TrainedModel.Load(trained);
        Assert.Equal(16, loaded.Info.MaxSequenceLength);
        var longText = string.Join(' ', Enumerable.Repeat("the quick brown fox jumps over the lazy dog", 20));
        var probabilities = loaded.Predict([longText, "short"]);
        Assert.All(probabilities, p => Assert.Equal(1.0, p.Sum(), 6));
    }
}

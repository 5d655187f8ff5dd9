using System.Text.Json;
using SweepCluster.Training.Models;
using SweepCluster.Training.Runtime;
using static TorchSharp.torch;
using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Tests.Models;

public sealed class DistilBertTests
{
    static DistilBertTests() => TorchRuntime.EnsureLoadable();

    /// <summary>distilbert-base-uncased's config.json shape, shrunk.</summary>
    private static BackboneConfig Tiny() => BackboneConfig.Parse(JsonDocument.Parse("""
        {"model_type": "distilbert", "vocab_size": 60, "dim": 16, "n_layers": 1, "n_heads": 2, "hidden_dim": 32,
         "max_position_embeddings": 32, "dropout": 0.1, "attention_dropout": 0.1, "seq_classif_dropout": 0.2, "activation": "gelu", "pad_token_id": 0}
        """).RootElement);

    [Fact]
    public void State_dict_keys_are_the_hugging_face_names()
    {
        using var model = SequenceClassifier.Create(BackboneFamily.DistilBert, Tiny(), 2);
        var layer = new[] { "attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm" }
            .SelectMany(m => new[] { $"distilbert.transformer.layer.0.{m}.weight", $"distilbert.transformer.layer.0.{m}.bias" });
        var expected = new[]
        {
            "distilbert.embeddings.word_embeddings.weight", "distilbert.embeddings.position_embeddings.weight",
            "distilbert.embeddings.LayerNorm.weight", "distilbert.embeddings.LayerNorm.bias",
        }.Concat(layer).Concat(["pre_classifier.weight", "pre_classifier.bias", "classifier.weight", "classifier.bias"]);
        Assert.Equal(expected.Order(), model.state_dict().Keys.Order());
    }

    [Fact]
    public void Padding_does_not_change_the_logits_and_a_few_steps_lower_the_loss()
    {
        manual_seed(2);
        using var model = SequenceClassifier.Create(BackboneFamily.DistilBert, Tiny(), 2);
        model.eval();
        using var ids = tensor(new long[] { 1, 7, 8, 2 }, [1, 4]);
        using var padded = tensor(new long[] { 1, 7, 8, 2, 0, 0 }, [1, 6]);
        using var a = model.forward(ids, ones_like(ids));
        using var b = model.forward(padded, tensor(new long[] { 1, 1, 1, 1, 0, 0 }, [1, 6]));
        Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-5));

        // Dropout stays off while stepping: the global generator is shared with tests running alongside, so
        // dropout masks would make the loss curve depend on them; gradients flow the same in eval mode.
        using var batch = tensor(new long[] { 1, 5, 6, 2, 1, 9, 10, 2 }, [2, 4]);
        using var targets = tensor(new long[] { 0, 1 });
        using var optimizer = optim.AdamW(model.parameters(), 1e-2);
        double first = 0, last = 0;
        for (var step = 0; step < 20; step++)
        {
            optimizer.zero_grad();
            using var loss = nn.functional.cross_entropy(model.forward(batch, ones_like(batch)), targets);
            loss.backward();
            optimizer.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.True(last < first / 2, $"loss {first:0.000} → {last:0.000}");
    }

    [Fact]
    public void Every_family_builds_its_hugging_face_class()
    {
        foreach (var family in Enum.GetValues<BackboneFamily>())
        {
            var config = BackboneConfig.Load(HuggingFaceFixtures.Folder(family switch
            {
                BackboneFamily.Bert => "bert",
                BackboneFamily.DistilBert => "distilbert",
                BackboneFamily.Roberta => "roberta",
                BackboneFamily.Electra => "electra",
                _ => "deberta-v3",
            }));
            Assert.Equal(family, config.Family);
            using var model = SequenceClassifier.Create(family, config, 3);
            Assert.Equal(3, model.Labels);
            Assert.EndsWith("ForSequenceClassification", model.GetName());
        }
    }
}

using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Models;
using SweepCluster.Training.Runtime;
using static TorchSharp.torch;

namespace SweepCluster.Training.Tests.Models;

/// <summary>
/// Each family's forward pass against Hugging Face transformers' own implementation: the same weights
/// (loaded from the checkpoint HF saved) and the same padded inputs must give HF's logits to 1e-4.
/// </summary>
public sealed class ReferenceParityTests
{
    static ReferenceParityTests() => TorchRuntime.EnsureLoadable();

    public static TheoryData<string> Families => new("bert", "distilbert", "roberta", "electra", "deberta-v3", "deberta-v2");

    [Theory]
    [MemberData(nameof(Families))]
    public void Logits_match_hugging_face_transformers(string family)
    {
        var folder = HuggingFaceFixtures.Folder(family);
        var reference = HuggingFaceFixtures.Reference(family);
        var config = BackboneConfig.Load(folder);
        using var model = SequenceClassifier.Create(config.Family, config, config.NumLabels ?? 2);
        var report = CheckpointLoader.Load(model, folder);
        Assert.Empty(report.NewlyInitialised);
        model.eval();

        var batch = reference.InputIds.Length;
        var seq = reference.InputIds[0].Length;
        using var ids = tensor(reference.InputIds.SelectMany(r => r).ToArray(), [batch, seq]);
        using var mask = tensor(reference.AttentionMask.SelectMany(r => r).ToArray(), [batch, seq]);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var logits = model.forward(ids, mask).data<float>().ToArray();

        Assert.Equal(reference.Logits.Length, logits.Length);
        var worst = reference.Logits.Zip(logits, (r, o) => Math.Abs(r - o)).Max();
        Assert.True(worst < 1e-4, $"{family}: largest logit difference {worst:E2} (ours [{string.Join(", ", logits.Take(4))}], HF [{string.Join(", ", reference.Logits.Take(4))}])");
    }
}

using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Training.Optimization;
using SweepCluster.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SweepCluster.Training.Tests.Optimization;

/// <summary>
/// The flat optimiser against TorchSharp's per-tensor AdamW and clip_grad_norm_ (what the fold trainer used
/// before issue 16), on a tiny BERT with every option that shapes the update: layer-wise decay, the head's rate,
/// no decay on biases and norms, a schedule factor that changes each step, and clipping that bites.
/// </summary>
public sealed class FlatAdamWTests
{
    static FlatAdamWTests() => TorchRuntime.EnsureLoadable();

    private static readonly TrialHyperparameters Hp = new()
    {
        LearningRate = 1e-3, HeadLearningRate = 5e-3, LayerDecay = 0.5, WeightDecay = 0.1, Beta1 = 0.8, Beta2 = 0.95, AdamEpsilon = 1e-6, MaxGradNorm = 0.05,
    };

    private static readonly double[] Factors = [0.25, 0.5, 1.0, 0.9, 0.6];

    /// <summary>A tiny BERT (2 layers, hidden 16) with weights from its own generator, and a copy with the same weights.</summary>
    private static (BertForSequenceClassification A, BertForSequenceClassification B) Twins()
    {
        var config = BackboneConfig.Parse("""
            {"model_type": "bert", "vocab_size": 50, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32, "max_position_embeddings": 16}
            """);
        var a = new BertForSequenceClassification(config, 3);
        var b = new BertForSequenceClassification(config, 3);
        // The global generator is shared with the tests running alongside: draw the start from one of our own.
        using var generator = new Generator(5);
        using var _ = no_grad();
        var bParameters = b.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in a.named_parameters())
        {
            p.copy_(randn(p.shape, generator: generator) * 0.2);
            bParameters[name].copy_(p);
        }
        a.eval(); // no dropout: both sides see the same function
        b.eval();
        return (a, b);
    }

    private static (Tensor Ids, Tensor Mask, Tensor Labels) Batch()
    {
        using var generator = new Generator(9);
        var ids = randint(1, 50, [6, 10], generator: generator, dtype: int64);
        // Row 4 has three padded positions.
        var mask = tensor(Enumerable.Range(0, 60).Select(i => i / 10 == 4 && i % 10 >= 7 ? 0L : 1L).ToArray(), [6, 10]);
        var labels = tensor(new long[] { 0, 1, 2, 1, 0, 2 });
        return (ids, mask, labels);
    }

    /// <summary>
    /// Five steps from the same start agree to float32 rounding. Tolerance rtol 1e-5, atol 1e-6: the weights are
    /// O(0.2–1) and each step moves them by at most lr·(1 + clipped factor) ≈ 1e-2; the two sides differ only in
    /// the order of float32 operations (the per-element rate divides the denominator; the gradient norm is one
    /// reduction, not a norm of per-tensor norms), a few ulps of each update, which the later forward passes carry
    /// on at the same relative size (≈ 1e-7–1e-6). A wrong rate, decay, bias correction or clip is off by 1e-4 or more.
    /// </summary>
    /// <remarks>
    /// Both CPU paths: <c>fused: false</c> steps with <see cref="FlatAdamW.ClipGradNorm"/> and <see cref="FlatAdamW.Step"/> (libtorch
    /// kernels, what a CUDA device runs), <c>fused: true</c> with <see cref="FlatAdamW.Update"/> (one C# pass on the CPU).
    /// </remarks>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_few_steps_agree_with_TorchSharp_AdamW_and_clip_grad_norm(bool fused)
    {
        var (flatModel, referenceModel) = Twins();
        using var _a = flatModel;
        using var _b = referenceModel;
        var (ids, mask, labels) = Batch();
        using var flat = FoldTrainer.CreateFlatOptimizer(flatModel, Hp, mixedBFloat16: false);
        using var reference = FoldTrainer.CreateOptimizer(referenceModel, Hp);
        var groups = reference.ParamGroups.ToList();
        var peak = groups.Select(g => g.LearningRate).ToArray();
        var clipped = 0;
        var norms = new List<double>();
        foreach (var factor in Factors)
        {
            using (var scope = NewDisposeScope())
            {
                nn.functional.cross_entropy(flatModel.forward(ids, mask), labels).backward();
                float? flatNorm = null;
                if (fused)
                {
                    flat.Update(factor, Hp.MaxGradNorm);
                }
                else
                {
                    flat.GradientsToMasters();
                    using var norm = flat.ClipGradNorm(Hp.MaxGradNorm);
                    flatNorm = norm.item<float>();
                    flat.Step(factor);
                    flat.ZeroGrad();
                }

                nn.functional.cross_entropy(referenceModel.forward(ids, mask), labels).backward();
                var referenceNorm = nn.utils.clip_grad_norm_(referenceModel.parameters(), Hp.MaxGradNorm);
                if (flatNorm is { } n) Assert.Equal(referenceNorm, n, referenceNorm * 1e-5);
                norms.Add(referenceNorm);
                if (referenceNorm > Hp.MaxGradNorm) clipped++;
                for (var g = 0; g < groups.Count; g++) groups[g].LearningRate = peak[g] * factor;
                reference.step();
                reference.zero_grad();
            }
            AssertSameWeights(referenceModel, flatModel, rtol: 1e-5, atol: 1e-6);
        }
        Assert.True(clipped >= 2, $"clipping bit on {clipped} of {Factors.Length} steps (norms {string.Join(", ", norms)}); the test wants it to matter");
        Assert.Equal(Factors.Length, flat.StepCount);
    }

    /// <summary>
    /// Stepping the buffers in chunks (the CPU default, <see cref="FlatAdamW.CpuChunkElements"/>) computes exactly what one
    /// pass over the whole buffer does: every kernel of a step is elementwise and the gradient norm is taken over the whole
    /// buffer either way. A chunk of 777 elements (not a divisor of anything in the model) cuts every parameter somewhere.
    /// </summary>
    [Fact]
    public void Stepping_in_chunks_gives_bit_identical_weights()
    {
        var (wholeModel, chunkedModel) = Twins();
        using var _a = wholeModel;
        using var _b = chunkedModel;
        var (ids, mask, labels) = Batch();
        using var whole = new FlatAdamW(wholeModel, FoldTrainer.RateOf(wholeModel, Hp), Hp.Beta1, Hp.Beta2, Hp.AdamEpsilon, chunkElements: 0);
        using var chunked = new FlatAdamW(chunkedModel, FoldTrainer.RateOf(chunkedModel, Hp), Hp.Beta1, Hp.Beta2, Hp.AdamEpsilon, chunkElements: 777);
        Assert.True(whole.Count > 3 * 777, $"the model has {whole.Count} elements: too few to cross chunk boundaries");
        foreach (var factor in Factors)
        {
            using var scope = NewDisposeScope();
            foreach (var (model, optimizer) in new[] { (wholeModel, whole), (chunkedModel, chunked) })
            {
                nn.functional.cross_entropy(model.forward(ids, mask), labels).backward();
                // The kernel path (a CUDA device's; Update on the CPU takes the fused pass, which has no chunks).
                optimizer.ClipGradNorm(Hp.MaxGradNorm).Dispose();
                optimizer.Step(factor);
                optimizer.ZeroGrad();
            }
            Assert.True(whole.Weights.eq(chunked.Weights).all().item<bool>(), $"weights differ after a step at factor {factor}");
        }
    }

    /// <summary>
    /// The mixed mode against MixedPrecisionWeights + TorchSharp's AdamW on the float32 masters: from the same start
    /// both compute the same bfloat16 forward and backward, so after one step the masters agree to float32 rounding
    /// (as above) and the model's bfloat16 weights are the masters rounded (one copy down). Later steps are not
    /// compared: a master a few ulps apart can round to a neighbouring bfloat16 and the two runs then part by 2⁻⁸.
    /// </summary>
    /// <summary>
    /// The CPU's fused pass splits the buffers into one partition per torch thread, each in SIMD vectors with a scalar tail:
    /// on a layer big enough to be split (361,201 elements, odd, so the tail is used), three steps agree with TorchSharp's
    /// AdamW + clip_grad_norm_ to float32 rounding, as the kernel path does.
    /// </summary>
    [Fact]
    public void The_fused_CPU_pass_agrees_across_partitions_and_the_tail()
    {
        using var generator = new Generator(11);
        using var a = nn.Linear(600, 601, hasBias: true);
        using var b = nn.Linear(600, 601, hasBias: true);
        using (no_grad())
        {
            a.weight!.copy_(randn([601, 600], generator: generator) * 0.05);
            a.bias!.copy_(randn([601], generator: generator) * 0.05);
            b.weight!.copy_(a.weight);
            b.bias!.copy_(a.bias);
        }
        using var flat = new FlatAdamW(a, _ => new ParameterRate(1e-3, 0.1), Hp.Beta1, Hp.Beta2, Hp.AdamEpsilon);
        Assert.Equal(361_201, flat.Count);
        using var reference = optim.AdamW(b.parameters(), lr: 1e-3, beta1: Hp.Beta1, beta2: Hp.Beta2, eps: Hp.AdamEpsilon, weight_decay: 0.1);
        using var input = randn([32, 600], generator: generator);
        using var target = randn([32, 601], generator: generator);
        for (var step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            nn.functional.mse_loss(a.forward(input), target).backward();
            flat.Update(1.0, 0.5);
            nn.functional.mse_loss(b.forward(input), target).backward();
            nn.utils.clip_grad_norm_(b.parameters(), 0.5);
            reference.step();
            reference.zero_grad();
        }
        Assert.True(a.weight!.allclose(b.weight!, rtol: 1e-5, atol: 1e-6), $"weights differ by {(a.weight! - b.weight!).abs().max().item<float>()}");
        Assert.True(a.bias!.allclose(b.bias!, rtol: 1e-5, atol: 1e-6), $"biases differ by {(a.bias! - b.bias!).abs().max().item<float>()}");
        // The update moved the weights well beyond the tolerance, so agreement is not the start agreeing with itself.
        using var start = randn([601, 600], generator: new Generator(11)) * 0.05;
        Assert.True((a.weight! - start).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void The_bfloat16_mode_steps_its_float32_masters_as_TorchSharp_does()
    {
        var (flatModel, referenceModel) = Twins();
        using var _a = flatModel;
        using var _b = referenceModel;
        var (ids, mask, labels) = Batch();
        using var flat = FoldTrainer.CreateFlatOptimizer(flatModel, Hp, mixedBFloat16: true);
        using var mixed = new MixedPrecisionWeights(referenceModel);
        using var reference = FoldTrainer.CreateOptimizer(referenceModel, Hp, mixed.MasterOf);
        Assert.All(flatModel.parameters(), p => Assert.Equal(bfloat16, p.dtype));

        using (var scope = NewDisposeScope())
        {
            nn.functional.cross_entropy(flatModel.forward(ids, mask).to(float32), labels).backward();
            flat.Update(0.7, Hp.MaxGradNorm);

            nn.functional.cross_entropy(referenceModel.forward(ids, mask).to(float32), labels).backward();
            mixed.GradientsToMasters();
            nn.utils.clip_grad_norm_(mixed.Masters, Hp.MaxGradNorm);
            foreach (var g in reference.ParamGroups) g.LearningRate *= 0.7;
            reference.step();
            reference.zero_grad();
            mixed.MastersToModel();
        }
        foreach (var s in flat.Segments)
        {
            using var master = flat.Weights.narrow(0, s.Offset, s.Count);
            using var expected = mixed.MasterOf(s.Name).detach().reshape(-1);
            Assert.True(master.allclose(expected, rtol: 1e-5, atol: 1e-6), $"{s.Name}: masters differ by {(master - expected).abs().max().item<float>()}");
        }
        var model = flatModel.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var s in flat.Segments)
        {
            using var master = flat.Weights.narrow(0, s.Offset, s.Count).view(s.Shape).to(bfloat16);
            Assert.True(model[s.Name].detach().allclose(master, rtol: 0, atol: 0), $"{s.Name}: the model's bfloat16 weights are not its masters rounded");
        }
    }

    private static void AssertSameWeights(nn.Module expected, nn.Module actual, double rtol, double atol)
    {
        var mine = actual.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, e) in expected.named_parameters())
        {
            var a = mine[name];
            Assert.True(a.allclose(e, rtol, atol), $"{name}: largest difference {(a - e).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void Each_element_gets_its_parameters_rate_and_decay()
    {
        var (model, other) = Twins();
        using var _a = model;
        other.Dispose();
        var hp = new TrialHyperparameters { LearningRate = 1e-3, HeadLearningRate = 5e-3, LayerDecay = 0.5, WeightDecay = 0.1 };
        using var flat = FoldTrainer.CreateFlatOptimizer(model, hp, mixedBFloat16: false);
        // Depths: embeddings 0, layer i at i + 1, head (pooler, classifier) 3; rate 1e-3 · 0.5^(3 − depth), head 5e-3.
        (string Name, double Rate, double Decay)[] expected =
        [
            ("bert.embeddings.word_embeddings.weight", 1.25e-4, 0.1),
            ("bert.embeddings.LayerNorm.weight", 1.25e-4, 0),
            ("bert.embeddings.LayerNorm.bias", 1.25e-4, 0),
            ("bert.encoder.layer.0.attention.self.query.weight", 2.5e-4, 0.1),
            ("bert.encoder.layer.0.attention.self.query.bias", 2.5e-4, 0),
            ("bert.encoder.layer.1.intermediate.dense.weight", 5e-4, 0.1),
            ("bert.encoder.layer.1.output.LayerNorm.weight", 5e-4, 0),
            ("bert.pooler.dense.weight", 5e-3, 0.1),
            ("classifier.weight", 5e-3, 0.1),
            ("classifier.bias", 5e-3, 0),
        ];
        foreach (var (name, rate, decay) in expected)
        {
            var s = flat.Segments.Single(s => s.Name == name);
            using var rates = flat.LearningRates.narrow(0, s.Offset, s.Count);
            using var decays = flat.DecayRates.narrow(0, s.Offset, s.Count);
            Assert.Equal((float)rate, rates.min().item<float>());
            Assert.Equal((float)rate, rates.max().item<float>());
            Assert.Equal((float)(rate * decay), decays.min().item<float>());
            Assert.Equal((float)(rate * decay), decays.max().item<float>());
        }
        // The segments tile the buffers in named_parameters() order, every trainable parameter once.
        var names = model.named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(names, flat.Segments.Select(s => s.Name).ToArray());
        Assert.Equal(0, flat.Segments[0].Offset);
        for (var i = 1; i < flat.Segments.Count; i++) Assert.Equal(flat.Segments[i - 1].Offset + flat.Segments[i - 1].Count, flat.Segments[i].Offset);
        Assert.Equal(flat.Count, flat.Segments[^1].Offset + flat.Segments[^1].Count);
    }

    [Fact]
    public void Parameters_and_their_gradients_are_views_into_the_flat_buffers()
    {
        var (model, other) = Twins();
        using var _a = model;
        other.Dispose();
        var (ids, mask, labels) = Batch();
        using var flat = FoldTrainer.CreateFlatOptimizer(model, Hp, mixedBFloat16: false);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (var scope = NewDisposeScope())
        {
            // Autograd writes into the flat gradient buffer, and a second backward adds to it (gradient accumulation).
            nn.functional.cross_entropy(model.forward(ids, mask), labels).backward();
            var once = flat.Gradients.clone();
            Assert.True(once.abs().sum().item<float>() > 0);
            nn.functional.cross_entropy(model.forward(ids, mask), labels).backward();
            Assert.True(flat.Gradients.allclose(once * 2, rtol: 1e-5, atol: 1e-7));
            foreach (var s in flat.Segments)
                Assert.True(parameters[s.Name].grad!.reshape(-1).allclose(flat.Gradients.narrow(0, s.Offset, s.Count), rtol: 0, atol: 0), s.Name);
            flat.ZeroGrad();
            Assert.Equal(0f, flat.Gradients.abs().sum().item<float>());
            Assert.All(parameters.Values, p => Assert.Equal(0f, p.grad!.abs().sum().item<float>()));
            // Writing the flat weights writes the model's parameters.
            using (no_grad()) flat.Weights.fill_(0.25f);
            Assert.All(parameters.Values, p => Assert.Equal(0.25f, p.detach().min().item<float>()));
        }
    }
}

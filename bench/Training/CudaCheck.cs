using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;
using SweepCluster.Training.Data;
using SweepCluster.Search.Sampling;

/// <summary>
/// `training-bench cuda-check FIXTURES`: the CUDA path on a GPU machine — whether TorchSharp sees the GPU,
/// each family's logits on CUDA against Hugging Face's (the parity fixtures), a fold trained in float32 and
/// in bfloat16 mixed precision, and training samples/s of the base and small BERT on the GPU.
/// </summary>
internal static class CudaCheck
{
    public static async Task RunAsync(string fixtures, Args options)
    {
        Console.WriteLine($"cuda available: {cuda.is_available()}, devices: {(cuda.is_available() ? cuda.device_count() : 0)}");
        if (!cuda.is_available()) return;
        // FIXTURES = "speed": only the samples/s table (bench/Training/gpu-check.sh).
        if (fixtures != "speed") await CorrectnessAsync(fixtures);
        Speed(options);
    }

    private static async Task CorrectnessAsync(string fixtures)
    {
        foreach (var folder in Directory.EnumerateDirectories(fixtures).Where(d => File.Exists(Path.Combine(d, "config.json"))).Order())
        {
            var config = BackboneConfig.Load(folder);
            using var model = SequenceClassifier.Create(config.Family, config, config.NumLabels ?? 2);
            CheckpointLoader.Load(model, folder);
            model.to(CUDA);
            model.eval();
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "reference.json")));
            long[][] Rows(string name) => json.RootElement.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
            var ids = Rows("input_ids");
            var mask = Rows("attention_mask");
            var expected = json.RootElement.GetProperty("logits").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();
            using var _ = no_grad();
            using var idTensor = tensor(ids.SelectMany(r => r).ToArray(), [ids.Length, ids[0].Length], device: CUDA);
            using var maskTensor = tensor(mask.SelectMany(r => r).ToArray(), [ids.Length, ids[0].Length], device: CUDA);
            var logits = model.forward(idTensor, maskTensor).cpu().to(float64).data<double>().ToArray();
            var worst = expected.Zip(logits, (e, o) => Math.Abs(e - o)).Max();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parity on cuda {Path.GetFileName(folder),-12} largest logit difference {worst:E2} {(worst < 1e-4 ? "ok" : "FAIL")}"));
        }

        var random = new Random(1);
        var rows = new TokenizedRows(Enumerable.Range(0, 512).Select(i => Enumerable.Range(0, random.Next(8, 64)).Select(_ => (long)(i % 2 == 0 ? random.Next(5, 4000) : random.Next(4000, 8000))).ToArray()).ToList(), 0);
        var labels = Enumerable.Range(0, 512).Select(i => i % 2).ToArray();
        var small = BackboneConfig.Parse("""{"model_type": "bert", "vocab_size": 8000, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128}""");
        foreach (var precision in new[] { TrainingPrecision.Float32, TrainingPrecision.BFloat16Mixed })
        {
            manual_seed(1);
            using var model = new BertForSequenceClassification(small, 2);
            var hp = TrialHyperparameters.From(new Dictionary<string, object> { ["learning_rate"] = 1e-3 }, new TrainingSettings { Epochs = 3, BatchSize = 32, EarlyStoppingPatience = 3 });
            var losses = new List<double>();
            var result = await new FoldTrainer(NullLogger.Instance) { Precision = precision }.RunAsync(model, CUDA, new FoldRun
                {
                    Hyperparameters = hp, Objective = new FoldObjective("accuracy", StudyDirection.Maximize),
                    Rows = rows, Targets = new TrainingTargets.SingleLabel(labels, 2), Train = Enumerable.Range(0, 384).ToArray(), Validation = Enumerable.Range(384, 128).ToArray(), Seed = 1, Label = precision.ToString(),
                },
                e => { losses.Add(e.TrainLoss); return Task.FromResult(true); }, CancellationToken.None);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fold on cuda {precision,-14} loss {string.Join(" → ", losses.Select(l => l.ToString("0.000", CultureInfo.InvariantCulture)))}, validation accuracy {result.BestMetric:0.000}"));
        }

    }

    private static void Speed(Args options)
    {
        Console.WriteLine("TorchSharp {0} on {1}, optimizer {2}", typeof(torch).Assembly.GetName().Version, CudaDeviceName(), options.Optimizer);
        Console.WriteLine("size   precision       s/step  samples/s  (batch {0}, seq {1})", options.Batch, options.Sequence);
        foreach (var (size, layers, hidden, heads) in new[] { ("base", 12, 768, 12), ("small", 4, 256, 4) })
        {
            foreach (var precision in new[] { TrainingPrecision.Float32, TrainingPrecision.BFloat16Mixed })
            {
                var config = BackboneConfig.Parse($$"""{"model_type": "bert", "vocab_size": 30522, "hidden_size": {{hidden}}, "num_hidden_layers": {{layers}}, "num_attention_heads": {{heads}}, "intermediate_size": {{4 * hidden}}}""");
                manual_seed(0);
                using var model = new BertForSequenceClassification(config, 2);
                model.to(CUDA);
                model.train();
                // flat (default): FlatAdamW, what the fold trainer uses; torchsharp: MixedPrecisionWeights + optim.AdamW + clip_grad_norm_, per tensor.
                var perTensor = options.Optimizer == "torchsharp";
                using var flat = perTensor ? null : new FlatAdamW(model, _ => new ParameterRate(2e-5, 0.01), mixedBFloat16: precision == TrainingPrecision.BFloat16Mixed);
                using var mixed = perTensor && precision == TrainingPrecision.BFloat16Mixed ? new MixedPrecisionWeights(model) : null;
                var parameters = mixed?.Masters.ToList() ?? model.parameters().ToList();
                using var optimizer = perTensor ? optim.AdamW(parameters, lr: 2e-5, weight_decay: 0.01) : null;
                using var ids = randint(1000, 30000, [options.Batch, options.Sequence], dtype: int64, device: CUDA);
                using var mask = ones(options.Batch, options.Sequence, dtype: int64, device: CUDA);
                using var target = randint(0, 2, [options.Batch], dtype: int64, device: CUDA);
                void Step()
                {
                    using var scope = NewDisposeScope();
                    var loss = nn.functional.cross_entropy(model.forward(ids, mask).to(float32), target);
                    loss.backward();
                    if (flat is not null)
                    {
                        flat.Update(1.0, 1.0);
                        return;
                    }
                    mixed?.GradientsToMasters();
                    nn.utils.clip_grad_norm_(parameters, 1.0);
                    optimizer!.step();
                    optimizer.zero_grad();
                    mixed?.MastersToModel();
                }
                // The same step without the optimiser, to see how much of the time AdamW's per-tensor updates take.
                void ForwardBackward()
                {
                    using var scope = NewDisposeScope();
                    nn.functional.cross_entropy(model.forward(ids, mask).to(float32), target).backward();
                    if (flat is not null)
                    {
                        flat.ZeroGrad();
                        return;
                    }
                    optimizer!.zero_grad();
                    model.zero_grad();
                }
                double Seconds(Action step)
                {
                    for (var i = 0; i < options.Warmup; i++) step();
                    cuda.synchronize();
                    var clock = Stopwatch.StartNew();
                    for (var i = 0; i < options.Steps; i++) step();
                    cuda.synchronize();
                    return clock.Elapsed.TotalSeconds / options.Steps;
                }
                var perStep = Seconds(Step);
                var withoutOptimizer = Seconds(ForwardBackward);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{size,-6} {precision,-14} {perStep,8:0.0000} {options.Batch / perStep,10:0.0}   forward+backward alone {withoutOptimizer:0.0000} s ({withoutOptimizer / perStep:P0} of the step)"));
            }
        }
    }

    /// <summary>The GPU's name from nvidia-smi (TorchSharp 0.107 has no get_device_name), or "cuda".</summary>
    private static string CudaDeviceName()
    {
        try
        {
            using var smi = Process.Start(new ProcessStartInfo("nvidia-smi", "--query-gpu=name --format=csv,noheader") { RedirectStandardOutput = true })!;
            var name = smi.StandardOutput.ReadLine();
            smi.WaitForExit();
            return string.IsNullOrWhiteSpace(name) ? "cuda" : name.Trim();
        }
        catch (Exception)
        {
            return "cuda";
        }
    }
}

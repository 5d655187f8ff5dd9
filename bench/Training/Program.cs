using System.Diagnostics;
using System.Globalization;
using SweepCluster.Training.Models;
using SweepCluster.Training.Optimization;
using SweepCluster.Training.Runtime;
using static TorchSharp.torch;

// Training samples/s of BertForSequenceClassification on CPU: one step is forward, cross-entropy,
// backward, gradient clipping, AdamW. Same shapes, thread count and step as pytorch_reference.py.
//   training-bench [--sizes base,small,minilm] [--threads 2] [--batch 8] [--seq 128] [--steps 5] [--warmup 2] [--optimizer flat|kernels|torchsharp] [--chunk ELEMENTS (flat: 0 = whole buffer)]
//   training-bench memory [--trials 100]: resident memory over many trials (the worker must not grow)
//   training-bench load-memory [--checkpoint DIR] [--tokenizer DIR]: peak resident memory of loading a BERT-base checkpoint
//   training-bench cuda-check FIXTURES [--batch 32 --seq 128]: the CUDA path on a GPU machine (parity, mixed precision, speed)

var options = Args.Parse(args);
TorchRuntime.EnsureLoadable();
if (args.Length > 1 && args[0] == "cuda-check")
{
    // Before any other torch call: the first one picks the native backend, and only this one may pick CUDA.
    await CudaCheck.RunAsync(args[1], options);
    return;
}
set_num_threads(options.Threads);
if (args.Contains("load-memory"))
{
    Environment.Exit(LoadMemory.Run(options, args));
}
if (args.Contains("memory"))
{
    await MemoryGrowth.RunAsync(options);
    return;
}
if (args.Contains("ab"))
{
    AlternatingSteps(options);
    return;
}
if (args.Contains("optimizer-step"))
{
    OptimizerStep(options);
    return;
}
Console.WriteLine($"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, optimizer {options.Optimizer}, {options.Threads} threads, batch {options.Batch}, seq {options.Sequence}, {options.Steps} timed steps after {options.Warmup} warm-up");
Console.WriteLine("size   layers hidden  params(M)  s/step  samples/s");
foreach (var size in options.Sizes)
{
    // minilm: the encoder shape of sentence-transformers/all-MiniLM-L6-v2 and snowflake-arctic-embed-xs.
    var (layers, hidden, heads) = size switch
    {
        "base" => (12, 768, 12), "small" => (4, 256, 4), "minilm" => (6, 384, 12),
        _ => throw new ArgumentException($"unknown size {size} (base, small or minilm)"),
    };
    var config = BackboneConfig.Parse($$"""
        {"model_type": "bert", "vocab_size": 30522, "hidden_size": {{hidden}}, "num_hidden_layers": {{layers}}, "num_attention_heads": {{heads}},
         "intermediate_size": {{4 * hidden}}, "max_position_embeddings": 512}
        """);
    manual_seed(0);
    using var model = new BertForSequenceClassification(config, 2);
    model.train();
    // flat (default, what the fold trainer uses): FlatAdamW.Update (on the CPU one fused pass); kernels: FlatAdamW's libtorch
    // kernels (ClipGradNorm + Step, what a GPU runs); torchsharp: optim.AdamW + clip_grad_norm_ (the per-tensor path before issue 16).
    using var optimizer = options.Optimizer == "torchsharp" ? optim.AdamW(model.parameters(), lr: 2e-5) : null;
    using var flat = options.Optimizer == "torchsharp" ? null : new FlatAdamW(model, _ => new ParameterRate(2e-5, 0), chunkElements: options.Chunk);
    using var ids = randint(1000, 30000, [options.Batch, options.Sequence], dtype: int64);
    using var mask = ones(options.Batch, options.Sequence, dtype: int64);
    using var labels = randint(0, 2, [options.Batch], dtype: int64);
    var parameters = model.parameters().Sum(p => p.numel()) / 1e6;

    void Step()
    {
        using var scope = NewDisposeScope();
        var loss = nn.functional.cross_entropy(model.forward(ids, mask), labels);
        loss.backward();
        if (flat is not null && options.Optimizer == "kernels")
        {
            // The libtorch kernel path (a CUDA device's) on the CPU: what Update ran here before its fused CPU pass.
            flat.ClipGradNorm(1.0).Dispose();
            flat.Step(1.0);
            flat.ZeroGrad();
            return;
        }
        if (flat is not null)
        {
            flat.Update(1.0, 1.0);
            return;
        }
        nn.utils.clip_grad_norm_(model.parameters(), 1.0);
        optimizer!.step();
        optimizer.zero_grad();
    }

    // The same step without clipping and AdamW, to see the optimiser's share of a step (as pytorch_reference.py does).
    void WithoutOptimizer()
    {
        using var scope = NewDisposeScope();
        nn.functional.cross_entropy(model.forward(ids, mask), labels).backward();
        optimizer?.zero_grad();
        flat?.ZeroGrad();
    }

    double Seconds(Action run)
    {
        for (var i = 0; i < options.Warmup; i++) run();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < options.Steps; i++) run();
        return clock.Elapsed.TotalSeconds / options.Steps;
    }

    var perStep = Seconds(Step);
    var withoutOptimizer = Seconds(WithoutOptimizer);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{size,-6} {layers,6} {hidden,6} {parameters,10:0.0} {perStep,7:0.000} {options.Batch / perStep,10:0.00}   forward+backward alone {withoutOptimizer:0.0000} s ({withoutOptimizer / perStep:P0} of the step)"));
}

// training-bench optimizer-step: clipping + AdamW alone on the model's parameters with random gradients, per-tensor
// TorchSharp against FlatAdamW (whole buffer, and in chunks): the optimiser's time without forward/backward noise.
static void OptimizerStep(Args options)
{
    Console.WriteLine($"clip + AdamW alone, {options.Threads} threads, {options.Steps} timed steps after {options.Warmup} warm-up (seconds per step)");
    Console.WriteLine("size   params(M)  torchsharp  flat(whole)  flat(2^18 chunks)  flat fused (Update)");
    foreach (var size in options.Sizes)
    {
        var (layers, hidden, heads) = size switch { "base" => (12, 768, 12), "small" => (4, 256, 4), _ => (6, 384, 12) };
        var config = BackboneConfig.Parse($$"""
            {"model_type": "bert", "vocab_size": 30522, "hidden_size": {{hidden}}, "num_hidden_layers": {{layers}}, "num_attention_heads": {{heads}},
             "intermediate_size": {{4 * hidden}}, "max_position_embeddings": 512}
            """);
        double Time(Action step, Action fill)
        {
            for (var i = 0; i < options.Warmup; i++) { fill(); step(); }
            var total = 0.0;
            for (var i = 0; i < options.Steps; i++)
            {
                fill();
                var clock = Stopwatch.StartNew();
                step();
                total += clock.Elapsed.TotalSeconds;
            }
            return total / options.Steps;
        }
        manual_seed(0);
        double perTensor, whole, chunked, millions;
        using (var model = new BertForSequenceClassification(config, 2))
        {
            var parameters = model.parameters().ToList();
            millions = parameters.Sum(p => p.numel()) / 1e6;
            using var adamw = optim.AdamW(parameters, lr: 2e-5);
            perTensor = Time(() => { nn.utils.clip_grad_norm_(parameters, 1.0); adamw.step(); },
                () => { using var _ = no_grad(); foreach (var p in parameters) p.grad = randn_like(p) * 1e-3; });
        }
        double Flat(long chunk)
        {
            using var model = new BertForSequenceClassification(config, 2);
            using var flat = new FlatAdamW(model, _ => new ParameterRate(2e-5, 0), chunkElements: chunk);
            return Time(() => { flat.ClipGradNorm(1.0).Dispose(); flat.Step(); }, () => { using var _ = no_grad(); flat.Gradients.normal_(0, 1e-3); });
        }
        whole = Flat(0);
        chunked = Flat(1L << 18);
        double fused;
        using (var model = new BertForSequenceClassification(config, 2))
        using (var flat = new FlatAdamW(model, _ => new ParameterRate(2e-5, 0)))
        {
            // Update: the CPU's one fused pass (plus the gradients' zero fill, which the kernel columns leave out).
            fused = Time(() => flat.Update(1.0, 1.0), () => { using var _ = no_grad(); flat.Gradients.normal_(0, 1e-3); });
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{size,-6} {millions,9:0.0} {perTensor,11:0.0000} {whole,12:0.0000} {chunked,18:0.0000} {fused,20:0.0000}"));
    }
}

// training-bench ab: the whole step before (per-tensor AdamW + clip_grad_norm_) and after (FlatAdamW) in one process,
// two models from the same start, steps alternating A, B, A, B…, so a load that changes over time (a shared
// machine) falls on both alike. Prints each one's mean seconds per step and samples/s.
static void AlternatingSteps(Args options)
{
    Console.WriteLine($"whole step, per-tensor (before) and flat (after) alternating, {options.Threads} threads, batch {options.Batch}, seq {options.Sequence}, {options.Steps} timed pairs after {options.Warmup} warm-up");
    Console.WriteLine("size   before s/step  samples/s   after s/step  samples/s   after/before samples/s");
    foreach (var size in options.Sizes)
    {
        var (layers, hidden, heads) = size switch { "base" => (12, 768, 12), "small" => (4, 256, 4), _ => (6, 384, 12) };
        var config = BackboneConfig.Parse($$"""
            {"model_type": "bert", "vocab_size": 30522, "hidden_size": {{hidden}}, "num_hidden_layers": {{layers}}, "num_attention_heads": {{heads}},
             "intermediate_size": {{4 * hidden}}, "max_position_embeddings": 512}
            """);
        manual_seed(0);
        using var before = new BertForSequenceClassification(config, 2);
        manual_seed(0);
        using var after = new BertForSequenceClassification(config, 2);
        before.train();
        after.train();
        var beforeParameters = before.parameters().ToList();
        using var adamw = optim.AdamW(beforeParameters, lr: 2e-5);
        using var flat = new FlatAdamW(after, _ => new ParameterRate(2e-5, 0), chunkElements: options.Chunk);
        using var ids = randint(1000, 30000, [options.Batch, options.Sequence], dtype: int64);
        using var mask = ones(options.Batch, options.Sequence, dtype: int64);
        using var labels = randint(0, 2, [options.Batch], dtype: int64);
        double Time(Action step)
        {
            var clock = Stopwatch.StartNew();
            step();
            return clock.Elapsed.TotalSeconds;
        }
        void Before()
        {
            using var scope = NewDisposeScope();
            nn.functional.cross_entropy(before.forward(ids, mask), labels).backward();
            nn.utils.clip_grad_norm_(beforeParameters, 1.0);
            adamw.step();
            adamw.zero_grad();
        }
        void After()
        {
            using var scope = NewDisposeScope();
            nn.functional.cross_entropy(after.forward(ids, mask), labels).backward();
            flat.Update(1.0, 1.0);
        }
        for (var i = 0; i < options.Warmup; i++) { Before(); After(); }
        double b = 0, a = 0;
        for (var i = 0; i < options.Steps; i++)
        {
            // Alternate which goes first, so neither always follows the other.
            if (i % 2 == 0) { b += Time(Before); a += Time(After); }
            else { a += Time(After); b += Time(Before); }
        }
        b /= options.Steps;
        a /= options.Steps;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{size,-6} {b,13:0.000} {options.Batch / b,10:0.00} {a,14:0.000} {options.Batch / a,10:0.00}   {b / a,8:0.00}x"));
    }
}

internal sealed record Args(string[] Sizes, int Threads, int Batch, int Sequence, int Steps, int Warmup, int Trials, string Checkpoint, string Tokenizer, string Optimizer, long? Chunk)
{
    public static Args Parse(string[] args)
    {
        string Value(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        int Int(string name, int fallback) => int.Parse(Value(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        return new Args(Value("--sizes", "base,small").Split(','), Int("--threads", 2), Int("--batch", 8), Int("--seq", 128), Int("--steps", 5), Int("--warmup", 2), Int("--trials", 100),
            Value("--checkpoint", Path.Combine(Path.GetTempPath(), "sweep-load-memory-bert-base")), Value("--tokenizer", "/work/shared/models/tokenizers/all-MiniLM-L6-v2"),
            Value("--optimizer", "flat"), Array.IndexOf(args, "--chunk") >= 0 ? long.Parse(Value("--chunk", "0"), CultureInfo.InvariantCulture) : null);
    }
}

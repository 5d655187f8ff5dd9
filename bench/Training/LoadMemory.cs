using System.Diagnostics;
using System.Globalization;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Models;
using static TorchSharp.torch;
using SweepCluster.Vocabulary;

/// <summary>
/// Peak resident memory of loading a BERT-base-sized checkpoint the way the worker does
/// (<see cref="SequenceClassifier.Create"/> then <see cref="CheckpointLoader.Load"/>). The checkpoint
/// (12 layers, hidden 768, 12 heads, intermediate 3072, the tokenizer's vocabulary; about 418 MiB of
/// float32) is written once by <see cref="RandomCheckpoint.Create"/> and reused; the load runs in a fresh
/// child process so that writing it does not count in the peak. Figures come from /proc/self/status:
/// VmRSS after the model is built, VmHWM (the kernel's high-water mark) after the load, both MiB.
/// </summary>
internal static class LoadMemory
{
    public static int Run(Args options, string[] args)
    {
        var folder = options.Checkpoint;
        if (args.Contains("--load-only")) return LoadAndReport(folder);
        if (!File.Exists(Path.Combine(folder, "model.safetensors")))
        {
            Console.WriteLine($"writing a BERT-base-sized random checkpoint to {folder} (vocabulary of {options.Tokenizer})");
            RandomCheckpoint.Create(BackboneFamily.Bert, options.Tokenizer, folder,
                new CheckpointShape { Layers = 12, Hidden = 768, Heads = 12, Intermediate = 3072, MaxPositions = 512 }, seed: 0);
        }
        // A fresh process: this one's high-water mark already holds the model written above.
        var start = new ProcessStartInfo(Environment.ProcessPath!, ["load-memory", "--load-only", "--checkpoint", folder, "--threads", options.Threads.ToString(CultureInfo.InvariantCulture)]);
        using var child = Process.Start(start)!;
        child.WaitForExit();
        return child.ExitCode;
    }

    private static int LoadAndReport(string folder)
    {
        var file = new FileInfo(Path.Combine(folder, "model.safetensors"));
        var config = BackboneConfig.Load(folder);
        using var model = SequenceClassifier.Create(BackboneFamily.Bert, config, 2);
        var parameterMiB = model.parameters().Sum(p => p.numel() * p.element_size()) / 1048576.0;
        var built = Status("VmRSS");
        var clock = Stopwatch.StartNew();
        var report = CheckpointLoader.Load(model, folder);
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model.safetensors {file.Length / 1048576.0:0.0} MiB, {report.Loaded} tensors loaded in {seconds:0.00} s; parameters {parameterMiB:0.0} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"resident after building the model {built:0.0} MiB; peak resident (VmHWM) after loading {Status("VmHWM"):0.0} MiB; the load added {Status("VmHWM") - built:0.0} MiB at its peak"));
        return 0;
    }

    /// <summary>A field of /proc/self/status ("VmHWM:    123456 kB"), in MiB.</summary>
    private static double Status(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
    }
}

using System.CommandLine;
using System.Text.Json;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Runtime;

namespace SweepCluster.Cli.Training;

/// <summary><c>sweep checkpoint create</c>: a random-initialised checkpoint folder of a family over a real tokenizer.</summary>
public static class CheckpointCommand
{
    public static Command Create(CliIO io)
    {
        var family = new Option<string>("--family") { Description = "bert, distilbert, roberta, electra or deberta-v2.", Required = true };
        family.AcceptOnlyFromAmong("bert", "distilbert", "roberta", "electra", "deberta-v2");
        var tokenizer = new Option<string>("--tokenizer") { Description = "Folder with the family's tokenizer files (vocab.txt; vocab.json + merges.txt; spm.model).", Required = true, HelpName = "DIR" };
        var output = new Option<string>("--out") { Description = "Checkpoint folder to write.", Required = true, HelpName = "DIR" };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 2, HelpName = "N" };
        var hidden = new Option<int>("--hidden") { DefaultValueFactory = _ => 64, HelpName = "N" };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 2, HelpName = "N" };
        var intermediate = new Option<int>("--intermediate") { DefaultValueFactory = _ => 128, HelpName = "N" };
        var positions = new Option<int>("--max-positions") { DefaultValueFactory = _ => 128, HelpName = "N" };
        var embedding = new Option<int?>("--embedding-size") { Description = "ELECTRA only: embedding width below the hidden size.", HelpName = "N" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var create = new Command("create", "Write a random-initialised checkpoint (config.json, model.safetensors, tokenizer files) laid out like a Hugging Face download: for smoke tests and demos where no pretrained checkpoint is at hand.")
        {
            family, tokenizer, output, layers, hidden, heads, intermediate, positions, embedding, seed,
        };
        create.SetAction(parse =>
        {
            TorchRuntime.EnsureLoadable();
            var backbone = SweepCluster.Training.Models.BackboneConfig.FamilyOf(parse.GetValue(family)!);
            var shape = new CheckpointShape
            {
                Layers = parse.GetValue(layers), Hidden = parse.GetValue(hidden), Heads = parse.GetValue(heads),
                Intermediate = parse.GetValue(intermediate), MaxPositions = parse.GetValue(positions), EmbeddingSize = parse.GetValue(embedding),
            };
            try
            {
                var config = RandomCheckpoint.Create(backbone, parse.GetValue(tokenizer)!, parse.GetValue(output)!, shape, parse.GetValue(seed));
                io.Out.WriteLine($"{parse.GetValue(output)}: {config.ModelType}, {config.Layers} layers, hidden {config.HiddenSize}, vocabulary {config.VocabSize}");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new UsageException(e.Message, e);
            }
        });
        return new Command("checkpoint", "Checkpoint tools.") { create, Import(io) };
    }

    /// <summary><c>sweep checkpoint import</c>: an ONNX-exported encoder (a .onnx file, or an assembly embedding one) → a Hugging Face checkpoint folder.</summary>
    private static Command Import(CliIO io)
    {
        var source = new Argument<string>("source") { Description = "model.onnx exported by torch.onnx, or a .NET assembly (.dll) that embeds one as a manifest resource (with its vocab.txt)." };
        var output = new Option<string>("--out") { Description = "Checkpoint folder to write (config.json, model.safetensors, tokenizer files).", Required = true, HelpName = "DIR" };
        var family = new Option<string?>("--family") { Description = "bert, distilbert, roberta or electra; default: inferred from the weight names (BERT-style names are written as bert).", HelpName = "F" };
        family.AcceptOnlyFromAmong("bert", "distilbert", "roberta", "electra", "deberta-v2");
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Folder with the tokenizer files; default: the vocab.txt embedded beside the model.", HelpName = "DIR" };
        var config = new Option<string?>("--config") { Description = "config.json to use instead of reading the architecture from the graph.", HelpName = "FILE" };
        var import = new Command("import", "Convert an ONNX export of an encoder into a Hugging Face checkpoint folder: linear weights named after their biases and transposed, the architecture read from the graph, the weights checked against the family's model before they are written.")
        {
            source, output, family, tokenizer, config,
        };
        import.SetAction(parse =>
        {
            TorchRuntime.EnsureLoadable();
            try
            {
                var onnx = OnnxImport.Open(parse.GetValue(source)!);
                var report = OnnxImport.Import(onnx, parse.GetValue(output)!, parse.GetValue(tokenizer), parse.GetValue(family), parse.GetValue(config));
                var c = report.Config;
                io.Out.WriteLine($"{parse.GetValue(output)}: {c.ModelType}, {c.Layers} layers, hidden {c.HiddenSize}, {c.Heads} heads, intermediate {c.IntermediateSize}, " +
                    $"vocabulary {c.VocabSize}, {c.MaxPositions} positions; {report.Tensors} tensors ({report.Renamed} MatMul weights named after their biases)");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or JsonException)
            {
                throw new UsageException(e.Message, e);
            }
        });
        return import;
    }
}

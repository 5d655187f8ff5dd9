using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using SweepCluster.Studies;
using SweepCluster.Search.Space;
using static SweepCluster.Studies.Tests.StudyYaml;

namespace SweepCluster.Studies.Tests;

/// <summary>
/// schemas/study.schema.json, the JSON Schema editors use for study files (docs/study-spec.md, "Editor
/// support"): it is valid draft 2020-12, every example and the reference's complete file pass it, every
/// mistake of <see cref="StudySpecErrorTests.Mistakes"/> that a JSON Schema can express fails it at the
/// parser's key path, and its choices and defaults are the parser's.
/// </summary>
public sealed partial class StudySchemaTests
{
    private const string Modeline = "# yaml-language-server: $schema=../schemas/study.schema.json";

    /// <summary>
    /// The mistakes the schema lets through: rules between values that JSON Schema cannot state. Each is
    /// left to StudySpecParser (sweep submit --check). The test below fails if this list and the set of
    /// passing mistakes differ in either direction, so it can neither grow nor shrink silently.
    /// </summary>
    private static readonly string[] NotExpressible =
    [
        // Backbone names unique: uniqueItems compares whole items, not one key of them.
        "duplicate backbone name",
        // low <= high: JSON Schema cannot compare two values of the instance.
        "invalid study space",
        "invalid override",
        // A condition's parent must be declared earlier in the same space: a schema cannot refer to sibling keys.
        "condition on an unknown parameter",
        // A backbone's overrides are checked against the study-wide space (another part of the document):
        // what it removes must exist there, and the merged space must keep its parents and a parameter.
        "override removing a parent",
        "override removing an unknown parameter",
        "override removing every parameter",
        // Classes 0..K-1 without a gap quantifies over the values (one if/then per possible class, 999 of them).
        "label map skipping a class",
    ];

    private static readonly Lazy<string> SchemaText = new(() => File.ReadAllText(Path.Combine(RepositoryRoot(), "schemas", "study.schema.json")));
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(SchemaText.Value));
    private static readonly Lazy<JsonObject> SchemaJson = new(() => JsonNode.Parse(SchemaText.Value)!.AsObject());

    private static EvaluationResults Evaluate(string yaml) =>
        Schema.Value.Evaluate(YamlJson.Convert(yaml), new EvaluationOptions { OutputFormat = OutputFormat.List });

    private static string Errors(EvaluationResults results) => string.Join("; ",
        Failures(results).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} {e.Key}: {e.Value}")));

    /// <summary>
    /// The errors that make the study invalid: those of subschemas failing all the way up. A failed branch
    /// of an anyOf that another branch satisfies, or a failed if, has errors too, but refuses nothing.
    /// </summary>
    private static IEnumerable<EvaluationResults> Failures(EvaluationResults results) =>
        results.Details.Where(d => d.HasErrors && Ancestry(d).All(a => !a.IsValid));

    private static IEnumerable<EvaluationResults> Ancestry(EvaluationResults? results)
    {
        for (; results is not null; results = results.Parent) yield return results;
    }

    private static IEnumerable<(string Mistake, string Yaml, string KeyPath, string Problem)> AllMistakes() =>
        StudySpecErrorTests.Mistakes.Select(row => ((ITheoryDataRow)row).GetData()).Select(d => ((string)d[0]!, (string)d[1]!, (string)d[2]!, (string)d[4]!));

    [Fact]
    public void The_schema_is_valid_draft_2020_12()
    {
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)SchemaJson.Value["$schema"]);

        var results = MetaSchemas.Draft202012.Evaluate(JsonNode.Parse(SchemaText.Value), new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.True(results.IsValid, Errors(results));
        // Every $ref points at a $defs entry that exists (an unresolved one would only fail when reached).
        var defs = SchemaJson.Value["$defs"]!.AsObject();
        foreach (var reference in Nodes(SchemaJson.Value).OfType<JsonObject>().Select(o => (string?)o["$ref"]).OfType<string>())
        {
            Assert.StartsWith("#/$defs/", reference);
            Assert.True(defs.ContainsKey(reference["#/$defs/".Length..]), $"$ref {reference} has no $defs entry");
        }
    }

    public static TheoryData<string> Examples() =>
        new(Directory.GetFiles(Path.Combine(RepositoryRoot(), "examples"), "*.yaml").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_example_names_the_schema_and_validates(string file)
    {
        var path = Path.Combine(RepositoryRoot(), "examples", file);
        var yaml = File.ReadAllText(path);

        Assert.Equal(Modeline, yaml.Split('\n')[0]);
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, Modeline.Split('=')[1])), "the modeline's path resolves");
        var results = Evaluate(yaml);
        Assert.True(results.IsValid, $"{file}: {Errors(results)}");
        StudySpecParser.Load(path); // and the parser agrees
    }

    [Fact]
    public void There_are_examples() => Assert.True(Examples().Count >= 4);

    [Fact]
    public void The_complete_file_in_the_schema_reference_validates()
    {
        var reference = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "study-spec.md"));
        var start = reference.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var yaml = reference[start..reference.IndexOf("```", start, StringComparison.Ordinal)];

        var results = Evaluate(yaml);

        Assert.True(results.IsValid, Errors(results));
        Assert.Contains("yaml-language-server", reference); // the Editor support paragraph
    }

    /// <summary>Studies the parser accepts, written the less usual ways: the schema must not refuse any of them.</summary>
    public static TheoryData<string, string> Accepted() => new()
    {
        { "valid", Valid },
        { "minimal", Minimal },
        { "null section", ValidWith("sampler: {kind: tpe}", "sampler:") },
        { "null key", ValidWith("kind: tpe}", "kind: ~}") },
        { "family alias deberta-v3", ValidWith("family: roberta", "family: deberta-v3") },
        { "family alias deberta", ValidWith("family: roberta", "family: deberta") },
        { "number as a column name, tab delimiter", ValidWith("  train: data/train.csv", "  train: data/train.csv\n  text_column: 2\n  delimiter: \"\\t\"") },
        { "digit as a delimiter", ValidWith("  train: data/train.csv", "  train: data/train.csv\n  delimiter: 5") },
        { "label_column", ValidWith("  train: data/train.csv", "  train: data/train.csv\n  label_column: target") },
        { "null label_column beside label_columns", ValidWith("  train: data/train.csv", "  train: data/train.csv\n  label_column: ~\n  label_columns: [a, b]") },
        { "labels sharing a class", ValidWith("EXTREMIST: 1", "EXTREMIST: 1, OTHER: 1") },
        { "number as a name", ValidWith("name: demo", "name: 2024") },
        { "capitalised booleans", ValidWith("mixed_precision: true", "mixed_precision: True") },
        { "hex integer", ValidWith("seed: 7", "seed: 0x1F") },
        { "exponent", ValidWith("percentile: 50", "percentile: 5.0e+1") },
        { "fold rule", ValidWith("kind: median", "kind: median, fold_rule: current_fold") },
        { "sequential backbones", ValidWith("max_parallel: 2", "max_parallel: 2, backbone_order: sequential") },
        { "null classic members", ValidWith("ensemble: soft}", "ensemble: soft, classic_members: ~}") },
        { "classic members", ValidWith("ensemble: soft}", "ensemble: soft, models: folds, classic_members: [nbsvm, tfidf_char]}") },
        { "override removing a parameter", WithRobertaLines("search_space:", "  beta2: null") },
        { "override replacing and adding", WithRobertaLines("search_space:", "  lr: {type: float, low: 0.001, high: 0.01}", "  momentum: {type: float, low: 0, high: 0.9, step: 0.1}", "  wd: {type: float, low: 0, high: 0.1, when: {optimizer: [sgd]}}") },
        { "int parameters", WithRobertaLines("search_space:", "  layers: {type: int, low: 1, high: 64, log: true}", "  width: {type: int, low: 8, high: 64, step: 8}", "  heads: {type: int, low: 1, high: 8, log: true, step: 1}") },
        { "categorical choices of every type", WithRobertaLines("search_space:", "  flag: {type: categorical, choices: [true, false]}", "  mix: {type: categorical, choices: [1, '1', x, 2.5, '']}") },
        { "null definition keys", WithRobertaLines("search_space:", "  p: {type: float, low: 0, high: 1, step: ~, log: ~, when: ~, choices: ~}") },
        { "training with checkpoints", ValidWith("kind: simulated", "kind: train") + "    checkpoint: models/roberta\n" },
        { "null workload with checkpoints", ValidWith("workload: {kind: simulated, curve_family: crossing, steps: 3, step_seconds: 0, failure_rate: 0}", "workload:") + "    checkpoint: models/roberta\n" },
        { "a space per backbone", """
            name: own-spaces
            data: {train: train.csv}
            budget: {trials_per_backbone: 10}
            workload: {kind: simulated}
            search_space:
            backbones:
              - name: bert
                family: bert
                search_space: {lr: {type: float, low: 0.1, high: 1}}
              - name: roberta
                family: roberta
                search_space: {lr: {type: float, low: 0.2, high: 1}, wd: {type: float, low: 0, high: 1, when: {lr: [0.5]}}}
            """ },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void A_study_the_parser_accepts_validates(string what, string yaml)
    {
        StudySpecParser.Parse(yaml);

        var results = Evaluate(yaml);

        Assert.True(results.IsValid, $"{what}: {Errors(results)}");
    }

    public static TheoryData<string> ExpressibleMistakes() =>
        new(AllMistakes().Select(m => m.Mistake).Where(m => !NotExpressible.Contains(m)));

    [Theory]
    [MemberData(nameof(ExpressibleMistakes))]
    public void A_mistake_fails_the_schema_at_the_parsers_key_path(string mistake)
    {
        var (_, yaml, keyPath, _) = AllMistakes().Single(m => m.Mistake == mistake);

        var results = Evaluate(yaml);

        Assert.False(results.IsValid, $"{mistake}: the schema accepts it");
        // Refused for the parser's reason, not another: an error sits on the key path (at it, above it, or
        // below it), and only a top-level key may be refused at the root (a missing one).
        var pointer = Pointer(keyPath);
        var locations = Failures(results).Select(d => d.InstanceLocation.ToString()).Distinct().ToList();
        Assert.True(
            locations.Any(l => l == pointer || (l.Length > 0 && pointer.StartsWith(l + "/", StringComparison.Ordinal)) || l.StartsWith(pointer + "/", StringComparison.Ordinal)
                               || (l.Length == 0 && pointer.Count(c => c == '/') == 1)),
            $"{mistake}: the parser names {keyPath} ({pointer}); the schema's errors: {Errors(results)}");
    }

    [Fact]
    public void Exactly_the_listed_mistakes_pass_the_schema()
    {
        var passing = AllMistakes().Where(m => Evaluate(m.Yaml).IsValid).Select(m => m.Mistake).Order().ToList();

        // Of the table's 76 mistakes when this was written, 68 fail the schema and these 8 pass it.
        Assert.Equal(NotExpressible.Order(), passing);
    }

    /// <summary>
    /// Each choice key's enum is the parser's list, read from its error message for a wrong value (the
    /// Mistakes table's "unknown ..." rows), plus the aliases it accepts without advertising them. Every
    /// enum the schema has on a key is covered, so a choice added to either side fails here.
    /// </summary>
    [Fact]
    public void The_schemas_choices_are_the_parsers()
    {
        var aliases = new Dictionary<string, string[]> { ["backbones[0].family"] = ["deberta-v3", "deberta"] };
        var checkedEnums = new List<string>();
        foreach (var (mistake, yaml, keyPath, _) in AllMistakes())
        {
            var error = Assert.Throws<StudySpecException>(() => StudySpecParser.Parse(yaml));
            if (ExpectedOneOf().Match(error.Problem) is not { Success: true } match) continue;
            var parserChoices = match.Groups[1].Value.Split(", ").Concat(aliases.GetValueOrDefault(keyPath, [])).ToList();

            var (location, property) = SchemaAt(keyPath);
            var schemaChoices = property["enum"]?.AsArray().Where(v => v is not null).Select(v => (string)v!).ToList();

            Assert.True(schemaChoices is not null, $"{mistake}: no enum at {location}");
            Assert.Equal(parserChoices, schemaChoices);
            checkedEnums.Add(location);
        }
        // The aliases are really accepted (the message does not list them).
        foreach (var alias in aliases.Values.SelectMany(a => a)) StudySpecParser.Parse(ValidWith("family: distilbert", $"family: {alias}"));

        Assert.Equal(SchemaKeys(SchemaJson.Value, "enum").Order(), checkedEnums.Distinct().Order());
    }

    /// <summary>Every "default" in the schema is what the parser gives a study that leaves the key out.</summary>
    [Fact]
    public void The_schemas_defaults_are_the_parsers()
    {
        var yaml = Minimal.Replace("workload: {kind: simulated}\n", "").Replace("{name: bert, family: bert}", "{name: bert, family: bert, checkpoint: m}")
            .Replace("  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}", "  x: {type: float, low: 0, high: 1}");
        var spec = StudySpecParser.Parse(yaml);
        var backbone = spec.Backbones[0];
        string Name(Enum value) => value.ToString().ToLowerInvariant();
        var expected = new Dictionary<string, object>
        {
            ["seed"] = spec.Seed,
            ["data.text_column"] = spec.Data.TextColumn,
            ["data.label_columns"] = spec.Data.LabelColumns,
            ["data.label_map"] = spec.Data.LabelMap,
            ["data.holdout_fraction"] = spec.Data.HoldoutFraction,
            ["data.balancing"] = Name(spec.Data.Balancing),
            ["data.min_text_length"] = spec.Data.MinTextLength,
            ["objective.metric"] = spec.Objective.Metric,
            ["objective.direction"] = Name(spec.Objective.Direction),
            ["cv_folds"] = spec.CvFolds,
            ["budget.max_parallel"] = spec.Budget.MaxParallel,
            ["budget.backbone_order"] = Name(spec.Budget.BackboneOrder),
            // The file's default is the word auto; the parser stores the kind it chose and marks it chosen.
            ["sampler.kind"] = spec.Sampler.Auto ? AutoSampler.Name : spec.Sampler.Kind,
            ["sampler.share_across_backbones"] = spec.Sampler.ShareAcrossBackbones,
            ["pruner.kind"] = spec.Pruner.Kind,
            ["pruner.startup_trials"] = spec.Pruner.StartupTrials,
            ["pruner.warmup_steps"] = spec.Pruner.WarmupSteps,
            ["pruner.interval_steps"] = spec.Pruner.IntervalSteps,
            ["pruner.percentile"] = spec.Pruner.Percentile,
            ["pruner.fold_rule"] = spec.Pruner.FoldRule,
            ["training.epochs"] = spec.Training.Epochs,
            ["training.early_stopping_patience"] = spec.Training.EarlyStoppingPatience,
            ["training.batch_size"] = spec.Training.BatchSize,
            ["training.mixed_precision"] = spec.Training.MixedPrecision,
            ["workload.kind"] = Name(spec.Workload.Kind),
            ["workload.curve_family"] = spec.Workload.CurveFamily,
            ["workload.steps"] = spec.Workload.Steps,
            ["workload.folds"] = spec.Workload.Folds,
            ["workload.step_seconds"] = spec.Workload.StepSeconds,
            ["workload.failure_rate"] = spec.Workload.FailureRate,
            ["trials.lease_seconds"] = spec.Trials.LeaseSeconds,
            ["trials.max_attempts"] = spec.Trials.MaxAttempts,
            ["final.retrain"] = spec.Final.Retrain,
            ["final.ensemble"] = Name(spec.Final.Ensemble),
            ["final.fit_weights"] = spec.Final.FitWeights,
            ["final.models"] = Name(spec.Final.Models),
            ["final.classic_members"] = spec.Final.ClassicMembers,
            ["backbones[0].min_gpu_memory_mb"] = backbone.MinGpuMemoryMb,
            ["backbones[0].max_sequence_length"] = backbone.MaxSequenceLength,
            ["search_space.x.log"] = ((FloatDistribution)backbone.Space["x"].Distribution).Log,
        };
        var checkedDefaults = new List<string>();
        foreach (var (keyPath, value) in expected)
        {
            var (location, property) = SchemaAt(keyPath);
            var actual = property["default"];
            var wanted = JsonSerializer.SerializeToNode(value);
            Assert.True(JsonNode.DeepEquals(wanted, actual) || (wanted is JsonValue w && actual is JsonValue a && w.GetValue<JsonElement>().ValueKind == JsonValueKind.Number
                                                               && a.GetValue<JsonElement>().ValueKind == JsonValueKind.Number && w.GetValue<JsonElement>().GetDouble() == a.GetValue<JsonElement>().GetDouble()),
                $"{keyPath}: the schema's default is {actual?.ToJsonString() ?? "missing"}, the parser's {wanted?.ToJsonString()}");
            checkedDefaults.Add(location);
        }

        Assert.Equal(SchemaKeys(SchemaJson.Value, "default").Order(), checkedDefaults.Distinct().Order());
    }

    /// <summary>
    /// The sampler.kind description an editor shows on hover states auto's rule as docs/study-spec.md and the parser
    /// apply it: a conditional space is no bar to gp (its width counts the widest branch). The schema still said
    /// "gp when no backbone's space has a conditional parameter", the rule before the GP modelled conditional ones.
    /// </summary>
    [Fact]
    public void The_auto_samplers_description_is_the_parsers_rule()
    {
        var description = (string)SchemaAt("sampler.kind").Schema["description"]!;
        var conditional = StudySpecParser.Parse(Minimal.Replace("  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}\n",
            "  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}\n  optimizer: {type: categorical, choices: [adamw, sgd]}\n"
            + "  momentum: {type: float, low: 0.0, high: 0.99, when: {optimizer: [sgd]}}\n"));
        Assert.True(conditional.Backbones[0].Space["momentum"].IsConditional);
        Assert.Equal(("gp", true), (conditional.Sampler.Kind, conditional.Sampler.Auto));

        Assert.DoesNotContain("conditional parameter or", description);
        Assert.Contains($"more than {AutoSampler.MaxGpWidth} GP columns", description);
        Assert.Contains("widest branch", description);
        Assert.Contains($"at most {AutoSampler.MaxGpTrialsPerBackbone} trials per backbone ({AutoSampler.MaxGpPoints} shared)", description);
    }

    /// <summary>
    /// The keys each section of a study file may hold are the same in the schema and the parser (its private key
    /// lists, read by reflection so a key added to the parser alone fails here). sampler.share_across_backbones was
    /// read by the parser but missing from the schema, so editors flagged a valid study file.
    /// </summary>
    [Theory]
    [InlineData("StudyKeys", "")]
    [InlineData("DataKeys", "data")]
    [InlineData("ObjectiveKeys", "objective")]
    [InlineData("BudgetKeys", "budget")]
    [InlineData("SamplerKeys", "sampler")]
    [InlineData("PrunerKeys", "pruner")]
    [InlineData("TrainingKeys", "training")]
    [InlineData("WorkloadKeys", "workload")]
    [InlineData("TrialPolicyKeys", "trials")]
    [InlineData("FinalKeys", "final")]
    [InlineData("BackboneKeys", "backbones[0]")]
    public void Each_sections_keys_are_the_parsers(string parserList, string keyPath)
    {
        var field = typeof(StudySpecParser).GetField(parserList, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
            ?? throw new InvalidOperationException($"StudySpecParser has no {parserList}");
        var parserKeys = ((string[])field.GetValue(null)!).Order().ToList();
        var section = keyPath.Length == 0 ? Resolve(SchemaJson.Value) : Resolve(SchemaAt(keyPath).Schema);
        var schemaKeys = section["properties"]!.AsObject().Select(p => p.Key).Order().ToList();
        Assert.Equal(parserKeys, schemaKeys);
    }

    [GeneratedRegex(@"\(expected one of ([^)]*)\)")]
    private static partial Regex ExpectedOneOf();

    /// <summary>"backbones[1].search_space.lr" → "/backbones/1/search_space/lr" (JSON Pointer of the instance).</summary>
    private static string Pointer(string keyPath) =>
        keyPath.Length == 0 ? "" : "/" + string.Join("/", keyPath.Replace("[", ".").Replace("]", "").Split('.'));

    /// <summary>
    /// The schema of the key at <paramref name="keyPath"/> as the schema describes its shape (following
    /// properties, items, additionalProperties and $ref, not the cross-field rules): its location as walked,
    /// and its keywords, those written beside a $ref first.
    /// </summary>
    private static (string Location, JsonObject Schema) SchemaAt(string keyPath)
    {
        var (location, node) = ("", SchemaJson.Value);
        foreach (var segment in Pointer(keyPath).Split('/').Skip(1))
        {
            var resolved = Resolve(node);
            (location, node) = resolved["properties"]?[segment] is JsonObject property ? ($"{location}/properties/{segment}", property)
                : int.TryParse(segment, out _) && resolved["items"] is JsonObject items ? ($"{location}/items", items)
                : resolved["additionalProperties"] is JsonObject additional ? ($"{location}/additionalProperties", additional)
                : throw new InvalidOperationException($"the schema has no place for '{segment}' of {keyPath} at {location}");
        }
        return (location, Keywords(node));
    }

    /// <summary>A subschema's keywords with those of the $defs entry it refers to (its own win).</summary>
    private static JsonObject Keywords(JsonObject node)
    {
        var merged = Resolve(node).DeepClone().AsObject();
        foreach (var (key, value) in node)
            if (key != "$ref") merged[key] = value?.DeepClone();
        return merged;
    }

    private static JsonObject Resolve(JsonObject node)
    {
        while (node["$ref"] is JsonValue reference)
            node = SchemaJson.Value["$defs"]![((string)reference!)["#/$defs/".Length..]]!.AsObject();
        return node;
    }

    /// <summary>The locations of every key schema that has <paramref name="keyword"/>, walked as <see cref="SchemaAt"/> walks.</summary>
    private static IEnumerable<string> SchemaKeys(JsonObject root, string keyword)
    {
        var pending = new Stack<(string, JsonObject)>([("", root)]);
        while (pending.TryPop(out var current))
        {
            var (location, node) = current;
            if (Keywords(node).ContainsKey(keyword)) yield return location;
            var resolved = Resolve(node);
            foreach (var (name, property) in resolved["properties"]?.AsObject() ?? [])
                if (property is JsonObject p) pending.Push(($"{location}/properties/{name}", p));
            if (resolved["items"] is JsonObject items) pending.Push(($"{location}/items", items));
            if (resolved["additionalProperties"] is JsonObject additional) pending.Push(($"{location}/additionalProperties", additional));
        }
    }

    private static IEnumerable<JsonNode> Nodes(JsonNode node)
    {
        yield return node;
        var children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a.AsEnumerable(),
            _ => [],
        };
        foreach (var child in children.OfType<JsonNode>())
            foreach (var descendant in Nodes(child))
                yield return descendant;
    }
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace SweepCluster.Cli.Tests.Deploy;

/// <summary>
/// Offline CI check of deploy/k8s: renders the base and every overlay (a small kustomize subset in C#:
/// resources, components, namespace; cross-checked with `kubectl kustomize` when a kubectl with
/// kustomize v4+ is installed; Debian's kubernetes-client 1.20 is too old for components) and checks
/// the rules a platform team applies: referenced claims, secrets, config maps and service accounts
/// defined (or user-provided and documented), securityContext, resources, probes, no secret in args,
/// one autoscaler per Deployment, no CRD in the base. Every rendered object is also validated against
/// the Kubernetes API schemas and the KEDA and Prometheus Operator CRD schemas, offline, by
/// tools/k8s-validate (the npm kubernetes-models packages; `npm ci --prefix tools/k8s-validate`,
/// which .ci/run does). Those schemas, like the API server's non-strict mode, do not refuse unknown fields.
/// </summary>
public sealed class KubernetesManifestTests
{
    /// <summary>Objects the user creates (kubectl create secret …), each documented in base/secret.example.yaml.</summary>
    private static readonly string[] UserProvidedSecrets = ["sweep-db"];

    private static readonly string[] Overlays = ["deploy/k8s", "deploy/k8s/overlays/keda", "deploy/k8s/overlays/hpa"];

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "deploy/k8s/kustomization.yaml"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return dir.FullName;
    }

    public static TheoryData<string> OverlayNames() => new(Overlays);

    [Theory]
    [MemberData(nameof(OverlayNames))]
    public void Overlay_renders_and_passes_the_deployment_rules(string overlay)
    {
        var objects = Render(Path.Combine(RepoRoot(), overlay));
        Assert.NotEmpty(objects);
        var violations = Check(objects, SecretExampleKeys());
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        if (overlay == "deploy/k8s")
        {
            var custom = objects.Where(o => Str(o, "apiVersion") is { } v && (v.Contains("coreos.com") || v.Contains("keda.sh"))).ToList();
            Assert.True(custom.Count == 0, "the base must apply on a bare cluster (no CRD kinds)");
        }
    }

    [Theory]
    [MemberData(nameof(OverlayNames))]
    public void Kubectl_kustomize_renders_the_same_objects(string overlay)
    {
        var root = RepoRoot();
        var rendered = KubectlKustomize(Path.Combine(root, overlay));
        if (rendered is null) Assert.Skip("no kubectl with kustomize v4+ (components) installed");
        var expected = Render(Path.Combine(root, overlay)).Select(Key).Order().ToList();
        var actual = ParseAll(rendered).Select(Key).Order().ToList();
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(OverlayNames))]
    public void Every_object_passes_the_kubernetes_and_crd_schemas(string overlay)
    {
        var folder = Path.Combine(RepoRoot(), overlay);
        // kubectl's render when it can; otherwise the source documents (the schemas do not depend on the namespace).
        var text = KubectlKustomize(folder) ?? string.Join("\n---\n", SourceFiles(folder).Select(File.ReadAllText));
        var (exitCode, output) = ValidateSchemas(text);
        Assert.True(exitCode == 0, output);
        Assert.Equal(Render(folder).Count, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Objects_that_break_their_schemas_fail_the_schema_check()
    {
        const string broken = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: bad}
            spec:
              replicas: two
              selector: {matchLabels: {app: bad}}
              template:
                metadata: {labels: {app: bad}}
                spec:
                  containers:
                    - name: c
                      image: x
                      imagePullPolicy: Sometimes
                      ports: [{containerPort: "8080"}]
                      livenessProbe: {httpGet: {path: /healthz/live}}
            ---
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata: {name: k}
            spec: {scaleTargetRef: {name: bad}, triggers: [{metadata: {query: q}}]}
            ---
            apiVersion: monitoring.coreos.com/v1
            kind: ServiceMonitor
            metadata: {name: m}
            spec: {selector: {}, endpoints: {port: metrics}}
            ---
            apiVersion: sweepcluster.dev/v1
            kind: Study
            metadata: {name: s}
            """;
        var (exitCode, output) = ValidateSchemas(broken);
        Assert.Equal(1, exitCode);
        foreach (var expected in new[]
                 {
                     "invalid Deployment bad:", "spec/replicas must be integer", "imagePullPolicy must be equal to one of the allowed values",
                     "containerPort must be integer", "httpGet must have required property port",
                     "invalid ScaledObject k:", "must have required property type",
                     "invalid ServiceMonitor m:", "spec/endpoints must be array",
                     "invalid Study s: no schema for sweepcluster.dev/v1 Study",
                 })
            Assert.Contains(expected, output);
    }

    [Fact]
    public void Broken_manifests_fail_the_check()
    {
        const string broken = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: bad}
            spec:
              strategy: {rollingUpdate: {maxSurge: 1}}
              template:
                spec:
                  serviceAccountName: ghost
                  securityContext: {runAsUser: app}
                  containers:
                    - name: c
                      image: x
                      args: [--cluster=$(SWEEP_CLUSTER)]
                      env:
                        - name: SWEEP_CLUSTER
                          valueFrom: {secretKeyRef: {name: sweep-db, key: storage}}
                        - {name: DB, value: "Host=db;Password=hunter2"}
                  volumes:
                    - {name: m, persistentVolumeClaim: {claimName: sweep-models}}
                    - {name: c, configMap: {name: nowhere}}
                    - {name: s, secret: {secretName: undeclared}}
            ---
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: h}
            spec: {scaleTargetRef: {kind: Deployment, name: bad}}
            ---
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata: {name: k}
            spec: {scaleTargetRef: {name: bad}}
            """;
        var violations = Check(ParseAll(broken), SecretExampleKeys());
        foreach (var expected in new[] { "secret in args", "Password=", "sweep-models", "nowhere", "undeclared", "ghost", "runAsUser",
                     "runAsNonRoot", "seccomp", "readOnlyRootFilesystem", "drop ALL", "resources", "scaled by both", "without ports still needs a livenessProbe" })
            Assert.Contains(violations, v => v.Contains(expected, StringComparison.Ordinal));
    }

    // ---- the rules ----

    internal static List<string> Check(List<Dictionary<object, object>> objects, Dictionary<string, HashSet<string>> userSecrets)
    {
        var violations = new List<string>();
        var defined = objects.Select(o => (Str(o, "kind"), Str(Map(o, "metadata"), "name"))).ToHashSet();
        bool Has(string kind, string name) => defined.Contains((kind, name));
        var autoscaled = new Dictionary<string, List<string>>();

        foreach (var o in objects)
        {
            var kind = Str(o, "kind") ?? "?";
            var name = Str(Map(o, "metadata"), "name") ?? "?";
            var where = $"{kind}/{name}";
            if (kind is "HorizontalPodAutoscaler" or "ScaledObject")
            {
                var target = Str(Map(Map(o, "spec"), "scaleTargetRef"), "name") ?? "?";
                (autoscaled.TryGetValue(target, out var list) ? list : autoscaled[target] = []).Add(where);
            }
            if (kind is not ("Deployment" or "StatefulSet" or "DaemonSet" or "Job")) continue;
            var spec = Map(o, "spec");
            var pod = Map(Map(spec, "template"), "spec");
            var claimTemplates = List(spec, "volumeClaimTemplates").OfType<Dictionary<object, object>>().Select(t => Str(Map(t, "metadata"), "name")).ToHashSet();

            if (kind == "Deployment" && Has("Deployment", name) && pod is not null && Str(Map(pod, "nodeSelector"), "nvidia.com/gpu.present") is not null
                && Str(Map(Map(spec, "strategy"), "rollingUpdate"), "maxSurge") != "0")
                violations.Add($"{where}: GPU workers need rollingUpdate.maxSurge 0 (a surge pod waits for a spare GPU)");

            var sa = Str(pod, "serviceAccountName");
            if (sa is not null && !Has("ServiceAccount", sa)) violations.Add($"{where}: service account {sa} is not defined");

            var podSecurity = Map(pod, "securityContext");
            if (Str(podSecurity, "runAsNonRoot") != "true") violations.Add($"{where}: pod securityContext.runAsNonRoot is not true");
            if (!long.TryParse(Str(podSecurity, "runAsUser"), out var uid) || uid <= 0) violations.Add($"{where}: pod securityContext.runAsUser is not a numeric non-root UID");
            if (Str(Map(podSecurity, "seccompProfile"), "type") != "RuntimeDefault") violations.Add($"{where}: pod seccompProfile is not RuntimeDefault");

            var volumes = List(pod, "volumes").OfType<Dictionary<object, object>>().ToList();
            foreach (var v in volumes)
            {
                if (Str(Map(v, "persistentVolumeClaim"), "claimName") is { } claim && !Has("PersistentVolumeClaim", claim))
                    violations.Add($"{where}: claim {claim} is not defined");
                if (Str(Map(v, "configMap"), "name") is { } cm && !Has("ConfigMap", cm)) violations.Add($"{where}: config map {cm} is not defined");
                if (Str(Map(v, "secret"), "secretName") is { } s && !Has("Secret", s) && !userSecrets.ContainsKey(s))
                    violations.Add($"{where}: secret {s} is neither defined nor documented as user-provided");
            }

            foreach (var c in List(pod, "containers").Concat(List(pod, "initContainers")).OfType<Dictionary<object, object>>())
            {
                var at = $"{where} container {Str(c, "name")}";
                var security = Map(c, "securityContext");
                if (security is null) violations.Add($"{at}: no securityContext");
                if (Str(security, "allowPrivilegeEscalation") != "false") violations.Add($"{at}: allowPrivilegeEscalation is not false");
                if (Str(security, "readOnlyRootFilesystem") != "true") violations.Add($"{at}: readOnlyRootFilesystem is not true");
                if (!List(Map(security, "capabilities"), "drop").Select(x => x?.ToString()).Contains("ALL")) violations.Add($"{at}: capabilities do not drop ALL");
                if (security is not null && Str(security, "runAsUser") is { } cu && (!long.TryParse(cu, out var cuid) || cuid <= 0))
                    violations.Add($"{at}: securityContext.runAsUser is not a numeric non-root UID");
                var resources = Map(c, "resources");
                if (Map(resources, "requests") is null || Map(resources, "limits") is null) violations.Add($"{at}: resources need requests and limits");

                var secretVars = new HashSet<string>();
                foreach (var e in List(c, "env").OfType<Dictionary<object, object>>())
                {
                    var varName = Str(e, "name") ?? "?";
                    if (Str(e, "value") is { } value && Regex.IsMatch(value, "(?i)password=")) violations.Add($"{at}: env {varName} holds a literal Password=");
                    if (Map(Map(e, "valueFrom"), "secretKeyRef") is { } reference)
                    {
                        secretVars.Add(varName);
                        var secret = Str(reference, "name") ?? "?";
                        var key = Str(reference, "key") ?? "?";
                        if (Has("Secret", secret)) continue;
                        if (!userSecrets.TryGetValue(secret, out var keys)) violations.Add($"{at}: secret {secret} is neither defined nor documented as user-provided");
                        else if (!keys.Contains(key)) violations.Add($"{at}: key {key} of user-provided secret {secret} is not documented in secret.example.yaml");
                    }
                    if (Map(Map(e, "valueFrom"), "configMapKeyRef") is { } cmRef && Str(cmRef, "name") is { } cmName && !Has("ConfigMap", cmName))
                        violations.Add($"{at}: config map {cmName} is not defined");
                }
                foreach (var arg in List(c, "command").Concat(List(c, "args")).Select(a => a?.ToString() ?? ""))
                {
                    foreach (Match m in Regex.Matches(arg, @"\$\(([A-Za-z_][A-Za-z0-9_]*)\)"))
                        if (secretVars.Contains(m.Groups[1].Value)) violations.Add($"{at}: secret in args ({arg}): pass it as an environment variable");
                    if (Regex.IsMatch(arg, "(?i)password=")) violations.Add($"{at}: literal Password= in args");
                }
                foreach (var m in List(c, "volumeMounts").OfType<Dictionary<object, object>>())
                {
                    var vn = Str(m, "name");
                    if (!volumes.Any(v => Str(v, "name") == vn) && !claimTemplates.Contains(vn)) violations.Add($"{at}: mounts undefined volume {vn}");
                }
                // A hung worker must restart even though it serves no port.
                if (kind == "Deployment" && List(c, "ports").Count == 0 && Map(c, "livenessProbe") is null)
                    violations.Add($"{at}: a long-running container without ports still needs a livenessProbe");
                // Services route to ready pods only, and hung processes must restart: long-running servers need both probes.
                if (kind is "Deployment" or "StatefulSet" && List(c, "ports").Count > 0
                    && (Map(c, "readinessProbe") is null || Map(c, "livenessProbe") is null))
                    violations.Add($"{at}: a container with ports needs readinessProbe and livenessProbe");
            }
        }
        foreach (var (target, scalers) in autoscaled.Where(a => a.Value.Count > 1))
            violations.Add($"Deployment/{target} is scaled by both {string.Join(" and ", scalers)}: HPA and KEDA would fight");
        return violations;
    }

    /// <summary>Keys of each user-provided secret, as base/secret.example.yaml documents them.</summary>
    private static Dictionary<string, HashSet<string>> SecretExampleKeys()
    {
        var docs = ParseAll(File.ReadAllText(Path.Combine(RepoRoot(), "deploy/k8s/base/secret.example.yaml")));
        var result = new Dictionary<string, HashSet<string>>();
        foreach (var name in UserProvidedSecrets)
        {
            var secret = docs.Single(d => Str(d, "kind") == "Secret" && Str(Map(d, "metadata"), "name") == name);
            result[name] = (Map(secret, "stringData") ?? Map(secret, "data") ?? []).Keys.Select(k => k.ToString()!).ToHashSet();
        }
        return result;
    }

    // ---- a kustomize subset: resources (files, folders), components, namespace ----

    internal static List<Dictionary<object, object>> Render(string folder)
    {
        var k = ParseAll(File.ReadAllText(Path.Combine(folder, "kustomization.yaml"))).Single();
        foreach (var key in k.Keys.Select(x => x.ToString()))
            Assert.True(key is "apiVersion" or "kind" or "namespace" or "resources" or "components",
                $"{folder}/kustomization.yaml uses '{key}', which this test's renderer does not implement");
        var objects = new List<Dictionary<object, object>>();
        foreach (var r in List(k, "resources").Select(x => x!.ToString()!))
        {
            var path = Path.GetFullPath(Path.Combine(folder, r));
            objects.AddRange(Directory.Exists(path) ? Render(path) : ParseAll(File.ReadAllText(path)));
        }
        foreach (var c in List(k, "components").Select(x => x!.ToString()!))
        {
            var path = Path.GetFullPath(Path.Combine(folder, c));
            Assert.Equal("Component", Str(ParseAll(File.ReadAllText(Path.Combine(path, "kustomization.yaml"))).Single(), "kind"));
            objects.AddRange(Render(path));
        }
        if (Str(k, "namespace") is { } ns)
            foreach (var o in objects.Where(o => Str(o, "kind") is not ("Namespace" or "ClusterRole" or "ClusterRoleBinding")))
                ((Dictionary<object, object>)(o["metadata"] ??= new Dictionary<object, object>()))["namespace"] = ns;
        var duplicates = objects.GroupBy(Key).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, $"{folder}: objects defined twice: {string.Join(", ", duplicates)}");
        return objects;
    }

    /// <summary>The YAML files a kustomization folder draws its objects from (resources and components, recursively).</summary>
    private static IEnumerable<string> SourceFiles(string folder)
    {
        var k = ParseAll(File.ReadAllText(Path.Combine(folder, "kustomization.yaml"))).Single();
        foreach (var entry in List(k, "resources").Concat(List(k, "components")).Select(x => x!.ToString()!))
        {
            var path = Path.GetFullPath(Path.Combine(folder, entry));
            if (Directory.Exists(path)) foreach (var file in SourceFiles(path)) yield return file;
            else yield return path;
        }
    }

    /// <summary>Runs tools/k8s-validate/validate.mjs (Node.js) on a YAML stream: its exit code and output.</summary>
    private static (int ExitCode, string Output) ValidateSchemas(string yaml)
    {
        var tool = Path.Combine(RepoRoot(), "tools", "k8s-validate");
        Assert.True(Directory.Exists(Path.Combine(tool, "node_modules", "kubernetes-models")),
            $"the schema packages are not installed: run `npm ci --prefix {tool}` (.ci/run does)");
        var node = new[] { "/usr/bin/node", "/usr/local/bin/node" }.FirstOrDefault(File.Exists);
        Assert.True(node is not null, "Node.js is needed for the schema check (Debian package nodejs; .ci/run installs it)");
        var start = new ProcessStartInfo(node) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = tool };
        start.ArgumentList.Add(Path.Combine(tool, "validate.mjs"));
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(yaml);
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the schema check did not finish in 2 minutes");
        return (process.ExitCode, output.Result + error.Result);
    }

    private static string? KubectlKustomize(string folder)
    {
        var kubectl = new[] { "/usr/bin/kubectl", "/usr/local/bin/kubectl" }.FirstOrDefault(File.Exists);
        if (kubectl is null) return null;
        var start = new ProcessStartInfo(kubectl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("version");
        start.ArgumentList.Add("--client");
        using (var version = Process.Start(start)!)
        {
            var text = version.StandardOutput.ReadToEnd();
            version.WaitForExit();
            var m = Regex.Match(text, @"Kustomize Version: v(\d+)");
            if (!m.Success || int.Parse(m.Groups[1].Value) < 4) return null;
        }
        var render = new ProcessStartInfo(kubectl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        render.ArgumentList.Add("kustomize");
        render.ArgumentList.Add(folder);
        using var process = Process.Start(render)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {folder} failed: {error.Result}");
        return output;
    }

    // ---- YAML helpers ----

    private static readonly IDeserializer Yaml = new DeserializerBuilder().Build();

    internal static List<Dictionary<object, object>> ParseAll(string text)
    {
        var result = new List<Dictionary<object, object>>();
        var parser = new YamlDotNet.Core.Parser(new StringReader(text));
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
            if (Yaml.Deserialize<Dictionary<object, object>?>(parser) is { } doc) result.Add(doc);
        return result;
    }

    private static string Key(Dictionary<object, object> o) => $"{Str(o, "kind")}/{Str(Map(o, "metadata"), "namespace")}/{Str(Map(o, "metadata"), "name")}";
    private static Dictionary<object, object>? Map(Dictionary<object, object>? o, string key) => o?.GetValueOrDefault(key) as Dictionary<object, object>;
    private static List<object?> List(Dictionary<object, object>? o, string key) => o?.GetValueOrDefault(key) as List<object?> ?? [];
    private static string? Str(Dictionary<object, object>? o, string key) => o?.GetValueOrDefault(key)?.ToString()?.ToLowerInvariant() is "true" or "false" ? o[key]!.ToString()!.ToLowerInvariant() : o?.GetValueOrDefault(key)?.ToString();
}

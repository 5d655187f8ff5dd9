using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SweepCluster.Studies.Yaml;

/// <summary>Turns study-file text into the root node of its single YAML document, or a located error.</summary>
internal static class StudyYamlDocument
{
    public static YamlNode Load(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            if (DuplicateKeyScanner.FindFirst(yaml) is { } duplicate) throw duplicate;
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new StudySpecException("", checked((int)e.Start.Line), $"invalid YAML at column {e.Start.Column}: {e.Message}");
        }
        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            throw new StudySpecException("", YamlValue.LineOf(second), "a study file holds one YAML document, this one holds more");
        }
        if (stream.Documents.Count == 0 || YamlScalar.IsNull(stream.Documents[0].RootNode))
            throw new StudySpecException("", null, "the study file is empty");
        return stream.Documents[0].RootNode;
    }
}

namespace SweepCluster.Studies;

/// <summary>
/// A study file that cannot be used. The message reads like a compiler's:
/// <c>study.yaml:12: backbones[1].family: unknown family 'gpt2' (expected one of bert, ...)</c>,
/// each part present when known.
/// </summary>
public sealed class StudySpecException(string keyPath, int? line, string problem, string? file = null)
    : Exception(Format(file, line, keyPath, problem))
{
    /// <summary>The study file as it was named to <see cref="StudySpecParser.Load"/>; null for parsed text.</summary>
    public string? File { get; } = file;

    /// <summary>Where in the document, e.g. <c>backbones[1].checkpoint</c> or <c>search_space.lr.low</c>; empty for the whole document.</summary>
    public string KeyPath { get; } = keyPath;

    /// <summary>1-based line of the offending key or value; null when no line applies (an empty file).</summary>
    public int? Line { get; } = line;

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; } = problem;

    internal StudySpecException InFile(string path) => new(KeyPath, Line, Problem, path);

    private static string Format(string? file, int? line, string keyPath, string problem)
    {
        var location = (file, line) switch
        {
            (null, null) => "",
            (null, int l) => $"line {l}: ",
            (string f, null) => $"{f}: ",
            (string f, int l) => $"{f}:{l}: ",
        };
        var key = keyPath.Length == 0 ? "" : $"{keyPath}: ";
        return location + key + problem;
    }
}

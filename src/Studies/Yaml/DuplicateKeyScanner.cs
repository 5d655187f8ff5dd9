using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SweepCluster.Studies.Yaml;

/// <summary>
/// YamlDotNet's representation model refuses a duplicate key without saying where in the document it
/// sits, so a pass over the parser's events finds it first, with its key path. Being the first parse of
/// the text, this pass also meets any syntax error first.
/// </summary>
internal static class DuplicateKeyScanner
{
    /// <summary>The first duplicate key, as an error naming its path and both lines; null when there is none.</summary>
    public static StudySpecException? FindFirst(string yaml)
    {
        var open = new Stack<Collection>();
        var parser = new Parser(new StringReader(yaml));
        while (MoveNext(parser))
        {
            switch (parser.Current)
            {
                case DocumentStart:
                    open.Clear();
                    break;
                case MappingStart or SequenceStart or Scalar or AnchorAlias:
                    var node = parser.Current;
                    int? firstLine = null;
                    var path = open.TryPeek(out var parent) ? parent.PathOf(node, out firstLine) : "";
                    if (firstLine is int first)
                        return new StudySpecException(path, checked((int)node.Start.Line), $"duplicate key (first given on line {first})");
                    if (node is MappingStart) open.Push(new Collection(path, isMapping: true));
                    if (node is SequenceStart) open.Push(new Collection(path, isMapping: false));
                    break;
                case MappingEnd or SequenceEnd:
                    open.Pop();
                    break;
            }
        }
        return null;
    }

    /// <summary>
    /// YamlDotNet's scanner fails with a bare InvalidOperationException on some unclosed flow collections
    /// (<c>a: [x</c> followed by a less indented line); report it as the syntax error it is, after the last
    /// event that parsed.
    /// </summary>
    private static bool MoveNext(Parser parser)
    {
        var lastGood = parser.Current?.End ?? Mark.Empty;
        try
        {
            return parser.MoveNext();
        }
        catch (InvalidOperationException)
        {
            throw new SyntaxErrorException(lastGood, lastGood, "unexpected text after this point; is a '[' or '{' left unclosed?");
        }
    }

    private sealed class Collection(string path, bool isMapping)
    {
        private readonly Dictionary<string, int> _lineByKey = new(StringComparer.Ordinal);
        private bool _nextIsKey = true;
        private string _key = "?";
        private int _index;

        /// <summary>
        /// The key path of a node that starts inside this collection (for a mapping key, the entry it names);
        /// <paramref name="duplicateOf"/> is the line of the same key's first use when it is a duplicate key.
        /// </summary>
        public string PathOf(ParsingEvent node, out int? duplicateOf)
        {
            duplicateOf = null;
            if (!isMapping) return KeyPaths.Item(path, _index++);
            if (!_nextIsKey)
            {
                _nextIsKey = true;
                return KeyPaths.Child(path, _key);
            }
            _nextIsKey = false;
            _key = node is Scalar scalar ? scalar.Value : "?";
            var line = checked((int)node.Start.Line);
            if (node is Scalar && !_lineByKey.TryAdd(_key, line)) duplicateOf = _lineByKey[_key];
            return KeyPaths.Child(path, _key);
        }
    }
}

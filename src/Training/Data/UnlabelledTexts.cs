namespace SweepCluster.Training.Data;

/// <summary>Texts to predict (a test file): every row kept, in order, cleaned the way training texts are.</summary>
public sealed record UnlabelledTexts(string Path, IReadOnlyList<string> Ids, IReadOnlyList<string> Texts)
{
    /// <summary>Reads <paramref name="textColumn"/> and, when named, <paramref name="idColumn"/> (else ids are row numbers from 1).</summary>
    public static UnlabelledTexts Load(string path, string textColumn, string? idColumn, string? delimiter = null)
    {
        if (!File.Exists(path)) throw new DataFileException(path, null, null, "no such file");
        var (header, rows) = DelimitedFile.Read(path, DelimitedFile.DelimiterFor(path, delimiter));
        int Column(string name) => header.ToList().IndexOf(name) is var i and >= 0
            ? i
            : throw new DataFileException(path, null, null, $"no such column (the file has: {string.Join(", ", header)})", name);
        var text = Column(textColumn);
        var id = idColumn is null ? -1 : Column(idColumn);
        if (rows.Count == 0) throw new DataFileException(path, null, null, "the file has a header but no rows");
        var ids = rows.Select(r => id >= 0 ? Field(r, id, path, idColumn!) : r.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var texts = rows.Select(r => TextCleaner.Clean(Field(r, text, path, textColumn))).ToList();
        return new UnlabelledTexts(path, ids, texts);
    }

    private static string Field(DelimitedRow row, int column, string path, string name) =>
        column < row.Fields.Count ? row.Fields[column] : throw new DataFileException(path, row.Number, row.Line, $"the row has {row.Fields.Count} fields", name);
}

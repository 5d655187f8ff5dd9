using System.Globalization;
using System.Text;

namespace SweepCluster.Training.Data;

public enum TaskKind { Binary, MultiClass, MultiLabel }

/// <summary>
/// A labelled CSV/TSV read through a study's <see cref="DataSettings"/>: cleaned texts, labels mapped to
/// indices, and the file's own label names kept for writing predictions back (e.g. EXTREMIST).
/// Multi-label when the spec names several label columns, each holding 0 or 1.
/// </summary>
public sealed record LabelledDataset
{
    public required string Path { get; init; }
    public required TaskKind Kind { get; init; }
    /// <summary>Single-label: the name of each class index. Multi-label: the label columns.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }
    public required IReadOnlyList<string> Ids { get; init; }
    public required IReadOnlyList<string> Texts { get; init; }
    /// <summary>Single-label class per row (empty for multi-label).</summary>
    public required int[] Classes { get; init; }
    /// <summary>Multi-label 0/1 per row and label (empty for single-label).</summary>
    public required int[][] Labels { get; init; }
    /// <summary>Rows dropped because their cleaned text was shorter than min_text_length.</summary>
    public int DroppedRows { get; init; }

    public int Count => Texts.Count;

    public TrainingTargets Targets => Kind == TaskKind.MultiLabel
        ? new TrainingTargets.MultiLabel(Labels)
        : new TrainingTargets.SingleLabel(Classes, ClassNames.Count);

    /// <summary>What stratified splits keep in proportion: the class, or for multi-label the rarest positive label (−1 = none).</summary>
    public int[] Strata()
    {
        if (Kind != TaskKind.MultiLabel) return Classes;
        var frequency = Enumerable.Range(0, ClassNames.Count).Select(j => Labels.Count(l => l[j] == 1)).ToArray();
        return Labels.Select(l => Enumerable.Range(0, l.Length).Where(j => l[j] == 1).OrderBy(j => frequency[j]).DefaultIfEmpty(-1).First()).ToArray();
    }

    public static LabelledDataset Load(DataSettings spec, string? path = null)
    {
        path ??= spec.Train;
        var (header, rows) = DelimitedFile.Read(path, DelimitedFile.DelimiterFor(path, spec.Delimiter));
        int Column(string name) => header.ToList().IndexOf(name) is var i and >= 0
            ? i
            : throw new DataFileException(path, null, null, $"no such column (the file has: {string.Join(", ", header)})", name);
        var textColumn = Column(spec.TextColumn);
        var labelColumns = spec.LabelColumns.Select(Column).ToArray();
        var idColumn = spec.IdColumn is { } id ? Column(id) : -1;
        var multiLabel = labelColumns.Length > 1;
        var map = spec.LabelMap;

        var ids = new List<string>();
        var texts = new List<string>();
        var classes = new List<int>();
        var labels = new List<int[]>();
        var dropped = 0;
        foreach (var row in rows)
        {
            var text = TextCleaner.Clean(row.Fields[textColumn]);
            if (text.Length < Math.Max(1, spec.MinTextLength))
            {
                dropped++;
                continue;
            }
            if (multiLabel)
            {
                labels.Add(labelColumns.Select(c => Binary(path, row, header[c], row.Fields[c])).ToArray());
            }
            else
            {
                classes.Add(ClassIndex(path, row, header[labelColumns[0]], row.Fields[labelColumns[0]].Trim(), map));
            }
            texts.Add(text);
            ids.Add(idColumn >= 0 ? row.Fields[idColumn] : row.Number.ToString(CultureInfo.InvariantCulture));
        }
        if (texts.Count == 0) throw new DataFileException(path, null, null, "no usable rows (every text was empty or too short)");

        IReadOnlyList<string> names = multiLabel
            ? spec.LabelColumns
            : map.Count > 0
                ? Enumerable.Range(0, map.Values.Max() + 1).Select(i => map.First(kv => kv.Value == i).Key).ToList()
                : Enumerable.Range(0, classes.Max() + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        var kind = multiLabel ? TaskKind.MultiLabel : names.Count == 2 ? TaskKind.Binary : TaskKind.MultiClass;
        if (multiLabel) CheckLabelColumns(path, spec.LabelColumns, labels);
        else CheckClasses(path, header[labelColumns[0]], names, classes, map.Count > 0);
        return new LabelledDataset
        {
            Path = path, Kind = kind, ClassNames = names, Ids = ids, Texts = texts,
            Classes = multiLabel ? [] : classes.ToArray(), Labels = multiLabel ? labels.ToArray() : [], DroppedRows = dropped,
        };
    }

    /// <summary>
    /// Every class the labels name must occur: one class alone cannot train a classifier, and a class with
    /// no rows (labels 0 and 2 without 1; a label_map entry never used) is an empty output no fold can
    /// score (its ROC-AUC and recall are undefined). Kept rows are counted, after min_text_length.
    /// </summary>
    private static void CheckClasses(string path, string column, IReadOnlyList<string> names, List<int> classes, bool mapped)
    {
        var counts = new int[names.Count];
        foreach (var c in classes) counts[c]++;
        var present = Enumerable.Range(0, names.Count).Where(c => counts[c] > 0).ToList();
        if (present.Count < 2)
            throw new DataFileException(path, null, null, $"only one class occurs ('{names[present[0]]}', {counts[present[0]]} rows); a classifier needs at least two", column);
        var absent = Enumerable.Range(0, names.Count).Where(c => counts[c] == 0).ToList();
        if (absent.Count == 0) return;
        var which = string.Join(", ", absent.Select(c => mapped ? $"'{names[c]}' (class {c})" : $"{c}"));
        var seen = string.Join(", ", present.Select(c => mapped ? $"'{names[c]}'" : $"{c}"));
        throw new DataFileException(path, null, null, mapped
            ? $"label_map names {which}, but no row has it (the rows have {seen}); remove it from label_map or add rows"
            : $"labels without a label_map are class indices 0..K-1, but class {which} has no rows (the rows have {seen}); renumber the labels or give a label_map", column);
    }

    /// <summary>
    /// At least one label column must hold both 0 and 1: with none, nothing can be learnt and every metric
    /// is constant or undefined. A single constant column (a rare label absent from a sample) is allowed,
    /// as scikit-learn allows it: macro ROC-AUC is taken over the labels that have both values.
    /// </summary>
    private static void CheckLabelColumns(string path, IReadOnlyList<string> columns, List<int[]> labels)
    {
        var varying = Enumerable.Range(0, columns.Count).Any(j => labels.Any(l => l[j] == 1) && labels.Any(l => l[j] == 0));
        if (!varying)
            throw new DataFileException(path, null, null,
                $"every label column is constant over the {labels.Count} rows; at least one needs rows of both 0 and 1", string.Join(", ", columns));
    }

    private static int ClassIndex(string path, DelimitedRow row, string column, string raw, IReadOnlyDictionary<string, int> map)
    {
        if (map.Count > 0)
        {
            return map.TryGetValue(raw, out var mapped)
                ? mapped
                : throw new DataFileException(path, row.Number, row.Line, $"unknown label '{raw}' (label_map knows {string.Join(", ", map.Keys)})", column);
        }
        return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) && index >= 0
            ? index
            : throw new DataFileException(path, row.Number, row.Line, $"label '{raw}' is not a class index 0..K-1; give a label_map for named labels", column);
    }

    private static int Binary(string path, DelimitedRow row, string column, string raw) => raw.Trim() switch
    {
        "0" => 0,
        "1" => 1,
        _ => throw new DataFileException(path, row.Number, row.Line, $"multi-label columns hold 0 or 1, got '{raw}'", column),
    };
}

/// <summary>Light cleaning that keeps meaning: long runs of one character cut to three, whitespace collapsed.</summary>
public static class TextCleaner
{
    public static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        var run = 0;
        var previous = '\0';
        foreach (var raw in text)
        {
            var c = char.IsWhiteSpace(raw) ? ' ' : raw;
            run = c == previous ? run + 1 : 1;
            previous = c;
            if (c == ' ' ? run > 1 : run > 3) continue;
            sb.Append(c);
        }
        return sb.ToString().Trim();
    }
}

using Microsoft.VisualBasic.FileIO;

namespace SweepCluster.Training.Tests;

/// <summary>The real extremism training data (../shared/data/extremism/train.csv), read with the framework's CSV parser.</summary>
internal static class ExtremismData
{
    private static readonly Lazy<(string[] Texts, int[] Labels)> Rows = new(Read);

    public static string[] Texts => Rows.Value.Texts;

    /// <summary>EXTREMIST = 1, NON_EXTREMIST = 0.</summary>
    public static int[] Labels => Rows.Value.Labels;

    /// <summary>The same file loaded by the product's own reader, as a study names it.</summary>
    public static SweepCluster.Training.Data.LabelledDataset Dataset => Loaded.Value;

    private static readonly Lazy<SweepCluster.Training.Data.LabelledDataset> Loaded = new(() => SweepCluster.Training.Data.LabelledDataset.Load(new SweepCluster.Training.Data.DataSettings
    {
        Train = Find("shared/data/extremism/train.csv"), TextColumn = "Original_Message", LabelColumns = ["Extremism_Label"],
        LabelMap = new Dictionary<string, int> { ["NON_EXTREMIST"] = 0, ["EXTREMIST"] = 1 }, IdColumn = "ID",
    }));

    private static (string[], int[]) Read()
    {
        using var parser = new TextFieldParser(Find("shared/data/extremism/train.csv")) { Delimiters = [","], HasFieldsEnclosedInQuotes = true };
        parser.ReadFields(); // header: ID,Original_Message,Extremism_Label
        var texts = new List<string>();
        var labels = new List<int>();
        while (parser.ReadFields() is { } fields)
        {
            texts.Add(fields[1]);
            labels.Add(fields[2] == "EXTREMIST" ? 1 : 0);
        }
        return (texts.ToArray(), labels.ToArray());
    }

    private static string Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }
}

using Microsoft.VisualBasic.FileIO;

namespace SweepCluster.Training.Tests;

/// <summary>The real extremism training data (../shared/data/extremism/train.csv), read with the framework's CSV parser.</summary>
internal static class ExtremismData
{
    private static readonly Lazy<(string[] Texts, int[] Labels)> Rows = new(Read);

    public static string[] Texts => Rows.Value.Texts;

    /// <summary>EXTREMIST = 1, NON_EXTREMIST = 0.</summary>
    public static int[] Labels => Rows.Value.Labels;

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

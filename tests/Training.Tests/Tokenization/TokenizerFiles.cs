namespace SweepCluster.Training.Tests.Tokenization;

/// <summary>The real tokenizer files under shared/models/tokenizers and the shared text data, found above the test binaries.</summary>
internal static class TokenizerFiles
{
    public static string Folder(string name) => Find(Path.Combine("shared/models/tokenizers", name));

    public static string Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate) || File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>The comment column of the Wikipedia detox sample (tab-separated, header first).</summary>
    public static IEnumerable<string> DetoxComments() =>
        File.ReadLines(Find("shared/data/wikipedia-detox-250/wikipedia-detox-250-line-data.tsv")).Skip(1)
            .Select(line => line.Split('\t')).Where(fields => fields.Length > 1).Select(fields => fields[1]);

    /// <summary>A fresh empty folder for a test's own checkpoint layout.</summary>
    public static string TemporaryFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "sweepcluster-tokenization-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}

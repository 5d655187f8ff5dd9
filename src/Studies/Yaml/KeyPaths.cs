namespace SweepCluster.Studies.Yaml;

/// <summary>Key paths as errors print them: <c>budget.max_parallel</c>, <c>backbones[1].search_space.lr</c>.</summary>
internal static class KeyPaths
{
    public static string Child(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    public static string Item(string parent, int index) => $"{parent}[{index}]";
}

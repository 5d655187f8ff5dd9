namespace SweepCluster.Search.Space;

/// <summary>A search space that cannot be used; the message names the parameter and the problem.</summary>
public sealed class SearchSpaceException(string parameter, string problem)
    : Exception($"parameter '{parameter}': {problem}")
{
    public string Parameter { get; } = parameter;
    public string Problem { get; } = problem;
}

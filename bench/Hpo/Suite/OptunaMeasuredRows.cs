namespace SweepCluster.Bench.Hpo;

// Written by: /usr/bin/python3 bench/Hpo/optuna_reference.py csharp RESULTS.csv
public static partial class OptunaMeasured
{
    private static readonly Dictionary<(string Function, string Sampler), MeasuredReference> Rows = new()
    {
    };
}

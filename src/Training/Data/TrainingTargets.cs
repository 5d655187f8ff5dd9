namespace SweepCluster.Training.Data;

/// <summary>What a model is trained to predict: one class per row, or several independent 0/1 labels.</summary>
public abstract record TrainingTargets
{
    private TrainingTargets() { }

    public abstract int Outputs { get; }

    public sealed record SingleLabel(int[] Classes, int ClassCount) : TrainingTargets
    {
        public override int Outputs => ClassCount;
    }

    public sealed record MultiLabel(int[][] Labels) : TrainingTargets
    {
        public override int Outputs => Labels[0].Length;
    }
}

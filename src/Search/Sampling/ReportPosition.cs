namespace SweepCluster.Search.Sampling;

/// <summary>
/// Where an intermediate report sits in a trial: the fold of k-fold cross-validation (0-based; a trial
/// without folds reports in fold 0) and the epoch within that fold (as the worker numbers it, from 1 for
/// training; an ask/tell client may start at 0). Pruners compare trials at the same position only.
/// <para>
/// On the wire and in storage (<c>StepValue.Step</c>, search snapshots, the ask/tell <c>step</c>) a position
/// is one integer, <see cref="Step"/> = <see cref="StepsPerFold"/>·fold + epoch, the numbering training
/// trials have always used; <see cref="FromStep"/> reads it back, so steps stored before this type existed
/// still read as the same positions. This is the only place that rule is written. Steps order positions
/// as (fold, epoch) do, so a sorted step list is in report order.
/// </para>
/// </summary>
public readonly record struct ReportPosition(int Fold, int Epoch) : IComparable<ReportPosition>
{
    /// <summary>Step numbers per fold: fold k's epochs are steps 1000·k + epoch, so an epoch is at most 999.</summary>
    public const int StepsPerFold = 1000;

    /// <summary>The largest epoch a fold can report (one less than <see cref="StepsPerFold"/>).</summary>
    public const int MaxEpoch = StepsPerFold - 1;

    /// <summary>The stored step: 1000·<see cref="Fold"/> + <see cref="Epoch"/>.</summary>
    public int Step => checked(Fold * StepsPerFold + Epoch);

    /// <summary>A position, checked: fold ≥ 0 and epoch in [0, 999].</summary>
    /// <exception cref="ArgumentOutOfRangeException">Either is out of range.</exception>
    public static ReportPosition Of(int fold, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fold);
        if (epoch is < 0 or > MaxEpoch) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"an epoch must be in [0, {MaxEpoch}]");
        return new ReportPosition(fold, epoch);
    }

    /// <summary>The position a stored step stands for (step 7 is fold 0 epoch 7; step 2003 is fold 2 epoch 3).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The step is negative.</exception>
    public static ReportPosition FromStep(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return new ReportPosition(step / StepsPerFold, step % StepsPerFold);
    }

    public int CompareTo(ReportPosition other) => Fold != other.Fold ? Fold.CompareTo(other.Fold) : Epoch.CompareTo(other.Epoch);

    /// <summary>"fold 2 epoch 3" with the fold 1-based, as the CLI shows it.</summary>
    public override string ToString() => $"fold {Fold + 1} epoch {Epoch}";
}

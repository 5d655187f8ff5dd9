using SweepCluster.Training.Optimization;

namespace SweepCluster.Training.Tests.Optimization;

public sealed class LearningRateScheduleTests
{
    [Fact]
    public void Warm_up_rises_linearly_then_cosine_falls_to_zero()
    {
        var schedule = new LearningRateSchedule(TotalSteps: 100, WarmupRatio: 0.1);
        Assert.Equal(10, schedule.WarmupSteps);
        Assert.Equal(0.1, schedule.Factor(0), 12);
        Assert.Equal(1.0, schedule.Factor(9), 12);
        Assert.Equal(1.0, schedule.Factor(10), 12);
        Assert.Equal(0.5, schedule.Factor(10 + 45), 12);
        Assert.Equal(0.0, schedule.Factor(100), 12);
        for (var s = 11; s < 100; s++) Assert.True(schedule.Factor(s) <= schedule.Factor(s - 1));
    }

    [Fact]
    public void Layer_decay_gives_the_head_the_full_rate_and_the_embeddings_the_least()
    {
        Assert.Equal(1.0, LearningRateSchedule.LayerFactor(13, 13, 0.9));
        Assert.Equal(0.9, LearningRateSchedule.LayerFactor(12, 13, 0.9), 12);
        Assert.Equal(Math.Pow(0.9, 13), LearningRateSchedule.LayerFactor(0, 13, 0.9), 12);
        Assert.Equal(1.0, LearningRateSchedule.LayerFactor(0, 13, 1.0));
    }
}

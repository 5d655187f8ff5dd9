using SweepCluster.Search.Synthetic;
using SweepCluster.Worker.Simulation;
using SweepCluster.Search.Space;

namespace SweepCluster.Worker.Tests.Simulation;

public sealed class CurveInputMappingTests
{
    private static readonly CurveInputs Optimum = LearningCurves.OptimumInputs(LearningCurves.Crossing);

    [Fact]
    public void Suite_names_give_their_values_directly()
    {
        var (inputs, shift) = CurveInputMapping.For(SearchSpace.FromJson(LearningCurves.SpaceJson))
            .Map(new Dictionary<string, object> { ["lr"] = 1e-3, ["reg"] = 0.3, ["momentum"] = 0.9 }, Optimum);

        Assert.Equal(new CurveInputs(1e-3, 0.3, 0.9), inputs);
        Assert.Equal(0, shift);
    }

    [Fact]
    public void Other_parameters_fill_lr_reg_and_momentum_in_name_order_by_unit_position()
    {
        const string space = """
            {"d":{"type":"int","low":0,"high":10},
             "b":{"type":"float","low":0,"high":2},
             "a":{"type":"float","low":1e-3,"high":1e3,"log":true},
             "c":{"type":"categorical","choices":["x","y","z"]}}
            """;
        var parameters = new Dictionary<string, object> { ["a"] = 1.0, ["b"] = 0.5, ["c"] = "z", ["d"] = 10L };

        var (inputs, shift) = CurveInputMapping.For(SearchSpace.FromJson(space)).Map(parameters, Optimum);

        Assert.Equal(1e-3, inputs.Lr, 12);      // a at the middle of its log range: 10^(−5 + 4·0.5)
        Assert.Equal(0.25, inputs.Reg, 12);     // b a quarter of the way
        Assert.Equal(0.99, inputs.Momentum, 12); // c is the last choice
        Assert.Equal(0.05 * 0.25, shift, 12);   // d at its top: 0.05·(1 − 0.5)²
    }

    [Fact]
    public void Named_and_unnamed_parameters_combine()
    {
        const string space = """{"learning_rate":{"type":"float","low":1e-5,"high":5e-5,"log":true},"dropout":{"type":"float","low":0,"high":0.5}}""";

        var (inputs, _) = CurveInputMapping.For(SearchSpace.FromJson(space))
            .Map(new Dictionary<string, object> { ["learning_rate"] = 2e-5, ["dropout"] = 0.1 }, Optimum);

        Assert.Equal(new CurveInputs(2e-5, 0.2, Optimum.Momentum), inputs);
    }

    [Fact]
    public void Inputs_without_a_parameter_sit_at_the_optimum()
    {
        var (inputs, shift) = CurveInputMapping.For(SearchSpace.FromJson("{}")).Map(new Dictionary<string, object>(), Optimum);

        Assert.Equal(Optimum, inputs);
        Assert.Equal(0, shift);
    }

    [Fact]
    public void An_inactive_conditional_parameter_leaves_its_input_at_the_optimum()
    {
        const string space = """
            {"optimizer":{"type":"categorical","choices":["adam","sgd"]},
             "momentum":{"type":"float","low":0,"high":0.99,"when":{"optimizer":["sgd"]}}}
            """;

        var (inputs, _) = CurveInputMapping.For(SearchSpace.FromJson(space)).Map(new Dictionary<string, object> { ["optimizer"] = "adam" }, Optimum);

        Assert.Equal(Optimum.Momentum, inputs.Momentum);
        Assert.Equal(1e-5, inputs.Lr, 15); // optimizer is the first unnamed parameter: adam is choice 0
    }
}

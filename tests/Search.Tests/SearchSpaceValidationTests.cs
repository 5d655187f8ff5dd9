using SweepCluster.Search.Space;

namespace SweepCluster.Search.Tests;

public class SearchSpaceValidationTests
{
    [Theory]
    [InlineData("""{"lr":{"type":"float","low":1,"high":0.5}}""", "lr", "low (1) is greater than high (0.5)")]
    [InlineData("""{"lr":{"type":"float","low":0,"high":1,"log":true}}""", "lr", "a log scale needs low > 0")]
    [InlineData("""{"n":{"type":"int","low":0,"high":8,"log":true}}""", "n", "a log scale needs low > 0")]
    [InlineData("""{"bs":{"type":"categorical","choices":[]}}""", "bs", "choices must not be empty")]
    [InlineData("""{"d":{"type":"float","low":0,"high":1,"step":0.3}}""", "d", "step 0.3 does not divide the range [0, 1]")]
    [InlineData("""{"e":{"type":"int","low":2,"high":30,"step":5}}""", "e", "step 5 does not divide the range [2, 30]")]
    [InlineData("""{"e":{"type":"int","low":2,"high":30,"step":0}}""", "e", "step must be > 0")]
    [InlineData("""{"b2":{"type":"float","low":0.9,"high":0.999,"when":{"optimizer":["adamw"]}}}""", "b2", "condition refers to unknown parameter 'optimizer'")]
    // A parent that exists but comes later is not "unknown": the message says where the problem is.
    [InlineData("""{"b2":{"type":"float","low":0.9,"high":0.999,"when":{"optimizer":["adamw"]}},"optimizer":{"type":"categorical","choices":["adamw","sgd"]}}""", "b2", "condition refers to 'optimizer', which is declared after it (a condition may only name a parameter declared before it: move 'optimizer' above 'b2')")]
    [InlineData("""{"o":{"type":"categorical","choices":["sgd"]},"b2":{"type":"float","low":0.9,"high":1,"when":{"o":["adamw"]}}}""", "b2", "condition value 'adamw' can never be taken by 'o'")]
    // A quoted number against number choices, and the reverse: the type is the cause, and the message says so.
    [InlineData("""{"bs":{"type":"categorical","choices":[16,32]},"lr":{"type":"float","low":0.1,"high":1,"when":{"bs":["16"]}}}""", "lr", "condition value '16' can never be taken by 'bs' (it is a string, and the choice 16 is a number")]
    [InlineData("""{"bs":{"type":"categorical","choices":["16","32"]},"lr":{"type":"float","low":0.1,"high":1,"when":{"bs":[16]}}}""", "lr", "condition value '16' can never be taken by 'bs' (it is a number, and the choice 16 is a string")]
    [InlineData("""{"layers":{"type":"int","low":1,"high":4},"lr":{"type":"float","low":0.1,"high":1,"when":{"layers":["2"]}}}""", "lr", "condition value '2' can never be taken by 'layers' (it is a string, and 'layers' takes numbers")]
    [InlineData("""{"x":{"type":"gaussian","low":0,"high":1}}""", "x", "unknown type 'gaussian'")]
    [InlineData("""{"x":{"low":0,"high":1}}""", "x", "missing \"type\"")]
    [InlineData("""{"x":{"type":"float","low":0,"hihg":1}}""", "x", "unknown key 'hihg'")]
    [InlineData("""{"x":{"type":"float","low":0}}""", "x", "missing \"high\"")]
    [InlineData("""{"x":{"type":"float","low":"zero","high":1}}""", "x", "\"low\" must be a number")]
    [InlineData("""{"x":{"type":"int","low":0.5,"high":3}}""", "x", "\"low\" must be an integer")]
    [InlineData("""{"bs":{"type":"categorical","choices":[8,16,8.0]}}""", "bs", "choice '8' is listed twice")]
    [InlineData("""{"bs":{"type":"categorical","choices":[8,[1]]}}""", "bs", "expected a number, string or boolean")]
    [InlineData("""{"n":{"type":"int","low":1,"high":9,"step":2,"log":true}}""", "n", "a log-scaled int needs step 1")]
    [InlineData("""{"x":{"type":"float","low":1,"high":9,"step":2,"log":true}}""", "x", "step and log cannot be combined")]
    [InlineData("""{"x":{"type":"float","low":0,"high":1,"log":"yes"}}""", "x", "\"log\" must be true or false")]
    [InlineData("""{"x":{"type":"float","low":0,"high":1},"x":{"type":"float","low":0,"high":2}}""", "x", "declared twice")]
    [InlineData("""{"x":{"type":"float","low":0,"high":1,"when":{"x":[0.5]}}}""", "x", "cannot be conditional on itself")]
    [InlineData("""{"x":{"type":"float","low":0,"high":1,"when":[]}}""", "x", "\"when\" must be an object")]
    [InlineData("""[1,2]""", "(space)", "must be a JSON object")]
    [InlineData("""{"x":""", "(space)", "not valid JSON")]
    public void Invalid_space_is_rejected_naming_parameter_and_problem(string json, string parameter, string problem)
    {
        var error = Assert.Throws<SearchSpaceException>(() => SearchSpace.FromJson(json));
        Assert.Equal(parameter, error.Parameter);
        Assert.Contains(problem, error.Message);
        Assert.StartsWith($"parameter '{parameter}': ", error.Message);
    }

    [Fact]
    public void Valid_space_from_the_issue_parses_and_round_trips()
    {
        const string json = """
            {"x0":{"type":"float","low":-5,"high":10},"lr":{"type":"float","low":1e-6,"high":1e-3,"log":true},
             "epochs":{"type":"int","low":2,"high":30},"bs":{"type":"categorical","choices":[8,16,32,64]},
             "optimizer":{"type":"categorical","choices":["adamw","sgd"]},
             "beta2":{"type":"float","low":0.9,"high":0.9999,"when":{"optimizer":["adamw"]}},
             "fp16":{"type":"categorical","choices":[true,false]},"d":{"type":"float","low":0,"high":0.5,"step":0.1}}
            """;
        var space = SearchSpace.FromJson(json);
        Assert.Equal(["x0", "lr", "epochs", "bs", "optimizer", "beta2", "fp16", "d"], space.Parameters.Select(p => p.Name));
        Assert.Equal(new FloatDistribution(1e-6, 1e-3, Log: true), space["lr"].Distribution);
        Assert.Equal(new IntDistribution(2, 30), space["epochs"].Distribution);
        Assert.Equal(16L, ((CategoricalDistribution)space["bs"].Distribution).Choices[1]);
        Assert.True(space["beta2"].IsConditional);

        var again = SearchSpace.FromJson(space.ToJson());
        Assert.Equal(space, again);
        Assert.Equal(new SearchSettings(space, Seed: 3), new SearchSettings(again, Seed: 3));
        Assert.NotEqual(space, SearchSpace.FromJson("""{"x0":{"type":"float","low":-5,"high":11}}"""));
        Assert.Equal(space.Parameters, again.Parameters, (a, b) => a.Name == b.Name && a.Distribution.Equals(b.Distribution)
            && a.Conditions.Count == b.Conditions.Count);
    }
}

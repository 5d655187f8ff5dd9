using SweepCluster.Studies;
using static SweepCluster.Studies.Tests.StudyYaml;

namespace SweepCluster.Studies.Tests;

/// <summary>
/// Issue 10, kind 1: a space the samplers cannot sample exactly is refused by the parser (so by
/// `sweep submit --check`) naming its key path and line; one they can sample passes.
/// </summary>
public sealed class ExtremeSpaceTests
{
    private const string Lr = "lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}";

    public static TheoryData<string, string, string> Refused => new()
    {
        // Every number finite: YAML's .inf and .nan are named by their key.
        { "lr: {type: float, low: 1.0e-5, high: .inf}", "search_space.lr.high", "expected a finite number" },
        { "lr: {type: float, low: .nan, high: 1}", "search_space.lr.low", "expected a finite number" },
        { "lr: {type: float, low: 0, high: 1, step: .inf}", "search_space.lr.step", "expected a finite number" },
        { "lr: {type: float, low: 0, high: 1, step: 1e400}", "search_space.lr.step", "expected a finite number" },
        // Beyond what a double holds exactly.
        { "lr: {type: int, low: 0, high: 9007199254740993}", "search_space.lr", "within ±2^53" },
        { "lr: {type: int, low: 0, high: 18446744073709551615}", "search_space.lr", "is too large: an int must lie within ±2^53" },
        { "lr: {type: float, low: 0, high: 1, step: 1.1102230246251565e-16}", "search_space.lr", "more than 2^53" },
        { "lr: {type: float, low: -1.0e308, high: 1.0e308}", "search_space.lr", "high − low overflows a double" },
        { "lr: {type: float, low: 0, high: 1.0e-310}", "search_space.lr", "too narrow to sample" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_space_the_samplers_cannot_sample_is_refused_with_its_key_path(string definition, string keyPath, string problem)
    {
        var error = Assert.Throws<StudySpecException>(() => StudySpecParser.Parse(ValidWith(Lr, definition)));
        Assert.Equal(keyPath, error.KeyPath);
        Assert.Equal(16, error.Line);
        Assert.Contains(problem, error.Problem);
    }

    [Theory]
    [InlineData("lr: {type: int, low: 0, high: 4294967295}")]
    [InlineData("lr: {type: int, low: 0, high: 2147483647}")]
    [InlineData("lr: {type: int, low: -9007199254740992, high: 9007199254740992}")]
    [InlineData("lr: {type: float, low: 1.0, high: 1.0}")]
    [InlineData("lr: {type: float, low: 0.001, high: 0.001, log: true}")]
    [InlineData("lr: {type: float, low: 0, high: 1, step: 2.3283064365386963e-10}")]
    [InlineData("lr: {type: categorical, choices: [only]}")]
    public void A_space_the_samplers_can_sample_passes(string definition)
    {
        var spec = StudySpecParser.Parse(ValidWith(Lr, definition));
        Assert.Contains("\"lr\"", spec.Backbones[0].SpaceJson);
    }
}

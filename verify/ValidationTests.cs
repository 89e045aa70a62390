using BnVerify.Bench;
using BnVerify.Implementations;
using Xunit;

namespace BnVerify.Verify;

/// <summary>Bad input is refused before any work, with an exception naming the argument and the problem.</summary>
public sealed class ValidationTests
{
    private static readonly double[] Two = [1, 2];

    public static TheoryData<string, Func<BatchNormProblem>, string> BadProblems => new()
    {
        { "x", () => new BatchNormProblem(2, 2, [1, 2, 3], Two, Two, 1e-5, [1, 2, 3, 4]), "x has 3 values; N×D = 2×2 needs 4" },
        { "dout", () => new BatchNormProblem(2, 2, [1, 2, 3, 4], Two, Two, 1e-5, [1, 2, 3]), "dout has 3 values" },
        { "gamma", () => new BatchNormProblem(2, 2, [1, 2, 3, 4], [1], Two, 1e-5, [1, 2, 3, 4]), "gamma has 1 values; D = 2 needs 2" },
        { "beta", () => new BatchNormProblem(2, 2, [1, 2, 3, 4], Two, [1, 2, 3], 1e-5, [1, 2, 3, 4]), "beta has 3 values" },
        { "n", () => new BatchNormProblem(0, 2, [], Two, Two, 1e-5, []), "N (rows) must be at least 1" },
        { "d", () => new BatchNormProblem(2, 0, [], [], [], 1e-5, []), "D (columns) must be at least 1" },
        { "x", () => new BatchNormProblem(2, 2, [1, double.NaN, 3, 4], Two, Two, 1e-5, [1, 2, 3, 4]), "x[0][1] is NaN" },
        { "dout", () => new BatchNormProblem(2, 2, [1, 2, 3, 4], Two, Two, 1e-5, [1, 2, double.PositiveInfinity, 4]), "dout[1][0] is Infinity" },
        { "gamma", () => new BatchNormProblem(2, 2, [1, 2, 3, 4], [1, double.NegativeInfinity], Two, 1e-5, [1, 2, 3, 4]), "gamma[1] is -Infinity" },
        { "eps", () => new BatchNormProblem(2, 2, [1, 2, 3, 4], Two, Two, 0, [1, 2, 3, 4]), "eps must be a finite number > 0" },
        { "eps", () => new BatchNormProblem(2, 2, [1, 2, 3, 4], Two, Two, -1e-5, [1, 2, 3, 4]), "eps must be a finite number > 0" },
        { "eps", () => new BatchNormProblem(2, 2, [1, 2, 3, 4], Two, Two, double.NaN, [1, 2, 3, 4]), "eps must be a finite number > 0" },
        { "x", () => BatchNormProblem.FromRows([[1, 2], [3]], Two, Two, 1e-5, [[1, 2], [3, 4]]), "x is ragged: row 1 has 1 values, row 0 has 2" },
        { "dout", () => BatchNormProblem.FromRows([[1, 2], [3, 4]], Two, Two, 1e-5, [[1, 2]]), "dout has 1 rows but x has 2" },
        { "x", () => BatchNormProblem.FromRows([], Two, Two, 1e-5, []), "x has no rows (N = 0)" },
        { "x", () => BatchNormProblem.FromRows([[]], [], [], 1e-5, [[]]), "x has no columns (D = 0)" },
    };

    [Theory]
    [MemberData(nameof(BadProblems))]
    public void Bad_input_is_refused_naming_the_argument_and_the_problem(string argument, Func<BatchNormProblem> create, string message)
    {
        var e = Assert.ThrowsAny<ArgumentException>(create);
        Assert.Equal(argument, e.ParamName);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Backward_refuses_spans_of_the_wrong_length_before_any_work()
    {
        var p = new BatchNormProblem(2, 2, [1, 2, 3, 5], [1, 2], [0, 0], 1e-5, [1, -1, 2, 0]);
        var (_, cache) = BatchNorm.Forward<double>(p);
        var impl = new AltSimplified();
        var e = Assert.Throws<ArgumentException>(() => impl.Backward(cache, p.Dout, new double[3], new double[2], new double[2]));
        Assert.Equal("dx", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => impl.Backward(cache, p.Dout, new double[4], new double[1], new double[2]));
        Assert.Equal("dgamma", e.ParamName);
    }

    [Fact]
    public void Every_required_id_exists_with_its_declared_verdict()
    {
        var required = new Dictionary<string, Verdict>
        {
            ["seed001-staged"] = Verdict.Correct,
            ["seed004-formula"] = Verdict.Correct,
            ["seed000-layer"] = Verdict.Correct,
            ["alt-simplified"] = Verdict.Correct,
            ["seed002-alt"] = Verdict.Flawed,
            ["seed000-snippet"] = Verdict.Flawed,
            ["seed003-derivation"] = Verdict.Flawed,
            ["seed001-chain-rule"] = Verdict.Flawed,
        };
        foreach (var (id, verdict) in required) Assert.Equal(verdict, BuiltIn.Implementations.Get(id).Info.Declared);
        Assert.All(BuiltIn.Implementations.All.Where(i => i.Info.Declared == Verdict.Flawed), i => Assert.False(string.IsNullOrWhiteSpace(i.Info.FlawReason)));
        Assert.Equal(BuiltIn.Implementations.All.Count, BuiltIn.Implementations.All.Select(i => i.Info.Id).Distinct().Count());
    }
}

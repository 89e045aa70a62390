using BnVerify.Bench;
using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Verify.Support;
using Xunit;
using Xunit.Abstractions;

namespace BnVerify.Verify;

/// <summary>
/// PyTorch's gradients (golden/torch, an oracle none of us wrote): every correct implementation agrees with every case,
/// every flawed one disagrees with at least one (except the mutants whose flaw lives at shapes or values the golden set
/// does not contain, <see cref="Ids.BeyondGolden"/>), and our own oracles agree with PyTorch.
/// </summary>
public sealed class GoldenTests(ITestOutputHelper output)
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "golden", "torch");

    private static IReadOnlyList<CaseFile> Cases { get; } = CaseFile.Expand(Folder).Select(CaseFile.Load).ToList();

    public static TheoryData<string> CaseNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var c in Cases) data.Add(c.Name);
            return data;
        }
    }

    [Fact]
    public void All_seventeen_shipped_cases_load_with_expected_values()
    {
        Assert.Equal(17, Cases.Count);
        Assert.All(Cases, c => Assert.NotNull(c.Expected));
    }

    [Theory]
    [MemberData(nameof(Ids.Correct), MemberType = typeof(Ids))]
    public void Correct_implementation_agrees_with_every_golden_case(string id) =>
        GoldenChecks.AssertAgreesWithEvery(BuiltIn.Implementations.Get(id), Cases, "golden: torch");

    [Theory]
    [MemberData(nameof(Ids.FlawedWithinGolden), MemberType = typeof(Ids))]
    public void Flawed_implementation_disagrees_with_some_golden_case(string id) =>
        GoldenChecks.AssertDisagreesWithSome(BuiltIn.Implementations.Get(id), Cases, "golden: torch", output);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Finite_differences_agree_with_torch_within_their_bound(string name)
    {
        var c = Cases.Single(c => c.Name == name);
        var fd = FiniteDifferenceOracle.Compute(c.Problem);
        var model = ErrorModel.For(c.Problem);
        // The stored values are PyTorch's float64 computation: compare as an implementation with float64 rounding.
        var verdicts = GradientChecker.CompareElements(c.Expected!, fd, model, ErrorModel.Float64Roundoff);
        Assert.All(verdicts, v => Assert.True(v.Pass, $"{name}: {v.Gradient} {v.Worst}"));
    }

    [Fact]
    public void Forward_output_matches_torch()
    {
        foreach (var c in Cases.Where(c => c.ExpectedOut is not null))
        {
            var (output, _) = BatchNorm.Forward<double>(c.Problem);
            var model = ErrorModel.For(c.Problem);
            for (int k = 0; k < output.Length; k++)
            {
                int j = k % c.Problem.D;
                // y = gamma·xhat + beta: xhat errs by (N + κ)·u (ErrorModel), then two roundings; times 8 for two implementations.
                double bound = 8 * ErrorModel.Float64Roundoff * ((c.Problem.N + 4 + model.Kappa[j]) * Math.Abs(c.Problem.Gamma[j]) * (1 + Math.Abs(model.Xhat[k])) + Math.Abs(c.Problem.Beta[j]));
                Assert.True(Math.Abs(output[k] - c.ExpectedOut![k]) <= bound, $"{c.Name}: out[{k / c.Problem.D}][{j}] = {output[k]} but torch has {c.ExpectedOut![k]}");
            }
        }
    }
}

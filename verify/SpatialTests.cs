using BnVerify.Bench;
using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Doctor;
using BnVerify.Verification;
using BnVerify.Verify.Support;
using Xunit;
using Xunit.Abstractions;

namespace BnVerify.Verify;

/// <summary>
/// Spatial batch norm (issue 14): every correct implementation, whatever memory order it computes in, agrees with PyTorch's
/// BatchNorm2d cases and with the oracles on random N×C×H×W problems; each deliberately flawed spatial implementation is
/// caught, shrunk to a small N×C×H×W counterexample and given its diagnosis.
/// </summary>
public sealed class SpatialTests(ITestOutputHelper output)
{
    /// <summary>Random spatial problems per correct implementation (up to 294 values per channel, so finite differences stay affordable).</summary>
    internal const int Cases = 150;

    private static IReadOnlyList<CaseFile> Nchw => GoldenCases.TorchNchw;

    private static ProblemSource Spatial { get; } = ProblemSource.RandomOnly(GeneratorRange.Spatial);

    [Fact]
    public void The_eleven_NCHW_golden_cases_load_as_spatial_problems_with_expected_values()
    {
        Assert.Equal(11, Nchw.Count);
        Assert.All(Nchw, c =>
        {
            Assert.True(c.Problem.IsSpatial);
            Assert.Equal(Layout.NCHW, c.Problem.Layout);
            Assert.NotNull(c.Expected);
            Assert.EndsWith(c.Problem.Shape.ToString(), c.Name);
        });
        // The shipped files are the embedded ones.
        var files = CaseFile.Expand(Path.Combine(AppContext.BaseDirectory, "golden", "torch-nchw")).Select(CaseFile.Load).ToList();
        Assert.Equal(Nchw.Select(c => c.Name), files.Select(c => c.Name));
        Assert.Contains(Nchw, c => c.Problem.Shape.N == 1 && c.Problem.Shape.PlaneSize > 1);
        Assert.Contains(Nchw, c => c.Problem.Shape.PlaneSize == 1);
    }

    [Theory]
    [MemberData(nameof(Ids.Correct), MemberType = typeof(Ids))]
    public void Correct_implementation_agrees_with_every_NCHW_golden_case(string id) =>
        GoldenChecks.AssertAgreesWithEvery(BuiltIn.Implementations.Get(id), Nchw, "golden: torch BatchNorm2d");

    [Theory]
    [MemberData(nameof(Ids.SpatialFlawed), MemberType = typeof(Ids))]
    public void Flawed_spatial_implementation_disagrees_with_some_NCHW_golden_case(string id) =>
        GoldenChecks.AssertDisagreesWithSome(BuiltIn.Implementations.Get(id), Nchw, "golden", output);

    [Fact]
    public void Finite_differences_and_the_forward_agree_with_torch_on_the_NCHW_cases()
    {
        foreach (var c in Nchw)
        {
            var model = ErrorModel.For(c.Problem);
            var verdicts = GradientChecker.CompareElements(c.Expected!, FiniteDifferenceOracle.Compute(c.Problem), model, ErrorModel.Float64Roundoff);
            Assert.All(verdicts, v => Assert.True(v.Pass, $"{c.Name}: {v.Gradient} {v.Worst}"));
            var (y, _) = BatchNorm.Forward<double>(c.Problem);
            for (int k = 0; k < y.Length; k++)
            {
                int j = k % c.Problem.D;
                // As GoldenTests.Forward_output_matches_torch: xhat errs by (N + κ)·u, then two roundings; times 8 for two implementations.
                double bound = 8 * ErrorModel.Float64Roundoff * ((c.Problem.N + 4 + model.Kappa[j]) * Math.Abs(c.Problem.Gamma[j]) * (1 + Math.Abs(model.Xhat[k])) + Math.Abs(c.Problem.Beta[j]));
                Assert.True(Math.Abs(y[k] - c.ExpectedOut![k]) <= bound, $"{c.Name}: out{Layouts.Where(k, c.Problem.Shape, Layout.NCHW)} = {y[k]}, torch {c.ExpectedOut[k]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Ids.Correct), MemberType = typeof(Ids))]
    public void Backward_matches_numerical_gradient_on_random_spatial_problems(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        var falsified = Properties.Run(p => GradientChecker.Check(impl, p).Pass, Cases, Spatial, theoryCase: id);
        if (falsified is not null)
        {
            var result = GradientChecker.Check(impl, falsified.Counterexample);
            Assert.Fail($"{id} does not match the numerical gradient on a spatial problem: {result.Summary()}\n" +
                        $"spatial doctor: {SpatialDoctor.Diagnose(impl).Sentence}\nshrunk counterexample:\n{Properties.Show(falsified.Counterexample)}\n{falsified.Message}");
        }
    }

    [Theory]
    [MemberData(nameof(Ids.SpatialFlawed), MemberType = typeof(Ids))]
    public void Flawed_spatial_implementation_is_caught_with_a_small_NCHW_counterexample_and_its_diagnosis(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        var falsified = Properties.Run(p => GradientChecker.Check(impl, p).Pass, Cases, Spatial, theoryCase: id);
        Assert.True(falsified is not null, $"{id} is declared flawed ({impl.Info.FlawReason}) but passed {Cases} random spatial cases");
        var shrunk = falsified.Counterexample;
        var result = GradientChecker.Check(impl, shrunk);
        output.WriteLine($"{id}: shrunk to {shrunk.ShapeText}: {result.Summary()}");
        output.WriteLine(Properties.Show(shrunk));
        Assert.False(result.Pass);
        Assert.True(shrunk.IsSpatial && shrunk.Layout == Layout.NCHW, $"{id}: the counterexample is not an NCHW problem: {shrunk}");
        Assert.True(shrunk.Shape.Count <= 4, $"{id}: the counterexample did not shrink to at most 4 values: {shrunk.ShapeText}");
        Assert.Contains("\"layout\": \"NCHW\"", Properties.Show(shrunk));

        var expected = ((ISpatialFlaw)impl).Expected;
        var diagnosis = SpatialDoctor.Diagnose(impl);
        output.WriteLine($"diagnosis: {diagnosis.Sentence}");
        Assert.Equal(expected, diagnosis.Finding);
    }

    [Theory]
    [MemberData(nameof(Ids.SpatialFlawed), MemberType = typeof(Ids))]
    public void The_verifier_reports_a_flawed_spatial_implementation_with_a_shrunk_case_file_and_the_spatial_diagnosis(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        var report = Verifier.Verify(impl, new VerifierOptions { Cases = 20, Seed = 3, Source = new ProblemSource(GeneratorRange.Spatial), Given = [] });
        output.WriteLine(report.Describe());
        Assert.Equal(Verdict.Flawed, report.Found);
        Assert.NotNull(report.Shrunk);
        Assert.True(report.Shrunk!.Problem.IsSpatial);
        Assert.StartsWith("spatial: ", report.Diagnosis);
        // A failing dx element is named by its NCHW indices (a shrunk case with gamma = 0 may fail in dgamma alone).
        Assert.Matches(@"dx\[\d+\]\[\d+\]\[\d+\]\[\d+\]|dgamma\[\d+\]", report.Describe());
        Assert.DoesNotMatch(@"dx\[\d+\]\[\d+\] ", report.Describe());
        var counterexample = CaseFile.FromJson(report.CounterexampleJson()!, "counterexample");
        Assert.Equal(report.Shrunk.Problem.Shape, counterexample.Problem.Shape);
        Assert.False(GradientChecker.Check(impl, counterexample.Problem).Pass);
    }

    [Theory]
    [MemberData(nameof(Ids.Correct), MemberType = typeof(Ids))]
    public void Correct_implementation_handles_the_layout_right(string id)
    {
        var d = SpatialDoctor.Diagnose(BuiltIn.Implementations.Get(id));
        Assert.Equal(SpatialFinding.LayoutConsistent, d.Finding);
    }

    [Theory]
    [InlineData("seed002-alt")]
    [InlineData("seed001-chain-rule")]
    [InlineData("mutant-dbeta-scaled")]
    public void A_2D_flaw_is_left_to_the_derivation_doctor(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        Assert.False(SpatialDoctor.Diagnose(impl).FlawFound);
        // Through the pipeline on spatial problems: the derivation doctor's words, not the spatial doctor's.
        var report = Verifier.Verify(impl, new VerifierOptions { Cases = 5, Seed = 3, Source = new ProblemSource(GeneratorRange.Spatial), Given = [] });
        Assert.Equal(Verdict.Flawed, report.Found);
        Assert.DoesNotContain("spatial:", report.Diagnosis);
    }

    [Fact]
    public void The_spatial_diagnosis_comes_from_the_outputs_not_from_the_declaration()
    {
        // The flawed kernels under a neutral name and a "correct" declaration: the same findings.
        foreach (var impl in BuiltIn.Implementations.All.OfType<ISpatialFlaw>().Cast<IBatchNormBackward>())
        {
            var wrapped = new NchwDelegate(BackwardInfo.Correct("anonymous", "a test", Family.External), (IBatchNormBackward<double>)impl);
            Assert.Equal(((ISpatialFlaw)impl).Expected, SpatialDoctor.Diagnose(wrapped).Finding);
        }
    }

    /// <summary>An NCHW implementation that only forwards to another one, with its own (correct) declaration.</summary>
    private sealed class NchwDelegate(BackwardInfo info, IBatchNormBackward<double> inner) : BatchNormBackward<double>(info, Layout.NCHW)
    {
        protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta) =>
            inner.Backward(cache, dout, dx, dgamma, dbeta);
    }
}

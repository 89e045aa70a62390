using BnVerify.Bench;
using BnVerify.Checking;
using BnVerify.Doctor;
using BnVerify.Verify.Support;
using Xunit;
using Xunit.Abstractions;

namespace BnVerify.Verify;

/// <summary>
/// The central claim: every implementation declared correct matches the numerical gradient on random problems across
/// the whole generator range, and every implementation declared flawed is caught, with a small counterexample.
/// </summary>
public sealed class BackwardPropertyTests(ITestOutputHelper output)
{
    /// <summary>Random cases per implementation (issue: at least 300), after the scheduled edge and boundary shapes.</summary>
    internal const int Cases = 300;

    [Theory]
    [MemberData(nameof(Ids.Correct), MemberType = typeof(Ids))]
    public void Backward_matches_numerical_gradient(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        var falsified = Properties.Run(p => GradientChecker.Check(impl, p).Pass, Cases, theoryCase: id);
        output.WriteLine($"{id}: {Properties.Source().Describe(Cases)}, seed {Properties.Seed}: {(falsified is null ? "all pass" : "FALSIFIED")}");
        if (falsified is not null) Assert.Fail(FailureReport(impl, falsified));
    }

    /// <summary>
    /// A failing property, read once: what failed on the shrunk case, the doctor's diagnosis, the case as a case file, and
    /// how it was found with the command that replays this one test.
    /// </summary>
    internal static string FailureReport(IBatchNormBackward impl, Falsified falsified)
    {
        var result = GradientChecker.Check(impl, falsified.Counterexample);
        return $"{impl.Info.Id} does not match the numerical gradient: {result.Summary()}\n" +
               $"diagnosis: {DerivationDoctor.Sentence(impl, result)}\n" +
               $"shrunk counterexample (a bnverify-case/1 file):\n{Properties.Show(falsified.Counterexample)}\n{falsified.Message}";
    }

    [Fact]
    public void A_failing_property_reads_once_with_the_case_the_diagnosis_and_a_replay_of_this_test_alone()
    {
        var impl = BuiltIn.Implementations.Get("seed002-alt");
        var falsified = Properties.Run(p => GradientChecker.Check(impl, p).Pass, Cases, theoryCase: "seed002-alt");
        Assert.NotNull(falsified);
        string report = FailureReport(impl, falsified);
        output.WriteLine(report);
        int Count(string what) => report.Split(what).Length - 1;
        Assert.Equal(1, Count("\"format\": \"bnverify-case/1\"")); // the counterexample once
        Assert.Equal(1, Count("diagnosis: "));
        Assert.Equal(1, Count("dx fails (finite differences)")); // the failure once
        Assert.DoesNotContain("Expected true, got false", report);
        Assert.Contains("variance-path coefficient", report);
        Assert.Contains($"replay this test alone: BNVERIFY_SEED={Properties.Seed} dotnet test verify -c Release --filter " +
                        "'FullyQualifiedName~BnVerify.Verify.BackwardPropertyTests.A_failing_property_reads_once_with_the_case_the_diagnosis_and_a_replay_of_this_test_alone&DisplayName~seed002-alt'", report);
        // The case file loads as the shrunk problem.
        Assert.Equal(falsified.Counterexample.ShapeText, BnVerify.Cases.CaseFile.FromJson(Properties.Show(falsified.Counterexample), "report").Problem.ShapeText);
    }

    [Theory]
    [MemberData(nameof(Ids.Flawed), MemberType = typeof(Ids))]
    public void Flawed_backward_is_caught_with_a_small_counterexample(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        var falsified = Properties.Run(p => GradientChecker.Check(impl, p).Pass, Cases, theoryCase: id);
        Assert.True(falsified is not null, $"{id} is declared flawed ({impl.Info.FlawReason}) but passed {Properties.Source().Describe(Cases)}");

        var shrunk = falsified.Counterexample;
        var result = GradientChecker.Check(impl, shrunk);
        output.WriteLine($"{id}: {falsified.Message}: {result.Summary()}");
        output.WriteLine($"diagnosis: {DerivationDoctor.ExplainFailure(result, impl)}");
        output.WriteLine(Properties.Show(shrunk));
        Assert.False(result.Pass);
        Assert.NotEmpty(result.Failing);
        Assert.Contains(Gradients.NameOf(result.Failing.First()), result.Summary());
        if (EdgeOrBoundary.TryGetValue(id, out var expected))
        {
            // An edge-shape bug shrinks to its edge, a boundary bug to the smallest shape past the boundary.
            Assert.True(expected.N is null ? shrunk.N <= 4 : shrunk.N == expected.N, $"{id}: shrunk to N = {shrunk.N}; expected {expected.N?.ToString() ?? "≤ 4"}");
            Assert.True(expected.D is null ? shrunk.D <= 2 : shrunk.D == expected.D, $"{id}: shrunk to D = {shrunk.D}; expected {expected.D?.ToString() ?? "≤ 2"}");
        }
        else Assert.True(shrunk.N <= 4 && shrunk.D <= 2, $"{id}: counterexample did not shrink to N ≤ 4, D ≤ 2: N = {shrunk.N}, D = {shrunk.D}");
    }

    /// <summary>
    /// Flaws that live at an edge or past a boundary, and the shape their counterexample must shrink to (null: the
    /// usual N ≤ 4 or D ≤ 2): N = 1 exactly; 65 rows (one past a block of 64); 33 columns (one past a tile of 32);
    /// 9 columns (one past a vector of 8).
    /// </summary>
    private static readonly Dictionary<string, (int? N, int? D)> EdgeOrBoundary = new()
    {
        ["mutant-one-sample-direct"] = (1, null),
        ["mutant-block64-tail"] = (65, null),
        ["mutant-column-tile32"] = (null, 33),
        ["mutant-vector-tail8"] = (null, 9),
    };

    [Fact]
    public void Seed000_snippet_passes_when_eps_is_1e8_and_is_caught_otherwise()
    {
        var impl = BuiltIn.Implementations.Get("seed000-snippet");
        var eps1e8 = Properties.Source(new GeneratorRange(MinEps: 1e-8, MaxEps: 1e-8));
        Assert.Null(Properties.Run(p => GradientChecker.Check(impl, p).Pass, Cases, eps1e8));

        var otherEps = Properties.Source(new GeneratorRange(MinEps: 1e-6, MaxEps: 1e-1));
        var falsified = Properties.Run(p => GradientChecker.Check(impl, p).Pass, Cases, otherEps);
        Assert.NotNull(falsified);
        Assert.NotEqual(1e-8, falsified.Counterexample.Eps);
    }
}

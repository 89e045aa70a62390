using BnVerify.Bench;
using BnVerify.Checking;
using BnVerify.Verification;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// The one pipeline and the library API as a user sees them: a class or a delegate verified in one call, a failing one
/// explained in the exception's message, and code that throws, hangs or leaves outputs unwritten reported as such.
/// </summary>
public sealed class VerifierTests
{
    /// <summary>Few cases, so each test takes well under a second; the golden cases are part of the defaults.</summary>
    private static readonly VerifierOptions Quick = new() { Cases = 12, Seed = 7 };

    /// <summary>The closed form, written as a user would: a delegate over the cache (the user fixture's own helper).</summary>
    private static void Correct(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta) =>
        UserBackwards.ClosedForm.Backward(cache, dout, dx, dgamma, dbeta, varianceSlip: false);

    /// <summary>Seed 002's slip: the variance path uses Σdout where Σ(dout·xhat) belongs.</summary>
    private static void VariancePathSlip(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta) =>
        UserBackwards.ClosedForm.Backward(cache, dout, dx, dgamma, dbeta, varianceSlip: true);

    [Fact]
    public void A_correct_delegate_passes_the_random_and_the_golden_cases()
    {
        var report = Verifier.Verify<double>("user-closed-form", Correct, Quick);
        Assert.Equal(Verdict.Correct, report.Found);
        // The default source's scheduled edge and boundary shapes, the 12 random cases, then the golden cases.
        Assert.Equal(ShapeSchedule.Default.Shapes.Count + 12 + GoldenCasesCount, report.Cases.Count);
        Assert.Equal(ShapeSchedule.Default.Shapes.Count, report.Cases.Count(c => c.Case.Scheduled));
        Assert.Null(report.FirstFailure);
        Verifier.AssertCorrect<double>("user-closed-form", Correct, Quick);
    }

    [Fact]
    public void A_wrong_delegate_throws_with_gradient_element_counterexample_diagnosis_and_seed()
    {
        var e = Assert.Throws<BackwardVerificationException>(() => Verifier.AssertCorrect<double>("user-slip", VariancePathSlip, Quick));
        string message = e.Message;
        Assert.Contains("user-slip: flawed", message);
        Assert.Contains("dx fails", message);
        Assert.Matches(@"dx\[\d+\]\[\d+\]", message);
        Assert.Contains("\"format\": \"bnverify-case/1\"", message);
        Assert.Contains("uses Σdout where Σ(dout·xhat) belongs", message);
        Assert.Contains("Seed = 7", message);
        // The counterexample is shrunk to a case a person can check by hand.
        Assert.NotNull(e.Report.Shrunk);
        Assert.True(e.Report.Shrunk!.Problem.N * e.Report.Shrunk.Problem.D <= 8, $"shrunk to {e.Report.Shrunk.Problem.N}x{e.Report.Shrunk.Problem.D}");
    }

    [Fact]
    public void Every_built_in_verdict_is_the_declared_one_through_the_pipeline()
    {
        foreach (var report in Verifier.Run(BuiltIn.Implementations.All, Quick with { Shrink = false, Diagnose = false }))
            Assert.True(report.MatchesDeclared, $"{report.Id}: declared {report.Implementation.Info.DeclaredText}, found {report.Found}");
    }

    [Fact]
    public void An_element_never_written_is_reported_as_not_written_not_as_zero()
    {
        // dbeta left unwritten: on a problem with all-zero dout, an unwritten zero would equal the exact dbeta.
        var report = Verifier.Verify<double>("forgets-dbeta", (cache, dout, dx, dgamma, dbeta) =>
        {
            var scratch = new double[dbeta.Length];
            Correct(cache, dout, dx, dgamma, scratch);
        }, Quick with { Shrink = false });
        Assert.Equal(Verdict.Flawed, report.Found);
        Assert.All(report.Cases, c => Assert.False(c.Pass));
        Assert.Contains("was never written", report.FirstFailure!.Summary);
        Assert.Contains("dbeta", report.FirstFailure.Summary);
    }

    [Fact]
    public void A_backward_that_throws_is_flawed_with_its_message_and_the_others_go_on()
    {
        var throwing = new DelegateBackward<double>("throws", (_, _, _, _, _) => throw new InvalidOperationException("my kernel is not ready"));
        var reports = Verifier.Run([throwing, BuiltIn.Implementations.Get("alt-simplified")], Quick);
        Assert.Equal(Verdict.Flawed, reports[0].Found);
        Assert.Contains("throws threw InvalidOperationException: my kernel is not ready", reports[0].FirstFailure!.Summary);
        Assert.Contains("my kernel is not ready", reports[0].Describe());
        Assert.Equal(Verdict.Correct, reports[1].Found);
    }

    [Fact]
    public void A_backward_that_hangs_is_reported_as_a_hang_within_the_time_limit_and_called_no_more()
    {
        int calls = 0;
        var hanging = new DelegateBackward<double>("hangs", (_, _, _, _, _) =>
        {
            Interlocked.Increment(ref calls);
            Thread.Sleep(Timeout.Infinite);
        });
        var options = Quick with { Check = CheckOptions.Default with { CallTimeout = TimeSpan.FromMilliseconds(300) }, MaxParallelism = 1 };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var report = Verifier.Verify(hanging, options);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Equal(Verdict.Flawed, report.Found);
        Assert.Contains("did not return within 0.3 s", report.FirstFailure!.Summary);
        Assert.Contains("not run: hangs hung on case 0", report.Cases[^1].Summary);
        Assert.Equal(1, Volatile.Read(ref calls));
    }

    [Fact]
    public void A_class_whose_constructor_throws_is_listed_and_found_flawed()
    {
        var registry = Registry.Of([new UnconstructibleBackward(typeof(VerifierTests), new InvalidOperationException("no GPU"))]);
        var report = Verifier.Verify(registry.All[0], Quick);
        Assert.Equal(Verdict.Flawed, report.Found);
        Assert.Contains("constructor threw InvalidOperationException: no GPU", report.FirstFailure!.Summary);
    }

    [Fact]
    public void Two_ids_that_clash_are_refused()
    {
        var a = new DelegateBackward<double>("same", Correct);
        var b = new DelegateBackward<double>("same", Correct);
        var e = Assert.Throws<InvalidOperationException>(() => Registry.Of([a, b]));
        Assert.Contains("'same'", e.Message);
    }

    private static int GoldenCasesCount => BnVerify.Cases.GoldenCases.All.Count; // the N×D and the N×C×H×W cases
}

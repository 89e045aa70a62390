using BnVerify.Cases;
using BnVerify.Checking;
using Xunit;
using Xunit.Abstractions;

namespace BnVerify.Verify.Support;

/// <summary>An implementation against PyTorch's golden cases, each case's stored gradients the oracle (GoldenTests, SpatialTests).</summary>
public static class GoldenChecks
{
    /// <summary><paramref name="impl"/> agrees with the stored gradients of every case; the message names each case it does not.</summary>
    public static void AssertAgreesWithEvery(IBatchNormBackward impl, IEnumerable<CaseFile> cases, string oracle)
    {
        var failures = cases.Select(c => (c.Name, Result: GradientChecker.CheckAgainst(impl, c.Problem, c.Expected!, oracle)))
            .Where(r => !r.Result.Pass).Select(r => $"{r.Name}: {r.Result.Summary()}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary><paramref name="impl"/> disagrees with the stored gradients of some case; which ones is written to <paramref name="output"/>.</summary>
    public static void AssertDisagreesWithSome(IBatchNormBackward impl, IReadOnlyList<CaseFile> cases, string oracle, ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(impl);
        ArgumentNullException.ThrowIfNull(output);
        var caught = cases.Where(c => !GradientChecker.CheckAgainst(impl, c.Problem, c.Expected!, oracle).Pass).Select(c => c.Name).ToList();
        output.WriteLine($"{impl.Info.Id} is caught by {caught.Count} of {cases.Count} cases: {string.Join(", ", caught)}");
        Assert.NotEmpty(caught);
    }
}

using BnVerify;
using BnVerify.Verification;
using Xunit;

namespace MyBatchNorm.Tests;

/// <summary>Each backward checked by BnVerify in one line: 200 random problems and PyTorch's golden cases.</summary>
public sealed class BackwardTests
{
    [Fact]
    public void The_closed_form_is_correct() => Verifier.AssertCorrect(new CorrectBackward());

    /// <summary>A backward written as a function instead of a class, checked the same way.</summary>
    [Fact]
    public void The_staged_backward_as_a_delegate_is_correct() =>
        Verifier.AssertCorrect<double>("my-staged", StagedBackward);

    /// <summary>
    /// This test FAILS, on purpose: it shows what a failing check looks like (the failing element, the diagnosis, a
    /// counterexample small enough to check by hand, the seed). Leave it out with <c>--filter Category!=Demonstration</c>.
    /// </summary>
    [Fact]
    [Trait("Category", "Demonstration")]
    public void The_slip_is_caught() => Verifier.AssertCorrect(new WrongBackward());

    /// <summary>The backward through dxhat = gamma·dout, then the mean and variance paths, as a plain method.</summary>
    private static void StagedBackward(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx,
        Span<double> dgamma, Span<double> dbeta)
    {
        int n = cache.N, d = cache.D;
        for (int j = 0; j < d; j++)
        {
            double sumDxhat = 0, sumDxhatXhat = 0, sumDout = 0, sumDoutXhat = 0;
            for (int i = 0; i < n; i++)
            {
                int k = i * d + j;
                double dxhat = cache.Gamma[j] * dout[k];
                sumDxhat += dxhat;
                sumDxhatXhat += dxhat * cache.Xhat[k];
                sumDout += dout[k];
                sumDoutXhat += dout[k] * cache.Xhat[k];
            }
            dbeta[j] = sumDout;
            dgamma[j] = sumDoutXhat;
            for (int i = 0; i < n; i++)
            {
                int k = i * d + j;
                double dxhat = cache.Gamma[j] * dout[k];
                dx[k] = cache.InvStd[j] * (dxhat - sumDxhat / n - cache.Xhat[k] * sumDxhatXhat / n);
            }
        }
    }
}

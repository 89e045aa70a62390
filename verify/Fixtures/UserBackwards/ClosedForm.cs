namespace UserBackwards;

/// <summary>The user's own helper, as a real project would have one: the column sums, then dx.</summary>
internal static class ClosedForm
{
    public static void Backward(BnVerify.BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta, bool varianceSlip)
    {
        int n = cache.N, d = cache.D;
        dbeta.Clear();
        dgamma.Clear();
        for (int k = 0; k < n * d; k++)
        {
            dbeta[k % d] += dout[k];
            dgamma[k % d] += dout[k] * cache.Xhat[k];
        }
        for (int k = 0; k < n * d; k++)
        {
            int j = k % d;
            double varianceSum = varianceSlip ? dbeta[j] : dgamma[j];
            dx[k] = cache.Gamma[j] * cache.InvStd[j] / n * (n * dout[k] - dbeta[j] - cache.Xhat[k] * varianceSum);
        }
    }
}

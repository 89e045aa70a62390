namespace BnVerify.Implementations;

/// <summary>
/// The step shared by the flawed spatial implementations that normalize the wrong group of a channel's values
/// (<see cref="SpatialStatsOverN"/>: the N values of one position, <see cref="SpatialStatsPerImage"/>: the H·W values of one
/// image): 2-D batch norm of that group alone, as if it were the whole batch.
/// </summary>
internal static class GroupBackward
{
    /// <summary>
    /// The <paramref name="count"/> values of channel <paramref name="c"/> at <paramref name="start"/>, start + <paramref name="stride"/>, …:
    /// their own statistics (mean, var with divisor count, invStd, xhat; recomputed from x and eps), then the closed form over them,
    /// dx = (gamma·invStd/count)·(count·dout − Σdout − xhat·Σ(dout·xhat)); adds their Σdout·xhat to dgamma[c] and their Σdout to
    /// dbeta[c]. <paramref name="xhat"/> is scratch for count values.
    /// </summary>
    public static void Apply(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta,
        int c, int start, int stride, int count, Span<double> xhat)
    {
        var x = cache.X;
        int At(int i) => start + i * stride;
        double mean = 0, var = 0;
        for (int i = 0; i < count; i++) mean += x[At(i)];
        mean /= count;
        for (int i = 0; i < count; i++) var += (x[At(i)] - mean) * (x[At(i)] - mean);
        double invStd = 1.0 / Math.Sqrt(var / count + cache.Eps);
        for (int i = 0; i < count; i++) xhat[i] = (x[At(i)] - mean) * invStd;

        // The closed form over those values.
        double sumDout = 0, sumDoutXhat = 0;
        for (int i = 0; i < count; i++)
        {
            sumDout += dout[At(i)];
            sumDoutXhat += dout[At(i)] * xhat[i];
        }
        double scale = cache.Gamma[c] * invStd / count;
        for (int i = 0; i < count; i++)
            dx[At(i)] = scale * (count * dout[At(i)] - sumDout - xhat[i] * sumDoutXhat);
        dbeta[c] += sumDout;
        dgamma[c] += sumDoutXhat;
    }
}

namespace BnVerify.Bench.Gate;

/// <summary>
/// The one-sided Mann–Whitney U test: is sample <c>a</c> stochastically greater than sample <c>b</c>?
/// Normal approximation with tie correction and continuity correction, adequate from about 8 values per sample
/// (the gate takes 20 or more).
/// </summary>
public static class MannWhitney
{
    /// <summary>The p-value of H0 "a is not greater than b" against H1 "a tends to be greater than b".</summary>
    public static double PGreater(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int n1 = a.Count, n2 = b.Count;
        if (n1 == 0 || n2 == 0) throw new ArgumentException("both samples need at least one value");

        // Rank the pooled values (average ranks for ties) and sum the ranks of a.
        var pooled = a.Select(v => (Value: v, FromA: true)).Concat(b.Select(v => (Value: v, FromA: false)))
            .OrderBy(t => t.Value).ToArray();
        double rankSumA = 0, tieTerm = 0;
        for (int start = 0; start < pooled.Length;)
        {
            int end = start;
            while (end + 1 < pooled.Length && pooled[end + 1].Value == pooled[start].Value) end++;
            double rank = (start + end) / 2.0 + 1;
            int ties = end - start + 1;
            tieTerm += (double)ties * ties * ties - ties;
            for (int k = start; k <= end; k++) if (pooled[k].FromA) rankSumA += rank;
            start = end + 1;
        }
        double u = rankSumA - n1 * (n1 + 1) / 2.0;
        double n = n1 + n2;
        double mean = n1 * (double)n2 / 2;
        double variance = n1 * (double)n2 / 12 * (n + 1 - tieTerm / (n * (n - 1)));
        if (variance <= 0) return u > mean ? 0 : 1;
        double z = (u - mean - 0.5) / Math.Sqrt(variance);
        return 1 - NormalCdf(z);
    }

    /// <summary>Standard normal distribution function (Abramowitz and Stegun 7.1.26 through erf; error below 1.5e-7).</summary>
    public static double NormalCdf(double z)
    {
        double x = Math.Abs(z) / Math.Sqrt(2);
        double t = 1 / (1 + 0.3275911 * x);
        double erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }
}

namespace BnVerify.Checking;

/// <summary>
/// The units errors are measured in, and how much rounding a correct implementation may commit.
/// Everything here is per column j, computed in float64 from the problem itself.
/// <para>
/// Natural units (what "an error of 1" means):
/// dx: |gamma_j|·invStd_j·max_i|dout_ij|, the size of the direct term gamma·invStd·dout; the exact dx is at most
/// (2 + |xhat_ij|) of it, however much the three terms cancel (N = 2, <c>normal-2x1</c>) or however large invStd
/// is (a zero-variance column). dgamma: Σ_i|dout_ij|·(1 + |xhat_ij|), the sum without cancellation.
/// dbeta: Σ_i|dout_ij|.
/// </para>
/// <para>
/// Rounding allowance of an implementation computing in a type with unit roundoff u:
/// <c>A = (8·u·(N + 4 + √N·κ_j) + ρ_j)·unit</c> (times (2 + |xhat_ij|) for dx), with κ_j = max_i|x_ij|·invStd_j the
/// column's condition and ρ_j = |Σ_i xhat_ij|/N the forward's own mean residue. A worst-case sum of N terms errs by
/// N·u of the sum of magnitudes. The mean is such a sum: rounded left to right, its error relative to the column's
/// spread is a random walk of N roundings of size u·κ, ~√N·u·κ, and forming x − mean adds κ·u; every later stage
/// inherits it. Two correct implementations that compute the mean differently (the forward's left-to-right sum,
/// Welford's update, a compensated sum) differ by that much; up to issue 11 the term was κ alone, which covered it only
/// while N ≤ 64 kept √N within the factor 8 below. Where the roundings do not cancel — N equal values in a constant
/// column, where the exact x − mean is 0 — the forward's mean is off by up to N·u·|x|, and the reference built from it
/// inherits that: ρ_j measures it on the problem itself (Σxhat is 0 in exact arithmetic), so an implementation that gets
/// x − mean exactly right is not flagged for the reference's residue (2048 equal values, eps = 1e-7, κ ≈ 7e6: the
/// forward's xhat residues give dgamma 2e-8 of its unit where Welford's exact mean gives 0; issue 12). The constant 4
/// covers the few remaining roundings (invStd, xhat, the final products) and the factor 8 is a safety margin for two
/// such chains (implementation and reference) and for constants within the terms (2·xmu, the three dx terms).
/// dbeta involves no x: its allowance is 8·u·(N + 4)·unit.
/// </para>
/// </summary>
public sealed class ErrorModel
{
    /// <summary>Unit roundoff of float64, 2^-53.</summary>
    public const double Float64Roundoff = 1.0 / (1L << 53);

    private ErrorModel(BatchNormProblem p, double allowanceScale)
    {
        if (!(allowanceScale > 0 && double.IsFinite(allowanceScale)))
            throw new ArgumentOutOfRangeException(nameof(allowanceScale), allowanceScale, "the allowance scale must be a finite number > 0");
        Problem = p;
        AllowanceScale = allowanceScale;
        int n = p.N, d = p.D;
        var (_, cache) = BatchNorm.Forward<double>(p);
        InvStd = cache.InvStd.ToArray();
        Xhat = cache.Xhat.ToArray();
        Kappa = new double[d];
        MeanResidue = new double[d];
        DxUnit = new double[d];
        DgammaUnit = new double[d];
        DbetaUnit = new double[d];
        var maxDout = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                int k = i * d + j;
                double g = Math.Abs(p.Dout[k]);
                maxDout[j] = Math.Max(maxDout[j], g);
                DgammaUnit[j] += g * (1 + Math.Abs(Xhat[k]));
                DbetaUnit[j] += g;
                Kappa[j] = Math.Max(Kappa[j], Math.Abs(p.X[k]) * InvStd[j]);
                MeanResidue[j] += Xhat[k];
            }
        for (int j = 0; j < d; j++) MeanResidue[j] = Math.Abs(MeanResidue[j]) / n;
        for (int j = 0; j < d; j++) DxUnit[j] = Math.Abs(p.Gamma[j]) * InvStd[j] * maxDout[j];
    }

    /// <summary>The error model of <paramref name="problem"/>.</summary>
    public static ErrorModel For(BatchNormProblem problem) => For(problem, 1);

    /// <summary>
    /// The error model of <paramref name="problem"/> with every rounding allowance multiplied by
    /// <paramref name="allowanceScale"/> (1: the documented model). Anything else is a deliberately looser (or stricter)
    /// checker, for the checker's own tests: they show that the documented allowance is what catches small flaws.
    /// </summary>
    public static ErrorModel For(BatchNormProblem problem, double allowanceScale) =>
        new(problem ?? throw new ArgumentNullException(nameof(problem)), allowanceScale);

    /// <summary>The factor every <see cref="Allowance"/> is multiplied by: 1 unless a test loosened the checker on purpose.</summary>
    public double AllowanceScale { get; }

    /// <summary>The problem this model describes.</summary>
    public BatchNormProblem Problem { get; }

    /// <summary>1/sqrt(var + eps) per column, from the float64 forward.</summary>
    public double[] InvStd { get; }

    /// <summary>xhat from the float64 forward, N×D.</summary>
    public double[] Xhat { get; }

    /// <summary>κ_j = max_i |x_ij|·invStd_j: how many digits forming the mean and x − mean can lose (√N·κ_j·u, see the class comment).</summary>
    public double[] Kappa { get; }

    /// <summary>ρ_j = |Σ_i xhat_ij|/N: how far the forward's rounded mean is from the exact one, in spreads (0 in exact arithmetic).</summary>
    public double[] MeanResidue { get; }

    /// <summary>Natural unit of dx per column: |gamma|·invStd·max|dout|.</summary>
    public double[] DxUnit { get; }

    /// <summary>Natural unit of dgamma per column: Σ|dout|·(1 + |xhat|).</summary>
    public double[] DgammaUnit { get; }

    /// <summary>Natural unit of dbeta per column: Σ|dout|.</summary>
    public double[] DbetaUnit { get; }

    /// <summary>The natural unit of element <paramref name="index"/> of gradient <paramref name="g"/>.</summary>
    public double Unit(GradientName g, int index) => g switch
    {
        GradientName.Dx => DxUnit[index % Problem.D],
        GradientName.Dgamma => DgammaUnit[index],
        _ => DbetaUnit[index],
    };

    /// <summary>
    /// Rounding allowance (absolute) of one element for an implementation with unit roundoff <paramref name="u"/>; see the
    /// class comment (times <see cref="AllowanceScale"/>).
    /// </summary>
    public double Allowance(GradientName g, int index, double u)
    {
        int n = Problem.N;
        return AllowanceScale * (g switch
        {
            GradientName.Dx => (8 * u * (n + 4 + Math.Sqrt(n) * Kappa[index % Problem.D]) + MeanResidue[index % Problem.D])
                               * DxUnit[index % Problem.D] * (2 + Math.Abs(Xhat[index])),
            GradientName.Dgamma => (8 * u * (n + 4 + Math.Sqrt(n) * Kappa[index]) + MeanResidue[index]) * DgammaUnit[index],
            _ => 8 * u * (n + 4) * DbetaUnit[index],
        });
    }

    /// <summary>An error expressed in the natural unit: 0 when the difference is exactly 0, +∞ when the unit is 0 but the difference is not.</summary>
    public double InUnits(GradientName g, int index, double absoluteError)
    {
        if (absoluteError == 0) return 0;
        double unit = Unit(g, index);
        return unit > 0 ? absoluteError / unit : double.PositiveInfinity;
    }
}

namespace BnVerify.Checking;

/// <summary>
/// The range random problems are drawn from. Defaults are the property tests' range: N 1..64, D 1..16, column
/// scales 1e-3..1e3 with offsets up to 1e4, eps 1e-8..1e-1, gamma away from 1 (zero and negative included),
/// beta non-zero, dout signed and non-uniform, and some columns with zero variance.
/// </summary>
/// <param name="MaxN">Largest N (smallest is 1).</param>
/// <param name="MaxD">Largest D (smallest is 1).</param>
/// <param name="MinScale">Smallest column spread.</param>
/// <param name="MaxScale">Largest column spread.</param>
/// <param name="MaxOffset">Largest |column mean|.</param>
/// <param name="MinEps">Smallest eps.</param>
/// <param name="MaxEps">Largest eps.</param>
/// <param name="ZeroVarianceChance">Chance that a column is constant (var = 0).</param>
/// <param name="ConstantDoutChance">Chance that a dout column is constant (then the exact dx is 0 there); off by default.</param>
/// <param name="Layout">
/// ND (default): 2-D N×D problems. NCHW or NHWC: spatial N×C×H×W problems presented in that layout, with N ≤
/// <paramref name="MaxN"/> images, C ≤ <paramref name="MaxD"/> channels, H ≤ <paramref name="MaxH"/>, W ≤ <paramref name="MaxW"/>
/// (see <see cref="ProblemGenerator"/> for the shapes it favours).
/// </param>
/// <param name="MaxH">Largest H of a spatial problem.</param>
/// <param name="MaxW">Largest W of a spatial problem.</param>
public sealed record GeneratorRange(
    int MaxN = 64, int MaxD = 16, double MinScale = 1e-3, double MaxScale = 1e3, double MaxOffset = 1e4,
    double MinEps = 1e-8, double MaxEps = 1e-1, double ZeroVarianceChance = 0.08, double ConstantDoutChance = 0,
    Layout Layout = Layout.ND, int MaxH = 7, int MaxW = 7)
{
    /// <summary>The property tests' range.</summary>
    public static GeneratorRange Default { get; } = new();

    /// <summary>
    /// The spatial property tests' range: NCHW problems of N ≤ 6 images, C ≤ 6 channels, H, W ≤ 7 (at most 294 values per
    /// channel, so the finite-difference oracle stays affordable), the 2-D range's values.
    /// </summary>
    public static GeneratorRange Spatial { get; } = new(MaxN: 6, MaxD: 6, Layout: Layout.NCHW);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (MaxN < 1) throw new ArgumentOutOfRangeException(nameof(MaxN), MaxN, "must be at least 1");
        if (MaxD < 1) throw new ArgumentOutOfRangeException(nameof(MaxD), MaxD, "must be at least 1");
        if (!(MinScale > 0 && MaxScale >= MinScale && double.IsFinite(MaxScale)))
            throw new ArgumentOutOfRangeException(nameof(MinScale), MinScale, "scales must satisfy 0 < min ≤ max < ∞");
        if (!(MaxOffset >= 0 && double.IsFinite(MaxOffset))) throw new ArgumentOutOfRangeException(nameof(MaxOffset), MaxOffset, "must be finite and ≥ 0");
        if (!(MinEps > 0 && MaxEps >= MinEps && double.IsFinite(MaxEps)))
            throw new ArgumentOutOfRangeException(nameof(MinEps), MinEps, "eps range must satisfy 0 < min ≤ max < ∞");
        if (!(ZeroVarianceChance is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(ZeroVarianceChance), ZeroVarianceChance, "must be in [0, 1]");
        if (!(ConstantDoutChance is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(ConstantDoutChance), ConstantDoutChance, "must be in [0, 1]");
        if (!Enum.IsDefined(Layout)) throw new ArgumentOutOfRangeException(nameof(Layout), Layout, "not a layout");
        if (MaxH < 1) throw new ArgumentOutOfRangeException(nameof(MaxH), MaxH, "must be at least 1");
        if (MaxW < 1) throw new ArgumentOutOfRangeException(nameof(MaxW), MaxW, "must be at least 1");
    }
}

/// <summary>
/// Draws random batch-norm problems from a <see cref="GeneratorRange"/>, deterministically from a seed.
/// Values are log-uniform in scale so every decade of the range is hit; probe directions and dout are signed.
/// </summary>
public static partial class ProblemGenerator
{
    /// <summary>One problem drawn with <paramref name="random"/> (spatial when the range's layout is).</summary>
    public static BatchNormProblem Generate(Random random, GeneratorRange? range = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        range ??= GeneratorRange.Default;
        range.Validate();
        if (range.Layout != Layout.ND) return GenerateSpatial(random, range);
        int n = random.Next(1, range.MaxN + 1);
        int d = random.Next(1, range.MaxD + 1);
        return Generate(random, n, d, range);
    }

    /// <summary>One problem of shape <paramref name="n"/>×<paramref name="d"/> drawn with <paramref name="random"/>.</summary>
    public static BatchNormProblem Generate(Random random, int n, int d, GeneratorRange? range = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        range ??= GeneratorRange.Default;
        var x = new double[n * d];
        var dout = new double[n * d];
        var gamma = new double[d];
        var beta = new double[d];
        for (int j = 0; j < d; j++)
        {
            double scale = LogUniform(random, range.MinScale, range.MaxScale);
            double offset = random.NextDouble() < 0.5 ? 0 : Signed(random) * LogUniform(random, 1, Math.Max(1, range.MaxOffset));
            if (range.MaxOffset < 1) offset = Signed(random) * random.NextDouble() * range.MaxOffset;
            bool constant = random.NextDouble() < range.ZeroVarianceChance;
            double doutScale = LogUniform(random, 1e-2, 1e2);
            bool constantDout = random.NextDouble() < range.ConstantDoutChance;
            double doutConstant = GradientChecker.Gaussian(random) * doutScale;
            for (int i = 0; i < n; i++)
            {
                x[i * d + j] = constant ? offset + scale : offset + scale * GradientChecker.Gaussian(random);
                dout[i * d + j] = constantDout ? doutConstant : GradientChecker.Gaussian(random) * doutScale;
            }
            gamma[j] = random.Next(12) switch
            {
                0 => 0.0,
                1 => -1.0,
                _ => Signed(random) * LogUniform(random, 1e-2, 1e1),
            };
            beta[j] = Signed(random) * LogUniform(random, 1e-2, 1e2);
        }
        double eps = LogUniform(random, range.MinEps, range.MaxEps);
        return new BatchNormProblem(n, d, x, gamma, beta, eps, dout);
    }

    private static double LogUniform(Random random, double min, double max) =>
        min * Math.Pow(max / min, random.NextDouble());

    private static double Signed(Random random) => random.Next(2) == 0 ? -1 : 1;
}

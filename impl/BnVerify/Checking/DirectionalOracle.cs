namespace BnVerify.Checking;

/// <summary>
/// Oracle 2: the exact directional derivative J·v of the forward pass, by forward-mode automatic differentiation
/// (dual numbers a + b·ε with ε² = 0) through the same stages as <see cref="BatchNorm"/>. A backward is right
/// only if ⟨v, backward(dout)⟩ = ⟨dout, J·v⟩ for every direction v. Each probe costs O(N·D), so this checks shapes
/// far too large for <see cref="FiniteDifferenceOracle"/>. Probe directions are Gaussian (signed), and each probe
/// perturbs one of x, gamma or beta only, so a failure names the gradient.
/// </summary>
public static class DirectionalOracle
{
    /// <summary>⟨dout, J·v⟩ for the direction (vx, vgamma, vbeta) at problem <paramref name="p"/>, in float64.</summary>
    public static double DirectionalDerivative(BatchNormProblem p, ReadOnlySpan<double> vx, ReadOnlySpan<double> vgamma, ReadOnlySpan<double> vbeta)
    {
        ArgumentNullException.ThrowIfNull(p);
        int n = p.N, d = p.D;
        if (vx.Length != n * d || vgamma.Length != d || vbeta.Length != d)
            throw new ArgumentException("the direction must have the problem's shape");
        // Row by row, so that memory is read in order (a walk down one column strides D·8 bytes and, on a large problem,
        // misses the cache at every element); each column's sums still run over i = 0..N−1 in order.
        var x = p.X;
        var dout = p.Dout;

        // mu = (1/N)·Σx
        var mu = new Dual[d];
        for (int i = 0, k = 0; i < n; i++)
            for (int j = 0; j < d; j++, k++)
                mu[j] += new Dual(x[k], vx[k]);
        for (int j = 0; j < d; j++) mu[j] /= n;

        // var = (1/N)·Σ(x − mu)²
        var var = new Dual[d];
        for (int i = 0, k = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++, k++)
            {
                var xmu = new Dual(x[k], vx[k]) - mu[j];
                var[j] += xmu * xmu;
            }
        }

        // invStd = 1/sqrt(var + eps); y = gamma·(x − mu)·invStd + beta
        var invStd = new Dual[d];
        var gamma = new Dual[d];
        var beta = new Dual[d];
        for (int j = 0; j < d; j++)
        {
            invStd[j] = 1.0 / Dual.Sqrt(var[j] / n + p.Eps);
            gamma[j] = new Dual(p.Gamma[j], vgamma[j]);
            beta[j] = new Dual(p.Beta[j], vbeta[j]);
        }
        double total = 0;
        for (int i = 0, k = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++, k++)
            {
                var y = gamma[j] * ((new Dual(x[k], vx[k]) - mu[j]) * invStd[j]) + beta[j];
                total += dout[k] * y.Tangent;
            }
        }
        return total;
    }

    /// <summary>A dual number a + b·ε (ε² = 0): <see cref="Value"/> a and <see cref="Tangent"/> b carry f and its directional derivative.</summary>
    public readonly record struct Dual(double Value, double Tangent)
    {
        /// <summary>0 + 0ε.</summary>
        public static Dual Zero => default;

        /// <summary>Sum rule.</summary>
        public static Dual operator +(Dual a, Dual b) => new(a.Value + b.Value, a.Tangent + b.Tangent);

        /// <summary>Adding a constant.</summary>
        public static Dual operator +(Dual a, double b) => new(a.Value + b, a.Tangent);

        /// <summary>Difference rule.</summary>
        public static Dual operator -(Dual a, Dual b) => new(a.Value - b.Value, a.Tangent - b.Tangent);

        /// <summary>Product rule.</summary>
        public static Dual operator *(Dual a, Dual b) => new(a.Value * b.Value, a.Tangent * b.Value + a.Value * b.Tangent);

        /// <summary>Division by a constant.</summary>
        public static Dual operator /(Dual a, double b) => new(a.Value / b, a.Tangent / b);

        /// <summary>Reciprocal of <paramref name="b"/> times a constant: (a/b)' = −a·b'/b².</summary>
        public static Dual operator /(double a, Dual b) => new(a / b.Value, -a * b.Tangent / (b.Value * b.Value));

        /// <summary>sqrt(a)' = a'/(2·sqrt(a)).</summary>
        public static Dual Sqrt(Dual a)
        {
            double root = Math.Sqrt(a.Value);
            return new Dual(root, a.Tangent / (2 * root));
        }
    }
}

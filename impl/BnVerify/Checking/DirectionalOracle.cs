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
        double total = 0;
        var x = new Dual[n];
        for (int j = 0; j < d; j++)
        {
            // mu = (1/N)·Σx
            var mu = Dual.Zero;
            for (int i = 0; i < n; i++)
            {
                x[i] = new Dual(p.X[i * d + j], vx[i * d + j]);
                mu += x[i];
            }
            mu /= n;

            // var = (1/N)·Σ(x − mu)²
            var var = Dual.Zero;
            for (int i = 0; i < n; i++)
            {
                var xmu = x[i] - mu;
                var += xmu * xmu;
            }
            var /= n;

            // invStd = 1/sqrt(var + eps); y = gamma·(x − mu)·invStd + beta
            var invStd = 1.0 / Dual.Sqrt(var + p.Eps);
            var gamma = new Dual(p.Gamma[j], vgamma[j]);
            var beta = new Dual(p.Beta[j], vbeta[j]);
            for (int i = 0; i < n; i++)
            {
                var y = gamma * ((x[i] - mu) * invStd) + beta;
                total += p.Dout[i * d + j] * y.Tangent;
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

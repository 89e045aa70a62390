namespace BnVerify.Checking;

/// <summary>
/// Oracle 1: central finite differences of L = Σ dout ⊙ forward(x, gamma, beta) with respect to every element of
/// x, gamma and beta, in float64, each with an error bound.
/// <para>
/// Perturbing x_ij, gamma_j or beta_j changes column j only, so L is evaluated on that column (the other columns
/// add a constant that would only add rounding). For each element the derivative is D(h) = (L(t+h) − L(t−h))/(2h),
/// with h chosen to balance truncation against rounding: the forward depends on x through (x − mean)/s with
/// s = sqrt(var + eps), so its Taylor terms scale like (h/s)² while rounding in L grows like u·(1 + κ)·s/h;
/// h = s·cbrt(3u(1 + κ)) balances them. L is linear in gamma and beta, so their steps are large (no truncation).
/// </para>
/// <para>
/// Bound on |D(h) − exact| = |D(h) − D(2h)| (truncation: D(2h) − D(h) ≈ 3ch², three times the truncation of D(h),
/// and it also carries the two rounding errors) + R/h, where R bounds the rounding of one evaluation of L:
/// 8·u·Σ_i |dout_i|·(|gamma|·(|xhat_i| + N + κ) + |beta|) (the forward's sums, x − mean, and the final products).
/// </para>
/// Cost: four column forwards of O(N) per element of x, O(N²·D) in all; for large shapes use <see cref="DirectionalOracle"/>.
/// </summary>
public static class FiniteDifferenceOracle
{
    private const double U = ErrorModel.Float64Roundoff;

    /// <summary>Numerical gradients of <paramref name="p"/> with per-element error bounds.</summary>
    public static Reference Compute(BatchNormProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int n = p.N, d = p.D;
        var model = ErrorModel.For(p);
        var dx = new double[n * d];
        var dxBound = new double[n * d];
        var dgamma = new double[d];
        var dgammaBound = new double[d];
        var dbeta = new double[d];
        var dbetaBound = new double[d];
        var column = new Column(n);

        for (int j = 0; j < d; j++)
        {
            column.Load(p, j);
            double s = 1 / model.InvStd[j];
            double kappa = model.Kappa[j];
            double rounding = 0;
            for (int i = 0; i < n; i++)
            {
                double xhat = Math.Abs(model.Xhat[i * d + j]);
                rounding += Math.Abs(column.Dout[i]) * (Math.Abs(column.Gamma) * (xhat + n + kappa) + Math.Abs(column.Beta));
            }
            rounding *= 8 * U;

            double hx = s * Math.Cbrt(3 * U * (1 + kappa));
            for (int i = 0; i < n; i++)
            {
                int row = i;
                (dx[i * d + j], dxBound[i * d + j]) = Derivative(column.X[row], hx, rounding, t => column.LossAt(GradientName.Dx, row, t));
            }

            double hg = Math.Max(1, Math.Abs(column.Gamma) + Math.Abs(column.Beta));
            (dgamma[j], dgammaBound[j]) = Derivative(column.Gamma, hg, rounding, t => column.LossAt(GradientName.Dgamma, 0, t));
            (dbeta[j], dbetaBound[j]) = Derivative(column.Beta, hg, rounding, t => column.LossAt(GradientName.Dbeta, 0, t));
        }

        return new Reference("finite differences", new Gradients(n, d, dx, dgamma, dbeta), dxBound, dgammaBound, dbetaBound);
    }

    /// <summary>
    /// The step <see cref="Compute"/> uses for element <paramref name="index"/> of gradient <paramref name="g"/>
    /// (row-major N×D index for dx, column for dgamma and dbeta).
    /// </summary>
    public static double StepOf(BatchNormProblem p, GradientName g, int index)
    {
        ArgumentNullException.ThrowIfNull(p);
        var (_, j) = Element(p, g, index);
        if (g != GradientName.Dx) return Math.Max(1, Math.Abs(p.Gamma[j]) + Math.Abs(p.Beta[j]));
        var model = ErrorModel.For(p); // the column's κ and invStd: an O(N·D) pass, only for dx
        return Math.Cbrt(3 * U * (1 + model.Kappa[j])) / model.InvStd[j];
    }

    /// <summary>
    /// One central difference (L(t + h) − L(t − h))/(2h) of L = Σ dout ⊙ forward for element <paramref name="index"/> of
    /// gradient <paramref name="g"/> at step <paramref name="h"/>, with no error bound: for re-measuring a mismatch at
    /// several steps (truncation shrinks like h², rounding grows like 1/h, a formula error stays).
    /// </summary>
    public static double CentralDifference(BatchNormProblem p, GradientName g, int index, double h)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!(h > 0) || !double.IsFinite(h)) throw new ArgumentOutOfRangeException(nameof(h), h, "the step must be a finite number > 0");
        var (row, j) = Element(p, g, index);
        var column = new Column(p.N);
        column.Load(p, j);
        double at = column.Input(g, row);
        double plus = at + h, minus = at - h;
        return (column.LossAt(g, row, plus) - column.LossAt(g, row, minus)) / (plus - minus);
    }

    /// <summary>The row and column of element <paramref name="index"/> of gradient <paramref name="g"/>; an index outside it is refused by name.</summary>
    private static (int Row, int Col) Element(BatchNormProblem p, GradientName g, int index)
    {
        int j = g == GradientName.Dx ? index % p.D : index;
        int row = g == GradientName.Dx ? index / p.D : 0;
        if (index < 0 || j >= p.D || row >= p.N) throw new ArgumentOutOfRangeException(nameof(index), index, "no such element");
        return (row, j);
    }

    /// <summary>Central difference at <paramref name="t"/> with steps h and 2h; returns D(h) and its error bound.</summary>
    private static (double Value, double Bound) Derivative(double t, double h, double rounding, Func<double, double> loss)
    {
        double Central(double step)
        {
            // Use the steps the machine can represent, so the denominator is exact.
            double plus = t + step, minus = t - step;
            return (loss(plus) - loss(minus)) / (plus - minus);
        }
        double d1 = Central(h);
        double d2 = Central(2 * h);
        double bound = Math.Abs(d1 - d2) + rounding / h;
        return (d1, bound);
    }

    /// <summary>One column of the problem and L restricted to it, evaluated by the library's forward pass (<see cref="BatchNorm.ChannelLoss"/>).</summary>
    private sealed class Column(int n)
    {
        public double[] X { get; } = new double[n];
        public double[] Dout { get; } = new double[n];
        public double Gamma { get; set; }
        public double Beta { get; set; }
        private double _eps;

        public void Load(BatchNormProblem p, int j)
        {
            for (int i = 0; i < n; i++)
            {
                X[i] = p.X[i * p.D + j];
                Dout[i] = p.Dout[i * p.D + j];
            }
            (Gamma, Beta, _eps) = (p.Gamma[j], p.Beta[j], p.Eps);
        }

        /// <summary>The input <paramref name="g"/> is the gradient of: x at <paramref name="row"/>, gamma or beta.</summary>
        public double Input(GradientName g, int row) =>
            g switch { GradientName.Dx => X[row], GradientName.Dgamma => Gamma, _ => Beta };

        /// <summary><see cref="Loss"/> with that input (<see cref="Input"/>) set to <paramref name="t"/>; the input is restored after.</summary>
        public double LossAt(GradientName g, int row, double t)
        {
            double saved = Input(g, row);
            Set(g, row, t);
            double loss = Loss();
            Set(g, row, saved);
            return loss;
        }

        private void Set(GradientName g, int row, double t)
        {
            switch (g)
            {
                case GradientName.Dx: X[row] = t; break;
                case GradientName.Dgamma: Gamma = t; break;
                default: Beta = t; break;
            }
        }

        /// <summary>L_j = Σ_i dout_ij·y_ij with y = forward(x_:j, gamma_j, beta_j).</summary>
        public double Loss() => BatchNorm.ChannelLoss(X, Gamma, Beta, _eps, Dout);
    }
}

using System.Runtime.CompilerServices;
using BnVerify.Bench;
using BnVerify.Checking;
using BnVerify.Verify.Support;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// Identities the exact gradient satisfies, checked on every correct implementation over random problems:
/// Σ_i dx_ij = 0, Σ_i dx_ij·xhat_ij = gamma_j·dgamma_j·eps·invStd_j³ (which is 0 as eps → 0: with eps > 0 the
/// forward is not scale invariant, since Σ_i xhat_ij² = N·var/(var + eps) &lt; N), dx unchanged by a constant added to a
/// column of x, dbeta = Σdout and dgamma = Σdout·xhat. Each tolerance is the rounding the <see cref="ErrorModel"/> allows, summed over the terms
/// involved: no fixed atol/rtol.
/// </summary>
public sealed class InvariantTests
{
    private const int Cases = 200;

    [Theory]
    [MemberData(nameof(Ids.Correct), MemberType = typeof(Ids))]
    public void Dx_sums_to_zero_down_each_column(string id) => Holds(id, p =>
    {
        var (dx, model, u) = Run(id, p);
        return Columns(p).All(j =>
        {
            double sum = 0, bound = 0;
            for (int i = 0; i < p.N; i++)
            {
                int k = i * p.D + j;
                sum += dx[k];
                // Each element may err by its allowance; the sum itself rounds by N·u of its magnitude.
                bound += model.Allowance(GradientName.Dx, k, u) + p.N * ErrorModel.Float64Roundoff * Math.Abs(dx[k]);
            }
            return Math.Abs(sum) <= bound;
        });
    });

    [Theory]
    [MemberData(nameof(Ids.Correct), MemberType = typeof(Ids))]
    public void Dx_times_xhat_sums_to_gamma_dgamma_eps_invStd_cubed(string id) => Holds(id, p =>
    {
        var (dx, model, u) = Run(id, p);
        var seen = model.Problem;
        return Columns(p).All(j =>
        {
            // Σ dx·xhat = gamma·invStd·(Σg·xhat − mean(g)·Σxhat − Σxhat²·mean(g·xhat)) with Σxhat² = N·var·invStd², and
            // Σxhat = 0 in exact arithmetic. The forward's rounded mean leaves Σxhat = N·(mean − computed mean)·invStd, which
            // a zero-variance column with a tiny eps amplifies (2048 equal values, eps 3e-8: Σxhat ~1e-5, the term ~1e-4 of
            // a sum that is otherwise ~1e-12): that term is kept, computed from the forward's own xhat, not bounded away.
            double dgamma = 0, sumXhat = 0, meanG = 0;
            for (int i = 0; i < p.N; i++)
            {
                dgamma += seen.Dout[i * p.D + j] * model.Xhat[i * p.D + j];
                sumXhat += model.Xhat[i * p.D + j];
                meanG += seen.Dout[i * p.D + j] / p.N;
            }
            double invStd = model.InvStd[j];
            double expected = seen.Gamma[j] * dgamma * seen.Eps * invStd * invStd * invStd - seen.Gamma[j] * invStd * meanG * sumXhat;
            double sum = -expected;
            double bound = 8 * ErrorModel.Float64Roundoff * (p.N + 4 + model.Kappa[j]) * Math.Abs(seen.Gamma[j]) * invStd * model.DgammaUnit[j];
            for (int i = 0; i < p.N; i++)
            {
                int k = i * p.D + j;
                double xhat = model.Xhat[k];
                sum += dx[k] * xhat;
                // xhat itself carries (N + κ)·u relative error from the forward (see ErrorModel).
                bound += Math.Abs(xhat) * model.Allowance(GradientName.Dx, k, u)
                         + (p.N + 4 + model.Kappa[j]) * 8 * ErrorModel.Float64Roundoff * Math.Abs(dx[k]) * (1 + Math.Abs(xhat));
            }
            return Math.Abs(sum) <= bound;
        });
    });

    [Theory]
    [MemberData(nameof(Ids.Correct), MemberType = typeof(Ids))]
    public void Dx_is_unchanged_by_a_constant_added_to_a_column(string id) => Holds(id, p =>
    {
        // Shift every column by a multiple of its own spread, so the conditioning changes but stays in the generator's range.
        var model = ErrorModel.For(p);
        var shifted = (double[])p.X.Clone();
        for (int k = 0; k < shifted.Length; k++) shifted[k] += 37.0 / model.InvStd[k % p.D];
        var q = new BatchNormProblem(p.N, p.D, shifted, p.Gamma, p.Beta, p.Eps, p.Dout);
        var (dx1, m1, u) = Run(id, p);
        var (dx2, m2, _) = Run(id, q);
        for (int k = 0; k < dx1.Length; k++)
            if (!(Math.Abs(dx1[k] - dx2[k]) <= m1.Allowance(GradientName.Dx, k, u) + m2.Allowance(GradientName.Dx, k, u))) return false;
        return true;
    });

    [Theory]
    [MemberData(nameof(Ids.Correct), MemberType = typeof(Ids))]
    public void Dbeta_is_the_column_sum_of_dout_and_dgamma_the_column_sum_of_dout_times_xhat(string id) => Holds(id, p =>
    {
        var impl = BuiltIn.Implementations.Get(id);
        var seen = impl.InItsPrecision(p);
        var g = impl.Run(seen);
        var model = ErrorModel.For(seen);
        foreach (int j in Columns(seen))
        {
            double dbeta = 0, dgamma = 0;
            for (int i = 0; i < seen.N; i++)
            {
                dbeta += seen.Dout[i * seen.D + j];
                dgamma += seen.Dout[i * seen.D + j] * model.Xhat[i * seen.D + j];
            }
            // Both sides are sums of N terms: the implementation's allowance plus this float64 sum's own N·u.
            if (!(Math.Abs(g.Dbeta[j] - dbeta) <= 2 * model.Allowance(GradientName.Dbeta, j, impl.UnitRoundoff))) return false;
            if (!(Math.Abs(g.Dgamma[j] - dgamma) <= 2 * model.Allowance(GradientName.Dgamma, j, impl.UnitRoundoff))) return false;
        }
        return true;
    });

    private static (double[] Dx, ErrorModel Model, double U) Run(string id, BatchNormProblem p)
    {
        var impl = BuiltIn.Implementations.Get(id);
        var seen = impl.InItsPrecision(p);
        return (impl.Run(seen).Dx, ErrorModel.For(seen), impl.UnitRoundoff);
    }

    private static IEnumerable<int> Columns(BatchNormProblem p) => Enumerable.Range(0, p.D);

    private static void Holds(string id, Func<BatchNormProblem, bool> invariant, [CallerMemberName] string test = "")
    {
        var falsified = Properties.Run(invariant, Cases, theoryCase: id, test: test);
        Assert.True(falsified is null, $"{id}: {falsified?.Message}\n{(falsified is null ? "" : Properties.Show(falsified.Counterexample))}");
    }
}

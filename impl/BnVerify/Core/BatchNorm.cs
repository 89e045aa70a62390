using System.Numerics;

namespace BnVerify;

/// <summary>
/// The batch-norm forward pass in training mode (Ioffe and Szegedy 2015, Algorithm 1; seed 001's staged forward):
/// mean = (1/N)·Σx, var = (1/N)·Σ(x − mean)², invStd = 1/sqrt(var + eps), xhat = (x − mean)·invStd,
/// out = gamma·xhat + beta. It is computed in float64 whatever <c>T</c> is, then rounded to <c>T</c>.
/// </summary>
public static class BatchNorm
{
    /// <summary>
    /// Runs the forward pass on <paramref name="p"/>; returns the output (N×D) and the cache for a backward in <typeparamref name="T"/>,
    /// both in the canonical rows × channels order (a spatial problem's cache says NHWC).
    /// </summary>
    public static (T[] Out, BatchNormCache<T> Cache) Forward<T>(BatchNormProblem p) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(p);
        return Forward<T>(p, p.IsSpatial ? Layout.NHWC : Layout.ND);
    }

    /// <summary>
    /// Runs the forward pass on <paramref name="p"/> for a backward that computes in <paramref name="layout"/>: the statistics
    /// per channel over N·H·W values (the canonical view's columns), then the output, x and xhat moved to that memory order
    /// (<see cref="Layouts"/>; no move for ND and NHWC).
    /// </summary>
    public static (T[] Out, BatchNormCache<T> Cache) Forward<T>(BatchNormProblem p, Layout layout) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (output, cache) = InLayout<T>(p, layout, withOutput: true);
        return (output!, cache);
    }

    /// <summary>
    /// The forward's cache alone, in <paramref name="layout"/>'s memory order, as <see cref="Forward{T}(BatchNormProblem, Layout)"/>
    /// builds it but without computing the output: what a backward is called with.
    /// </summary>
    public static BatchNormCache<T> Cache<T>(BatchNormProblem p, Layout layout) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        InLayout<T>(p, layout, withOutput: false).Cache;

    private static (T[]? Out, BatchNormCache<T> Cache) InLayout<T>(BatchNormProblem p, Layout layout, bool withOutput) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!Enum.IsDefined(layout)) throw new ArgumentOutOfRangeException(nameof(layout), layout, "not a layout.");
        var (output, c) = Compute<T>(p.N, p.D, p.X, p.Gamma, p.Beta, p.Eps, withOutput);
        var shape = p.Shape;
        // What the cache says about its memory: ND for a 2-D problem seen as ND or NHWC, NHWC for a spatial problem seen as ND.
        var order = layout == Layout.NCHW ? Layout.NCHW : p.IsSpatial || layout == Layout.NHWC ? Layout.NHWC : Layout.ND;
        if (order != Layout.NCHW)
            return (output, new BatchNormCache<T>(c.N, c.D, c.XStorage, c.XhatStorage, c.MeanStorage, c.VarStorage, c.InvStdStorage, c.GammaStorage, c.BetaStorage, c.Eps, shape, order));
        return (output is null ? null : Layouts.FromCanonical<T>(output, shape, order),
            new BatchNormCache<T>(c.N, c.D, Layouts.FromCanonical<T>(c.XStorage, shape, order), Layouts.FromCanonical<T>(c.XhatStorage, shape, order),
                c.MeanStorage, c.VarStorage, c.InvStdStorage, c.GammaStorage, c.BetaStorage, c.Eps, shape, order));
    }

    /// <summary>
    /// Runs the forward pass on raw row-major arrays. Inputs are not validated here beyond their lengths:
    /// build a <see cref="BatchNormProblem"/> first for checked input.
    /// </summary>
    public static (T[] Out, BatchNormCache<T> Cache) Forward<T>(int n, int d, ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, double eps)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var (output, cache) = Compute<T>(n, d, x, gamma, beta, eps, withOutput: true);
        return (output!, cache);
    }

    private static (T[]? Out, BatchNormCache<T> Cache) Compute<T>(int n, int d, ReadOnlySpan<double> x, ReadOnlySpan<double> gamma, ReadOnlySpan<double> beta, double eps,
        bool withOutput)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (n <= 0 || d <= 0 || x.Length != n * d || gamma.Length != d || beta.Length != d)
            throw new ArgumentException($"Forward needs x of N×D = {n}×{d}, gamma and beta of D; got {x.Length}, {gamma.Length}, {beta.Length}.");
        if (!(eps > 0) || !double.IsFinite(eps)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a finite number > 0.");

        // The element type's view of the data: for float32 the inputs are first rounded, and the statistics are those of the rounded data.
        var xT = Round<T>(x);
        var mean = new double[d];
        var var = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                mean[j] += double.CreateTruncating(xT[i * d + j]);
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                double xmu = double.CreateTruncating(xT[i * d + j]) - mean[j];
                var[j] += xmu * xmu;
            }
        var invStd = new double[d];
        for (int j = 0; j < d; j++)
        {
            var[j] /= n;
            invStd[j] = 1.0 / Math.Sqrt(var[j] + eps);
        }

        var gammaT = Round<T>(gamma);
        var betaT = Round<T>(beta);
        var xhat = new T[n * d];
        var output = withOutput ? new T[n * d] : null;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                int k = i * d + j;
                double xh = (double.CreateTruncating(xT[k]) - mean[j]) * invStd[j];
                xhat[k] = T.CreateTruncating(xh);
                if (output is not null) output[k] = T.CreateTruncating(double.CreateTruncating(gammaT[j]) * xh + double.CreateTruncating(betaT[j]));
            }

        var cache = new BatchNormCache<T>(n, d, xT, xhat, Round<T>(mean), Round<T>(var), Round<T>(invStd), gammaT, betaT, eps);
        return (output, cache);
    }

    /// <summary>
    /// L = Σ_i dout_i·y_i for one channel: y = gamma·(x − mean)·invStd + beta over the channel's values <paramref name="x"/>,
    /// in float64 with the very operations of <see cref="Forward{T}(int, int, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, double)"/>
    /// in the same order (so the same bits as its output reduced against <paramref name="dout"/>), without allocating: finite
    /// differences evaluate it four times per element.
    /// </summary>
    public static double ChannelLoss(ReadOnlySpan<double> x, double gamma, double beta, double eps, ReadOnlySpan<double> dout)
    {
        int n = x.Length;
        if (n == 0 || dout.Length != n) throw new ArgumentException($"ChannelLoss needs x and dout of one length ≥ 1; got {x.Length} and {dout.Length}.");
        if (!(eps > 0) || !double.IsFinite(eps)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a finite number > 0.");
        // mean = (1/N)·Σx
        double mean = 0;
        for (int i = 0; i < n; i++) mean += x[i];
        mean /= n;
        // var = (1/N)·Σ(x − mean)²; invStd = 1/sqrt(var + eps)
        double var = 0;
        for (int i = 0; i < n; i++)
        {
            double xmu = x[i] - mean;
            var += xmu * xmu;
        }
        var /= n;
        double invStd = 1.0 / Math.Sqrt(var + eps);
        // y = gamma·xhat + beta, reduced against dout
        double loss = 0;
        for (int i = 0; i < n; i++)
        {
            double xhat = (x[i] - mean) * invStd;
            loss += dout[i] * (gamma * xhat + beta);
        }
        return loss;
    }

    /// <summary>Rounds float64 values to <typeparamref name="T"/> (a copy for double).</summary>
    public static T[] Round<T>(ReadOnlySpan<double> values) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var result = new T[values.Length];
        if (typeof(T) == typeof(double))
            values.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(result.AsSpan()));
        else
            for (int k = 0; k < values.Length; k++) result[k] = T.CreateTruncating(values[k]);
        return result;
    }

    /// <summary>Widens <typeparamref name="T"/> values to float64 (exact for float and double).</summary>
    public static double[] Widen<T>(ReadOnlySpan<T> values) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var result = new double[values.Length];
        if (typeof(T) == typeof(double))
            System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(values).CopyTo(result);
        else
            for (int k = 0; k < values.Length; k++) result[k] = double.CreateTruncating(values[k]);
        return result;
    }
}

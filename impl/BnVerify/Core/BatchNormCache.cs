using System.Numerics;

namespace BnVerify;

/// <summary>
/// What the forward pass keeps for the backward pass: everything any documented backward reads
/// (x, xhat, mean, var, invStd, gamma, beta, eps). Built only by <see cref="BatchNorm.Forward{T}(BatchNormProblem)"/>.
/// All arrays are row-major N×D (x, xhat) or length D (the per-column statistics and parameters).
/// <para>
/// Spatial batches: x and xhat are in <see cref="Layout"/>'s memory order — the order the implementation declared
/// (<see cref="IBatchNormBackward.Layout"/>) — and <see cref="Shape"/> gives N×C×H×W. <see cref="N"/> and <see cref="D"/> stay
/// the canonical view's (N·H·W values per channel, C channels), so every length check and every 1/N is the same code as in 2-D.
/// </para>
/// </summary>
/// <typeparam name="T">The element type the implementation works in (double or float).</typeparam>
public sealed class BatchNormCache<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    internal BatchNormCache(int n, int d, T[] x, T[] xhat, T[] mean, T[] var, T[] invStd, T[] gamma, T[] beta, double eps,
        SpatialShape? shape = null, Layout layout = Layout.ND)
    {
        (N, D, XArray, XhatArray, MeanArray, VarArray, InvStdArray, GammaArray, BetaArray, Eps) =
            (n, d, x, xhat, mean, var, invStd, gamma, beta, eps);
        Shape = shape ?? SpatialShape.Planar(n, d);
        Layout = layout;
    }

    /// <summary>Number of samples (rows); for a spatial batch N·H·W, the values each channel's statistics average over.</summary>
    public int N { get; }

    /// <summary>Number of features (columns); for a spatial batch the channels C.</summary>
    public int D { get; }

    /// <summary>The batch's shape N×C×H×W ((N, D, 1, 1) for a 2-D batch).</summary>
    public SpatialShape Shape { get; }

    /// <summary>The memory order of <see cref="X"/> and <see cref="Xhat"/> (and of dout and dx in a backward call).</summary>
    public Layout Layout { get; }

    /// <summary>The forward's epsilon (always held in float64; an implementation converts it as it needs).</summary>
    public double Eps { get; }

    /// <summary>Input batch, N×D (in <see cref="Layout"/>'s order).</summary>
    public ReadOnlySpan<T> X => XArray;

    /// <summary>Normalized input xhat = (x − mean)·invStd, N×D (in <see cref="Layout"/>'s order).</summary>
    public ReadOnlySpan<T> Xhat => XhatArray;

    /// <summary>Per-column batch mean, length D.</summary>
    public ReadOnlySpan<T> Mean => MeanArray;

    /// <summary>Per-column biased (1/N) batch variance, length D.</summary>
    public ReadOnlySpan<T> Var => VarArray;

    /// <summary>Per-column 1/sqrt(var + eps), length D.</summary>
    public ReadOnlySpan<T> InvStd => InvStdArray;

    /// <summary>Scale, length D.</summary>
    public ReadOnlySpan<T> Gamma => GammaArray;

    /// <summary>Shift, length D.</summary>
    public ReadOnlySpan<T> Beta => BetaArray;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first span whose length does not fit this cache (N·D or D).</summary>
    internal void CheckGradientSpans(ReadOnlySpan<T> dout, ReadOnlySpan<T> dx, ReadOnlySpan<T> dgamma, ReadOnlySpan<T> dbeta)
    {
        int nd = N * D;
        if (dout.Length != nd) throw new ArgumentException($"dout has {dout.Length} values; the cache is {N}×{D}.", nameof(dout));
        if (dx.Length != nd) throw new ArgumentException($"dx has room for {dx.Length} values; the cache is {N}×{D}.", nameof(dx));
        if (dgamma.Length != D) throw new ArgumentException($"dgamma has room for {dgamma.Length} values; D = {D}.", nameof(dgamma));
        if (dbeta.Length != D) throw new ArgumentException($"dbeta has room for {dbeta.Length} values; D = {D}.", nameof(dbeta));
    }

    internal T[] XArray { get; }
    internal T[] XhatArray { get; }
    internal T[] MeanArray { get; }
    internal T[] VarArray { get; }
    internal T[] InvStdArray { get; }
    internal T[] GammaArray { get; }
    internal T[] BetaArray { get; }
}

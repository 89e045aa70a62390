using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    internal BatchNormCache(int n, int d, ArraySegment<T> x, ArraySegment<T> xhat, ArraySegment<T> mean, ArraySegment<T> var,
        ArraySegment<T> invStd, ArraySegment<T> gamma, ArraySegment<T> beta, double eps, SpatialShape? shape = null, Layout layout = Layout.ND)
    {
        (N, D, XStorage, XhatStorage, MeanStorage, VarStorage, InvStdStorage, GammaStorage, BetaStorage, Eps) =
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
    public ReadOnlySpan<T> X => View(XStorage);

    /// <summary>Normalized input xhat = (x − mean)·invStd, N×D (in <see cref="Layout"/>'s order).</summary>
    public ReadOnlySpan<T> Xhat => View(XhatStorage);

    /// <summary>Per-column batch mean, length D.</summary>
    public ReadOnlySpan<T> Mean => View(MeanStorage);

    /// <summary>Per-column biased (1/N) batch variance, length D.</summary>
    public ReadOnlySpan<T> Var => View(VarStorage);

    /// <summary>Per-column 1/sqrt(var + eps), length D.</summary>
    public ReadOnlySpan<T> InvStd => View(InvStdStorage);

    /// <summary>Scale, length D.</summary>
    public ReadOnlySpan<T> Gamma => View(GammaStorage);

    /// <summary>Shift, length D.</summary>
    public ReadOnlySpan<T> Beta => View(BetaStorage);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first span whose length does not fit this cache (N·D or D).</summary>
    internal void CheckGradientSpans(ReadOnlySpan<T> dout, ReadOnlySpan<T> dx, ReadOnlySpan<T> dgamma, ReadOnlySpan<T> dbeta)
    {
        int nd = N * D;
        if (dout.Length != nd) throw new ArgumentException($"dout has {dout.Length} values; the cache is {N}×{D}.", nameof(dout));
        if (dx.Length != nd) throw new ArgumentException($"dx has room for {dx.Length} values; the cache is {N}×{D}.", nameof(dx));
        if (dgamma.Length != D) throw new ArgumentException($"dgamma has room for {dgamma.Length} values; D = {D}.", nameof(dgamma));
        if (dbeta.Length != D) throw new ArgumentException($"dbeta has room for {dbeta.Length} values; D = {D}.", nameof(dbeta));
    }

    // Where the values live: whole arrays, or slices of one arena when PreparedBackward places them at chosen addresses.
    internal ArraySegment<T> XStorage { get; }
    internal ArraySegment<T> XhatStorage { get; }
    internal ArraySegment<T> MeanStorage { get; }
    internal ArraySegment<T> VarStorage { get; }
    internal ArraySegment<T> InvStdStorage { get; }
    internal ArraySegment<T> GammaStorage { get; }
    internal ArraySegment<T> BetaStorage { get; }

    // A segment's span without the bounds checks ArraySegment's own conversion repeats on every access (the segment was
    // checked when it was made, and the educational implementations read cache.X[k] element by element).
    private static ReadOnlySpan<T> View(ArraySegment<T> s) =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(s.Array!), s.Offset), s.Count);
}

using System.Numerics;

namespace BnVerify;

/// <summary>
/// What the forward pass keeps for the backward pass: everything any documented backward reads
/// (x, xhat, mean, var, invStd, gamma, beta, eps). Built only by <see cref="BatchNorm.Forward{T}(BatchNormProblem)"/>.
/// All arrays are row-major N×D (x, xhat) or length D (the per-column statistics and parameters).
/// </summary>
/// <typeparam name="T">The element type the implementation works in (double or float).</typeparam>
public sealed class BatchNormCache<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    internal BatchNormCache(int n, int d, T[] x, T[] xhat, T[] mean, T[] var, T[] invStd, T[] gamma, T[] beta, double eps)
    {
        (N, D, XArray, XhatArray, MeanArray, VarArray, InvStdArray, GammaArray, BetaArray, Eps) =
            (n, d, x, xhat, mean, var, invStd, gamma, beta, eps);
    }

    /// <summary>Number of samples (rows).</summary>
    public int N { get; }

    /// <summary>Number of features (columns).</summary>
    public int D { get; }

    /// <summary>The forward's epsilon (always held in float64; an implementation converts it as it needs).</summary>
    public double Eps { get; }

    /// <summary>Input batch, N×D.</summary>
    public ReadOnlySpan<T> X => XArray;

    /// <summary>Normalized input xhat = (x − mean)·invStd, N×D.</summary>
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

    internal T[] XArray { get; }
    internal T[] XhatArray { get; }
    internal T[] MeanArray { get; }
    internal T[] VarArray { get; }
    internal T[] InvStdArray { get; }
    internal T[] GammaArray { get; }
    internal T[] BetaArray { get; }
}

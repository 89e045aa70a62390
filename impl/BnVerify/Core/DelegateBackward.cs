using System.Numerics;

namespace BnVerify;

/// <summary>
/// A backward pass as a function: from the forward's cache and dout (row-major N×D: element (i, j) at k = i·D + j),
/// write dx (N×D), dgamma (D) and dbeta (D). The same contract as <see cref="BatchNormBackward{T}"/>'s Compute.
/// </summary>
public delegate void BackwardFunction<T>(BatchNormCache<T> cache, ReadOnlySpan<T> dout, Span<T> dx, Span<T> dgamma, Span<T> dbeta)
    where T : unmanaged, IBinaryFloatingPointIeee754<T>;

/// <summary>
/// A backward written as a <see cref="BackwardFunction{T}"/>, for people who do not want a class. It declares itself
/// correct (the verifier finds out), with family <see cref="Family.External"/>.
/// </summary>
public sealed class DelegateBackward<T> : BatchNormBackward<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly BackwardFunction<T> _backward;

    /// <summary>Wraps <paramref name="backward"/> under the id <paramref name="id"/>.</summary>
    public DelegateBackward(string id, BackwardFunction<T> backward)
        : base(BackwardInfo.Correct(RequireId(id), "a delegate given to BnVerify", Family.External)) =>
        _backward = backward ?? throw new ArgumentNullException(nameof(backward));

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<T> cache, ReadOnlySpan<T> dout, Span<T> dx, Span<T> dgamma, Span<T> dbeta) =>
        _backward(cache, dout, dx, dgamma, dbeta);

    private static string RequireId(string id) =>
        string.IsNullOrWhiteSpace(id) ? throw new ArgumentException("an implementation needs a non-empty id", nameof(id)) : id;
}

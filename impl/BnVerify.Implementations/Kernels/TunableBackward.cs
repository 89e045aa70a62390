using System.Numerics;

namespace BnVerify.Kernels;

/// <summary>
/// The base of the fast kernels' implementations (<c>fused-simd-*</c>, <c>spatial-nchw-*</c>): an implementation that runs
/// with validated <see cref="KernelOptions"/> and can be had with others (<see cref="With"/>, for the benchmark's
/// <c>--threads</c> and variants and the gate's planted regressions). Each concrete class passes its own constructor as
/// <paramref name="withOptions"/>, so <see cref="With"/> returns the same implementation, same id, with other settings.
/// </summary>
/// <param name="info">Id, source and declared verdict of the concrete implementation.</param>
/// <param name="options">The kernel settings it runs with (validated here).</param>
/// <param name="withOptions">The concrete class's constructor from options, e.g. <c>o =&gt; new FusedSimdF64(o)</c>.</param>
/// <param name="layout">The memory order it computes in.</param>
public abstract class TunableBackward<T>(BackwardInfo info, KernelOptions options, Func<KernelOptions, IBatchNormBackward> withOptions, Layout layout = Layout.ND)
    : BatchNormBackward<T>(info, layout), ITunableBackward
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public KernelOptions Options { get; } = Checked(options);

    /// <inheritdoc />
    public IBatchNormBackward With(KernelOptions options) => withOptions(options);

    private static KernelOptions Checked(KernelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}

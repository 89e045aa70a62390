namespace BnVerify.Checking;

/// <summary>
/// Gradients an implementation is compared with, each element with an absolute error bound: how far the reference
/// itself may be from the exact gradient. It comes from an oracle (<see cref="FiniteDifferenceOracle"/>) or from
/// stored expected values (a golden case, whose bound is float64 rounding).
/// </summary>
/// <param name="Oracle">Where the values come from, e.g. "finite differences" or "golden: torch".</param>
/// <param name="Values">The reference gradients.</param>
/// <param name="DxBound">Per-element bound on |reference − exact| for dx.</param>
/// <param name="DgammaBound">The same for dgamma.</param>
/// <param name="DbetaBound">The same for dbeta.</param>
public sealed record Reference(string Oracle, Gradients Values, double[] DxBound, double[] DgammaBound, double[] DbetaBound)
{
    /// <summary>Stored values (e.g. PyTorch's) computed in float64: their bound is a float64 implementation's rounding allowance.</summary>
    public static Reference Stored(string oracle, Gradients values, ErrorModel model)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(model);
        double[] Bounds(GradientName g, int length) =>
            Enumerable.Range(0, length).Select(k => model.Allowance(g, k, ErrorModel.Float64Roundoff)).ToArray();
        return new Reference(oracle, values, Bounds(GradientName.Dx, values.Dx.Length),
            Bounds(GradientName.Dgamma, values.Dgamma.Length), Bounds(GradientName.Dbeta, values.Dbeta.Length));
    }

    /// <summary>The values of gradient <paramref name="g"/>.</summary>
    public double[] ValuesOf(GradientName g) => Values.Of(g);

    /// <summary>The bounds of gradient <paramref name="g"/>.</summary>
    public double[] BoundsOf(GradientName g) => g switch
    {
        GradientName.Dx => DxBound,
        GradientName.Dgamma => DgammaBound,
        _ => DbetaBound,
    };
}

namespace BnVerify;

/// <summary>The three gradients of batch norm.</summary>
public enum GradientName
{
    /// <summary>dL/dx, N×D.</summary>
    Dx,

    /// <summary>dL/dgamma, D.</summary>
    Dgamma,

    /// <summary>dL/dbeta, D.</summary>
    Dbeta,
}

/// <summary>The three gradients of a backward pass, in float64: dx (N×D row-major), dgamma and dbeta (D).</summary>
public sealed record Gradients(int N, int D, double[] Dx, double[] Dgamma, double[] Dbeta)
{
    /// <summary>The values of gradient <paramref name="g"/>.</summary>
    public double[] Of(GradientName g) => g switch
    {
        GradientName.Dx => Dx,
        GradientName.Dgamma => Dgamma,
        _ => Dbeta,
    };

    /// <summary>"dx", "dgamma" or "dbeta".</summary>
    public static string NameOf(GradientName g) => g switch
    {
        GradientName.Dx => "dx",
        GradientName.Dgamma => "dgamma",
        _ => "dbeta",
    };

    /// <summary>The three gradient names in report order.</summary>
    public static IReadOnlyList<GradientName> All { get; } = [GradientName.Dx, GradientName.Dgamma, GradientName.Dbeta];
}

namespace BnVerify.Verify.Support;

/// <summary>Gradients with one element moved: what the checker's tests hand the oracles to see where they start to flag.</summary>
public static class GradientMoves
{
    /// <summary>A copy of <paramref name="g"/> with element <paramref name="k"/> of gradient <paramref name="which"/> moved by <paramref name="by"/>.</summary>
    public static Gradients Moved(this Gradients g, GradientName which, int k, double by)
    {
        ArgumentNullException.ThrowIfNull(g);
        var moved = new Gradients(g.N, g.D, (double[])g.Dx.Clone(), (double[])g.Dgamma.Clone(), (double[])g.Dbeta.Clone());
        moved.Of(which)[k] += by;
        return moved;
    }
}

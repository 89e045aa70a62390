namespace BnVerify;

/// <summary>
/// One batch-norm backward problem in float64: an N×D batch <c>X</c> (row-major, N samples, D features),
/// <c>Gamma</c> and <c>Beta</c> of length D, <c>Eps</c>, and the upstream gradient <c>Dout</c> (N×D).
/// Construction validates everything before any work is done, so every later stage may assume a well-formed problem.
/// <para>
/// A spatial problem (batch norm after a convolution, <see cref="Spatial"/>) has a <see cref="Shape"/> N×C×H×W and is
/// held in the canonical view (<see cref="BnVerify.Layout"/>): <see cref="N"/> = N·H·W rows, <see cref="D"/> = C columns,
/// X and Dout row-major (NHWC memory). Everything that does math on a problem — the oracles, the error model, the doctor —
/// therefore works per column over N·H·W rows unchanged: the 2-D problem is the special case H = W = 1.
/// <see cref="Layout"/> says how the problem is presented (case files, messages); memory order is converted only where an
/// implementation computes in another order (<see cref="BatchNorm.Forward{T}(BatchNormProblem, BnVerify.Layout)"/>).
/// </para>
/// </summary>
public sealed class BatchNormProblem
{
    /// <summary>Number of rows of the canonical view: samples of a 2-D batch, N·H·W of a spatial one (the count each column's statistics average over).</summary>
    public int N { get; }

    /// <summary>Number of columns: features of a 2-D batch, channels C of a spatial one.</summary>
    public int D { get; }

    /// <summary>The shape N×C×H×W; (N, D, 1, 1) for a 2-D problem.</summary>
    public SpatialShape Shape { get; }

    /// <summary>How the problem is presented: <see cref="Layout.ND"/> for a 2-D problem, NCHW or NHWC for a spatial one. X and Dout are canonical whatever it is.</summary>
    public Layout Layout { get; }

    /// <summary>True for a spatial problem (given as NCHW or NHWC, even when H = W = 1).</summary>
    public bool IsSpatial => Layout != Layout.ND;

    /// <summary>"NxD" for a 2-D problem, "NxCxHxW" for a spatial one.</summary>
    public string ShapeText => IsSpatial ? Shape.ToString() : $"{N}x{D}";

    /// <summary>The batch in the canonical view: row-major N×D, or (N·H·W)×C (NHWC order) for a spatial problem.</summary>
    public double[] X { get; }

    /// <summary>Scale, length D.</summary>
    public double[] Gamma { get; }

    /// <summary>Shift, length D.</summary>
    public double[] Beta { get; }

    /// <summary>The forward pass's epsilon, &gt; 0.</summary>
    public double Eps { get; }

    /// <summary>Upstream gradient dL/dy in the canonical view, like <see cref="X"/>.</summary>
    public double[] Dout { get; }

    /// <summary>Creates a problem from flat row-major arrays; throws <see cref="ArgumentException"/> naming the argument on bad input.</summary>
    public BatchNormProblem(int n, int d, double[] x, double[] gamma, double[] beta, double eps, double[] dout)
        : this(SpatialShape.Planar(n, d), Layout.ND, x, gamma, beta, eps, dout)
    {
    }

    /// <summary>Validates and stores a problem whose x and dout are already canonical.</summary>
    private BatchNormProblem(SpatialShape shape, Layout layout, double[] x, double[] gamma, double[] beta, double eps, double[] dout)
    {
        int n = shape.Rows, d = shape.C;
        if (layout == Layout.ND)
        {
            if (shape.N <= 0) throw new ArgumentOutOfRangeException(nameof(n), shape.N, "N (rows) must be at least 1.");
            if (d <= 0) throw new ArgumentOutOfRangeException(nameof(d), d, "D (columns) must be at least 1.");
            if (shape.PlaneSize != 1) throw new ArgumentException($"a 2-D (ND) problem has H = W = 1, not {shape}.", nameof(layout));
        }
        else
        {
            if (!Enum.IsDefined(layout)) throw new ArgumentOutOfRangeException(nameof(layout), layout, "not a layout.");
            shape.Validate(nameof(shape));
        }
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        ArgumentNullException.ThrowIfNull(dout);
        if (shape.Count > Array.MaxLength) throw new ArgumentException($"N×D = {shape.Count} is too large.", nameof(x));
        string extent = layout == Layout.ND ? $"N×D = {n}×{d}" : $"{Layouts.Name(layout)} {shape}";
        string columns = layout == Layout.ND ? $"D = {d}" : $"C = {d}";
        RequireLength(x, n * d, nameof(x), extent);
        RequireLength(gamma, d, nameof(gamma), columns);
        RequireLength(beta, d, nameof(beta), columns);
        RequireLength(dout, n * d, nameof(dout), extent);
        if (!double.IsFinite(eps) || eps <= 0)
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a finite number > 0.");
        RequireFinite(x, k => Layouts.Where(k, shape, layout), nameof(x));
        RequireFinite(gamma, k => $"[{k}]", nameof(gamma));
        RequireFinite(beta, k => $"[{k}]", nameof(beta));
        RequireFinite(dout, k => Layouts.Where(k, shape, layout), nameof(dout));
        (N, D, Shape, Layout, X, Gamma, Beta, Eps, Dout) = (n, d, shape, layout, x, gamma, beta, eps, dout);
    }

    /// <summary>
    /// A spatial problem (batch norm after a convolution: statistics per channel over all N·H·W values) from x and dout
    /// in <paramref name="layout"/>'s memory order (NCHW or NHWC; ND when H = W = 1), gamma and beta of length C.
    /// Throws <see cref="ArgumentException"/> naming the argument on bad input.
    /// </summary>
    public static BatchNormProblem Spatial(SpatialShape shape, Layout layout, double[] x, double[] gamma, double[] beta, double eps, double[] dout)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(dout);
        if (!Enum.IsDefined(layout)) throw new ArgumentOutOfRangeException(nameof(layout), layout, "not a layout.");
        shape.Validate(nameof(shape));
        string extent = $"{Layouts.Name(layout)} {shape}";
        RequireLength(x, (int)shape.Count, nameof(x), extent);
        RequireLength(dout, (int)shape.Count, nameof(dout), extent);
        return new BatchNormProblem(shape, layout, Layouts.ToCanonical<double>(x, shape, layout), gamma, beta, eps,
            Layouts.ToCanonical<double>(dout, shape, layout));
    }

    /// <summary>
    /// The same values (canonical X and Dout unchanged) seen as a problem of <paramref name="shape"/> presented in
    /// <paramref name="layout"/>: shape.N·H·W must equal <see cref="N"/> and shape.C <see cref="D"/>; ND needs H = W = 1.
    /// </summary>
    public BatchNormProblem InLayout(SpatialShape shape, Layout layout)
    {
        if (shape.Count != (long)N * D || shape.C != D || shape.Rows != N)
            throw new ArgumentException($"a {shape} batch has {shape.Rows} rows of {shape.C} channels; this problem is {N}×{D}.", nameof(shape));
        return new BatchNormProblem(shape, layout, X, Gamma, Beta, Eps, Dout);
    }

    /// <summary>This problem with some values replaced (canonical arrays of the same lengths); the shape and layout are kept.</summary>
    public BatchNormProblem With(double[]? x = null, double[]? gamma = null, double[]? beta = null, double? eps = null, double[]? dout = null) =>
        new(Shape, Layout, x ?? X, gamma ?? Gamma, beta ?? Beta, eps ?? Eps, dout ?? Dout);

    /// <summary>X in <paramref name="layout"/>'s memory order (a copy).</summary>
    public double[] XIn(Layout layout) => Layouts.FromCanonical<double>(X, Shape, layout);

    /// <summary>Dout in <paramref name="layout"/>'s memory order (a copy).</summary>
    public double[] DoutIn(Layout layout) => Layouts.FromCanonical<double>(Dout, Shape, layout);

    /// <summary>Creates a problem from nested rows (as in a case file); ragged rows are refused.</summary>
    public static BatchNormProblem FromRows(double[][] x, double[] gamma, double[] beta, double eps, double[][] dout)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(dout);
        if (x.Length == 0) throw new ArgumentException("x has no rows (N = 0).", nameof(x));
        int d = x[0]?.Length ?? 0;
        if (d == 0) throw new ArgumentException("x has no columns (D = 0).", nameof(x));
        if (dout.Length != x.Length)
            throw new ArgumentException($"dout has {dout.Length} rows but x has {x.Length}.", nameof(dout));
        return new BatchNormProblem(x.Length, d, Flatten(x, d, nameof(x)), gamma, beta, eps, Flatten(dout, d, nameof(dout)));
    }

    /// <summary>Its shape and eps (write it as a case file with <c>Cases.CaseWriter</c>).</summary>
    public override string ToString() => IsSpatial
        ? $"BatchNormProblem {Layouts.Name(Layout)} {Shape} (N·H·W = {N} rows, C = {D}), eps = {Eps:R}"
        : $"BatchNormProblem N = {N}, D = {D}, eps = {Eps:R}";

    /// <summary>Value of X at row <paramref name="i"/>, column <paramref name="j"/>.</summary>
    public double XAt(int i, int j) => X[i * D + j];

    private static double[] Flatten(double[][] rows, int d, string name)
    {
        var flat = new double[rows.Length * d];
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i] is null || rows[i].Length != d)
                throw new ArgumentException($"{name} is ragged: row {i} has {rows[i]?.Length ?? 0} values, row 0 has {d}.", name);
            rows[i].CopyTo(flat, i * d);
        }
        return flat;
    }

    private static void RequireLength(double[] a, int expected, string name, string what)
    {
        if (a.Length != expected)
            throw new ArgumentException($"{name} has {a.Length} values; {what} needs {expected}.", name);
    }

    private static void RequireFinite(double[] a, Func<int, string> where, string name)
    {
        for (int k = 0; k < a.Length; k++)
            if (!double.IsFinite(a[k]))
                throw new ArgumentException($"{name}{where(k)} is {a[k]}; every value must be finite.", name);
    }
}

namespace BnVerify;

/// <summary>
/// One batch-norm backward problem in float64: an N×D batch <c>X</c> (row-major, N samples, D features),
/// <c>Gamma</c> and <c>Beta</c> of length D, <c>Eps</c>, and the upstream gradient <c>Dout</c> (N×D).
/// Construction validates everything before any work is done, so every later stage may assume a well-formed problem.
/// </summary>
public sealed class BatchNormProblem
{
    /// <summary>Number of samples (rows).</summary>
    public int N { get; }

    /// <summary>Number of features (columns).</summary>
    public int D { get; }

    /// <summary>The batch, row-major N×D.</summary>
    public double[] X { get; }

    /// <summary>Scale, length D.</summary>
    public double[] Gamma { get; }

    /// <summary>Shift, length D.</summary>
    public double[] Beta { get; }

    /// <summary>The forward pass's epsilon, &gt; 0.</summary>
    public double Eps { get; }

    /// <summary>Upstream gradient dL/dy, row-major N×D.</summary>
    public double[] Dout { get; }

    /// <summary>Creates a problem from flat row-major arrays; throws <see cref="ArgumentException"/> naming the argument on bad input.</summary>
    public BatchNormProblem(int n, int d, double[] x, double[] gamma, double[] beta, double eps, double[] dout)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "N (rows) must be at least 1.");
        if (d <= 0) throw new ArgumentOutOfRangeException(nameof(d), d, "D (columns) must be at least 1.");
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        ArgumentNullException.ThrowIfNull(dout);
        if ((long)n * d > Array.MaxLength) throw new ArgumentException($"N×D = {(long)n * d} is too large.", nameof(x));
        RequireLength(x, n * d, nameof(x), $"N×D = {n}×{d}");
        RequireLength(gamma, d, nameof(gamma), $"D = {d}");
        RequireLength(beta, d, nameof(beta), $"D = {d}");
        RequireLength(dout, n * d, nameof(dout), $"N×D = {n}×{d}");
        if (!double.IsFinite(eps) || eps <= 0)
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a finite number > 0.");
        RequireFinite(x, d, nameof(x), matrix: true);
        RequireFinite(gamma, d, nameof(gamma), matrix: false);
        RequireFinite(beta, d, nameof(beta), matrix: false);
        RequireFinite(dout, d, nameof(dout), matrix: true);
        (N, D, X, Gamma, Beta, Eps, Dout) = (n, d, x, gamma, beta, eps, dout);
    }

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
    public override string ToString() => $"BatchNormProblem N = {N}, D = {D}, eps = {Eps:R}";

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

    private static void RequireFinite(double[] a, int d, string name, bool matrix)
    {
        for (int k = 0; k < a.Length; k++)
        {
            if (!double.IsFinite(a[k]))
            {
                string where = matrix ? $"[{k / d}][{k % d}]" : $"[{k}]";
                throw new ArgumentException($"{name}{where} is {a[k]}; every value must be finite.", name);
            }
        }
    }
}

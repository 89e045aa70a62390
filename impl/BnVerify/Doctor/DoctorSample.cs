using BnVerify.Checking;

namespace BnVerify.Doctor;

/// <summary>
/// One problem run through an implementation for the doctor: the problem in the implementation's precision, its
/// gradients, the exact ones (<see cref="ClosedForm"/>, float64), the error model and the forward's statistics, and
/// which elements fail: an element fails when it is not finite or differs from the exact value by more than the
/// implementation's rounding allowance plus the float64 reference's (<see cref="ErrorModel.Allowance"/>), the same
/// bound the checker's closed-form oracle uses.
/// </summary>
internal sealed class DoctorSample
{
    public DoctorSample(IBatchNormBackward impl, BatchNormProblem problem, string origin)
    {
        Problem = impl.InItsPrecision(problem);
        Actual = impl.Run(Problem);
        Exact = ClosedForm.Gradients(Problem);
        Model = ErrorModel.For(Problem);
        var (_, cache) = BatchNorm.Forward<double>(Problem);
        Mean = cache.Mean.ToArray();
        Var = cache.Var.ToArray();
        U = impl.UnitRoundoff;
        Origin = origin;
    }

    /// <summary>Where the problem comes from, for sentences: "the failing 65×3 case", "a re-run at 9×8".</summary>
    public string Origin { get; }

    public BatchNormProblem Problem { get; }
    public Gradients Actual { get; }
    public Gradients Exact { get; }
    public ErrorModel Model { get; }
    public double[] Mean { get; }
    public double[] Var { get; }
    public double U { get; }
    public int N => Problem.N;
    public int D => Problem.D;

    /// <summary>"65×3".</summary>
    public string Shape => $"{N}×{D}";

    /// <summary>What a correct implementation may differ from the float64 reference by: its allowance plus the reference's.</summary>
    public double Allowance(GradientName g, int k) => Model.Allowance(g, k, U) + Model.Allowance(g, k, ErrorModel.Float64Roundoff);

    private readonly bool[]?[] _masks = new bool[3][];

    /// <summary>Element <paramref name="k"/> of <paramref name="g"/> is not finite or is off by more than its allowance.</summary>
    public bool Fails(GradientName g, int k) => Mask(g)[k];

    /// <summary>Per element of <paramref name="g"/>: <see cref="Fails"/>, computed once.</summary>
    public bool[] Mask(GradientName g)
    {
        if (_masks[(int)g] is { } mask) return mask;
        var a = Actual.Of(g);
        var e = Exact.Of(g);
        mask = new bool[a.Length];
        for (int k = 0; k < a.Length; k++)
            mask[k] = !double.IsFinite(a[k]) || !(Math.Abs(a[k] - e[k]) <= Allowance(g, k));
        return _masks[(int)g] = mask;
    }

    /// <summary>The indices of the elements of <paramref name="g"/> that fail (<see cref="Fails"/>), in order.</summary>
    public IEnumerable<int> FailingElements(GradientName g)
    {
        var mask = Mask(g);
        for (int k = 0; k < mask.Length; k++)
            if (mask[k]) yield return k;
    }

    /// <summary>The column of element <paramref name="k"/>.</summary>
    public int ColumnOf(GradientName g, int k) => g == GradientName.Dx ? k % D : k;

    /// <summary>True when some element of <paramref name="g"/> fails.</summary>
    public bool FailsAnywhere(GradientName g) => Array.IndexOf(Mask(g), true) >= 0;

    /// <summary>Per column: some element of that column of <paramref name="g"/> fails.</summary>
    public bool[] FailingColumns(GradientName g)
    {
        var result = new bool[D];
        int length = Actual.Of(g).Length;
        for (int k = 0; k < length; k++)
            if (Fails(g, k)) result[ColumnOf(g, k)] = true;
        return result;
    }

    /// <summary>Per row: some element of that row of dx fails.</summary>
    public bool[] FailingRows()
    {
        var result = new bool[N];
        for (int k = 0; k < N * D; k++)
            if (Fails(GradientName.Dx, k)) result[k / D] = true;
        return result;
    }

    /// <summary>Per column of dx: every row of it fails.</summary>
    public bool AllRowsFail(int j)
    {
        for (int i = 0; i < N; i++)
            if (!Fails(GradientName.Dx, i * D + j)) return false;
        return true;
    }

    /// <summary>True when some element of <paramref name="g"/> is NaN or infinite.</summary>
    public bool NonFinite(GradientName g) => !Actual.Of(g).All(double.IsFinite);

    /// <summary>The error of element <paramref name="k"/> in its natural unit (NaN when the value is not finite).</summary>
    public double ErrorUnits(GradientName g, int k)
    {
        double a = Actual.Of(g)[k];
        return double.IsFinite(a) ? Model.InUnits(g, k, Math.Abs(a - Exact.Of(g)[k])) : double.NaN;
    }

    /// <summary>Column j's offset in spreads: |mean|·invStd.</summary>
    public double Offset(int j) => Math.Abs(Mean[j]) * Model.InvStd[j];
}

using System.Globalization;
using BnVerify.Checking;

namespace BnVerify.Doctor;

/// <summary>
/// The derivation doctor: says which term of a wrong backward is wrong, from its measured error alone.
/// <para>
/// Per column the exact dx is c·(g − mean(g) − xhat·mean(g·xhat)) with c = gamma·invStd and g = dout: a direct term
/// (∝ g), a mean-path term (constant down the column) and a variance-path term (∝ xhat). On each of its random cases
/// (<see cref="DoctorProblems"/>) the doctor runs the implementation, computes the exact gradients
/// (<see cref="ClosedForm"/>, in float64), fits the error of dx per column by least squares on c·[g, 1, xhat], and
/// reads the implementation's three coefficients (exact: 1, −mean(g), −mean(g·xhat)) and what the fit leaves.
/// It then tests named hypotheses (a term missing, a sign, a wrong sum, a factor such as 1/gamma, an invStd with another
/// eps, ...), each against every column of every case; a hypothesis is reported only when it predicts all of them.
/// Two structural probes are measured as well: whether dx of one row changes with another row's dout (cross-sample
/// terms), and whether one column's gradients change with another column's dout (a reduction over the wrong axis).
/// dgamma and dbeta are compared with the exact sums and with the sums a named slip would give.
/// </para>
/// <para>The implementation's declared verdict and reason are never read.</para>
/// </summary>
public static class DerivationDoctor
{
    /// <summary>Seed of the doctor's cases when none is given.</summary>
    public const int DefaultSeed = 6006;

    /// <summary>Number of cases when none is given.</summary>
    public const int DefaultCases = 6;

    /// <summary>Unit roundoff of float32, 2^-24 (the variance-cancellation test's precision).</summary>
    private const double Float32Roundoff = 1.0 / (1 << 24);

    /// <summary>Diagnoses <paramref name="impl"/> on <paramref name="cases"/> random cases drawn from <paramref name="seed"/>.</summary>
    public static Diagnosis Diagnose(IBatchNormBackward impl, int seed = DefaultSeed, int cases = DefaultCases)
    {
        ArgumentNullException.ThrowIfNull(impl);
        if (cases < 1) throw new ArgumentOutOfRangeException(nameof(cases), cases, "at least one case is needed");
        var data = Enumerable.Range(0, cases).Select(c => new CaseData(impl, DoctorProblems.Make(seed, c))).ToList();
        var doctor = new Examination(impl, data);
        return new Diagnosis(impl.Info.Id, seed, cases, doctor.Run(), doctor.Fits);
    }

    /// <summary>
    /// The text the command line prints for <paramref name="impl"/> in <c>check</c>: the diagnosis in words, when dx is
    /// flawed the fitted coefficients of its most deviating column, and when anything is flawed a step study of the worst
    /// element (formula error, or finite-difference truncation or rounding).
    /// </summary>
    public static string Describe(IBatchNormBackward impl, int seed = DefaultSeed)
    {
        var diagnosis = Diagnose(impl, seed);
        var lines = new List<string> { $"diagnosis of {impl.Info.Id}: {diagnosis.KindsText()}" };
        foreach (var line in diagnosis.Summary().Split(Environment.NewLine)) lines.Add("  " + line);
        if (!diagnosis.Of(GradientName.Dx).Clean && diagnosis.DxFit.Count > 0)
        {
            // Show the column whose coefficients are furthest from the exact ones (or whose fit leaves the most).
            var f = diagnosis.DxFit.MaxBy(t => Math.Abs(t.Direct - 1) + Math.Abs(t.MeanPath - t.ExactMeanPath) / Math.Max(Math.Abs(t.ExactMeanPath), 1e-300)
                                               + Math.Abs(t.VariancePath - t.ExactVariancePath) / Math.Max(Math.Abs(t.ExactVariancePath), 1e-300) + t.Residual)!;
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"  dx fit (case {f.Case}, column {f.Column}, in units of gamma·invStd): direct {f.Direct:G6} (exact 1), " +
                $"mean path {f.MeanPath:G6} (exact {f.ExactMeanPath:G6}), variance path {f.VariancePath:G6} (exact {f.ExactVariancePath:G6}), residual {f.Residual:G3}"));
        }
        if (diagnosis.FlawFound)
        {
            // Is the mismatch the formula's? Re-measure the worst element of the first flawed gradient on case 0 at h, h/2, h/4.
            var problem = impl.InItsPrecision(DoctorProblems.Make(seed, 0));
            var gradient = diagnosis.Gradients.First(g => !g.Clean).Gradient;
            var actual = impl.Run(problem).Of(gradient);
            var exact = ClosedForm.Gradients(problem).Of(gradient);
            int worst = Enumerable.Range(0, actual.Length).MaxBy(k => double.IsFinite(actual[k]) ? Math.Abs(actual[k] - exact[k]) : double.MaxValue);
            lines.Add("  " + StepStudy.Measure(impl, problem, gradient, worst).Sentence);
        }
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>
    /// One line for a table cell (the <c>diagnosis</c> column of <c>check</c>): what the doctor finds wrong with
    /// <paramref name="impl"/>, and whether the failing check's worst mismatch is the formula's (step study on its problem).
    /// Empty for a passing result.
    /// </summary>
    public static string Sentence(IBatchNormBackward impl, CheckResult failing)
    {
        ArgumentNullException.ThrowIfNull(impl);
        ArgumentNullException.ThrowIfNull(failing);
        if (failing.Pass) return "";
        var diagnosis = Diagnose(impl);
        string words = string.Join(" ", diagnosis.Gradients.Where(g => !g.Clean).Select(g => $"{Gradients.NameOf(g.Gradient)}: {g.Sentence}"));
        if (words.Length == 0) words = "the doctor's own cases show no flaw; the failure is specific to this problem.";
        var worst = failing.Gradients.Where(g => !g.Pass).Select(g => g.Worst).FirstOrDefault();
        if (worst is null) return words;
        int index = worst.Gradient == GradientName.Dx ? worst.Row * failing.Problem.D + worst.Col : worst.Col;
        var study = StepStudy.Measure(impl, failing.Problem, worst.Gradient, index);
        return $"{words} [{worst.Where}: {study.Source.ToString().ToLowerInvariant()} error by the step study]";
    }

    /// <summary>
    /// Turns a failing check of <paramref name="impl"/> into words for a failing test's message: its diagnosis and a step study of the worst failing element, which says
    /// whether the mismatch is the formula's or the finite differences' own. Returns "pass" for a passing result.
    /// </summary>
    public static string ExplainFailure(CheckResult result, IBatchNormBackward impl)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(impl);
        if (result.Pass) return "pass";
        var lines = new List<string> { result.Summary(), Describe(impl) };
        var worst = result.Gradients.Where(g => !g.Pass).Select(g => g.Worst).FirstOrDefault();
        if (worst is not null)
        {
            int index = worst.Gradient == GradientName.Dx ? worst.Row * result.Problem.D + worst.Col : worst.Col;
            var study = StepStudy.Measure(impl, result.Problem, worst.Gradient, index);
            lines.Add("  " + study.Sentence);
        }
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>One case: the problem in the implementation's precision, its gradients, the exact ones and the forward's statistics.</summary>
    private sealed class CaseData
    {
        public CaseData(IBatchNormBackward impl, BatchNormProblem problem)
        {
            Problem = impl.InItsPrecision(problem);
            Actual = impl.Run(Problem);
            Exact = ClosedForm.Gradients(Problem);
            Model = ErrorModel.For(Problem);
            var (_, cache) = BatchNorm.Forward<double>(Problem);
            Mean = cache.Mean.ToArray();
            Var = cache.Var.ToArray();
            U = impl.UnitRoundoff;
        }

        public BatchNormProblem Problem { get; }
        public Gradients Actual { get; }
        public Gradients Exact { get; }
        public ErrorModel Model { get; }
        public double[] Mean { get; }
        public double[] Var { get; }
        public double U { get; }

        /// <summary>What a correct implementation may differ from the float64 reference by: its allowance plus the reference's.</summary>
        public double Allowance(GradientName g, int k) => Model.Allowance(g, k, U) + Model.Allowance(g, k, ErrorModel.Float64Roundoff);

        /// <summary>
        /// Relative tolerance of every coefficient and hypothesis test on this case. The fitted quantities are exact
        /// combinations of the data up to rounding: for float64 code that is ~1e-13 relative (κ ≤ 300, N ≤ 14), so 1e-6
        /// leaves seven orders of margin, while every planted slip moves a coefficient by far more on these cases
        /// (an eps mismatch by ≥ 0.5%, a gamma factor by ≥ 30%). The second term covers lower-precision code: the
        /// checker's allowance 8·u·(N + 4 + κ) with a further factor ~100 for the least-squares amplification.
        /// </summary>
        public double Tau(int column) => 1e-6 + 1e3 * U * (Problem.N + 4 + Model.Kappa[column]);
    }

    /// <summary>One column of one case, fitted.</summary>
    private sealed class DxColumn
    {
        public required CaseData Data { get; init; }
        public required int Case { get; init; }
        public required int J { get; init; }
        public int N => Data.Problem.N;
        public double Gamma => Data.Problem.Gamma[J];
        public double S => Data.Model.InvStd[J];
        public double Var => Data.Var[J];
        public double Eps => Data.Problem.Eps;
        public double MeanX => Data.Mean[J];
        public double C => Gamma * S;
        public double G { get; set; }
        public double Mg { get; set; }
        public double Mgx { get; set; }
        public double Alpha { get; set; }
        public double Beta { get; set; }
        public double Nu { get; set; }
        public double Residual { get; set; }
        public double RowMeanCoefficient { get; set; }
        public double AugmentedResidual { get; set; }
        public bool Clean { get; set; }
        public double Tau => Data.Tau(J);
        public double Eb => -Mg;
        public double Ev => -Mgx;
    }

    /// <summary>A named factor a gradient or a term may be off by.</summary>
    private sealed record Factor(string Name, Func<DxColumn, double> Value);

    private static readonly Factor[] NamedFactors =
    [
        new("−1", _ => -1),
        new("1/gamma (gamma is missing)", c => 1 / c.Gamma),
        new("gamma (gamma is applied twice)", c => c.Gamma),
        new("sqrt(var + eps) (invStd is missing)", c => 1 / c.S),
        new("invStd (invStd is applied twice)", c => c.S),
        new("N", c => c.N),
        new("1/N", c => 1.0 / c.N),
        new("(1 − 1/N)", c => 1 - 1.0 / c.N),
        new("N/(N − 1)", c => c.N / (c.N - 1.0)),
        new("(N − 1)/N", c => (c.N - 1.0) / c.N),
        new("2", _ => 2),
        new("1/2", _ => 0.5),
        new("0 (the gradient is zero)", _ => 0),
    ];

    private sealed class Examination(IBatchNormBackward impl, List<CaseData> data)
    {
        private readonly List<DxColumn> _columns = [];
        private Func<int, int, double>? _invStdRatio;
        private FindingKind _invStdKind;
        private string _invStdWords = "";
        private ProbeResult? _probe;

        public List<TermFit> Fits { get; } = [];

        public IReadOnlyList<GradientDiagnosis> Run()
        {
            for (int c = 0; c < data.Count; c++)
                for (int j = 0; j < data[c].Problem.D; j++)
                    _columns.Add(FitColumn(c, data[c], j));
            _probe = ProbeResult.Measure(impl, data[0]);
            var dx = AnalyseDx();
            var dgamma = AnalyseSum(GradientName.Dgamma);
            var dbeta = AnalyseSum(GradientName.Dbeta);
            return [dx, dgamma, dbeta];
        }

        private static double MaxError(IEnumerable<CaseData> cases, GradientName g)
        {
            double max = 0;
            foreach (var d in cases)
            {
                var a = d.Actual.Of(g);
                var e = d.Exact.Of(g);
                for (int k = 0; k < a.Length; k++)
                {
                    double err = d.Model.InUnits(g, k, Math.Abs(a[k] - e[k]));
                    if (!(err <= max)) max = err;
                }
            }
            return max;
        }

        private static bool AllFinite(IEnumerable<CaseData> cases, GradientName g) => cases.All(d => d.Actual.Of(g).All(double.IsFinite));

        // ---------------------------------------------------------------- dx

        private DxColumn FitColumn(int caseIndex, CaseData d, int j)
        {
            var p = d.Problem;
            int n = p.N, dd = p.D;
            var col = new DxColumn { Data = d, Case = caseIndex, J = j };
            var g = new double[n];
            var xh = new double[n];
            var e = new double[n];
            var rowMean = new double[n];
            bool clean = true;
            for (int i = 0; i < n; i++)
            {
                int k = i * dd + j;
                g[i] = p.Dout[k];
                xh[i] = d.Model.Xhat[k];
                e[i] = d.Actual.Dx[k] - d.Exact.Dx[k];
                clean &= Math.Abs(e[i]) <= d.Allowance(GradientName.Dx, k);
                for (int jj = 0; jj < dd; jj++) rowMean[i] += p.Dout[i * dd + jj];
                rowMean[i] /= dd;
                col.G = Math.Max(col.G, Math.Abs(g[i]));
                col.Mg += g[i] / n;
                col.Mgx += g[i] * xh[i] / n;
            }
            col.Clean = clean;
            double c = col.C;
            var ones = Enumerable.Repeat(c, n).ToArray();
            var basis = new[] { g.Select(v => c * v).ToArray(), ones, xh.Select(v => c * v).ToArray() };
            var (coef, residual) = LeastSquares(basis, e);
            double scale = Math.Abs(c) * col.G;
            col.Alpha = 1 + coef[0];
            col.Beta = col.Eb + coef[1];
            col.Nu = col.Ev + coef[2];
            col.Residual = scale > 0 ? residual / scale : residual;
            // The same fit with a fourth term c·rowmean(g): a mean taken over the row (the D features) instead of the column.
            var (coef4, residual4) = LeastSquares([.. basis, rowMean.Select(v => c * v).ToArray()], e);
            col.RowMeanCoefficient = coef4[3];
            col.AugmentedResidual = scale > 0 ? residual4 / scale : residual4;
            Fits.Add(new TermFit(caseIndex, j, n, col.Alpha, col.Beta, col.Nu, col.Eb, col.Ev, col.Residual));
            return col;
        }

        private bool Match(Func<DxColumn, (double A, double B, double V)> predict) => _columns.All(c =>
        {
            var (a, b, v) = predict(c);
            return Math.Abs(c.Alpha - a) <= c.Tau && Math.Abs(c.Beta - b) <= c.Tau * c.G && Math.Abs(c.Nu - v) <= c.Tau * c.G;
        });

        /// <summary>A named factor f with observed ≈ f·base on every column (within the column's tolerance in units of <paramref name="unit"/>), or a constant one; null if none.</summary>
        private string? NameFactor(Func<DxColumn, double> observed, Func<DxColumn, double> baseValue, Func<DxColumn, double> unit)
        {
            bool Fits(Func<DxColumn, double> f) => _columns.All(c => Math.Abs(observed(c) - f(c) * baseValue(c)) <= c.Tau * unit(c));
            foreach (var factor in NamedFactors)
                if (Fits(factor.Value)) return factor.Name;
            var best = _columns.MaxBy(c => Math.Abs(baseValue(c)))!;
            if (baseValue(best) == 0) return null;
            double k = observed(best) / baseValue(best);
            return Fits(_ => k) ? F(k) : null;
        }

        private GradientDiagnosis AnalyseDx()
        {
            var findings = new List<Finding>();
            double maxError = MaxError(data, GradientName.Dx);
            void Add(FindingKind kind, DxTerm term, string sentence) => findings.Add(new Finding(GradientName.Dx, kind, term, sentence));

            if (!AllFinite(data, GradientName.Dx))
            {
                Add(FindingKind.NonFinite, DxTerm.All, "dx holds NaN or infinity on finite input.");
                return new GradientDiagnosis(GradientName.Dx, findings, maxError);
            }
            if (_columns.All(c => c.Clean))
            {
                Add(FindingKind.NoFlawFound, DxTerm.None, "no flaw found: dx agrees with the exact gradient within rounding.");
                return new GradientDiagnosis(GradientName.Dx, findings, maxError);
            }

            var probe = _probe!;
            bool inSpan = _columns.All(c => c.Clean || c.Residual <= c.Tau);
            if (!inSpan)
            {
                AnalyseOutOfSpan(probe, Add);
                return new GradientDiagnosis(GradientName.Dx, findings, maxError);
            }

            // 1. The whole dx off by one factor per column: c·f·(g − mean(g) − xhat·mean(g·xhat)).
            if (Match(c => (c.Alpha, c.Alpha * c.Eb, c.Alpha * c.Ev)))
            {
                string? name = NameFactor(c => c.Alpha, _ => 1, _ => 1);
                switch (name)
                {
                    case "−1": Add(FindingKind.SignFlipped, DxTerm.All, "dx has the wrong sign: all three terms are negated."); break;
                    case "1/gamma (gamma is missing)": Add(FindingKind.GammaMissing, DxTerm.All, "dx is off by a constant factor of 1/gamma: gamma is missing."); break;
                    case "sqrt(var + eps) (invStd is missing)": Add(FindingKind.InvStdMissing, DxTerm.All, "dx is off by a factor of sqrt(var + eps): invStd is missing."); break;
                    case null: AnalyseInvStd(0, Add); break;
                    default: Add(FindingKind.WrongScale, DxTerm.All, $"dx has all three terms right but is off by a factor of {name}."); break;
                }
                return new GradientDiagnosis(GradientName.Dx, findings, maxError);
            }

            // 2. invStd replaced by r·invStd, with xhat recomputed from it: the variance path (xhat·mean(g·xhat)) then carries r³.
            if (Match(c => (c.Alpha, c.Alpha * c.Eb, c.Alpha * c.Alpha * c.Alpha * c.Ev)))
            {
                AnalyseInvStd(2, Add);
                return new GradientDiagnosis(GradientName.Dx, findings, maxError);
            }

            // 3. Both cross-sample terms gone: dx_i is a multiple of g_i alone.
            if (Match(c => (c.Alpha, 0, 0)))
            {
                string direct = NameFactor(c => c.Alpha, _ => 1, _ => 1) switch
                {
                    "(1 − 1/N)" => "; the direct term is scaled by (1 − 1/N) (only the own-sample share of the mean path survives)",
                    null => "; the direct term's coefficient also differs from 1 and varies",
                    string other => Math.Abs(_columns[0].Alpha - 1) <= _columns[0].Tau ? "" : $"; the direct term is scaled by {other}",
                };
                Add(FindingKind.CrossSampleTermsMissing, DxTerm.All,
                    $"the mean-path and variance-path terms are missing (the cross-sample terms: the Jacobian was treated as diagonal){direct}." +
                    (probe.Diagonal ? " Confirmed by a probe: dx of one row does not change with another row's dout." : ""));
                return new GradientDiagnosis(GradientName.Dx, findings, maxError);
            }

            // 4. Term by term.
            AnalyseTerms(Add);
            if (probe.CrossColumn)
                Add(FindingKind.WrongAxis, DxTerm.All, "a reduction runs over the wrong axis: dx of one column changes with another column's dout.");
            return new GradientDiagnosis(GradientName.Dx, findings, maxError);
        }

        private void AnalyseTerms(Action<FindingKind, DxTerm, string> add)
        {
            // Direct term: exact coefficient 1.
            if (!Match(c => (1, c.Beta, c.Nu)))
            {
                if (Match(c => (0, c.Beta, c.Nu))) add(FindingKind.DirectTermMissing, DxTerm.Direct, "the direct term gamma·invStd·dout is missing.");
                else if (Match(c => (-1, c.Beta, c.Nu))) add(FindingKind.SignFlipped, DxTerm.Direct, "the direct term has the wrong sign.");
                else if (NameFactor(c => c.Alpha, _ => 1, _ => 1) is string k)
                    add(FindingKind.TermScaled, DxTerm.Direct, $"the direct term is off by a factor of {k}.");
                else add(FindingKind.CoefficientsWrong, DxTerm.Direct, $"the direct term's coefficient is wrong and varies (fitted {F(_columns[0].Alpha)}, exact 1).");
            }
            // Mean-path term: exact coefficient −mean(g).
            if (!Match(c => (c.Alpha, c.Eb, c.Nu)))
            {
                if (Match(c => (c.Alpha, 0, c.Nu))) add(FindingKind.MeanPathMissing, DxTerm.MeanPath, "the mean-path term −gamma·invStd·mean(dout) is missing.");
                else if (Match(c => (c.Alpha, -c.Eb, c.Nu))) add(FindingKind.SignFlipped, DxTerm.MeanPath, "the mean-path term has the wrong sign.");
                else if (Match(c => (c.Alpha, c.Ev, c.Nu)))
                    add(FindingKind.MeanCoefficientUsesSumGXhat, DxTerm.MeanPath, "the mean-path coefficient uses Σ(dout·xhat) where Σdout belongs.");
                else if (NameFactor(c => c.Beta, c => c.Eb, c => c.G) is string k)
                    add(FindingKind.TermScaled, DxTerm.MeanPath, $"the mean-path term is off by a factor of {k}.");
                else add(FindingKind.CoefficientsWrong, DxTerm.MeanPath, $"the mean-path coefficient is wrong (fitted {F(_columns[0].Beta)}, exact {F(_columns[0].Eb)}).");
            }
            // Variance-path term: exact coefficient −mean(g·xhat).
            if (!Match(c => (c.Alpha, c.Beta, c.Ev)))
            {
                if (Match(c => (c.Alpha, c.Beta, 0))) add(FindingKind.VarianceTermMissing, DxTerm.VariancePath, "the variance-path term −gamma·invStd·xhat·mean(dout·xhat) is missing.");
                else if (Match(c => (c.Alpha, c.Beta, -c.Ev))) add(FindingKind.SignFlipped, DxTerm.VariancePath, "the variance-path term has the wrong sign.");
                else if (Match(c => (c.Alpha, c.Beta, c.Eb)))
                    add(FindingKind.VarianceCoefficientUsesSumG, DxTerm.VariancePath,
                        "the variance-path coefficient uses Σdout where Σ(dout·xhat) belongs (xhat·Σdout instead of xhat·Σ(dout·xhat)).");
                else if (NameFactor(c => c.Nu, c => c.Ev, c => c.G) is string k)
                    add(FindingKind.TermScaled, DxTerm.VariancePath, $"the variance-path term is off by a factor of {k}.");
                else add(FindingKind.CoefficientsWrong, DxTerm.VariancePath, $"the variance-path coefficient is wrong (fitted {F(_columns[0].Nu)}, exact {F(_columns[0].Ev)}).");
            }
        }

        /// <summary>
        /// dx = gamma·s'·(g − mean(g) − r^p·xhat·mean(g·xhat)) with s' = r·invStd: the implementation's invStd differs by r = s'/invStd
        /// per column. Its var + eps is then q = (var + eps)/r²; name what q is.
        /// </summary>
        private void AnalyseInvStd(int power, Action<FindingKind, DxTerm, string> add)
        {
            double Q(DxColumn c) => (c.Var + c.Eps) / (c.Alpha * c.Alpha);
            // q is known to relative ~2τ (r to τ): the tests below allow 4τ·q.
            string how = power == 2 ? " (the variance-path term carries the cube of the invStd ratio: it is built from x − mean, or a recomputed xhat, with the same invStd)" : "";
            var med = _columns.Select(c => Q(c) - c.Var).Order().ToList()[_columns.Count / 2];
            var (kind, words) = (FindingKind.InvStdDiffers, "");
            if (_columns.All(c => Math.Abs(Q(c) - c.Var - med) <= 4 * c.Tau * Q(c)))
                (kind, words) = (FindingKind.EpsMismatch, $"invStd differs: eps is not the forward's (dx behaves as if eps = {F(med)}; the forward's eps is {F(_columns[0].Eps)} on case 0){how}.");
            else if (_columns.All(c => Math.Abs(Q(c) - c.Eps - c.Var * c.N / (c.N - 1.0)) <= 4 * c.Tau * Q(c)))
                (kind, words) = (FindingKind.UnbiasedVariance, $"invStd uses the unbiased variance (divisor N − 1) where the forward's biased variance (divisor N) belongs{how}.");
            else if (_columns.All(c => Math.Abs(1 / (c.Alpha * c.S) - (Math.Sqrt(c.Var) + c.Eps)) <= 4 * c.Tau / (c.Alpha * c.S)))
                (kind, words) = (FindingKind.EpsOutsideSqrt, $"invStd is computed as 1/(sqrt(var) + eps): eps is added outside the square root{how}.");
            else
            {
                // The variance the implementation used differs from the forward's; a float32 E[x²] − E[x]² errs by up to
                // ~(N + 4)·u32·E[x²] (N-term float32 sum of squares, then cancellation against E[x]²).
                double worstRel = 0, worstKappa = 0;
                bool cancellation = true;
                foreach (var c in _columns)
                {
                    double dv = Math.Abs(Q(c) - c.Eps - c.Var);
                    double ex2 = c.MeanX * c.MeanX + c.Var;
                    cancellation &= dv <= 4 * c.Tau * Q(c) + 4 * (c.N + 4) * Float32Roundoff * ex2;
                    double rel = dv / Math.Max(c.Var, double.Epsilon);
                    if (rel > worstRel) (worstRel, worstKappa) = (rel, Math.Abs(c.MeanX) * c.S);
                }
                (kind, words) = cancellation
                    ? (FindingKind.VarianceCancellation,
                        $"invStd differs: the variance it uses is off by up to {F(worstRel * 100)}% (worst at an offset of {F(worstKappa)} spreads), " +
                        $"within float32 rounding of E[x²]: var was computed as E[x²] − E[x]² in low precision and cancelled{how}.")
                    : (FindingKind.InvStdDiffers,
                        $"invStd differs from the forward's by a factor that varies per column (fitted {F(_columns[0].Alpha)} on case 0, column 0), " +
                        $"not explained by another eps, an unbiased variance, eps outside the sqrt or float32 cancellation{how}.");
            }
            _invStdRatio = (caseIndex, j) => _columns.First(c => c.Case == caseIndex && c.J == j).Alpha;
            _invStdKind = kind;
            _invStdWords = kind switch
            {
                FindingKind.EpsMismatch => "eps is not the forward's",
                FindingKind.UnbiasedVariance => "unbiased variance, divisor N − 1",
                FindingKind.EpsOutsideSqrt => "eps outside the sqrt",
                FindingKind.VarianceCancellation => "variance cancelled in low precision",
                _ => "invStd differs from the forward's",
            };
            add(kind, DxTerm.All, words);
        }

        private void AnalyseOutOfSpan(ProbeResult probe, Action<FindingKind, DxTerm, string> add)
        {
            double worst = _columns.Max(c => c.Residual);
            bool rowMean = _columns.All(c => c.Clean || c.AugmentedResidual <= c.Tau) &&
                           _columns.All(c => Math.Abs(c.RowMeanCoefficient + 1) <= c.Tau || c.Clean);
            if (rowMean && probe.CrossColumn)
            {
                add(FindingKind.WrongAxis, DxTerm.MeanPath,
                    "a reduction over the wrong axis: the mean-path term averages dout over the features of each row (axis 1) instead of over the samples of each column (axis 0).");
                return;
            }
            add(FindingKind.NotOfThisForm, DxTerm.All,
                $"the error is not of this form: dx is not a combination of the direct, mean-path and variance-path terms (the three-term fit leaves a residual of {F(worst)} in units of gamma·invStd·max|dout|).");
            if (probe.Diagonal)
            {
                string factor = probe.DiagonalFactorRight
                    ? "the per-element factor is the Jacobian's diagonal entry"
                    : $"and the per-element factor is wrong too: it is not the Jacobian's diagonal gamma·invStd·(1 − 1/N − xhat_i²/N) (measured {F(probe.DiagonalMeasured)}, diagonal entry {F(probe.DiagonalExact)})";
                add(FindingKind.CrossSampleTermsMissing, DxTerm.All,
                    $"Cross-sample terms are missing: dx_i changes only with dout_i (the Jacobian was treated as diagonal), {factor}.");
            }
            if (probe.CrossColumn)
                add(FindingKind.WrongAxis, DxTerm.All, "A reduction runs over the wrong axis: dx of one column changes with another column's dout.");
        }

        // ---------------------------------------------------------------- dgamma and dbeta

        private GradientDiagnosis AnalyseSum(GradientName g)
        {
            var findings = new List<Finding>();
            double maxError = MaxError(data, g);
            string name = Gradients.NameOf(g);
            void Add(FindingKind kind, string sentence) => findings.Add(new Finding(g, kind, DxTerm.None, sentence));
            if (!AllFinite(data, g))
            {
                Add(FindingKind.NonFinite, $"{name} holds NaN or infinity on finite input.");
                return new GradientDiagnosis(g, findings, maxError);
            }
            bool clean = data.All(d => Enumerable.Range(0, d.Problem.D).All(j => Math.Abs(d.Actual.Of(g)[j] - d.Exact.Of(g)[j]) <= d.Allowance(g, j)));
            if (clean)
            {
                Add(FindingKind.NoFlawFound, $"no flaw found: {name} agrees with the exact gradient within rounding.");
                return new GradientDiagnosis(g, findings, maxError);
            }

            // A candidate matches when it predicts every column of every case within τ of the natural unit (plus rounding).
            bool Predicts(Func<CaseData, int, int, double> candidate) => data.Select((d, ci) => (d, ci)).All(t =>
                Enumerable.Range(0, t.d.Problem.D).All(j =>
                    Math.Abs(t.d.Actual.Of(g)[j] - candidate(t.d, t.ci, j)) <= t.d.Tau(j) * t.d.Model.Unit(g, j) + t.d.Allowance(g, j)));
            double Sum(CaseData d, int j, Func<int, double> term)
            {
                double s = 0;
                for (int i = 0; i < d.Problem.N; i++) s += term(i * d.Problem.D + j);
                return s;
            }
            double Exact(CaseData d, int j) => d.Exact.Of(g)[j];
            double Total(CaseData d) => Enumerable.Range(0, d.Problem.D).Sum(j => Exact(d, j));

            if (g == GradientName.Dgamma)
            {
                if (Predicts((d, _, j) => Sum(d, j, k => d.Problem.Dout[k] * d.Problem.X[k])))
                    Add(FindingKind.DgammaUsesX, "dgamma sums dout·x where dout·xhat belongs.");
                else if (Predicts((d, _, j) => Sum(d, j, k => d.Problem.Dout[k] * (d.Problem.X[k] - d.Mean[j]))))
                    Add(FindingKind.DgammaMissingInvStd, "dgamma sums dout·(x − mean) where dout·xhat belongs: the factor invStd is missing.");
                else if (Predicts((d, _, j) => Sum(d, j, k => d.Problem.Dout[k])))
                    Add(FindingKind.DgammaUsesDout, "dgamma sums dout where dout·xhat belongs.");
            }
            if (findings.Count > 0) return new GradientDiagnosis(g, findings, maxError);

            if (Predicts((d, _, _) => Total(d)))
                Add(FindingKind.WrongAxis, $"a reduction over the wrong axis: {name} sums over every element (both axes) instead of over the samples of each column.");
            else if (_probe!.CrossColumnOf(g))
                Add(FindingKind.WrongAxis, $"a reduction over the wrong axis: {name} of one column changes with another column's dout.");
            else if (_invStdRatio is { } ratio && Predicts((d, ci, j) => ratio(ci, j) * Exact(d, j)))
                Add(_invStdKind, $"{name} is off by the same factor r as dx's invStd: it sums dout·xhat with xhat recomputed from that invStd ({_invStdWords}).");
            else
            {
                string? factor = null;
                foreach (var f in NamedFactors.Where(f => !f.Name.StartsWith("0", StringComparison.Ordinal)))
                {
                    // Evaluate the named factor on a stand-in column (it reads N, gamma and invStd of column j of case d).
                    if (Predicts((d, ci, j) => f.Value(Stand(d, ci, j)) * Exact(d, j)))
                    {
                        factor = f.Name;
                        break;
                    }
                }
                if (factor is null)
                {
                    var (bd, bj) = data.SelectMany(d => Enumerable.Range(0, d.Problem.D).Select(j => (d, j))).MaxBy(t => Math.Abs(Exact(t.d, t.j)));
                    double k = Exact(bd, bj) == 0 ? double.NaN : bd.Actual.Of(g)[bj] / Exact(bd, bj);
                    if (double.IsFinite(k) && Predicts((d, _, j) => k * Exact(d, j))) factor = F(k);
                }
                if (factor == "−1") Add(FindingKind.SignFlipped, $"{name} has the wrong sign.");
                else if (factor is not null)
                    Add(g == GradientName.Dgamma ? FindingKind.DgammaScaled : FindingKind.DbetaScaled, $"{name} is off by a factor of {factor}.");
                else
                    Add(FindingKind.NotOfThisForm, $"{name} is wrong in a way none of the named slips explains (worst error {F(maxError)} in its natural unit).");
            }
            return new GradientDiagnosis(g, findings, maxError);
        }

        private DxColumn Stand(CaseData d, int caseIndex, int j) => _columns.First(c => c.Case == caseIndex && c.J == j && ReferenceEquals(c.Data, d));
    }

    /// <summary>
    /// Two structural probes on one case, by linearity in dout: dout is changed at one element (row 0, column 0) and
    /// the change of every gradient is measured. The exact dx changes in every row of column 0 and in no other column;
    /// dgamma and dbeta change in column 0 only.
    /// </summary>
    private sealed class ProbeResult
    {
        public bool Diagonal { get; private init; }
        public bool CrossColumn { get; private init; }
        public bool DgammaCrossColumn { get; private init; }
        public bool DbetaCrossColumn { get; private init; }
        public double DiagonalMeasured { get; private init; }
        public double DiagonalExact { get; private init; }
        public bool DiagonalFactorRight { get; private init; }

        public bool CrossColumnOf(GradientName g) => g == GradientName.Dgamma ? DgammaCrossColumn : DbetaCrossColumn;

        public static ProbeResult Measure(IBatchNormBackward impl, CaseData d)
        {
            var p = d.Problem;
            int n = p.N, dd = p.D;
            double delta = 0;
            for (int i = 0; i < n; i++) delta = Math.Max(delta, Math.Abs(p.Dout[i * dd]));
            var dout = (double[])p.Dout.Clone();
            dout[0] += delta;
            var moved = impl.InItsPrecision(new BatchNormProblem(n, dd, p.X, p.Gamma, p.Beta, p.Eps, dout));
            delta = moved.Dout[0] - p.Dout[0];
            var after = impl.Run(moved);
            var modelAfter = ErrorModel.For(moved);
            // A change counts when it exceeds what rounding in the two runs may account for.
            double Noise(GradientName g, int k) => d.Allowance(g, k) + modelAfter.Allowance(g, k, d.U) + modelAfter.Allowance(g, k, ErrorModel.Float64Roundoff);
            bool Changed(GradientName g, int k) => !(Math.Abs(after.Of(g)[k] - d.Actual.Of(g)[k]) <= Noise(g, k));

            bool otherRows = Enumerable.Range(1, n - 1).Any(i => Changed(GradientName.Dx, i * dd));
            bool otherColumns = Enumerable.Range(0, n).Any(i => Enumerable.Range(1, dd - 1).Any(j => Changed(GradientName.Dx, i * dd + j)));
            double c = p.Gamma[0] * d.Model.InvStd[0];
            double xh = d.Model.Xhat[0];
            double exactDiagonal = c * (1 - 1.0 / n - xh * xh / n);
            double measured = (after.Dx[0] - d.Actual.Dx[0]) / delta;
            return new ProbeResult
            {
                Diagonal = !otherRows,
                CrossColumn = otherColumns,
                DgammaCrossColumn = Enumerable.Range(1, dd - 1).Any(j => Changed(GradientName.Dgamma, j)),
                DbetaCrossColumn = Enumerable.Range(1, dd - 1).Any(j => Changed(GradientName.Dbeta, j)),
                DiagonalMeasured = measured,
                DiagonalExact = exactDiagonal,
                DiagonalFactorRight = Math.Abs(measured - exactDiagonal) <= d.Tau(0) * Math.Abs(c),
            };
        }
    }

    /// <summary>Least squares of <paramref name="y"/> on the given basis vectors by modified Gram–Schmidt; returns the coefficients and the residual's max norm.</summary>
    internal static (double[] Coefficients, double Residual) LeastSquares(double[][] basis, double[] y)
    {
        int m = basis.Length, n = y.Length;
        var q = basis.Select(b => (double[])b.Clone()).ToArray();
        var r = new double[m, m];
        for (int a = 0; a < m; a++)
        {
            for (int b = 0; b < a; b++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += q[b][i] * q[a][i];
                r[b, a] = dot;
                for (int i = 0; i < n; i++) q[a][i] -= dot * q[b][i];
            }
            double norm = Math.Sqrt(q[a].Sum(v => v * v));
            r[a, a] = norm;
            if (norm > 0) for (int i = 0; i < n; i++) q[a][i] /= norm;
        }
        var res = (double[])y.Clone();
        var qty = new double[m];
        for (int a = 0; a < m; a++)
        {
            double dot = 0;
            for (int i = 0; i < n; i++) dot += q[a][i] * res[i];
            qty[a] = dot;
            for (int i = 0; i < n; i++) res[i] -= dot * q[a][i];
        }
        var coef = new double[m];
        for (int a = m - 1; a >= 0; a--)
        {
            double s = qty[a];
            for (int b = a + 1; b < m; b++) s -= r[a, b] * coef[b];
            coef[a] = r[a, a] > 0 ? s / r[a, a] : 0;
        }
        return (coef, res.Length == 0 ? 0 : res.Max(Math.Abs));
    }

    private static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}

using BnVerify.Checking;

namespace BnVerify.Doctor;

/// <summary>What the spatial doctor found about how an implementation handles an N×C×H×W batch.</summary>
public enum SpatialFinding
{
    /// <summary>
    /// On every spatial case the gradients equal (within rounding) what the same implementation computes on the same values
    /// as an (N·H·W)×C batch: the statistics are per channel over N·H·W values, and any error is the per-channel formula's
    /// (<see cref="DerivationDoctor"/>).
    /// </summary>
    LayoutConsistent,

    /// <summary>The NCHW batch was reshaped to (N·H·W)×C without moving the channel axis last: each "column" mixes channels and positions.</summary>
    ReshapeWithoutTranspose,

    /// <summary>The statistics are per image: each image's channel is normalized over its own H·W values instead of all N·H·W.</summary>
    StatisticsPerImage,

    /// <summary>The statistics average over the batch axis N only, per channel and position (c, h, w), ignoring H and W.</summary>
    StatisticsOverBatchOnly,

    /// <summary>The result depends on the layout in a way none of the named mistakes explains (or the implementation failed on a spatial batch).</summary>
    LayoutDependent,
}

/// <summary>
/// A deliberately flawed spatial implementation's declared diagnosis, read by the tests only (after the diagnosis, to compare);
/// <see cref="SpatialDoctor"/> never reads it.
/// </summary>
public interface ISpatialFlaw
{
    /// <summary>The finding a correct diagnosis must name.</summary>
    SpatialFinding Expected { get; }
}

/// <summary>The spatial doctor's diagnosis of one implementation.</summary>
/// <param name="Id">The implementation's id.</param>
/// <param name="Finding">What it found.</param>
/// <param name="Sentence">The finding in plain words, with the observed facts.</param>
/// <param name="Facts">What the locality probes observed (e.g. "dx of one image does not change with another image's dout").</param>
public sealed record SpatialDiagnosis(string Id, SpatialFinding Finding, string Sentence, IReadOnlyList<string> Facts)
{
    /// <summary>True when the implementation mishandles the spatial layout.</summary>
    public bool FlawFound => Finding != SpatialFinding.LayoutConsistent;
}

/// <summary>
/// Says whether an implementation gets spatial batch norm's grouping right, from its measured outputs alone.
/// <para>
/// Spatial batch norm is 2-D batch norm of the (N·H·W)×C canonical view, so an implementation that groups right gives, on
/// a spatial batch, what it gives on the same values handed over as a 2-D batch (the layout-consistency test); then any
/// remaining error is in its per-channel formula and <see cref="DerivationDoctor"/> names it. When the two differ, the
/// doctor tests the named mistakes, each a batch norm over the wrong groups of values, predicted exactly by the checker's
/// closed form (<see cref="ClosedForm"/>) and reported only when it predicts every dx element of every case within the
/// rounding allowance (<see cref="ErrorModel.Allowance"/>, for the implementation and for the float64 prediction):
/// the NCHW memory read as an (N·H·W)×C matrix (reshape without the transpose), each image's H·W values alone
/// (statistics per image), and the N×(C·H·W) matrix (statistics over N only). Three locality probes add what was
/// observed, by linearity in dout: does dx of another image, of another position in the same image, of another channel
/// change when one element of dout does?
/// </para>
/// <para>Its cases (<see cref="Problem"/>) have N ≥ 2, C ≥ 2 and H·W ≥ 4, so the three mistakes differ from each other and
/// from the exact gradient on every case. The implementation's declared verdict, reason and <see cref="ISpatialFlaw"/> are never read.</para>
/// </summary>
public static class SpatialDoctor
{
    /// <summary>Seed of the doctor's cases when none is given.</summary>
    public const int DefaultSeed = 2424;

    /// <summary>Number of cases when none is given.</summary>
    public const int DefaultCases = 3;

    /// <summary>
    /// Case <paramref name="index"/> for <paramref name="seed"/>: an NCHW problem with N 2..4, C 2..3, H 2..3, W 2..4; per
    /// channel a spread of 0.7..2 and an offset within ±3 spreads, per image a further shift of up to ±1 spread (so one image's
    /// statistics are far from the channel's); |gamma| in [0.3, 0.7] or [1.5, 3], eps 0.05..0.5, and dout = μ + ρ·xhat + noise
    /// (as <see cref="DoctorProblems"/>, so the mean-path and variance-path terms are large).
    /// </summary>
    public static BatchNormProblem Problem(int seed, int index)
    {
        var random = new Random(unchecked(seed * 7919 + index * 104729 + 31));
        var shape = new SpatialShape(random.Next(2, 5), random.Next(2, 4), random.Next(2, 4), random.Next(2, 5));
        int c = shape.C, hw = shape.PlaneSize;
        double eps = 0.05 * Math.Pow(10, random.NextDouble());
        var x = new double[shape.Count];
        var gamma = new double[c];
        var beta = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double spread = 0.7 + 1.3 * random.NextDouble();
            double offset = (6 * random.NextDouble() - 3) * spread;
            for (int n = 0; n < shape.N; n++)
            {
                double shift = (2 * random.NextDouble() - 1) * spread;
                for (int p = 0; p < hw; p++) x[(n * c + ch) * hw + p] = offset + shift + spread * GradientChecker.Gaussian(random);
            }
            gamma[ch] = (random.Next(2) == 0 ? -1 : 1) * (random.Next(2) == 0 ? 0.3 + 0.4 * random.NextDouble() : 1.5 + 1.5 * random.NextDouble());
            beta[ch] = 2 * random.NextDouble() - 1;
        }
        var problem = BatchNormProblem.Spatial(shape, Layout.NCHW, x, gamma, beta, eps, new double[shape.Count]);
        var (_, cache) = BatchNorm.Forward<double>(problem);
        var dout = new double[shape.Count];
        var mu = Enumerable.Range(0, c).Select(_ => (random.Next(2) == 0 ? -1 : 1) * (1 + 0.5 * random.NextDouble())).ToArray();
        var rho = Enumerable.Range(0, c).Select(_ => (random.Next(2) == 0 ? -1 : 1) * (2 + random.NextDouble())).ToArray();
        for (int k = 0; k < dout.Length; k++) dout[k] = mu[k % c] + rho[k % c] * cache.Xhat[k] + 0.5 * GradientChecker.Gaussian(random);
        return problem.With(dout: dout);
    }

    /// <summary>Diagnoses <paramref name="impl"/> on <paramref name="cases"/> of the doctor's spatial cases from <paramref name="seed"/>.</summary>
    public static SpatialDiagnosis Diagnose(IBatchNormBackward impl, int seed = DefaultSeed, int cases = DefaultCases)
    {
        ArgumentNullException.ThrowIfNull(impl);
        if (cases < 1) throw new ArgumentOutOfRangeException(nameof(cases), cases, "at least one case is needed");
        var data = new List<(BatchNormProblem Seen, Gradients Actual, ErrorModel Model)>();
        bool consistent = true;
        try
        {
            for (int i = 0; i < cases; i++)
            {
                var seen = impl.InItsPrecision(Problem(seed, i));
                var actual = impl.Run(seen);
                var planar = impl.Run(seen.InLayout(SpatialShape.Planar(seen.N, seen.D), Layout.ND));
                var model = ErrorModel.For(seen);
                consistent &= Gradients.All.All(g => Agree(actual.Of(g), planar.Of(g), k => 2 * model.Allowance(g, k, impl.UnitRoundoff)));
                data.Add((seen, actual, model));
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new SpatialDiagnosis(impl.Info.Id, SpatialFinding.LayoutDependent,
                $"it throws {e.GetType().Name} on a spatial batch ({e.Message}).", []);
        }
        if (consistent)
            return new SpatialDiagnosis(impl.Info.Id, SpatialFinding.LayoutConsistent,
                "the spatial layout is handled right: on every spatial case the gradients equal what the same implementation computes on the same values as an (N·H·W)×C batch.", []);

        var facts = Probe(impl, data[0].Seen, data[0].Actual);
        string observed = facts.Count == 0 ? "" : " Observed: " + string.Join("; ", facts) + ".";
        foreach (var (finding, predict, words) in Hypotheses)
        {
            if (data.All(d => Predicts(predict(d.Seen), d.Actual, impl.UnitRoundoff)))
                return new SpatialDiagnosis(impl.Info.Id, finding, words + observed, facts);
        }
        return new SpatialDiagnosis(impl.Info.Id, SpatialFinding.LayoutDependent,
            "the spatial layout is handled wrong: on a spatial batch dx differs from what the same implementation computes on the same values " +
            "as an (N·H·W)×C batch, in a way none of the named mistakes (reshape without the transpose, statistics per image, statistics over N only) explains." + observed,
            facts);
    }

    /// <summary>
    /// One line for the verifier's diagnosis of a failing check: the spatial finding with the step study of the failing check's
    /// worst element, or null when the implementation handles the layout right (then <see cref="DerivationDoctor.Sentence"/> applies).
    /// </summary>
    public static string? Sentence(IBatchNormBackward impl, CheckResult failing)
    {
        ArgumentNullException.ThrowIfNull(impl);
        ArgumentNullException.ThrowIfNull(failing);
        if (failing.Pass) return null;
        var diagnosis = Diagnose(impl);
        if (!diagnosis.FlawFound) return null;
        string words = $"spatial: {diagnosis.Sentence}";
        var worst = failing.Gradients.Where(g => !g.Pass).Select(g => g.Worst).FirstOrDefault();
        if (worst is null) return words;
        int index = worst.Gradient == GradientName.Dx ? worst.Row * failing.Problem.D + worst.Col : worst.Col;
        var study = StepStudy.Measure(impl, failing.Problem, worst.Gradient, index);
        return $"{words} [{worst.Where}: {study.Source.ToString().ToLowerInvariant()} error by the step study]";
    }

    /// <summary>A named mistake: the finding, the float64 gradients and dx bounds it predicts on a problem, and its words.</summary>
    private static readonly (SpatialFinding Finding, Func<BatchNormProblem, Prediction> Predict, string Words)[] Hypotheses =
    [
        (SpatialFinding.ReshapeWithoutTranspose, ReshapedWithoutTranspose,
            "the statistics are not per channel: the NCHW batch was reshaped to (N·H·W)×C without moving the channel axis last " +
            "(x.reshape(-1, C) where x.transpose(0, 2, 3, 1).reshape(-1, C) belongs), so each column of the 2-D backward mixes channels " +
            "and positions; dx equals 2-D batch norm of that matrix on every case (it is right only when H·W = 1 or C = 1)."),
        (SpatialFinding.StatisticsPerImage, PerImage,
            "the statistics are per image: each image's channel is normalized over its own H·W values instead of over all N·H·W values of " +
            "the channel; dx equals that on every case (it is right only when N = 1)."),
        (SpatialFinding.StatisticsOverBatchOnly, OverBatchOnly,
            "the statistics average over the batch axis N only, per channel and position (c, h, w), ignoring H and W: dx equals 2-D batch " +
            "norm of the N×(C·H·W) matrix on every case (it is right only when H = W = 1)."),
    ];

    /// <summary>Predicted gradients (canonical) and a bound per dx element (the prediction's allowance for an implementation of unit roundoff u).</summary>
    private sealed record Prediction(double[] Dx, Func<int, double, double> DxBound);

    private static bool Predicts(Prediction p, Gradients actual, double u)
    {
        for (int k = 0; k < actual.Dx.Length; k++)
            if (!(Math.Abs(actual.Dx[k] - p.Dx[k]) <= p.DxBound(k, u) + p.DxBound(k, ErrorModel.Float64Roundoff))) return false;
        return true;
    }

    private static bool Agree(double[] a, double[] b, Func<int, double> bound)
    {
        for (int k = 0; k < a.Length; k++)
            if (!(Math.Abs(a[k] - b[k]) <= bound(k))) return false;
        return true;
    }

    /// <summary>The NCHW memory read as a row-major (N·H·W)×C matrix, 2-D batch norm of it, written back to NCHW positions.</summary>
    private static Prediction ReshapedWithoutTranspose(BatchNormProblem p)
    {
        var s = p.Shape;
        var wrong = new BatchNormProblem(p.N, p.D, p.XIn(Layout.NCHW), p.Gamma, p.Beta, p.Eps, p.DoutIn(Layout.NCHW));
        return OfNchwMatrix(wrong, s);
    }

    /// <summary>
    /// 2-D batch norm of <paramref name="wrong"/>, a matrix laid over the NCHW memory of a batch of shape
    /// <paramref name="s"/> (matrix element m is NCHW element m), with dx written back to canonical positions.
    /// </summary>
    private static Prediction OfNchwMatrix(BatchNormProblem wrong, SpatialShape s)
    {
        var model = ErrorModel.For(wrong);
        var dx = Layouts.ToCanonical<double>(ClosedForm.Gradients(wrong).Dx, s, Layout.NCHW);
        // Bound of canonical element k: the allowance of the matrix element it was computed as (its NCHW position).
        var position = Layouts.FromCanonical<int>(Enumerable.Range(0, (int)s.Count).ToArray(), s, Layout.NCHW);
        var at = new int[position.Length];
        for (int m = 0; m < position.Length; m++) at[position[m]] = m;
        return new Prediction(dx, (k, u) => model.Allowance(GradientName.Dx, at[k], u));
    }

    /// <summary>Each image alone: 2-D batch norm of its H·W rows × C.</summary>
    private static Prediction PerImage(BatchNormProblem p)
    {
        var s = p.Shape;
        int rows = s.PlaneSize, c = s.C;
        var dx = new double[p.X.Length];
        var models = new ErrorModel[s.N];
        for (int n = 0; n < s.N; n++)
        {
            var image = new BatchNormProblem(rows, c, p.X.AsSpan(n * rows * c, rows * c).ToArray(), p.Gamma, p.Beta, p.Eps,
                p.Dout.AsSpan(n * rows * c, rows * c).ToArray());
            ClosedForm.Gradients(image).Dx.CopyTo(dx, n * rows * c);
            models[n] = ErrorModel.For(image);
        }
        return new Prediction(dx, (k, u) => models[k / (rows * c)].Allowance(GradientName.Dx, k % (rows * c), u));
    }

    /// <summary>The N×(C·H·W) matrix (NCHW memory, one row per image), column (c, h, w) with gamma_c and beta_c: 2-D batch norm of it.</summary>
    private static Prediction OverBatchOnly(BatchNormProblem p)
    {
        var s = p.Shape;
        int columns = s.C * s.PlaneSize;
        var gamma = new double[columns];
        var beta = new double[columns];
        for (int j = 0; j < columns; j++) (gamma[j], beta[j]) = (p.Gamma[j / s.PlaneSize], p.Beta[j / s.PlaneSize]);
        var wrong = new BatchNormProblem(s.N, columns, p.XIn(Layout.NCHW), gamma, beta, p.Eps, p.DoutIn(Layout.NCHW));
        return OfNchwMatrix(wrong, s);
    }

    /// <summary>
    /// Locality, by linearity in dout: dout of image 0, channel 0, position (0, 0) is moved and the change of dx is measured
    /// in the same channel of another image, at another position of the same image and channel, and in another channel.
    /// The exact dx changes in the first two and not in the third. A change counts when it exceeds both runs' rounding allowance.
    /// </summary>
    private static List<string> Probe(IBatchNormBackward impl, BatchNormProblem seen, Gradients before)
    {
        var s = seen.Shape;
        int c = s.C, hw = s.PlaneSize;
        var dout = (double[])seen.Dout.Clone();
        double delta = seen.Dout.Where((_, k) => k % c == 0).Max(Math.Abs);
        dout[0] += delta;
        var moved = impl.InItsPrecision(seen.With(dout: dout));
        var after = impl.Run(moved);
        var m0 = ErrorModel.For(seen);
        var m1 = ErrorModel.For(moved);
        bool Changed(int k) => !(Math.Abs(after.Dx[k] - before.Dx[k]) <= 2 * (m0.Allowance(GradientName.Dx, k, impl.UnitRoundoff) + m1.Allowance(GradientName.Dx, k, impl.UnitRoundoff)));
        // Canonical index of (n, h·W + w = p, channel ch) is (n·H·W + p)·C + ch.
        bool otherImage = Enumerable.Range(1, s.N - 1).Any(n => Enumerable.Range(0, hw).Any(p => Changed((n * hw + p) * c)));
        bool otherPosition = Enumerable.Range(1, hw - 1).Any(p => Changed(p * c));
        bool otherChannel = Enumerable.Range(0, s.Count > int.MaxValue ? 0 : (int)s.Count).Any(k => k % c != 0 && Changed(k));
        var facts = new List<string>();
        if (!otherImage) facts.Add("dx of one image does not change with another image's dout (the exact dx does)");
        if (!otherPosition) facts.Add("dx at one position does not change with dout at another position of the same image and channel (the exact dx does)");
        if (otherChannel) facts.Add("dx of one channel changes with another channel's dout (the exact dx does not)");
        return facts;
    }
}

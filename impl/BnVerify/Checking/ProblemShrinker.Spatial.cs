namespace BnVerify.Checking;

/// <summary>The spatial part of <see cref="ProblemShrinker"/>: a spatial problem shrinks along N, H, W and C.</summary>
public static partial class ProblemShrinker
{
    /// <summary>
    /// Smaller spatial problems: fewer images (halves first, then one at a time), one row of every plane removed (H),
    /// one column of every plane removed (W), one channel removed (C). Each keeps the N×C×H×W structure and the layout.
    /// </summary>
    private static IEnumerable<BatchNormProblem> ShrinkSpatial(BatchNormProblem p)
    {
        var s = p.Shape;
        if (s.N > 1)
        {
            if (s.N > 3)
            {
                yield return KeepSpatial(p, Range(0, s.N / 2), Range(0, s.C), Range(0, s.H), Range(0, s.W));
                yield return KeepSpatial(p, Range(s.N / 2, s.N - s.N / 2), Range(0, s.C), Range(0, s.H), Range(0, s.W));
            }
            for (int n = 0; n < s.N; n++) yield return KeepSpatial(p, Without(s.N, n), Range(0, s.C), Range(0, s.H), Range(0, s.W));
        }
        if (s.H > 1)
            for (int h = 0; h < s.H; h++) yield return KeepSpatial(p, Range(0, s.N), Range(0, s.C), Without(s.H, h), Range(0, s.W));
        if (s.W > 1)
            for (int w = 0; w < s.W; w++) yield return KeepSpatial(p, Range(0, s.N), Range(0, s.C), Range(0, s.H), Without(s.W, w));
        if (s.C > 1)
            for (int c = 0; c < s.C; c++) yield return KeepSpatial(p, Range(0, s.N), Without(s.C, c), Range(0, s.H), Range(0, s.W));
    }

    /// <summary>The sub-batch of the given images, channels, plane rows and plane columns, in <paramref name="p"/>'s layout.</summary>
    private static BatchNormProblem KeepSpatial(BatchNormProblem p, int[] images, int[] channels, int[] hs, int[] ws)
    {
        var s = p.Shape;
        var t = new SpatialShape(images.Length, channels.Length, hs.Length, ws.Length);
        var x = new double[t.Count];
        var dout = new double[t.Count];
        // Canonical (NHWC) index of (n, h, w, c) is ((n·H + h)·W + w)·C + c, in the source and in the result alike.
        int k = 0;
        foreach (int n in images)
            foreach (int h in hs)
                foreach (int w in ws)
                    foreach (int c in channels)
                    {
                        int from = ((n * s.H + h) * s.W + w) * s.C + c;
                        x[k] = p.X[from];
                        dout[k] = p.Dout[from];
                        k++;
                    }
        return BatchNormProblem.Spatial(t, Layout.NHWC, x, channels.Select(c => p.Gamma[c]).ToArray(), channels.Select(c => p.Beta[c]).ToArray(), p.Eps, dout)
            .InLayout(t, p.Layout);
    }

    private static int[] Range(int start, int count) => Enumerable.Range(start, count).ToArray();

    private static int[] Without(int count, int skip) => Enumerable.Range(0, count).Where(i => i != skip).ToArray();
}

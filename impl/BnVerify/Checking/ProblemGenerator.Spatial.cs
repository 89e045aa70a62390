namespace BnVerify.Checking;

/// <summary>The spatial part of <see cref="ProblemGenerator"/>: N×C×H×W problems.</summary>
public static partial class ProblemGenerator
{
    /// <summary>
    /// A spatial problem from a range whose layout is NCHW or NHWC. The shape is drawn so that the cases where spatial
    /// batch norm goes wrong come up often: one draw in six is a single image with H·W &gt; 1 (its statistics still average
    /// H·W values, and dx is not zero), one in six has H = W = 1 (the 2-D problem), one in six has odd H and W, the rest
    /// are uniform in 1..MaxN × 1..MaxD × 1..MaxH × 1..MaxW. The values are the 2-D generator's, column by column over the
    /// N·H·W rows of the canonical view (a channel is constant with the range's zero-variance chance).
    /// </summary>
    private static BatchNormProblem GenerateSpatial(Random random, GeneratorRange range)
    {
        int c = random.Next(1, range.MaxD + 1);
        int h = random.Next(1, range.MaxH + 1), w = random.Next(1, range.MaxW + 1);
        int n = random.Next(1, range.MaxN + 1);
        switch (random.Next(6))
        {
            case 0:
                n = 1;
                if (h * w == 1 && range.MaxW > 1) w = 2;
                else if (h * w == 1 && range.MaxH > 1) h = 2;
                break;
            case 1:
                (h, w) = (1, 1);
                break;
            case 2:
                h = 1 + 2 * random.Next(0, (range.MaxH - 1) / 2 + 1);
                w = 1 + 2 * random.Next(0, (range.MaxW - 1) / 2 + 1);
                break;
        }
        var shape = new SpatialShape(n, c, h, w);
        return Generate(random, shape.Rows, shape.C, range).InLayout(shape, range.Layout);
    }
}

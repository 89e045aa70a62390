namespace BnVerify;

/// <summary>
/// The memory order of a batch. Batch norm's statistics are per channel (column) over every other axis, so for the math a
/// batch is always a matrix of rows × channels: the canonical view, which is N×D for a 2-D batch and (N·H·W)×C for a
/// spatial one (batch norm after a convolution: PyTorch's <c>BatchNorm2d</c>, cs231n's <c>spatial_batchnorm_*</c>).
/// <see cref="ND"/> and <see cref="NHWC"/> ARE that matrix in memory; only <see cref="NCHW"/> differs, and it is converted at
/// the boundary (<see cref="Layouts"/>): the oracles, the error model and the doctor never see it.
/// </summary>
public enum Layout
{
    /// <summary>Row-major N×D: N samples of D features (the 2-D batch; a spatial batch with H = W = 1).</summary>
    ND,

    /// <summary>N×C×H×W, W fastest: each channel of each image is a contiguous plane of H·W values (PyTorch's default).</summary>
    NCHW,

    /// <summary>N×H×W×C, C fastest ("channels last"): the same memory as a row-major (N·H·W)×C matrix.</summary>
    NHWC,
}

/// <summary>
/// The shape of a batch: <paramref name="N"/> images of <paramref name="C"/> channels of <paramref name="H"/>×<paramref name="W"/>
/// values. A 2-D N×D batch is (N, D, 1, 1). The statistics of channel c average over <see cref="Rows"/> = N·H·W values.
/// </summary>
/// <param name="N">Images (the batch size).</param>
/// <param name="C">Channels (the 2-D batch's D features).</param>
/// <param name="H">Height of each plane.</param>
/// <param name="W">Width of each plane.</param>
public readonly record struct SpatialShape(int N, int C, int H, int W)
{
    /// <summary>The 2-D shape N×D: (N, D, 1, 1).</summary>
    public static SpatialShape Planar(int n, int d) => new(n, d, 1, 1);

    /// <summary>Values per plane, H·W.</summary>
    public int PlaneSize => H * W;

    /// <summary>Rows of the canonical view, N·H·W: how many values each channel's statistics average over.</summary>
    public int Rows => N * H * W;

    /// <summary>All values, N·C·H·W, as a long (it may exceed an array's length).</summary>
    public long Count => (long)N * C * H * W;

    /// <summary>"2x3x4x4".</summary>
    public override string ToString() => $"{N}x{C}x{H}x{W}";

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first dimension below 1, or <see cref="ArgumentException"/> when the batch is too large for an array.</summary>
    public void Validate(string parameterName)
    {
        if (N < 1) throw new ArgumentOutOfRangeException(parameterName, N, "N (images) must be at least 1.");
        if (C < 1) throw new ArgumentOutOfRangeException(parameterName, C, "C (channels) must be at least 1.");
        if (H < 1) throw new ArgumentOutOfRangeException(parameterName, H, "H (height) must be at least 1.");
        if (W < 1) throw new ArgumentOutOfRangeException(parameterName, W, "W (width) must be at least 1.");
        if (Count > Array.MaxLength) throw new ArgumentException($"N×C×H×W = {Count} is too large.", parameterName);
    }
}

/// <summary>
/// The only code that knows memory orders: conversions between a layout and the canonical rows × channels view
/// (<see cref="Layout"/>). Element (n, c, h, w) is at ((n·C + c)·H + h)·W + w in NCHW and at ((n·H + h)·W + w)·C + c
/// canonically (NHWC, and row-major N×D when H = W = 1).
/// </summary>
public static class Layouts
{
    /// <summary>"ND", "NCHW" or "NHWC" (as written in case files and reports).</summary>
    public static string Name(Layout layout) => layout switch
    {
        Layout.ND => "ND",
        Layout.NCHW => "NCHW",
        Layout.NHWC => "NHWC",
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "not a layout"),
    };

    /// <summary>Parses "nd", "nchw" or "nhwc" (any case); false otherwise.</summary>
    public static bool TryParse(string? text, out Layout layout)
    {
        switch (text?.ToUpperInvariant())
        {
            case "ND": layout = Layout.ND; return true;
            case "NCHW": layout = Layout.NCHW; return true;
            case "NHWC": layout = Layout.NHWC; return true;
            default: layout = Layout.ND; return false;
        }
    }

    /// <summary>
    /// True when data of <paramref name="shape"/> lies in memory the same way in both layouts: always for ND and NHWC,
    /// and for NCHW whenever H·W = 1 or C = 1 (then the transposition moves nothing).
    /// </summary>
    public static bool SameMemory(Layout a, Layout b, SpatialShape shape) =>
        a == b || (a != Layout.NCHW && b != Layout.NCHW) || shape.PlaneSize == 1 || shape.C == 1;

    /// <summary>Values in <paramref name="from"/>'s memory order → the canonical rows × channels order (a copy).</summary>
    public static T[] ToCanonical<T>(ReadOnlySpan<T> values, SpatialShape shape, Layout from)
    {
        var result = new T[values.Length];
        ToCanonical(values, result, shape, from);
        return result;
    }

    /// <summary>Canonical values → <paramref name="to"/>'s memory order (a copy).</summary>
    public static T[] FromCanonical<T>(ReadOnlySpan<T> canonical, SpatialShape shape, Layout to)
    {
        var result = new T[canonical.Length];
        FromCanonical(canonical, result, shape, to);
        return result;
    }

    /// <summary>Writes <paramref name="values"/> (in <paramref name="from"/>'s order) into <paramref name="canonical"/>.</summary>
    public static void ToCanonical<T>(ReadOnlySpan<T> values, Span<T> canonical, SpatialShape shape, Layout from) =>
        // NCHW → NHWC: each image's C × (H·W) matrix of planes becomes (H·W) × C, pixels as rows.
        Move(values, canonical, shape, from, rows: shape.C, columns: shape.PlaneSize);

    /// <summary>Writes <paramref name="canonical"/> into <paramref name="values"/> in <paramref name="to"/>'s order.</summary>
    public static void FromCanonical<T>(ReadOnlySpan<T> canonical, Span<T> values, SpatialShape shape, Layout to) =>
        // NHWC → NCHW: each image's (H·W) × C matrix becomes C × (H·W), a plane per channel.
        Move(canonical, values, shape, to, rows: shape.PlaneSize, columns: shape.C);

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="destination"/> where <paramref name="layout"/> is canonical memory,
    /// else transposes each image's row-major <paramref name="rows"/> × <paramref name="columns"/> matrix.
    /// </summary>
    private static void Move<T>(ReadOnlySpan<T> source, Span<T> destination, SpatialShape shape, Layout layout, int rows, int columns)
    {
        Check(source.Length, destination.Length, shape);
        if (SameMemory(layout, Layout.NHWC, shape))
        {
            source.CopyTo(destination);
            return;
        }
        int size = rows * columns;
        for (int n = 0; n < shape.N; n++)
        {
            var from = source.Slice(n * size, size);
            var to = destination.Slice(n * size, size);
            for (int r = 0; r < rows; r++)
                for (int col = 0; col < columns; col++) to[col * rows + r] = from[r * columns + col];
        }
    }

    /// <summary>
    /// Where canonical element <paramref name="k"/> sits in <paramref name="layout"/>'s own indexing, for messages:
    /// "[i][j]" for ND, "[n][c][h][w]" for NCHW, "[n][h][w][c]" for NHWC.
    /// </summary>
    public static string Where(int k, SpatialShape shape, Layout layout)
    {
        int row = k / shape.C, c = k % shape.C;
        if (layout == Layout.ND) return $"[{row}][{c}]";
        int n = row / shape.PlaneSize, p = row % shape.PlaneSize, h = p / shape.W, w = p % shape.W;
        return layout == Layout.NCHW ? $"[{n}][{c}][{h}][{w}]" : $"[{n}][{h}][{w}][{c}]";
    }

    private static void Check(int sourceLength, int destinationLength, SpatialShape shape)
    {
        if (sourceLength != shape.Count || destinationLength != shape.Count)
            throw new ArgumentException($"a {shape} batch has {shape.Count} values; got {sourceLength} and room for {destinationLength}.");
    }
}

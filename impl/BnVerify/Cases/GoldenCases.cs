namespace BnVerify.Cases;

/// <summary>
/// The golden cases shipped inside the library: 17 N×D problems whose gradients PyTorch 1.13 autograd computed in
/// float64 (<c>golden/torch/</c>, format in <c>golden/FORMAT.md</c>) — an oracle nobody on this project wrote. Ordinary
/// shapes, eps from 1e-8 to 1e-3, N = 1, N = 2, D = 1, tiny variance, a large offset, a constant column, zero and
/// negative gamma, all-zero dout. Beside them, 11 spatial cases of PyTorch's <c>BatchNorm2d</c> (<c>golden/torch-nchw/</c>,
/// <c>"layout": "NCHW"</c>): ordinary shapes, a single image (N = 1, H·W &gt; 1), H = W = 1, a constant channel, a large
/// offset, zero and negative gamma, eps = 1e-2.
/// </summary>
public static class GoldenCases
{
    private static readonly Lazy<IReadOnlyList<CaseFile>> Loaded = new(() => Load("golden/torch/"));
    private static readonly Lazy<IReadOnlyList<CaseFile>> LoadedNchw = new(() => Load("golden/torch-nchw/"));

    /// <summary>The PyTorch N×D cases, sorted by name.</summary>
    public static IReadOnlyList<CaseFile> Torch => Loaded.Value;

    /// <summary>The PyTorch N×C×H×W cases (BatchNorm2d), sorted by name.</summary>
    public static IReadOnlyList<CaseFile> TorchNchw => LoadedNchw.Value;

    /// <summary>Both sets: <see cref="Torch"/>, then <see cref="TorchNchw"/>.</summary>
    public static IReadOnlyList<CaseFile> All => [.. Torch, .. TorchNchw];

    private static IReadOnlyList<CaseFile> Load(string prefix)
    {
        var assembly = typeof(GoldenCases).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return CaseFile.FromJson(reader.ReadToEnd(), n);
            })
            .ToList();
    }
}

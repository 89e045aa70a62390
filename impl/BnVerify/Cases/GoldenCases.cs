namespace BnVerify.Cases;

/// <summary>
/// The golden cases shipped inside the library: 17 N×D problems whose gradients PyTorch 1.13 autograd computed in
/// float64 (<c>golden/torch/</c>, format in <c>golden/FORMAT.md</c>) — an oracle nobody on this project wrote. Ordinary
/// shapes, eps from 1e-8 to 1e-3, N = 1, N = 2, D = 1, tiny variance, a large offset, a constant column, zero and
/// negative gamma, all-zero dout.
/// </summary>
public static class GoldenCases
{
    private static readonly Lazy<IReadOnlyList<CaseFile>> Loaded = new(Load);

    /// <summary>The PyTorch cases, sorted by name.</summary>
    public static IReadOnlyList<CaseFile> Torch => Loaded.Value;

    private static IReadOnlyList<CaseFile> Load()
    {
        var assembly = typeof(GoldenCases).Assembly;
        const string prefix = "golden/torch/";
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

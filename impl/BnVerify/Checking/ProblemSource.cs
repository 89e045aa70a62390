namespace BnVerify.Checking;

/// <summary>
/// Where the verifier's problems come from: case <c>i</c> of seed <c>s</c> is one deterministic problem, drawn from
/// <see cref="Range"/> with its own random source (<see cref="CaseRandom"/>), so every case is reproducible on its own
/// and independent of how the work is scheduled. <c>check</c>, the property tests and the library API all use it.
/// </summary>
/// <param name="Range">The range random problems are drawn from.</param>
public sealed record ProblemSource(GeneratorRange Range)
{
    /// <summary>The default source: <see cref="GeneratorRange.Default"/>.</summary>
    public static ProblemSource Default { get; } = new(GeneratorRange.Default);

    /// <summary>Case <paramref name="index"/> of <paramref name="seed"/>.</summary>
    public BatchNormProblem Case(int seed, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return ProblemGenerator.Generate(CaseRandom(seed, index), Range);
    }

    /// <summary>
    /// The random source of case <paramref name="index"/> under <paramref name="seed"/>: SplitMix64 of (seed, index).
    /// </summary>
    public static Random CaseRandom(int seed, int index)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return new Random((int)(z & int.MaxValue));
    }
}

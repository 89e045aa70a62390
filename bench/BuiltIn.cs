using BnVerify.Implementations;
using BnVerify.Kernels;
using BnVerify.Mutants;

namespace BnVerify.Bench;

/// <summary>
/// The implementations the program ships with: BnVerify's own (seeds, reference, fast kernels) and the test-only mutants,
/// discovered once. The composition root: the checking library itself knows neither assembly.
/// </summary>
public static class BuiltIn
{
    /// <summary>Every built-in implementation, mutants included.</summary>
    public static Registry Implementations { get; } = Registry.Discover(typeof(AltSimplified).Assembly, typeof(MutantDxSign).Assembly);

    /// <summary>
    /// <paramref name="impl"/> allowed up to <paramref name="threads"/> workers when it is a multi-core kernel
    /// (<see cref="ITunableBackward"/> whose default uses more than one thread); any other implementation unchanged.
    /// </summary>
    public static IBatchNormBackward WithThreads(IBatchNormBackward impl, int threads)
    {
        ArgumentNullException.ThrowIfNull(impl);
        return impl is ITunableBackward { Options.Threads: > 1 } tunable ? tunable.With(tunable.Options with { Threads = threads }) : impl;
    }
}

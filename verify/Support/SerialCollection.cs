using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// Tests whose assertions depend on timings (the gate end to end, which decides pass or fail from measured ratios): xunit
/// runs this collection alone, after the parallel tests, so the CPU-heavy property tests do not share the two cores with
/// the rounds being timed. Nothing here guards process-wide settings: there are none (kernel options, benchmark plans and
/// gate plants are all passed in).
/// </summary>
[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection;

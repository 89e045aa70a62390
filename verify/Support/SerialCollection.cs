using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// Tests that time code or change process-wide settings (<c>FusedBackward.MaxThreads</c>,
/// <c>FusedBackward.ParallelThresholdBytes</c>, which the benchmark suite also sets): xunit runs this collection alone,
/// never in parallel with other tests.
/// </summary>
[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection;

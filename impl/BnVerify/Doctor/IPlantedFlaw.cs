namespace BnVerify.Doctor;

/// <summary>
/// What a mutant was planted with, declared for the mutation-score test only: MutationScore (Verification) compares it
/// with the diagnosis afterwards. <see cref="DerivationDoctor"/> never reads it; its diagnosis comes from the measured error.
/// </summary>
public interface IPlantedFlaw
{
    /// <summary>The gradient the flaw is planted in.</summary>
    GradientName PlantedIn { get; }

    /// <summary>The finding a correct diagnosis must name.</summary>
    FindingKind Planted { get; }
}

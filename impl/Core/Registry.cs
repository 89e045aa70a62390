using System.Reflection;

namespace BnVerify;

/// <summary>
/// Discovers every backward implementation: each non-abstract class in this assembly that implements
/// <see cref="IBatchNormBackward"/> and has a public parameterless constructor. Ids must be unique.
/// </summary>
public static class Registry
{
    private static readonly Lazy<IReadOnlyList<IBatchNormBackward>> Discovered = new(Discover);

    /// <summary>All implementations, ordered by family (seed, reference, fast, mutant) then id.</summary>
    public static IReadOnlyList<IBatchNormBackward> All => Discovered.Value;

    /// <summary>The implementation with this id; throws <see cref="KeyNotFoundException"/> listing the known ids when there is none.</summary>
    public static IBatchNormBackward Get(string id) =>
        All.FirstOrDefault(i => i.Info.Id == id)
        ?? throw new KeyNotFoundException($"unknown implementation id '{id}'; known ids: {string.Join(", ", All.Select(i => i.Info.Id))}");

    /// <summary>True when an implementation has this id.</summary>
    public static bool Exists(string id) => All.Any(i => i.Info.Id == id);

    private static IReadOnlyList<IBatchNormBackward> Discover()
    {
        var found = typeof(Registry).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IBatchNormBackward).IsAssignableFrom(t)
                        && t.GetConstructor(BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes) is not null)
            .Select(t => (IBatchNormBackward)Activator.CreateInstance(t)!)
            .OrderBy(i => i.Info.Family).ThenBy(i => i.Info.Id, StringComparer.Ordinal)
            .ToList();
        var duplicate = found.GroupBy(i => i.Info.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"implementation id '{duplicate.Key}' is declared by {string.Join(" and ", duplicate.Select(i => i.GetType().Name))}");
        return found;
    }
}

using System.Reflection;

namespace BnVerify;

/// <summary>
/// A set of backward implementations with unique ids, in a stable order (family, then id). Built by discovery — every
/// non-abstract class in the given assemblies that implements <see cref="IBatchNormBackward"/> and has a public
/// parameterless constructor — or from instances. A new implementation is one new class: discovery finds it.
/// </summary>
public sealed class Registry
{
    private readonly IReadOnlyList<IBatchNormBackward> _all;

    private Registry(IEnumerable<IBatchNormBackward> implementations)
    {
        var list = implementations.ToList();
        var duplicate = list.GroupBy(i => i.Info.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"implementation id '{duplicate.Key}' is declared by {string.Join(" and ", duplicate.Select(i => i.GetType().FullName))}");
        _all = list.OrderBy(i => i.Info.Family).ThenBy(i => i.Info.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>A registry of exactly these implementations; throws <see cref="InvalidOperationException"/> when two share an id.</summary>
    public static Registry Of(IEnumerable<IBatchNormBackward> implementations) =>
        new(implementations ?? throw new ArgumentNullException(nameof(implementations)));

    /// <summary>
    /// Every implementation class in <paramref name="assemblies"/>, each constructed once with its parameterless
    /// constructor. A class whose constructor throws is still listed, as an <see cref="UnconstructibleBackward"/> under
    /// its class name: every run of it fails with the constructor's exception, so it is found flawed and the others go on.
    /// </summary>
    public static Registry Discover(params Assembly[] assemblies)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        return new Registry(assemblies.SelectMany(ImplementationTypes).Select(Construct));
    }

    /// <summary>The classes of <paramref name="assembly"/> that discovery constructs.</summary>
    public static IReadOnlyList<Type> ImplementationTypes(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false } && typeof(IBatchNormBackward).IsAssignableFrom(t)
                        && t.GetConstructor(BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>All implementations, ordered by family (seed, reference, fast, mutant, others) then id.</summary>
    public IReadOnlyList<IBatchNormBackward> All => _all;

    /// <summary>This registry and <paramref name="more"/>; throws <see cref="InvalidOperationException"/> on an id both have.</summary>
    public Registry With(IEnumerable<IBatchNormBackward> more) => new(_all.Concat(more ?? throw new ArgumentNullException(nameof(more))));

    /// <summary>The implementation with this id; throws <see cref="KeyNotFoundException"/> listing the known ids when there is none.</summary>
    public IBatchNormBackward Get(string id) =>
        Find(id) ?? throw new KeyNotFoundException($"unknown implementation id '{id}'; known ids: {string.Join(", ", _all.Select(i => i.Info.Id))}");

    /// <summary>The implementation with this id, or null.</summary>
    public IBatchNormBackward? Find(string id) => _all.FirstOrDefault(i => string.Equals(i.Info.Id, id, StringComparison.Ordinal));

    /// <summary>True when an implementation has this id.</summary>
    public bool Exists(string id) => Find(id) is not null;

    private static IBatchNormBackward Construct(Type type)
    {
        try
        {
            return (IBatchNormBackward)Activator.CreateInstance(type)!;
        }
        catch (TargetInvocationException e)
        {
            return new UnconstructibleBackward(type, e.InnerException ?? e);
        }
    }
}

/// <summary>
/// Stands in for an implementation class whose constructor threw: id = the class name, declared correct (it was
/// written to be used), and every run throws <see cref="InvalidOperationException"/> with the constructor's exception.
/// </summary>
public sealed class UnconstructibleBackward : IBatchNormBackward
{
    private readonly Exception _error;

    /// <summary>The stand-in for <paramref name="type"/>, whose constructor threw <paramref name="error"/>.</summary>
    public UnconstructibleBackward(Type type, Exception error)
    {
        ArgumentNullException.ThrowIfNull(type);
        _error = error ?? throw new ArgumentNullException(nameof(error));
        Info = BackwardInfo.Correct(type.FullName ?? type.Name, $"{type.Assembly.GetName().Name}: {type.FullName}", Family.External);
    }

    /// <inheritdoc />
    public BackwardInfo Info { get; }

    /// <inheritdoc />
    public Type ElementType => typeof(double);

    /// <inheritdoc />
    public double UnitRoundoff => 1.0 / (1L << 53);

    /// <inheritdoc />
    public BatchNormProblem InItsPrecision(BatchNormProblem problem) => problem;

    /// <inheritdoc />
    public Gradients Run(BatchNormProblem problem) =>
        throw new InvalidOperationException($"its constructor threw {_error.GetType().Name}: {_error.Message}");
}

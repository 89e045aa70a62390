using System.CommandLine;
using System.Reflection;
using System.Runtime.Loader;

namespace BnVerify.Bench.Cli;

/// <summary>
/// <c>--assembly PATH</c>: a user's built assembly whose implementations are checked beside the built-in ones. Each is
/// loaded in a load context of its own, which resolves the user's own dependencies from beside the assembly (its
/// <c>.deps.json</c>) but shares BnVerify itself with the tool, so the user's classes implement the tool's interface.
/// Whatever is wrong with a path (missing, not a .NET assembly, a dependency that cannot be loaded, no implementation,
/// an id already taken) is one line naming the file, exit 2, before any work.
/// </summary>
internal static class UserAssemblies
{
    /// <summary>The option, repeatable.</summary>
    public static Option<string[]> Option() => new("--assembly")
    {
        Description = "Also check the implementations in this built .NET assembly (a .dll; repeatable)",
        HelpName = "PATH",
        Arity = ArgumentArity.OneOrMore,
    };

    /// <summary>The built-in implementations plus those of every assembly in <paramref name="paths"/>.</summary>
    public static Registry Registry(IEnumerable<string>? paths)
    {
        var registry = BuiltIn.Implementations;
        foreach (var path in paths ?? [])
        {
            var found = Load(path);
            foreach (var impl in found)
            {
                if (registry.Find(impl.Info.Id) is { } other)
                    throw new BadInputException($"--assembly {path}: implementation id '{impl.Info.Id}' ({impl.GetType().FullName}) is already taken by {Describe(other)}; give it another id");
            }
            registry = registry.With(found);
        }
        return registry;
    }

    /// <summary>The implementations discovered in the assembly at <paramref name="path"/>.</summary>
    public static IReadOnlyList<IBatchNormBackward> Load(string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new BadInputException($"--assembly {path}: not a valid file name: {e.Message.Split(" (Parameter", 2)[0]}");
        }
        if (Directory.Exists(full)) throw new BadInputException($"--assembly {path}: is a folder; name the built .dll");
        if (!File.Exists(full)) throw new BadInputException($"--assembly {path}: no such file");

        Assembly assembly;
        try
        {
            assembly = new UserLoadContext(full).LoadFromAssemblyPath(full);
        }
        catch (BadImageFormatException)
        {
            throw new BadInputException($"--assembly {path}: not a .NET assembly");
        }
        catch (Exception e) when (e is FileLoadException or IOException)
        {
            throw new BadInputException($"--assembly {path}: cannot be loaded: {e.Message}");
        }

        IReadOnlyList<Type> types;
        try
        {
            types = BnVerify.Registry.ImplementationTypes(assembly);
        }
        catch (ReflectionTypeLoadException e)
        {
            string why = e.LoaderExceptions.FirstOrDefault(x => x is not null)?.Message ?? e.Message;
            throw new BadInputException($"--assembly {path}: its types cannot be loaded (a missing or mismatched dependency?): {why}");
        }
        if (types.Count == 0)
            throw new BadInputException($"--assembly {path}: holds no public class implementing BnVerify's IBatchNormBackward with a public parameterless constructor");
        try
        {
            return BnVerify.Registry.Discover(assembly).All;
        }
        catch (InvalidOperationException e)
        {
            throw new BadInputException($"--assembly {path}: {e.Message}");
        }
    }

    private static string Describe(IBatchNormBackward impl) =>
        impl.Info.Family is Family.External ? impl.Info.Source : "a built-in implementation";

    /// <summary>Resolves the user's dependencies from beside the assembly; BnVerify and the framework come from the tool.</summary>
    private sealed class UserLoadContext(string path) : AssemblyLoadContext($"bnverify --assembly {Path.GetFileName(path)}")
    {
        private readonly AssemblyDependencyResolver _resolver = new(path);

        protected override Assembly? Load(AssemblyName name)
        {
            // The tool's own BnVerify, so IBatchNormBackward is one type on both sides.
            if (string.Equals(name.Name, typeof(IBatchNormBackward).Assembly.GetName().Name, StringComparison.Ordinal)) return null;
            string? resolved = _resolver.ResolveAssemblyToPath(name);
            return resolved is null ? null : LoadFromAssemblyPath(resolved);
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            string? resolved = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
            return resolved is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(resolved);
        }
    }
}

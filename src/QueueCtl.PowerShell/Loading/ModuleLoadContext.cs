using System.Reflection;
using System.Runtime.Loader;

namespace QueueCtl.PowerShell.Loading;

/// <summary>
/// The module's private assembly load context (PowerShell's documented pattern for binary modules
/// whose dependencies could clash with other modules'): QueueCtl.Core, Microsoft.Data.Sqlite and
/// SQLitePCLRaw load from the module's dependencies/ folder into this context, never into the
/// default one, so another module's copy of the same libraries (any version) cannot interfere.
/// The cmdlet assembly stays in the default context. Its public types derive only from
/// PowerShell's types and hold no value-type fields of Core types: pwsh loads those types before
/// OnImport registers the resolver that makes Core visible.
/// </summary>
internal sealed class ModuleLoadContext : AssemblyLoadContext
{
    /// <summary>The folder, next to the cmdlet assembly, that holds the isolated dependencies.</summary>
    public const string DependencyFolderName = "dependencies";

    /// <summary>Assemblies the default context is allowed to take from here: only the engine the cmdlets are compiled against.</summary>
    private static readonly HashSet<string> SharedWithDefault = new(StringComparer.OrdinalIgnoreCase) { "QueueCtl.Core" };

    private ModuleLoadContext(string dependencyFolder) : base("QueueCtl", isCollectible: false) =>
        DependencyFolder = dependencyFolder;

    public string DependencyFolder { get; }

    private static readonly Lazy<ModuleLoadContext> Shared = new(() =>
        new ModuleLoadContext(Path.Combine(Path.GetDirectoryName(typeof(ModuleLoadContext).Assembly.Location)!, DependencyFolderName)));

    public static ModuleLoadContext Instance => Shared.Value;

    /// <summary>Handler for the default context's Resolving event: hands it the engine, nothing else.</summary>
    public static Assembly? ResolveForDefault(AssemblyLoadContext context, AssemblyName name)
    {
        if (name.Name is null || !SharedWithDefault.Contains(name.Name)) return null;
        return File.Exists(Instance.PathOf(name)) ? Instance.LoadFromAssemblyName(name) : null;
    }

    private string PathOf(AssemblyName name) => Path.Combine(DependencyFolder, name.Name + ".dll");

    protected override Assembly? Load(AssemblyName name)
    {
        if (name.Name is null) return null;
        var path = PathOf(name);
        if (!File.Exists(path)) return null; // the framework and PowerShell's own assemblies come from the default context
        var assembly = LoadFromAssemblyPath(path);
        if (string.Equals(name.Name, NativeLibraryResolver.ProviderAssemblyName, StringComparison.OrdinalIgnoreCase))
            NativeLibraryResolver.Register(assembly, DependencyFolder);
        return assembly;
    }
}

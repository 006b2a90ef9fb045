using System.Reflection;
using System.Runtime.InteropServices;

namespace QueueCtl.PowerShell.Loading;

/// <summary>
/// pwsh ignores a module's .deps.json, so SQLitePCLRaw's <c>[DllImport("e_sqlite3")]</c> would
/// be looked for in pwsh's own folder and fail ("Unable to load DLL 'e_sqlite3'"). This resolver
/// points it at runtimes/&lt;rid&gt;/native/ in the module's dependency folder instead.
/// </summary>
internal static class NativeLibraryResolver
{
    /// <summary>The SQLitePCLRaw 3.x assembly that declares the P/Invokes (bundle_e_sqlite3 → config → provider).</summary>
    public const string ProviderAssemblyName = "SQLitePCLRaw.provider.e_sqlite3";
    /// <summary>The library name in its DllImport attributes.</summary>
    public const string LibraryName = "e_sqlite3";

    private static readonly object Gate = new();
    private static readonly HashSet<Assembly> Registered = [];

    /// <summary>Sets the resolver once per provider assembly (a second SetDllImportResolver call would throw).</summary>
    public static void Register(Assembly provider, string baseFolder)
    {
        lock (Gate)
        {
            if (!Registered.Add(provider)) return;
            try
            {
                NativeLibrary.SetDllImportResolver(provider, (name, assembly, searchPath) =>
                    name == LibraryName && TryLoad(baseFolder, out var handle) ? handle : IntPtr.Zero);
            }
            catch (InvalidOperationException)
            {
                // Someone else set a resolver for this assembly already; theirs stays in charge.
            }
        }
    }

    /// <summary>The folders probed, in order: the exact runtime identifier, then the portable os-arch one.</summary>
    public static IEnumerable<string> ProbeFolders(string baseFolder)
    {
        yield return Path.Combine(baseFolder, "runtimes", RuntimeInformation.RuntimeIdentifier, "native");
        var portable = PortableRid();
        if (portable != RuntimeInformation.RuntimeIdentifier)
            yield return Path.Combine(baseFolder, "runtimes", portable, "native");
    }

    public static string FileName =>
        OperatingSystem.IsWindows() ? LibraryName + ".dll"
        : OperatingSystem.IsMacOS() ? "lib" + LibraryName + ".dylib"
        : "lib" + LibraryName + ".so";

    public static string PortableRid()
    {
        var os = OperatingSystem.IsWindows() ? "win"
            : OperatingSystem.IsMacOS() ? "osx"
            : IsMusl() ? "linux-musl" : "linux";
        return $"{os}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
    }

    private static bool IsMusl() =>
        OperatingSystem.IsLinux() && RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.OrdinalIgnoreCase);

    public static bool TryLoad(string baseFolder, out IntPtr handle)
    {
        foreach (var folder in ProbeFolders(baseFolder))
        {
            var path = Path.Combine(folder, FileName);
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out handle)) return true;
        }
        handle = IntPtr.Zero;
        return false;
    }
}

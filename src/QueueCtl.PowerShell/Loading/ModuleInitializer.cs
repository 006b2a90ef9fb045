using System.Management.Automation;
using System.Runtime.Loader;

namespace QueueCtl.PowerShell.Loading;

/// <summary>
/// Runs when Import-Module loads the module (and again on Import-Module -Force): lets the default
/// load context find QueueCtl.Core in the module's private context, whose dependencies load from
/// the module's own folder. Removed again by Remove-Module.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly object Gate = new();
    private static bool _registered;

    public void OnImport()
    {
        lock (Gate)
        {
            if (_registered) return;
            HostContext.Resolving += ModuleLoadContext.ResolveForDefault;
            _registered = true;
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        lock (Gate)
        {
            if (!_registered) return;
            HostContext.Resolving -= ModuleLoadContext.ResolveForDefault;
            _registered = false;
        }
    }

    /// <summary>The context the cmdlet assembly itself lives in: the default one in pwsh.</summary>
    private static AssemblyLoadContext HostContext =>
        AssemblyLoadContext.GetLoadContext(typeof(ModuleInitializer).Assembly) ?? AssemblyLoadContext.Default;
}

// Loads the built module like pwsh's Import-Module: the cmdlet assembly into the default load
// context, its public types inspected (pwsh does this before running the initializer), then
// IModuleAssemblyInitializer.OnImport, then a queue opened through the module's own resolution.
// Prints one JSON object; exits 0 when it could report, whatever it found.
using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: QueueCtl.ModuleHost MODULE_FOLDER DATABASE");
    return 2;
}
var moduleFolder = Path.GetFullPath(args[0]);
var database = Path.GetFullPath(args[1]);
var report = new Dictionary<string, object?>
{
    ["appBase"] = AppContext.BaseDirectory,
    ["currentDirectory"] = Environment.CurrentDirectory,
};

var module = Assembly.LoadFrom(Path.Combine(moduleFolder, "QueueCtl.PowerShell.dll"));
report["moduleContext"] = AssemblyLoadContext.GetLoadContext(module)?.Name;

// What Import-Module does first: look at every exported type for cmdlets, initializers, adapters.
var cmdlets = new List<string>();
var initializers = new List<Type>();
foreach (var type in module.GetExportedTypes())
{
    if (type.IsSubclassOf(typeof(PSCmdlet))) cmdlets.Add(type.Name);
    if (typeof(IModuleAssemblyInitializer).IsAssignableFrom(type)) initializers.Add(type);
}
report["cmdletTypes"] = cmdlets.Count;
report["coreLoadedBeforeImport"] = AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "QueueCtl.Core");

foreach (var type in initializers)
{
    var initializer = (IModuleAssemblyInitializer)Activator.CreateInstance(type)!;
    initializer.OnImport();
    initializer.OnImport(); // Import-Module -Force runs it again: it must stay harmless
}
report["initializers"] = initializers.Count;

// A cmdlet's parameter types are what first make pwsh resolve QueueCtl.Core.
var stateType = module.GetType("QueueCtl.PowerShell.Commands.GetQueueJobCommand", throwOnError: true)!
    .GetProperty("State")!.PropertyType.GetElementType()!;
var core = stateType.Assembly;
report["coreContext"] = AssemblyLoadContext.GetLoadContext(core)?.Name;
report["coreLocation"] = core.Location;

var jobQueueType = core.GetType("QueueCtl.Core.JobQueue", throwOnError: true)!;
var specType = core.GetType("QueueCtl.Core.Jobs.JobSpec", throwOnError: true)!;
var open = jobQueueType.GetMethod("Open")!;
using (var queue = (IDisposable)open.Invoke(null, [database, null, null])!)
{
    var spec = Activator.CreateInstance(specType)!;
    specType.GetProperty("Id")!.SetValue(spec, "loaded-from-module-folder");
    specType.GetProperty("Command")!.SetValue(spec, "echo hello");
    var enqueue = jobQueueType.GetMethods().Single(m => m.Name == "Enqueue");
    var job = enqueue.Invoke(queue, [spec, Enum.ToObject(enqueue.GetParameters()[1].ParameterType, 0)])!;
    report["enqueued"] = job.ToString();
    var status = jobQueueType.GetMethod("GetStatus")!.Invoke(queue, null)!;
    report["pending"] = status.GetType().GetProperty("Pending")!.GetValue(status);
}

var sqlite = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "Microsoft.Data.Sqlite");
report["sqliteContext"] = sqlite is null ? null : AssemblyLoadContext.GetLoadContext(sqlite)?.Name;
report["sqliteLocation"] = sqlite?.Location;
report["providerContext"] = AppDomain.CurrentDomain.GetAssemblies()
    .Where(a => a.GetName().Name == "SQLitePCLRaw.provider.e_sqlite3").Select(a => AssemblyLoadContext.GetLoadContext(a)?.Name).FirstOrDefault();

// The default context must not be able to reach the module's private copies.
try
{
    AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName("Microsoft.Data.Sqlite"));
    report["defaultContextSeesSqlite"] = true;
}
catch (FileNotFoundException)
{
    report["defaultContextSeesSqlite"] = false;
}

// Which e_sqlite3 file the process mapped (Linux exposes it; elsewhere this stays null).
report["nativeLibrary"] = File.Exists("/proc/self/maps")
    ? File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(p => p.Length >= 6)
        .Select(p => string.Join(' ', p.Skip(5))).FirstOrDefault(p => p.Contains("e_sqlite3"))
    : null;

Console.WriteLine(JsonSerializer.Serialize(report));
return 0;

using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Module;

/// <summary>One parameter set membership of a parameter, from its [Parameter] attribute.</summary>
public sealed record ParameterSetInfo(string Name, bool Mandatory, int? Position, bool ValueFromPipeline, bool ValueFromPipelineByPropertyName);

public sealed record ParameterInfoModel(string Name, string Type, Type ClrType, IReadOnlyList<string> Aliases, IReadOnlyList<ParameterSetInfo> Sets, bool HasCompleter, bool IsEnum, IReadOnlyList<string> EnumValues);

public sealed record OutputTypeModel(string Type, Type ClrType, IReadOnlyList<string> ParameterSets);

public sealed record CmdletModel(string Name, string Verb, string Noun, string ClassName, Type ClrType, bool SupportsShouldProcess,
    string? DefaultParameterSet, IReadOnlyList<OutputTypeModel> OutputTypes, IReadOnlyList<ParameterInfoModel> Parameters)
{
    /// <summary>
    /// Every named parameter set, including a default set that only the parameters common to all
    /// sets belong to (PowerShell creates it); a cmdlet without named sets has "__AllParameterSets".
    /// </summary>
    public IReadOnlyList<string> ParameterSets =>
        Parameters.SelectMany(p => p.Sets).Select(s => s.Name)
            .Concat(DefaultParameterSet is null ? [] : [DefaultParameterSet])
            .Where(n => n != ModuleMetadata.AllSets).Distinct().DefaultIfEmpty(ModuleMetadata.AllSets).ToList();
}

/// <summary>
/// The built module (out/QueueCtl/) read as metadata, never executed: MetadataLoadContext and
/// CustomAttributeData, because the PowerShellStandard stub returns empty values from attribute
/// instances and no PowerShell runtime exists here.
/// </summary>
public sealed class ModuleMetadata : IDisposable
{
    public const string AllSets = "__AllParameterSets";
    private readonly MetadataLoadContext _context;

    public ModuleMetadata()
    {
        ModuleFolder = Path.Combine(RepoPaths.Root, "out", "QueueCtl");
        AssemblyPath = Path.Combine(ModuleFolder, "QueueCtl.PowerShell.dll");
        if (!File.Exists(AssemblyPath))
            throw new InvalidOperationException($"{AssemblyPath} is missing: build src/QueueCtl.PowerShell first (dotnet build assembles out/QueueCtl/).");
        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Concat(Directory.GetFiles(ModuleFolder, "*.dll"))
            .Concat(Directory.GetFiles(Path.Combine(ModuleFolder, "dependencies"), "*.dll"))
            .Append(Path.Combine(AppContext.BaseDirectory, "System.Management.Automation.dll"))
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase).Select(g => g.Last());
        _context = new MetadataLoadContext(new PathAssemblyResolver(paths), "System.Private.CoreLib");
        Assembly = _context.LoadFromAssemblyPath(AssemblyPath);
        CoreAssembly = _context.LoadFromAssemblyName("QueueCtl.Core");
        CmdletBase = _context.LoadFromAssemblyName("System.Management.Automation").GetType("System.Management.Automation.Cmdlet", throwOnError: true)!;
        Cmdlets = Assembly.GetExportedTypes()
            .Where(t => !t.IsAbstract && t.IsSubclassOf(CmdletBase) && Attribute(t, "CmdletAttribute") is not null)
            .Select(ReadCmdlet).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        Manifest = File.ReadAllText(Path.Combine(ModuleFolder, "QueueCtl.psd1"));
        FormatFile = XDocument.Load(Path.Combine(ModuleFolder, "QueueCtl.format.ps1xml"));
    }

    public string ModuleFolder { get; }
    public string AssemblyPath { get; }
    public Assembly Assembly { get; }
    public Assembly CoreAssembly { get; }
    public Type CmdletBase { get; }
    public IReadOnlyList<CmdletModel> Cmdlets { get; }
    public string Manifest { get; }
    public XDocument FormatFile { get; }

    public CmdletModel Cmdlet(string name) => Cmdlets.SingleOrDefault(c => c.Name == name)
        ?? throw new InvalidOperationException($"The module has no cmdlet {name}; it has {string.Join(", ", Cmdlets.Select(c => c.Name))}.");

    /// <summary>The names in a manifest array entry such as CmdletsToExport = @( 'A' 'B' ).</summary>
    public IReadOnlyList<string>? ManifestList(string key)
    {
        var match = Regex.Match(Manifest, $@"^\s*{key}\s*=\s*@\((?<items>[^)]*)\)", RegexOptions.Multiline);
        if (!match.Success) return null;
        return Regex.Matches(match.Groups["items"].Value, "'([^']*)'").Select(m => m.Groups[1].Value).ToList();
    }

    public string? ManifestValue(string key)
    {
        var match = Regex.Match(Manifest, $@"^\s*{key}\s*=\s*'(?<value>[^']*)'", RegexOptions.Multiline);
        return match.Success ? match.Groups["value"].Value : null;
    }

    /// <summary>Type names that have a view in QueueCtl.format.ps1xml.</summary>
    public IReadOnlySet<string> FormattedTypes =>
        FormatFile.Descendants("ViewSelectedBy").Elements("TypeName").Select(e => e.Value.Trim()).ToHashSet(StringComparer.Ordinal);

    public static CustomAttributeData? Attribute(MemberInfo member, string name) =>
        member.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.Name == name);

    public static T? Named<T>(CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.Where(a => a.MemberName == name).Select(a => (T?)a.TypedValue.Value).FirstOrDefault();

    private CmdletModel ReadCmdlet(Type type)
    {
        var cmdlet = Attribute(type, "CmdletAttribute")!;
        var verb = (string)cmdlet.ConstructorArguments[0].Value!;
        var noun = (string)cmdlet.ConstructorArguments[1].Value!;
        var outputs = type.GetCustomAttributesData().Where(a => a.AttributeType.Name == "OutputTypeAttribute").SelectMany(a =>
        {
            var sets = Named<IReadOnlyCollection<CustomAttributeTypedArgument>>(a, "ParameterSetName")?.Select(s => (string)s.Value!).ToList() ?? [];
            return ((IReadOnlyCollection<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!)
                .Select(t => (Type)t.Value!)
                .Select(t => new OutputTypeModel(t.FullName!, t, sets));
        }).ToList();
        var parameters = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Attributes: p.GetCustomAttributesData().Where(a => a.AttributeType.Name == "ParameterAttribute").ToList()))
            .Where(p => p.Attributes.Count > 0)
            .Select(p => ReadParameter(p.Property, p.Attributes))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        return new CmdletModel($"{verb}-{noun}", verb, noun, type.Name, type,
            Named<bool>(cmdlet, "SupportsShouldProcess"), Named<string>(cmdlet, "DefaultParameterSetName"), outputs, parameters);
    }

    private static ParameterInfoModel ReadParameter(PropertyInfo property, List<CustomAttributeData> attributes)
    {
        var sets = attributes.Select(a => new ParameterSetInfo(
            Named<string>(a, "ParameterSetName") ?? AllSets,
            Named<bool>(a, "Mandatory"),
            a.NamedArguments.Any(n => n.MemberName == "Position") ? Named<int>(a, "Position") : null,
            Named<bool>(a, "ValueFromPipeline"),
            Named<bool>(a, "ValueFromPipelineByPropertyName"))).ToList();
        var aliases = property.GetCustomAttributesData().Where(a => a.AttributeType.Name == "AliasAttribute")
            .SelectMany(a => ((IReadOnlyCollection<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!).Select(v => (string)v.Value!))
            .ToList();
        var element = ElementType(property.PropertyType);
        return new ParameterInfoModel(property.Name, TypeName(property.PropertyType), property.PropertyType, aliases, sets,
            property.GetCustomAttributesData().Any(a => a.AttributeType.Name == "ArgumentCompleterAttribute"),
            element.IsEnum, element.IsEnum ? element.GetEnumNames() : []);
    }

    /// <summary>T for T[], Nullable&lt;T&gt; and T.</summary>
    public static Type ElementType(Type type)
    {
        if (type.IsArray) type = type.GetElementType()!;
        if (type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1") type = type.GetGenericArguments()[0];
        return type;
    }

    public static string TypeName(Type type)
    {
        if (type.IsArray) return TypeName(type.GetElementType()!) + "[]";
        if (type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1") return TypeName(type.GetGenericArguments()[0]) + "?";
        return type.FullName ?? type.Name;
    }

    public void Dispose() => _context.Dispose();
}

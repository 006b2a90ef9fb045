using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using QueueCtl.Tests.Support;

namespace QueueCtl.Tests.Module;

public sealed class ModuleMetadataFixture : IDisposable
{
    public ModuleMetadata Module { get; } = new();
    public void Dispose() => Module.Dispose();
}

/// <summary>
/// The cmdlet surface, checked from the compiled module's metadata (DESIGN.md, "PowerShell without
/// PowerShell"). Also writes out/surface.json, which tools/check-powershell checks every script against.
/// </summary>
public sealed class ModuleSurfaceTests(ModuleMetadataFixture fixture) : IClassFixture<ModuleMetadataFixture>
{
    private ModuleMetadata Module => fixture.Module;

    public static readonly string[] ExpectedCmdlets =
    [
        "Add-QueueJob", "Get-QueueConfig", "Get-QueueJob", "Get-QueueStatus", "Get-QueueWorker", "Invoke-QueueWorker",
        "Receive-QueueJob", "Remove-QueueJob", "Restore-DeadJob", "Set-QueueConfig", "Start-QueueWorker", "Stop-QueueJob",
        "Stop-QueueWorker", "Wait-QueueJob",
    ];

    /// <summary>The approved verbs of PowerShell 7 (Get-Verb).</summary>
    private static readonly HashSet<string> ApprovedVerbs = new(StringComparer.Ordinal)
    {
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New", "Open",
        "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show", "Skip",
        "Split", "Step", "Switch", "Undo", "Unlock", "Watch", "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
        "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand",
        "Export", "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync",
        "Unpublish", "Update", "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace", "Approve", "Assert", "Build",
        "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install", "Invoke", "Register", "Request", "Restart",
        "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait", "Block", "Grant", "Protect",
        "Revoke", "Unblock", "Unprotect", "Use",
    };

    /// <summary>Parameters every cmdlet gets from PowerShell; declaring one breaks the command at run time.</summary>
    public static readonly string[] CommonParameters =
    [
        "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable",
        "WarningVariable", "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable",
    ];

    public static readonly string[] ShouldProcessParameters = ["WhatIf", "Confirm"];

    /// <summary>Verbs whose cmdlets change or remove something and so must support -WhatIf/-Confirm.</summary>
    private static readonly HashSet<string> ChangingVerbs = new(StringComparer.Ordinal)
        { "Add", "Clear", "Remove", "Reset", "Restore", "Set", "Start", "Stop", "Update", "New", "Rename", "Move", "Register", "Unregister" };

    /// <summary>The pipelines the module promises (upstream | downstream), bound by property name.</summary>
    public static readonly (string Upstream, string Downstream)[] Pipelines =
    [
        ("Get-QueueJob", "Restore-DeadJob"), ("Get-QueueJob", "Remove-QueueJob"), ("Get-QueueJob", "Stop-QueueJob"),
        ("Get-QueueJob", "Wait-QueueJob"), ("Get-QueueJob", "Receive-QueueJob"), ("Get-QueueJob", "Get-QueueJob"),
        ("Get-QueueJob", "Add-QueueJob"),
        ("Add-QueueJob", "Wait-QueueJob"), ("Add-QueueJob", "Receive-QueueJob"), ("Add-QueueJob", "Stop-QueueJob"),
        ("Add-QueueJob", "Remove-QueueJob"),
        ("Wait-QueueJob", "Receive-QueueJob"), ("Wait-QueueJob", "Restore-DeadJob"), ("Wait-QueueJob", "Remove-QueueJob"),
        ("Restore-DeadJob", "Wait-QueueJob"), ("Stop-QueueJob", "Remove-QueueJob"),
        ("Get-QueueWorker", "Stop-QueueWorker"), ("Get-QueueWorker", "Get-QueueWorker"), ("Start-QueueWorker", "Stop-QueueWorker"),
        ("Get-QueueConfig", "Set-QueueConfig"), ("Get-QueueConfig", "Get-QueueConfig"),
    ];

    [Fact]
    public void The_module_compiles_exactly_the_cmdlets_of_the_design()
    {
        Assert.Equal(ExpectedCmdlets, Module.Cmdlets.Select(c => c.Name).ToArray());
    }

    [Fact]
    public void Every_cmdlet_uses_an_approved_verb_and_a_singular_noun()
    {
        foreach (var cmdlet in Module.Cmdlets)
        {
            Assert.True(ApprovedVerbs.Contains(cmdlet.Verb), $"{cmdlet.Name}: '{cmdlet.Verb}' is not an approved verb.");
            Assert.False(cmdlet.Noun.EndsWith('s') && !cmdlet.Noun.EndsWith("Status", StringComparison.Ordinal), $"{cmdlet.Name}: nouns are singular.");
        }
    }

    [Fact]
    public void Every_cmdlet_is_a_sealed_class_of_its_own_file()
    {
        foreach (var cmdlet in Module.Cmdlets)
        {
            Assert.Equal($"{cmdlet.Verb}{cmdlet.Noun}Command", cmdlet.ClassName);
            Assert.True(cmdlet.ClrType.IsSealed, $"{cmdlet.ClassName} should be sealed.");
            Assert.Equal("QueueCtl.PowerShell.Commands", cmdlet.ClrType.Namespace);
            var file = Path.Combine(RepoPaths.Root, "src", "QueueCtl.PowerShell", "Commands", cmdlet.ClassName + ".cs");
            Assert.True(File.Exists(file), $"{cmdlet.Name} should live in {file}.");
            Assert.Single(Regex.Matches(File.ReadAllText(file), @"\[Cmdlet\("));
        }
    }

    [Fact]
    public void The_manifest_exports_exactly_the_compiled_cmdlets_and_nothing_else()
    {
        Assert.Equal(Module.Cmdlets.Select(c => c.Name).Order(StringComparer.Ordinal), Module.ManifestList("CmdletsToExport")!.Order(StringComparer.Ordinal));
        foreach (var key in new[] { "FunctionsToExport", "AliasesToExport", "VariablesToExport" })
        {
            var list = Module.ManifestList(key);
            Assert.True(list is { Count: 0 }, $"{key} must be an explicit empty list (a missing entry means 'everything').");
        }
        Assert.Equal("QueueCtl.PowerShell.dll", Module.ManifestValue("RootModule"));
        Assert.Equal("7.4", Module.ManifestValue("PowerShellVersion"));
        Assert.Equal(["Core"], Module.ManifestList("CompatiblePSEditions"));
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", Module.ManifestValue("GUID")!);
        Assert.Equal(["QueueCtl.format.ps1xml"], Module.ManifestList("FormatsToProcess"));
        var version = typeof(ModuleSurfaceTests).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        Assert.Equal(version, Module.ManifestValue("ModuleVersion"));
        Assert.Contains("PSData", Module.Manifest);
        Assert.True(File.Exists(Path.Combine(Module.ModuleFolder, "en-US", "about_QueueCtl.help.txt")));
    }

    [Fact]
    public void Cmdlets_that_change_or_remove_support_ShouldProcess_and_the_others_do_not()
    {
        foreach (var cmdlet in Module.Cmdlets)
            Assert.True(ChangingVerbs.Contains(cmdlet.Verb) == cmdlet.SupportsShouldProcess,
                $"{cmdlet.Name}: SupportsShouldProcess is {cmdlet.SupportsShouldProcess}, but its verb {(ChangingVerbs.Contains(cmdlet.Verb) ? "changes" : "does not change")} things.");
    }

    [Fact]
    public void Cmdlets_that_change_things_offer_PassThru()
    {
        foreach (var cmdlet in Module.Cmdlets.Where(c => c.Verb is "Add" or "Set" or "Remove" or "Restore" or "Stop"))
            Assert.True(cmdlet.Parameters.Any(p => p.Name == "PassThru" && p.Type == "System.Management.Automation.SwitchParameter"), $"{cmdlet.Name} lacks -PassThru.");
    }

    [Fact]
    public void No_cmdlet_declares_a_common_parameter()
    {
        foreach (var cmdlet in Module.Cmdlets)
        foreach (var parameter in cmdlet.Parameters)
        foreach (var name in parameter.Aliases.Prepend(parameter.Name))
            Assert.False(CommonParameters.Concat(ShouldProcessParameters).Contains(name, StringComparer.OrdinalIgnoreCase),
                $"{cmdlet.Name} declares -{name}, which PowerShell already provides.");
    }

    [Fact]
    public void Parameters_follow_the_conventions()
    {
        foreach (var cmdlet in Module.Cmdlets)
        {
            foreach (var parameter in cmdlet.Parameters)
            {
                Assert.Matches("^[A-Z][A-Za-z0-9]*$", parameter.Name);
                Assert.NotEqual("System.Boolean", parameter.Type); // SwitchParameter, never bool
            }
            foreach (var set in cmdlet.ParameterSets)
            {
                var inSet = cmdlet.Parameters.SelectMany(p => p.Sets.Where(s => s.Name == set || s.Name == ModuleMetadata.AllSets).Select(s => (p, s))).ToList();
                Assert.True(inSet.Count(x => x.s.ValueFromPipeline) <= 1, $"{cmdlet.Name} [{set}] takes more than one parameter by value from the pipeline.");
                var positions = inSet.Where(x => x.s.Position is not null).Select(x => x.s.Position).ToList();
                Assert.True(positions.Count == positions.Distinct().Count(), $"{cmdlet.Name} [{set}] repeats a position.");
            }
            if (cmdlet.ParameterSets.Count > 1)
                Assert.Contains(cmdlet.DefaultParameterSet, cmdlet.ParameterSets);
        }
    }

    [Fact]
    public void Every_cmdlet_declares_its_output_type_and_every_output_type_has_a_table_view()
    {
        var formatted = Module.FormattedTypes;
        foreach (var cmdlet in Module.Cmdlets)
        {
            Assert.True(cmdlet.OutputTypes.Count > 0, $"{cmdlet.Name} has no [OutputType].");
            foreach (var output in cmdlet.OutputTypes)
            {
                foreach (var set in output.ParameterSets) Assert.Contains(set, cmdlet.ParameterSets);
                if (output.ClrType.IsPrimitive || output.Type == "System.String") continue;
                Assert.True(formatted.Contains(output.Type), $"{cmdlet.Name} writes {output.Type}, which has no view in QueueCtl.format.ps1xml.");
                Assert.NotNull(output.ClrType.GetMethod("ToString", BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly, Type.EmptyTypes)
                    ?? (output.ClrType.Assembly == Module.Assembly ? output.ClrType.GetMethod("ToString", Type.EmptyTypes) : null));
            }
        }
        foreach (var table in Module.FormatFile.Descendants("TableControl"))
            Assert.Equal(table.Element("TableHeaders")!.Elements().Count(), table.Descendants("TableColumnItems").Single().Elements().Count());
    }

    [Fact]
    public void Every_table_view_shows_properties_its_type_has()
    {
        foreach (var view in Module.FormatFile.Descendants("View"))
        {
            var typeName = view.Element("ViewSelectedBy")!.Element("TypeName")!.Value.Trim();
            var type = Module.CoreAssembly.GetType(typeName) ?? Module.Assembly.GetType(typeName);
            Assert.True(type is not null, $"The view {view.Element("Name")?.Value} selects {typeName}, which neither QueueCtl assembly defines.");
            var used = view.Descendants("PropertyName").Select(e => e.Value.Trim())
                .Concat(view.Descendants("ScriptBlock").SelectMany(e => Regex.Matches(e.Value, @"\$_\.([A-Za-z]+)").Select(m => m.Groups[1].Value)));
            foreach (var property in used)
                Assert.True(type!.GetProperty(property) is not null, $"The {typeName} view shows {property}, which {type.Name} does not have.");
        }
    }

    [Fact]
    public void Pipeline_by_property_name_parameters_bind_to_properties_of_the_upstream_output()
    {
        foreach (var cmdlet in Module.Cmdlets)
        foreach (var parameter in cmdlet.Parameters.Where(p => p.Sets.Any(s => s.ValueFromPipelineByPropertyName)))
        {
            var upstream = Pipelines.Where(p => p.Downstream == cmdlet.Name).Select(p => p.Upstream).ToList();
            Assert.True(upstream.Count > 0, $"{cmdlet.Name} -{parameter.Name} binds by property name but no pipeline into {cmdlet.Name} is declared.");
            var match = upstream.SelectMany(u => Module.Cmdlet(u).OutputTypes).Select(o => o.ClrType)
                .Select(t => t.GetProperty(parameter.Name) ?? parameter.Aliases.Select(a => t.GetProperty(a)).FirstOrDefault(p => p is not null))
                .FirstOrDefault(p => p is not null);
            Assert.True(match is not null, $"{cmdlet.Name} -{parameter.Name} matches no property of what {string.Join(", ", upstream)} write(s).");
            Assert.True(Convertible(match!.PropertyType, parameter.ClrType),
                $"{cmdlet.Name} -{parameter.Name} ({parameter.Type}) cannot take {match.DeclaringType!.Name}.{match.Name} ({ModuleMetadata.TypeName(match.PropertyType)}).");
        }
    }

    [Fact]
    public void Every_declared_pipeline_binds_all_mandatory_parameters_of_some_parameter_set()
    {
        foreach (var (upstream, downstream) in Pipelines)
        {
            var target = Module.Cmdlet(downstream);
            var outputs = Module.Cmdlet(upstream).OutputTypes.Where(o => !o.ClrType.IsPrimitive && o.Type != "System.String").ToList();
            Assert.NotEmpty(outputs);
            foreach (var output in outputs)
            {
                var binds = target.ParameterSets.Any(set =>
                {
                    var members = target.Parameters.Select(p => (p, s: p.Sets.FirstOrDefault(s => s.Name == set || s.Name == ModuleMetadata.AllSets)))
                        .Where(x => x.s is not null).ToList();
                    var bound = members.Where(x => x.s!.ValueFromPipelineByPropertyName && output.ClrType.GetProperty(x.p.Name) is not null).ToList();
                    return bound.Count > 0 && members.Where(x => x.s!.Mandatory).All(x => bound.Any(b => b.p.Name == x.p.Name));
                });
                Assert.True(binds, $"{upstream} | {downstream}: no parameter set of {downstream} gets all its mandatory parameters from {output.Type}.");
            }
        }
    }

    [Fact]
    public void The_issue_pipelines_bind_the_properties_that_Import_Csv_and_ConvertFrom_Json_objects_carry()
    {
        var add = Module.Cmdlet("Add-QueueJob");
        string[] columns = ["Command", "Id", "Queue", "Priority", "MaxRetries", "TimeoutSec", "RunAt"];
        foreach (var column in columns)
            Assert.Contains(add.Parameters, p => p.Name == column && p.Sets.All(s => s.ValueFromPipelineByPropertyName));
        Assert.Contains(add.Parameters, p => p.Name == "Command" && p.Sets.Any(s => s.ValueFromPipeline && s.Mandatory));
        var spec = Module.CoreAssembly.GetType("QueueCtl.Core.Jobs.JobSpec", throwOnError: true)!;
        foreach (var parameter in add.Parameters.Where(p => p.Sets.Any(s => s.ValueFromPipelineByPropertyName)))
            Assert.True(spec.GetProperty(parameter.Name) is not null, $"Add-QueueJob -{parameter.Name} has no JobSpec property of that name.");
    }

    [Fact]
    public void Job_states_tab_complete_as_an_enum_and_ids_queues_keys_have_completers()
    {
        foreach (var name in new[] { "Get-QueueJob", "Remove-QueueJob" })
        {
            var state = Module.Cmdlet(name).Parameters.Single(p => p.Name == "State");
            Assert.True(state.IsEnum);
            Assert.Equal(["Pending", "Processing", "Completed", "Failed", "Dead"], state.EnumValues);
        }
        foreach (var cmdlet in Module.Cmdlets)
        foreach (var parameter in cmdlet.Parameters.Where(p => p.Name is "Id" or "Queue" or "Key"))
        {
            if (cmdlet.Name == "Add-QueueJob" && parameter.Name == "Id") continue; // a new id: nothing to complete from
            Assert.True(parameter.HasCompleter, $"{cmdlet.Name} -{parameter.Name} has no argument completer.");
        }
    }

    [Fact]
    public void Public_types_of_the_module_hold_no_value_type_fields_of_Core()
    {
        // pwsh loads the module's public types before OnImport makes QueueCtl.Core resolvable; a field
        // whose layout needs a Core struct or enum would make that load fail on import.
        foreach (var type in Module.Assembly.GetExportedTypes())
        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
        {
            if (field.FieldType.IsArray) continue; // an array is a reference: its element type is not needed for layout
            var fieldType = ModuleMetadata.ElementType(field.FieldType);
            Assert.False(fieldType.IsValueType && fieldType.Assembly.GetName().Name == "QueueCtl.Core",
                $"{type.FullName}.{field.Name} is a {ModuleMetadata.TypeName(field.FieldType)}: box it or keep it out of the cmdlet assembly.");
        }
    }

    [Fact]
    public void The_job_type_and_its_adapter_and_the_initializer_are_where_PowerShell_looks_for_them()
    {
        var job = Module.Assembly.GetType("QueueCtl.PowerShell.Jobs.QueueWorkerJob", throwOnError: true)!;
        Assert.True(job.IsPublic && job.BaseType!.FullName == "System.Management.Automation.Job2");
        var adapter = Module.Assembly.GetExportedTypes().Single(t => t.BaseType?.FullName == "System.Management.Automation.JobSourceAdapter");
        Assert.NotNull(adapter.GetConstructor(Type.EmptyTypes));
        var initializer = Module.Assembly.GetExportedTypes().Single(t => t.GetInterfaces().Any(i => i.FullName == "System.Management.Automation.IModuleAssemblyInitializer"));
        Assert.Contains(initializer.GetInterfaces(), i => i.FullName == "System.Management.Automation.IModuleAssemblyCleanup");
        Assert.Contains(Module.Cmdlet("Start-QueueWorker").OutputTypes, o => o.ClrType == job && o.ParameterSets.SequenceEqual(["AsJob"]));
    }

    [Fact]
    public void The_module_folder_ships_native_SQLite_for_the_supported_runtimes_only()
    {
        var runtimes = Path.Combine(Module.ModuleFolder, "dependencies", "runtimes");
        Assert.Equal(["linux-arm64", "linux-musl-x64", "linux-x64", "osx-arm64", "osx-x64", "win-arm64", "win-x64"],
            Directory.GetDirectories(runtimes).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray());
        foreach (var rid in Directory.GetDirectories(runtimes))
            Assert.Single(Directory.GetFiles(Path.Combine(rid, "native")), f => Path.GetFileName(f).Contains("e_sqlite3"));
        Assert.Equal(["QueueCtl.PowerShell.dll"], Directory.GetFiles(Module.ModuleFolder, "*.dll").Select(f => Path.GetFileName(f)!).ToArray());
        Assert.False(File.Exists(Path.Combine(Module.ModuleFolder, "dependencies", "System.Management.Automation.dll")), "pwsh provides System.Management.Automation.");
        Assert.True(File.Exists(Path.Combine(Module.ModuleFolder, "dependencies", "QueueCtl.Core.dll")));
    }

    [Fact]
    public void Writes_the_surface_as_json_for_the_script_check()
    {
        var surface = new
        {
            module = "QueueCtl",
            version = Module.ManifestValue("ModuleVersion"),
            commonParameters = CommonParameters,
            shouldProcessParameters = ShouldProcessParameters,
            cmdlets = Module.Cmdlets.Select(c => new
            {
                name = c.Name,
                verb = c.Verb,
                noun = c.Noun,
                className = c.ClrType.FullName,
                supportsShouldProcess = c.SupportsShouldProcess,
                defaultParameterSet = c.DefaultParameterSet,
                parameterSets = c.ParameterSets,
                outputTypes = c.OutputTypes.Select(o => new { type = o.Type, parameterSets = o.ParameterSets }),
                parameters = c.Parameters.Select(p => new
                {
                    name = p.Name,
                    type = p.Type,
                    aliases = p.Aliases,
                    isSwitch = p.Type == "System.Management.Automation.SwitchParameter",
                    enumValues = p.EnumValues,
                    sets = p.Sets.Select(s => new
                    {
                        name = s.Name, mandatory = s.Mandatory, position = s.Position,
                        valueFromPipeline = s.ValueFromPipeline, valueFromPipelineByPropertyName = s.ValueFromPipelineByPropertyName,
                    }),
                }),
            }),
        };
        var path = Path.Combine(RepoPaths.Root, "out", "surface.json");
        File.WriteAllText(path, JsonSerializer.Serialize(surface, new JsonSerializerOptions { WriteIndented = true }));
        using var written = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(ExpectedCmdlets.Length, written.RootElement.GetProperty("cmdlets").GetArrayLength());
        var add = written.RootElement.GetProperty("cmdlets").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "Add-QueueJob");
        Assert.Contains(add.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Database");
    }

    /// <summary>Whether PowerShell's parameter binder takes a value of <paramref name="from"/> for a parameter of <paramref name="to"/>.</summary>
    private static bool Convertible(Type from, Type to)
    {
        var source = ModuleMetadata.ElementType(from);
        var target = ModuleMetadata.ElementType(to);
        if (target.FullName == "System.Object" || source == target) return true;
        if (target.FullName == "System.String") return true; // anything has a string form
        return target.FullName == "System.DateTimeOffset" && source.FullName == "System.DateTime";
    }
}

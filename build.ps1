#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages the QueueCtl PowerShell module (thin over dotnet).

.DESCRIPTION
    Build    dotnet build of the solution; the QueueCtl.PowerShell project assembles out/QueueCtl/
             (the same folder `dotnet build` and `dotnet publish` produce without PowerShell), then
             turns docs/*.md into en-US/QueueCtl.PowerShell.dll-Help.xml where platyPS is installed.
    Test     Build, the xunit suites, then Pester.
    Pester   The Pester 5 suites in tests/pester against out/QueueCtl/, in a fresh pwsh process,
             with NUnit XML results in TestResults/pester.nunit.xml.
    Package  Build, then out/QueueCtl-<version>.zip, ready for Publish-Module -Path out/QueueCtl.
    Install  Build, then installs the module for this user (Import-Module QueueCtl then works from
             any folder) and the queuectl command: compiled to native code where a C toolchain is
             found (Windows: Visual Studio's "Desktop development with C++"), otherwise built for
             the installed .NET runtime and precompiled. On Linux and macOS the command is
             installed by install.sh, with the same options.

.PARAMETER ModulePath
    Install: the modules folder to install into (default: this user's, from $env:PSModulePath).

.PARAMETER Prefix
    Install: where the queuectl command goes (default: $env:LOCALAPPDATA\Programs on Windows,
    ~/.local elsewhere, as install.sh).

.PARAMETER FrameworkDependent
    Install: build queuectl for the installed .NET runtime even where native code is possible.

.EXAMPLE
    ./build.ps1 -Task Test

.EXAMPLE
    ./build.ps1 -Task Install
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Package', 'Install')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [string] $ModulePath,

    [string] $Prefix,

    [switch] $FrameworkDependent
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$root = $PSScriptRoot
$moduleFolder = Join-Path $root 'out' 'QueueCtl'
$results = Join-Path $root 'TestResults'

function Invoke-Native {
    param([string] $Command, [string[]] $Arguments)
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Command $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    Invoke-Native dotnet @('build', (Join-Path $root 'QueueCtl.sln'), '-c', $Configuration, '-nologo')
    if (Get-Module -ListAvailable -Name platyPS) {
        Import-Module platyPS
        $null = New-ExternalHelp -Path (Join-Path $root 'docs') -OutputPath (Join-Path $moduleFolder 'en-US') -Force
        Write-Host "Help: $(Join-Path $moduleFolder 'en-US' 'QueueCtl.PowerShell.dll-Help.xml')"
    }
    else {
        Write-Warning 'platyPS is not installed: the module is built without MAML help (Install-Module platyPS).'
    }
}

function Invoke-XUnit {
    Invoke-Native dotnet @('test', (Join-Path $root 'QueueCtl.sln'), '-c', $Configuration, '--no-build', '-nologo',
        '--logger', 'trx;LogFilePrefix=xunit', '--results-directory', $results)
}

function Invoke-PesterSuites {
    if (-not (Test-Path (Join-Path $moduleFolder 'QueueCtl.psd1'))) { throw "Build first: $moduleFolder has no QueueCtl.psd1." }
    $pester = Get-Module -ListAvailable -Name Pester | Where-Object Version -GE ([version] '5.5.0') | Select-Object -First 1
    if (-not $pester) { throw 'Pester 5.5 or later is needed: Install-Module Pester -MinimumVersion 5.5.0 -Scope CurrentUser' }
    $null = New-Item -ItemType Directory -Force -Path $results
    # A fresh process: a loaded binary module cannot be replaced by Import-Module -Force.
    $script = {
        param($Tests, $Output, $PesterPath)
        Import-Module $PesterPath
        $configuration = New-PesterConfiguration
        $configuration.Run.Path = $Tests
        $configuration.Run.Exit = $true
        $configuration.Output.Verbosity = 'Detailed'
        $configuration.TestResult.Enabled = $true
        $configuration.TestResult.OutputFormat = 'NUnitXml'
        $configuration.TestResult.OutputPath = $Output
        Invoke-Pester -Configuration $configuration
    }
    $env:QUEUECTL_MODULE = Join-Path $moduleFolder 'QueueCtl.psd1'
    & ([System.Environment]::ProcessPath) -NoProfile -NonInteractive -Command $script -args (Join-Path $root 'tests' 'pester'), (Join-Path $results 'pester.nunit.xml'), $pester.Path
    if ($LASTEXITCODE -ne 0) { throw "Pester reported failures (exit code $LASTEXITCODE); see $(Join-Path $results 'pester.nunit.xml')." }
}

function Invoke-Package {
    $manifest = Import-PowerShellDataFile (Join-Path $moduleFolder 'QueueCtl.psd1')
    $zip = Join-Path $root 'out' "QueueCtl-$($manifest.ModuleVersion).zip"
    Compress-Archive -Path $moduleFolder -DestinationPath $zip -Force
    Test-ModuleManifest -Path (Join-Path $moduleFolder 'QueueCtl.psd1') | Out-Null
    Write-Host "Package: $zip"
}

# This user's modules folder: the PSModulePath entry under the home folder (PowerShell puts it first).
function Get-UserModuleRoot {
    $userHome = [Environment]::GetFolderPath('UserProfile')
    $entry = $env:PSModulePath -split [IO.Path]::PathSeparator |
        Where-Object { $_ -and $_.StartsWith($userHome, [StringComparison]::OrdinalIgnoreCase) } |
        Select-Object -First 1
    if ($entry) { return $entry }
    if ($IsWindows) { return Join-Path ([Environment]::GetFolderPath('MyDocuments')) 'PowerShell' 'Modules' }
    Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'powershell' 'Modules'
}

# Copies out/QueueCtl to <modules>/QueueCtl/<version>; an installed copy of that version is replaced only once the new one is whole.
function Install-UserModule {
    $manifest = Import-PowerShellDataFile (Join-Path $moduleFolder 'QueueCtl.psd1')
    $modules = if ($ModulePath) { $ModulePath } else { Get-UserModuleRoot }
    $target = Join-Path $modules 'QueueCtl' $manifest.ModuleVersion
    $staging = "$target.new"
    if (Test-Path $staging) { Remove-Item $staging -Recurse -Force }
    $null = New-Item -ItemType Directory -Force -Path (Split-Path $target)
    Copy-Item -Path $moduleFolder -Destination $staging -Recurse
    # Renamed, not deleted: a folder whose files a session holds open fails to move as a whole.
    if (Test-Path "$target.old") { Remove-Item "$target.old" -Recurse -Force }
    if (Test-Path $target) {
        try { Move-Item $target "$target.old" }
        catch {
            Remove-Item $staging -Recurse -Force -ErrorAction SilentlyContinue
            throw "Could not replace $target ($($_.Exception.Message)). A PowerShell session that imported QueueCtl keeps its files open: close it, then run ./build.ps1 -Task Install again."
        }
    }
    Move-Item $staging $target
    Remove-Item "$target.old" -Recurse -Force -ErrorAction SilentlyContinue
    Write-Host "Module: $target"
    if (($env:PSModulePath -split [IO.Path]::PathSeparator) -notcontains $modules) {
        Write-Warning "$modules is not in `$env:PSModulePath; import the module by path: Import-Module '$target'"
    }
}

# The newest .NET runtime this SDK can build for, as install.sh picks it.
function Get-TargetFramework {
    $sdk = [int] ((dotnet --version) -split '\.')[0]
    $runtimes = dotnet --list-runtimes | ForEach-Object { if ($_ -match '^Microsoft\.NETCore\.App (\d+)\.') { [int] $Matches[1] } }
    $newest = ($runtimes | Measure-Object -Maximum).Maximum
    "net$([Math]::Min($sdk, [int] $newest)).0"
}

# The queuectl command. On Linux and macOS, install.sh; on Windows, the same steps here.
function Install-CliProgram {
    if (-not $IsWindows) {
        $arguments = @()
        if ($Prefix) { $arguments += '--prefix', $Prefix }
        if ($FrameworkDependent) { $arguments += '--framework-dependent' }
        Invoke-Native (Join-Path $root 'install.sh') $arguments
        return
    }
    $programs = if ($Prefix) { $Prefix } else { Join-Path $env:LOCALAPPDATA 'Programs' }
    $lib = Join-Path $programs 'queuectl'
    $framework = Get-TargetFramework
    $work = Join-Path ([IO.Path]::GetTempPath()) "queuectl-install-$PID"
    $log = Join-Path $work 'log'
    $null = New-Item -ItemType Directory -Force -Path $work
    try {
        # Built away from the source tree, and swapped in only when complete.
        $publish = {
            param([string[]] $Extra)
            Remove-Item (Join-Path $work 'queuectl') -Recurse -Force -ErrorAction SilentlyContinue
            & dotnet publish (Join-Path $root 'src' 'QueueCtl.Cli' 'QueueCtl.Cli.csproj') -c Release -nologo -v q `
                --use-current-runtime "-p:QueueCtlCliFramework=$framework" --artifacts-path (Join-Path $work 'artifacts') `
                -o (Join-Path $work 'queuectl') @Extra *> $log
            $LASTEXITCODE -eq 0
        }
        $firstError = { (Select-String -Path $log -Pattern 'error' | Select-Object -First 1).Line }
        $compiled = $null
        if (-not $FrameworkDependent) {
            if (& $publish @('-p:PublishAot=true')) {
                $compiled = 'native'
                Remove-Item (Join-Path $work 'queuectl' '*.pdb') -ErrorAction SilentlyContinue
            }
            else {
                Write-Warning "Could not compile queuectl to native code (it needs Visual Studio's C++ build tools, ""Desktop development with C++""); building it for the .NET runtime instead. First error: $(& $firstError)"
            }
        }
        if (-not $compiled) {
            if (& $publish @('--self-contained', 'false', '-p:PublishReadyToRun=true')) { $compiled = 'ReadyToRun' }
            else {
                Write-Warning "Could not precompile queuectl; installing it without ReadyToRun. First error: $(& $firstError)"
                if (-not (& $publish @('--self-contained', 'false'))) { throw "dotnet publish failed: $(Get-Content $log -Raw)" }
                $compiled = 'JIT only'
            }
        }
        $null = New-Item -ItemType Directory -Force -Path $programs
        Remove-Item "$lib.new", "$lib.old" -Recurse -Force -ErrorAction SilentlyContinue
        Copy-Item -Path (Join-Path $work 'queuectl') -Destination "$lib.new" -Recurse
        if (Test-Path $lib) { Move-Item $lib "$lib.old" }
        Move-Item "$lib.new" $lib
        Remove-Item "$lib.old" -Recurse -Force -ErrorAction SilentlyContinue
    }
    finally {
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }
    Write-Host "Installed queuectl ($compiled, $framework) in $lib"
    $userPath = [Environment]::GetEnvironmentVariable('Path', 'User') -split ';'
    if ($userPath -notcontains $lib) {
        Write-Host "$lib is not on your Path; add it with:"
        Write-Host "  [Environment]::SetEnvironmentVariable('Path', [Environment]::GetEnvironmentVariable('Path', 'User') + ';$lib', 'User')"
    }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Build; Invoke-XUnit; Invoke-PesterSuites }
    'Pester' { Invoke-PesterSuites }
    'Package' { Invoke-Build; Invoke-Package }
    'Install' { Invoke-Build; Install-UserModule; Install-CliProgram }
}

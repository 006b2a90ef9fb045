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

.EXAMPLE
    ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Package')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
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

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Build; Invoke-XUnit; Invoke-PesterSuites }
    'Pester' { Invoke-PesterSuites }
    'Package' { Invoke-Build; Invoke-Package }
}

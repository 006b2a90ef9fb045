# Dot-sourced by every suite's BeforeAll: where the built module is, and small helpers.
# The suites test the module as built (out/QueueCtl/), never the sources.

$script:QueueCtlManifest = if ($env:QUEUECTL_MODULE) { $env:QUEUECTL_MODULE }
                           else { Join-Path $PSScriptRoot '..' '..' 'out' 'QueueCtl' 'QueueCtl.psd1' }
if (-not (Test-Path $script:QueueCtlManifest)) {
    throw "The module is not built: $script:QueueCtlManifest is missing. Run ./build.ps1 (or dotnet build)."
}
# Every test names its database; nothing may fall back to the user's real queue.
$env:QUEUECTL_DB = $null

function Clear-SqlitePool {
    # Pooled connections keep database files open (and locked on Windows) after a cmdlet ends.
    # Microsoft.Data.Sqlite lives in the module's private load context, so find it by assembly.
    foreach ($assembly in [System.AppDomain]::CurrentDomain.GetAssemblies()) {
        if ($assembly.GetName().Name -eq 'Microsoft.Data.Sqlite') {
            $assembly.GetType('Microsoft.Data.Sqlite.SqliteConnection', $true)::ClearAllPools()
        }
    }
}

function New-TestDatabasePath {
    param([string] $Name = ('queue-{0}.db' -f [guid]::NewGuid().ToString('n')))
    Join-Path $TestDrive $Name
}

function Wait-Until {
    # Polls a condition (for worker processes, which start and stop asynchronously).
    param([scriptblock] $Condition, [int] $TimeoutSeconds = 30, [string] $Because = 'the condition')
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([datetime]::UtcNow -gt $deadline) { throw "Timed out after $TimeoutSeconds s waiting for $Because." }
        Start-Sleep -Milliseconds 100
    }
}

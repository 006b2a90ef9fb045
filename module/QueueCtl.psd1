# Module manifest for QueueCtl: a durable background job queue for shell users.
# ModuleVersion is stamped from the build's <Version> (Directory.Build.props) when the
# project assembles out/QueueCtl/; the value here is a placeholder.
@{
    RootModule             = 'QueueCtl.PowerShell.dll'
    ModuleVersion          = '0.0.0'
    GUID                   = 'aa8f7d30-86c5-4a4f-bb9e-b03f20f46081'
    Author                 = 'QueueCtl contributors'
    CompanyName            = 'QueueCtl contributors'
    Copyright              = '(c) QueueCtl contributors'
    Description            = 'A durable background job queue: enqueue command lines, run them with workers, retry with backoff, inspect and restore failures from a dead-letter queue. Jobs live in a SQLite database.'
    PowerShellVersion      = '7.4'
    CompatiblePSEditions   = @('Core')
    FormatsToProcess       = @('QueueCtl.format.ps1xml')
    TypesToProcess         = @()
    CmdletsToExport        = @(
        'Add-QueueJob'
        'Get-QueueConfig'
        'Get-QueueJob'
        'Get-QueueStatus'
        'Get-QueueWorker'
        'Invoke-QueueWorker'
        'Receive-QueueJob'
        'Remove-QueueJob'
        'Restore-DeadJob'
        'Set-QueueConfig'
        'Start-QueueWorker'
        'Stop-QueueJob'
        'Stop-QueueWorker'
        'Wait-QueueJob'
    )
    FunctionsToExport      = @()
    AliasesToExport        = @()
    VariablesToExport      = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('queue', 'jobs', 'background', 'worker', 'retry', 'sqlite', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            ReleaseNotes = 'First release: jobs, workers, dead-letter queue and configuration cmdlets.'
        }
    }
}

Describe 'Receive-QueueJob' -Tag 'Unit', 'Jobs' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
        $db = New-TestDatabasePath
        Add-QueueJob -Command 'echo first line' -Id 'two-lines' -Database $db
        Add-QueueJob -ScriptBlock { 'from pwsh'; 'second' } -Id 'pwsh-lines' -Database $db
        $null = Invoke-QueueWorker -Drain -Database $db
        Add-QueueJob -Command 'echo never ran' -Id 'waiting' -RunAt ([datetimeoffset]::UtcNow.AddDays(1)) -Database $db
    }
    AfterAll { Clear-SqlitePool }

    It 'writes the output of a job line by line' {
        Receive-QueueJob -Id 'two-lines' -Database $db | Should -Be 'first line'
        Receive-QueueJob -Id 'pwsh-lines' -Database $db | Should -Be @('from pwsh', 'second')
    }

    It 'takes jobs from the pipeline (Get-QueueJob -State Completed | Receive-QueueJob)' -Tag 'Pipeline' {
        Get-QueueJob -State Completed -Database $db | Receive-QueueJob -Database $db | Should -Be @('first line', 'from pwsh', 'second')
    }

    It 'writes nothing for a job that has not run, and says so with -Verbose' {
        $verbose = Receive-QueueJob -Id 'waiting' -Database $db -Verbose 4>&1
        @($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*waiting has no captured output*' }).Count | Should -Be 1
        @($verbose | Where-Object { $_ -is [string] }) | Should -BeNullOrEmpty
    }

    It 'writes JobNotFound for a missing job' -Tag 'Errors' {
        { Receive-QueueJob -Id 'missing' -Database $db -ErrorAction Stop } | Should -Throw -ErrorId 'JobNotFound,QueueCtl.PowerShell.Commands.ReceiveQueueJobCommand'
    }
}

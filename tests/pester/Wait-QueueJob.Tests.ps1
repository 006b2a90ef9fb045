Describe 'Wait-QueueJob' -Tag 'Unit', 'Jobs' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
    }
    AfterAll { Clear-SqlitePool }

    BeforeEach { $db = New-TestDatabasePath }

    It 'returns at once with jobs that have already ended' {
        Add-QueueJob -Command 'echo done' -Id 'done' -Database $db
        $null = Invoke-QueueWorker -Drain -Database $db
        (Wait-QueueJob -Id 'done' -Timeout 5 -Database $db).State | Should -Be 'Completed'
    }

    It 'waits for jobs that a worker runs meanwhile (Add-QueueJob -PassThru | Wait-QueueJob)' -Tag 'Pipeline', 'Worker' {
        $worker = Start-QueueWorker -AsJob -Database $db   # runs until stopped: the jobs come after it starts
        try {
            $ended = 'echo a', 'exit 4' | Add-QueueJob -MaxRetries 0 -Database $db -PassThru | Wait-QueueJob -Timeout 60 -Database $db
            $ended.State | Should -Be @('Completed', 'Dead')
        }
        finally { $worker | Stop-Job; $worker | Remove-Job }
    }

    It 'gives up after -Timeout with WaitTimedOut naming the jobs still going' -Tag 'Errors' {
        Add-QueueJob -Command 'echo later' -Id 'later' -Delay (New-TimeSpan -Hours 1) -Database $db
        $started = [datetime]::UtcNow
        Wait-QueueJob -Id 'later' -Timeout 1 -Database $db -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        ([datetime]::UtcNow - $started).TotalSeconds | Should -BeLessThan 10
        $problems[0].FullyQualifiedErrorId | Should -Be 'WaitTimedOut,QueueCtl.PowerShell.Commands.WaitQueueJobCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $problems[0].Exception.Message | Should -BeLike '*later*'
    }

    It 'ends with JobNotFound for an unknown id' -Tag 'Errors' {
        { Wait-QueueJob -Id 'ghost' -Timeout 1 -Database $db -ErrorAction Stop } | Should -Throw -ErrorId 'JobNotFound,QueueCtl.PowerShell.Commands.WaitQueueJobCommand'
    }
}

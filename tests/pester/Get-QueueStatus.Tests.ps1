Describe 'Get-QueueStatus' -Tag 'Unit' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
        $db = New-TestDatabasePath
        Add-QueueJob -Command 'echo ok' -Queue 'a' -Database $db
        Add-QueueJob -Command 'exit 1' -Queue 'a' -MaxRetries 0 -Database $db
        $null = Invoke-QueueWorker -Drain -Database $db
        Add-QueueJob -Command 'echo waiting' -Queue 'b' -Database $db
        Add-QueueJob -Command 'echo later' -Queue 'b' -Delay (New-TimeSpan -Hours 1) -Database $db
    }
    AfterAll { Clear-SqlitePool }

    It 'counts jobs per state' {
        $status = Get-QueueStatus -Database $db
        # By name: the type lives in the module's private load context.
        $status | ForEach-Object { $_.GetType().FullName } | Sort-Object -Unique | Should -Be 'QueueCtl.Core.Status.QueueStatus'
        $status.Pending | Should -Be 2
        $status.Scheduled | Should -Be 1
        $status.Completed | Should -Be 1
        $status.Dead | Should -Be 1
        $status.Total | Should -Be 4
        $status.Workers | Should -Be 0
        $status.Database | Should -Be (Resolve-Path $db).ProviderPath
        $status.AverageDuration | Should -Not -BeNullOrEmpty
    }

    It 'counts per queue' {
        $queues = (Get-QueueStatus -Database $db).Queues
        ($queues | Where-Object Queue -EQ 'a').Completed | Should -Be 1
        ($queues | Where-Object Queue -EQ 'b').Pending | Should -Be 2
    }

    It 'reads well as text' {
        "$(Get-QueueStatus -Database $db)" | Should -Be '2 pending (1 scheduled), 0 processing, 1 completed, 0 failed, 1 dead; 0 workers'
    }

    It 'creates an empty queue at a new path' {
        $fresh = New-TestDatabasePath
        (Get-QueueStatus -Database $fresh).Total | Should -Be 0
        Test-Path $fresh | Should -BeTrue
    }
}

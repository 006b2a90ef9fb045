Describe 'Invoke-QueueWorker' -Tag 'Worker' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
    }
    AfterAll { Clear-SqlitePool }

    BeforeEach { $db = New-TestDatabasePath }

    It 'runs due jobs end to end with -Drain and writes what it did' {
        Add-QueueJob -Command 'echo hello' -Id 'ok' -Database $db
        Add-QueueJob -Command 'exit 7' -Id 'fails' -MaxRetries 0 -Database $db
        $events = Invoke-QueueWorker -Drain -Database $db
        # By name: the type lives in the module's private load context.
        $events | ForEach-Object { $_.GetType().FullName } | Sort-Object -Unique | Should -Be 'QueueCtl.Core.Workers.WorkerEvent'
        $events[0].Kind | Should -Be 'Started'
        $events[-1].Kind | Should -Be 'Stopped'
        ($events | Where-Object Kind -EQ 'Completed').JobId | Should -Be 'ok'
        ($events | Where-Object Kind -EQ 'DeadLettered').JobId | Should -Be 'fails'
        $ok = Get-QueueJob -Id 'ok' -Database $db
        $ok.State | Should -Be 'Completed'
        $ok.ExitCode | Should -Be 0
        $ok.Output.Trim() | Should -Be 'hello'
        (Get-QueueJob -Id 'fails' -Database $db).ExitCode | Should -Be 7
    }

    It 'serves only the queues given, positionally' {
        Add-QueueJob -Command 'echo a' -Id 'in-a' -Queue 'a' -Database $db
        Add-QueueJob -Command 'echo b' -Id 'in-b' -Queue 'b' -Database $db
        $null = Invoke-QueueWorker 'a' -Drain -Database $db
        (Get-QueueJob -Id 'in-a' -Database $db).State | Should -Be 'Completed'
        (Get-QueueJob -Id 'in-b' -Database $db).State | Should -Be 'Pending'
    }

    It 'runs -Slots jobs at once' {
        1..4 | ForEach-Object { Add-QueueJob -ScriptBlock { Start-Sleep -Seconds 2 } -Id "sleep$_" -Database $db }
        $elapsed = Measure-Command { $null = Invoke-QueueWorker -Slots 4 -Drain -Database $db }
        (Get-QueueJob -State 'Completed' -Database $db).Count | Should -Be 4
        $elapsed.TotalSeconds | Should -BeLessThan 7.5
    }

    It 'registers under -WorkerId and appends its events to -LogPath' {
        Add-QueueJob -Command 'echo logged' -Id 'logged' -Database $db
        $log = Join-Path $TestDrive 'worker.log'
        $null = Invoke-QueueWorker -WorkerId 'w-test-1' -LogPath $log -Drain -Database $db
        (Get-QueueWorker -Id 'w-test-1' -Database $db).State | Should -Be 'Stopped'
        @(Get-Content $log | Where-Object { $_ -like '*completed*logged*' }).Count | Should -Be 1
    }

    It 'refuses -Slots 0 at binding' -Tag 'Errors' {
        { Invoke-QueueWorker -Slots 0 -Drain -Database $db } | Should -Throw -ErrorId 'ParameterArgumentValidationError,QueueCtl.PowerShell.Commands.InvokeQueueWorkerCommand'
    }

    It 'refuses a bad worker id' -Tag 'Errors' {
        { Invoke-QueueWorker -WorkerId 'bad id' -Drain -Database $db -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidJobId,QueueCtl.PowerShell.Commands.InvokeQueueWorkerCommand'
    }
}

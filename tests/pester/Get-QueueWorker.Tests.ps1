Describe 'Get-QueueWorker' -Tag 'Worker' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
        $db = New-TestDatabasePath
        $null = Invoke-QueueWorker -WorkerId 'w-finished' -Drain -Database $db
        $job = Start-QueueWorker -AsJob -Queue 'live' -Slots 3 -Database $db
        Wait-Until -Because 'the worker to register' -Condition { Get-QueueWorker -Database $db }
    }
    AfterAll {
        $job | Stop-Job
        $job | Remove-Job -Force
        Clear-SqlitePool
    }

    It 'lists live workers as QueueWorker objects' {
        $workers = Get-QueueWorker -Database $db
        @($workers).Count | Should -Be 1
        # By name: the type lives in the module's private load context.
        $workers | ForEach-Object { $_.GetType().FullName } | Sort-Object -Unique | Should -Be 'QueueCtl.Core.Workers.QueueWorker'
        $workers.State | Should -Be 'Running'
        $workers.Slots | Should -Be 3
        $workers.Queues | Should -Be 'live'
        $workers.ProcessId | Should -Be $PID
        "$workers" | Should -BeLike "* (running, pid $PID on *, 0/3 busy, queues live)"
    }

    It 'includes stopped workers with -IncludeStopped' {
        (Get-QueueWorker -IncludeStopped -Database $db).Id | Should -Contain 'w-finished'
    }

    It 'gets a worker by id, stopped or not' {
        (Get-QueueWorker -Id 'w-finished' -Database $db).State | Should -Be 'Stopped'
    }

    It 'writes WorkerNotFound for an unknown id' -Tag 'Errors' {
        { Get-QueueWorker -Id 'w-unknown' -Database $db -ErrorAction Stop } | Should -Throw -ErrorId 'WorkerNotFound,QueueCtl.PowerShell.Commands.GetQueueWorkerCommand'
    }
}

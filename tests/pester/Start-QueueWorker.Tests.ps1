Describe 'Start-QueueWorker' -Tag 'Worker', 'Slow' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
    }
    AfterAll { Clear-SqlitePool }

    BeforeEach { $db = New-TestDatabasePath }

    Context 'Detached parameter set' {
        It 'starts -Count detached pwsh workers, returns them at once, and they process jobs' {
            $workers = Start-QueueWorker -Count 2 -Slots 2 -Database $db
            try {
                $workers.Count | Should -Be 2
                # By name: the type lives in the module's private load context.
                $workers | ForEach-Object { $_.GetType().FullName } | Sort-Object -Unique | Should -Be 'QueueCtl.Core.Workers.QueueWorker'
                $workers.State | Sort-Object -Unique | Should -Be 'Running'
                $workers.Slots | Sort-Object -Unique | Should -Be 2
                foreach ($worker in $workers) { Get-Process -Id $worker.ProcessId | Should -Not -BeNullOrEmpty }

                $ended = 1..6 | ForEach-Object { "echo job$_" } | Add-QueueJob -Database $db -PassThru | Wait-QueueJob -Timeout 60 -Database $db
                $ended.State | Sort-Object -Unique | Should -Be 'Completed'
                @($ended.WorkerId | Sort-Object -Unique | Where-Object { $_ -in $workers.Id }).Count | Should -BeGreaterThan 0
                foreach ($worker in $workers) { Test-Path $worker.LogPath | Should -BeTrue }
            }
            finally {
                $workers | Stop-QueueWorker -Database $db -Confirm:$false -ErrorAction SilentlyContinue
            }
            Wait-Until -Because 'the workers to stop' -Condition { -not (Get-QueueWorker -Database $db) }
            foreach ($worker in $workers) {
                Wait-Until -Because "process $($worker.ProcessId) to exit" -Condition { -not (Get-Process -Id $worker.ProcessId -ErrorAction SilentlyContinue) }
            }
        }

        It 'serves only the -Queue given' {
            $workers = Start-QueueWorker -Queue 'only' -Drain -Database $db
            try {
                $workers.Queues | Should -Be 'only'
            }
            finally {
                $workers | Stop-QueueWorker -Database $db -Confirm:$false -ErrorAction SilentlyContinue
            }
        }

        It 'starts nothing with -WhatIf' {
            Start-QueueWorker -Count 2 -Database $db -WhatIf | Should -BeNullOrEmpty
            Get-QueueWorker -IncludeStopped -Database $db | Should -BeNullOrEmpty
        }
    }

    Context 'AsJob parameter set' {
        It 'returns a PowerShell job that Wait-Job, Receive-Job and Remove-Job understand' {
            'echo one', 'exit 9' | Add-QueueJob -MaxRetries 0 -Database $db
            $job = Start-QueueWorker -AsJob -Drain -Name 'drainer' -Database $db
            try {
                $job | Should -BeOfType 'QueueCtl.PowerShell.Jobs.QueueWorkerJob'
                $job.PSJobTypeName | Should -Be 'QueueWorkerJob'
                (Get-Job -Name 'drainer').InstanceId | Should -Be $job.InstanceId
                $job | Wait-Job -Timeout 60 | Should -Not -BeNullOrEmpty
                $job.State | Should -Be 'Completed'
                $events = $job | Receive-Job
                ($events | Where-Object Kind -EQ 'Completed').Count | Should -Be 1
                ($events | Where-Object Kind -EQ 'DeadLettered').Count | Should -Be 1
                $job.HasMoreData | Should -BeFalse
            }
            finally { $job | Remove-Job -Force }
            Get-Job -Name 'drainer' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'stops gracefully with Stop-Job' {
            $job = Start-QueueWorker -AsJob -Count 2 -Database $db
            try {
                Wait-Until -Because 'both workers to register' -Condition { @(Get-QueueWorker -Database $db).Count -eq 2 }
                $job | Stop-Job
                $job.State | Should -Be 'Stopped'
                Get-QueueWorker -Database $db | Should -BeNullOrEmpty
                (Get-QueueWorker -IncludeStopped -Database $db).State | Sort-Object -Unique | Should -Be 'Stopped'
            }
            finally { $job | Remove-Job -Force }
        }
    }
}

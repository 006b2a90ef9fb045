Describe 'Stop-QueueWorker' -Tag 'Worker' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
    }
    AfterAll { Clear-SqlitePool }

    BeforeEach {
        $db = New-TestDatabasePath
        $job = Start-QueueWorker -AsJob -Count 2 -Database $db
        Wait-Until -Because 'both workers to register' -Condition { @(Get-QueueWorker -Database $db).Count -eq 2 }
    }
    AfterEach {
        $job | Stop-Job
        $job | Remove-Job -Force
    }

    Context 'Id parameter set' {
        It 'stops the workers Get-QueueWorker sends (Get-QueueWorker | Stop-QueueWorker)' -Tag 'Pipeline' {
            $asked = Get-QueueWorker -Database $db | Stop-QueueWorker -Database $db -PassThru -Confirm:$false
            $asked.Count | Should -Be 2
            Wait-Until -Because 'the workers to stop' -Condition { -not (Get-QueueWorker -Database $db) }
            $job | Wait-Job -Timeout 30 | Should -Not -BeNullOrEmpty
        }

        It 'writes WorkerNotFound for an unknown id' -Tag 'Errors' {
            { Stop-QueueWorker -Id 'w-nobody' -Database $db -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'WorkerNotFound,QueueCtl.PowerShell.Commands.StopQueueWorkerCommand'
        }

        It 'writes WorkerNotRunning for a worker that has stopped' -Tag 'Errors' {
            $first = (Get-QueueWorker -Database $db)[0]
            Stop-QueueWorker -Id $first.Id -Immediate -Database $db -Confirm:$false
            Wait-Until -Because 'the worker to stop' -Condition { (Get-QueueWorker -Id $first.Id -Database $db).State -eq 'Stopped' }
            { Stop-QueueWorker -Id $first.Id -Database $db -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'WorkerNotRunning,QueueCtl.PowerShell.Commands.StopQueueWorkerCommand'
        }
    }

    Context 'All parameter set' {
        It 'stops every live worker' {
            Stop-QueueWorker -All -Database $db -Confirm:$false
            Wait-Until -Because 'the workers to stop' -Condition { -not (Get-QueueWorker -Database $db) }
        }
    }

    It 'stops nothing with -WhatIf' {
        Stop-QueueWorker -All -Database $db -WhatIf
        Start-Sleep -Milliseconds 500
        @(Get-QueueWorker -Database $db).Count | Should -Be 2
    }
}

BeforeDiscovery {
    $states = @(
        @{ State = 'Pending'; Expected = @('p1', 'p2') }
        @{ State = 'Completed'; Expected = @('ok') }
        @{ State = 'Dead'; Expected = @('bad') }
    )
}

Describe 'Get-QueueJob' -Tag 'Unit', 'Jobs' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
        $db = New-TestDatabasePath
        Add-QueueJob -Command 'echo ok' -Id 'ok' -Queue 'run' -Database $db
        Add-QueueJob -Command 'exit 3' -Id 'bad' -Queue 'run' -MaxRetries 0 -Database $db
        $null = Invoke-QueueWorker -Queue 'run' -Drain -Database $db
        Add-QueueJob -Command 'echo p1' -Id 'p1' -Queue 'images' -Database $db
        Add-QueueJob -Command 'echo p2' -Id 'p2' -Queue 'text' -Database $db
    }
    AfterAll { Clear-SqlitePool }

    Context 'Filter parameter set' {
        It 'lists every job in enqueue order' {
            (Get-QueueJob -Database $db).Id | Should -Be @('ok', 'bad', 'p1', 'p2')
        }

        It 'filters -State <State>' -ForEach $states {
            (Get-QueueJob -State $State -Database $db).Id | Should -Be $Expected
        }

        It 'takes several states and queues' {
            (Get-QueueJob -State 'Completed', 'Dead' -Database $db).Id | Should -Be @('ok', 'bad')
            (Get-QueueJob -Queue 'images', 'text' -Database $db).Id | Should -Be @('p1', 'p2')
        }

        It 'limits with -First' {
            (Get-QueueJob -First 2 -Database $db).Id | Should -Be @('ok', 'bad')
        }

        It 'returns QueueJob objects whose ToString reads well' {
            $job = Get-QueueJob -Id 'bad' -Database $db
            # By name: the type lives in the module's private load context.
            $job | ForEach-Object { $_.GetType().FullName } | Sort-Object -Unique | Should -Be 'QueueCtl.Core.Jobs.QueueJob'
            "$job" | Should -Be 'bad [dead] exit 3'
            $job.ExitCode | Should -Be 3
            $job.Attempts | Should -Be 1
        }

        It 'refuses an unknown state at binding' {
            { Get-QueueJob -State 'Sleeping' -Database $db } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,QueueCtl.PowerShell.Commands.GetQueueJobCommand'
        }
    }

    Context 'Id parameter set' {
        It 'gets jobs by id, positionally and from the pipeline by property name' {
            (Get-QueueJob 'p1' -Database $db).Command | Should -Be 'echo p1'
            ([pscustomobject]@{ Id = 'p2' } | Get-QueueJob -Database $db).Command | Should -Be 'echo p2'
            (Get-QueueJob -Id 'ok', 'p1' -Database $db).Id | Should -Be @('ok', 'p1')
        }

        It 'writes JobNotFound for a missing id and goes on with the others' -Tag 'Errors' {
            $found = Get-QueueJob -Id 'nope', 'p1' -Database $db -ErrorVariable problems -ErrorAction SilentlyContinue
            $found.Id | Should -Be 'p1'
            $problems.Count | Should -Be 1
            $problems[0].FullyQualifiedErrorId | Should -Be 'JobNotFound,QueueCtl.PowerShell.Commands.GetQueueJobCommand'
            $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $problems[0].TargetObject | Should -Be 'nope'
        }
    }

    Context 'Where the queue lives' {
        It 'uses $env:QUEUECTL_DB when -Database is not given' {
            $env:QUEUECTL_DB = $db
            try { (Get-QueueJob -Id 'p1').Queue | Should -Be 'images' }
            finally { $env:QUEUECTL_DB = $null }
        }

        It 'refuses a folder as the database' -Tag 'Errors' {
            { Get-QueueJob -Database $TestDrive -ErrorAction Stop } | Should -Throw -ErrorId 'DatabasePathIsFolder,QueueCtl.PowerShell.Commands.GetQueueJobCommand'
        }
    }
}

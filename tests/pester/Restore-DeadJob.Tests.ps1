Describe 'Restore-DeadJob' -Tag 'Unit', 'Jobs', 'DeadLetter' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
    }
    AfterAll { Clear-SqlitePool }

    BeforeEach {
        $db = New-TestDatabasePath
        Add-QueueJob -Command 'exit 1' -Id 'dead1' -Queue 'a' -MaxRetries 0 -Database $db
        Add-QueueJob -Command 'exit 2' -Id 'dead2' -Queue 'b' -MaxRetries 0 -Database $db
        Add-QueueJob -Command 'echo fine' -Id 'alive' -Queue 'a' -Database $db
        $null = Invoke-QueueWorker -Drain -Database $db
    }

    Context 'Id parameter set' {
        It 'restores the dead jobs Get-QueueJob sends (Get-QueueJob -State Dead | Restore-DeadJob)' -Tag 'Pipeline' {
            $restored = Get-QueueJob -State 'Dead' -Database $db | Restore-DeadJob -Database $db -PassThru -Confirm:$false
            $restored.Id | Should -Be @('dead1', 'dead2')
            $restored.State | Sort-Object -Unique | Should -Be 'Pending'
            $restored.Attempts | Sort-Object -Unique | Should -Be 0
            Get-QueueJob -State 'Dead' -Database $db | Should -BeNullOrEmpty
        }

        It 'writes JobNotDead for a job that is not dead' -Tag 'Errors' {
            Restore-DeadJob -Id 'alive', 'dead1' -Database $db -Confirm:$false -ErrorVariable problems -ErrorAction SilentlyContinue
            $problems[0].FullyQualifiedErrorId | Should -Be 'JobNotDead,QueueCtl.PowerShell.Commands.RestoreDeadJobCommand'
            $problems[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            (Get-QueueJob -Id 'dead1' -Database $db).State | Should -Be 'Pending'
        }
    }

    Context 'All parameter set' {
        It 'restores every dead job of one queue' {
            Restore-DeadJob -All -Queue 'b' -Database $db -Confirm:$false
            (Get-QueueJob -State 'Dead' -Database $db).Id | Should -Be 'dead1'
        }

        It 'restores every dead job and returns them with -PassThru' {
            (Restore-DeadJob -All -Database $db -PassThru -Confirm:$false).Id | Should -Be @('dead1', 'dead2')
        }
    }

    It 'runs a restored job again, end to end' -Tag 'Worker' {
        Restore-DeadJob -Id 'dead1' -Database $db -Confirm:$false
        $null = Invoke-QueueWorker -Drain -Database $db
        $job = Get-QueueJob -Id 'dead1' -Database $db
        $job.State | Should -Be 'Dead'
        $job.Attempts | Should -Be 1
    }

    It 'changes nothing with -WhatIf' {
        Get-QueueJob -State 'Dead' -Database $db | Restore-DeadJob -Database $db -WhatIf
        (Get-QueueJob -State 'Dead' -Database $db).Count | Should -Be 2
    }
}

Describe 'Remove-QueueJob' -Tag 'Unit', 'Jobs' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
    }
    AfterAll { Clear-SqlitePool }

    BeforeEach {
        $db = New-TestDatabasePath
        Add-QueueJob -Command 'echo 1' -Id 'img1' -Queue 'images' -Database $db
        Add-QueueJob -Command 'echo 2' -Id 'img2' -Queue 'images' -Database $db
        Add-QueueJob -Command 'echo 3' -Id 'txt1' -Queue 'text' -Database $db
    }

    Context 'Id parameter set' {
        It 'removes jobs by id and returns them with -PassThru' {
            $removed = Remove-QueueJob -Id 'img1' -Database $db -PassThru -Confirm:$false
            $removed.Id | Should -Be 'img1'
            (Get-QueueJob -Database $db).Id | Should -Be @('img2', 'txt1')
        }

        It 'removes what Get-QueueJob sends down the pipeline' -Tag 'Pipeline' {
            Get-QueueJob -Queue 'images' -Database $db | Remove-QueueJob -Database $db -Confirm:$false
            (Get-QueueJob -Database $db).Id | Should -Be 'txt1'
        }

        It 'writes JobNotFound for a missing id and removes the others' -Tag 'Errors' {
            Remove-QueueJob -Id 'nope', 'txt1' -Database $db -Confirm:$false -ErrorVariable problems -ErrorAction SilentlyContinue
            $problems[0].FullyQualifiedErrorId | Should -Be 'JobNotFound,QueueCtl.PowerShell.Commands.RemoveQueueJobCommand'
            (Get-QueueJob -Database $db).Id | Should -Be @('img1', 'img2')
        }
    }

    Context 'Filter parameter set' {
        It 'removes by state and queue' {
            Remove-QueueJob -State 'Pending' -Queue 'text' -Database $db -Confirm:$false
            (Get-QueueJob -Database $db).Id | Should -Be @('img1', 'img2')
        }

        It 'removes by age with -OlderThan' {
            Remove-QueueJob -State 'Pending' -OlderThan (New-TimeSpan -Days 1) -Database $db -Confirm:$false
            (Get-QueueJob -Database $db).Count | Should -Be 3
            Start-Sleep -Milliseconds 50
            Remove-QueueJob -OlderThan (New-TimeSpan -Milliseconds 1) -Database $db -Confirm:$false
            Get-QueueJob -Database $db | Should -BeNullOrEmpty
        }

        It 'refuses to guess which jobs are meant (RemoveFilterMissing)' -Tag 'Errors' {
            { Remove-QueueJob -Database $db -Confirm:$false } | Should -Throw -ErrorId 'RemoveFilterMissing,QueueCtl.PowerShell.Commands.RemoveQueueJobCommand'
            (Get-QueueJob -Database $db).Count | Should -Be 3
        }
    }

    Context '-WhatIf' {
        It 'removes nothing (Get-QueueJob -Queue images | Remove-QueueJob -WhatIf)' -Tag 'Pipeline' {
            Get-QueueJob -Queue 'images' -Database $db | Remove-QueueJob -Database $db -WhatIf
            (Get-QueueJob -Database $db).Count | Should -Be 3
        }
    }
}

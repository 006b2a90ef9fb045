Describe 'Stop-QueueJob' -Tag 'Unit', 'Jobs' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
    }
    AfterAll { Clear-SqlitePool }

    BeforeEach { $db = New-TestDatabasePath }

    It 'cancels a waiting job into the dead-letter queue' {
        Add-QueueJob -Command 'echo never' -Id 'cancel-me' -Database $db
        $stopped = Stop-QueueJob -Id 'cancel-me' -Database $db -PassThru -Confirm:$false
        $stopped.State | Should -Be 'Dead'
        (Get-QueueJob -Id 'cancel-me' -Database $db).State | Should -Be 'Dead'
    }

    It 'stops what Get-QueueJob sends down the pipeline' -Tag 'Pipeline' {
        'echo a', 'echo b' | Add-QueueJob -Queue 'stopme' -Database $db
        Get-QueueJob -Queue 'stopme' -Database $db | Stop-QueueJob -Database $db -Confirm:$false
        (Get-QueueJob -State 'Dead' -Database $db).Count | Should -Be 2
    }

    It 'ends a running job through its worker' -Tag 'Worker' {
        Add-QueueJob -ScriptBlock { Start-Sleep -Seconds 60 } -Id 'long' -MaxRetries 0 -Database $db
        $worker = Start-QueueWorker -AsJob -Database $db
        try {
            Wait-Until -Because 'the job to start' -Condition { (Get-QueueJob -Id 'long' -Database $db).State -eq 'Processing' }
            Stop-QueueJob -Id 'long' -Database $db -Confirm:$false
            $ended = Wait-QueueJob -Id 'long' -Timeout 30 -Database $db
            $ended.State | Should -Be 'Dead'
        }
        finally { $worker | Stop-Job; $worker | Remove-Job }
    }

    It 'writes JobAlreadyFinished for a completed job' -Tag 'Errors' {
        Add-QueueJob -Command 'echo done' -Id 'done' -Database $db
        $null = Invoke-QueueWorker -Drain -Database $db
        { Stop-QueueJob -Id 'done' -Database $db -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'JobAlreadyFinished,QueueCtl.PowerShell.Commands.StopQueueJobCommand'
    }

    It 'changes nothing with -WhatIf' {
        Add-QueueJob -Command 'echo x' -Id 'kept' -Database $db
        Stop-QueueJob -Id 'kept' -Database $db -WhatIf
        (Get-QueueJob -Id 'kept' -Database $db).State | Should -Be 'Pending'
    }
}

BeforeDiscovery {
    # Values each numeric option refuses, with the parameter they go to.
    $outOfRange = @(
        @{ Parameter = 'MaxRetries'; Value = -1; ErrorId = 'InvalidMaxRetries' }
        @{ Parameter = 'MaxRetries'; Value = 1001; ErrorId = 'InvalidMaxRetries' }
        @{ Parameter = 'TimeoutSec'; Value = -5; ErrorId = 'InvalidTimeout' }
    )
    $badIds = @(
        @{ Id = 'has space' }
        @{ Id = 'slash/in/id' }
        @{ Id = ('x' * 129) }
    )
}

Describe 'Add-QueueJob' -Tag 'Unit', 'Jobs' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
    }
    AfterAll { Clear-SqlitePool }

    BeforeEach { $db = New-TestDatabasePath }

    Context 'Command parameter set' {
        It 'enqueues one job with every option and returns it with -PassThru' {
            $runAt = [datetimeoffset]::UtcNow.AddHours(1)
            $job = Add-QueueJob -Command 'echo hi' -Id 'job1' -Queue 'images' -Priority 7 -MaxRetries 5 -TimeoutSec 30 `
                -RunAt $runAt -WorkingDirectory $TestDrive -Environment @{ GREETING = 'hello' } -Shell None -Database $db -PassThru
            # By name: the type lives in the module's private load context.
            $job | ForEach-Object { $_.GetType().FullName } | Sort-Object -Unique | Should -Be 'QueueCtl.Core.Jobs.QueueJob'
            $job.Id | Should -Be 'job1'
            $job.Command | Should -Be 'echo hi'
            $job.Queue | Should -Be 'images'
            $job.Priority | Should -Be 7
            $job.MaxRetries | Should -Be 5
            $job.TimeoutSec | Should -Be 30
            $job.Shell | Should -Be 'None'
            $job.State | Should -Be 'Pending'
            $job.WorkingDirectory | Should -Be (Resolve-Path $TestDrive).ProviderPath
            $job.Environment['GREETING'] | Should -Be 'hello'
            $job.RunAt.ToUnixTimeSeconds() | Should -Be $runAt.ToUnixTimeSeconds()
        }

        It 'writes nothing without -PassThru, but the job is stored' {
            $out = Add-QueueJob -Command 'echo quiet' -Id 'quiet' -Database $db
            $out | Should -BeNullOrEmpty
            (Get-QueueJob -Id 'quiet' -Database $db).Command | Should -Be 'echo quiet'
        }

        It 'takes -Command by position' {
            (Add-QueueJob 'echo positional' -Database $db -PassThru).Command | Should -Be 'echo positional'
        }

        It 'schedules with -Delay' {
            $job = Add-QueueJob -Command 'echo later' -Delay (New-TimeSpan -Minutes 10) -Database $db -PassThru
            $job.RunAt | Should -BeGreaterThan ([datetimeoffset]::UtcNow.AddMinutes(9))
        }

        It 'resolves a relative -WorkingDirectory against the current location' {
            Push-Location $TestDrive
            try {
                $null = New-Item -ItemType Directory -Name 'work' -Force
                (Add-QueueJob -Command 'pwd' -WorkingDirectory 'work' -Database $db -PassThru).WorkingDirectory |
                    Should -Be (Join-Path (Resolve-Path $TestDrive).ProviderPath 'work')
            }
            finally { Pop-Location }
        }
    }

    Context 'ScriptBlock parameter set' {
        It 'stores the script block as a pwsh command' {
            $job = Add-QueueJob -ScriptBlock { Get-Date } -Database $db -PassThru
            $job.Shell | Should -Be 'Pwsh'
            $job.Command | Should -Be 'Get-Date'
        }
    }

    Context 'Pipeline input' -Tag 'Pipeline' {
        It 'takes one command line per string (Get-Content cmds.txt | Add-QueueJob)' {
            $file = Join-Path $TestDrive 'cmds.txt'
            Set-Content -Path $file -Value 'echo one', 'echo two', 'echo three'
            $jobs = Get-Content $file | Add-QueueJob -Queue 'text' -Database $db -PassThru
            $jobs.Command | Should -Be @('echo one', 'echo two', 'echo three')
            $jobs.Queue | Sort-Object -Unique | Should -Be 'text'
        }

        It 'binds CSV columns by property name (Import-Csv jobs.csv | Add-QueueJob)' {
            $csv = Join-Path $TestDrive 'jobs.csv'
            @(
                [pscustomobject]@{ Id = 'csv1'; Command = 'echo a'; Queue = 'q1'; Priority = '3'; MaxRetries = '2'; TimeoutSec = '9'; RunAt = '2030-01-02T03:04:05Z' }
                [pscustomobject]@{ Id = 'csv2'; Command = 'echo b'; Queue = 'q2'; Priority = '1'; MaxRetries = '0'; TimeoutSec = '0'; RunAt = '2030-01-02T03:04:05Z' }
            ) | Export-Csv -Path $csv -NoTypeInformation
            $jobs = Import-Csv $csv | Add-QueueJob -Database $db -PassThru
            $jobs.Id | Should -Be @('csv1', 'csv2')
            $jobs[0].Priority | Should -Be 3
            $jobs[0].MaxRetries | Should -Be 2
            $jobs[0].TimeoutSec | Should -Be 9
            $jobs[0].RunAt.UtcDateTime | Should -Be ([datetime]::new(2030, 1, 2, 3, 4, 5, 'Utc'))
            $jobs[1].Queue | Should -Be 'q2'
        }

        It 'binds JSON objects by property name (Get-Content jobs.json | ConvertFrom-Json | Add-QueueJob)' {
            $json = Join-Path $TestDrive 'jobs.json'
            Set-Content -Path $json -Value '[{"Id":"j1","Command":"echo x","Priority":5},{"Id":"j2","Command":"echo y","Queue":"other"}]'
            $jobs = Get-Content $json -Raw | ConvertFrom-Json | Add-QueueJob -Database $db -PassThru
            $jobs.Id | Should -Be @('j1', 'j2')
            $jobs[0].Priority | Should -Be 5
            $jobs[1].Queue | Should -Be 'other'
        }

        It 'writes a large pipeline in batches and keeps its order' -Tag 'Slow' {
            $count = 2500
            $jobs = 1..$count | ForEach-Object { "echo $_" } | Add-QueueJob -Queue 'bulk' -Database $db -PassThru
            $jobs.Count | Should -Be $count
            $jobs[0].Command | Should -Be 'echo 1'
            $jobs[-1].Command | Should -Be "echo $count"
            (Get-QueueStatus -Database $db).Pending | Should -Be $count
        }
    }

    Context 'Errors' -Tag 'Errors' {
        It 'refuses a duplicate id with DuplicateJobId, and keeps the rest of the batch' {
            Add-QueueJob -Command 'echo first' -Id 'dup' -Database $db
            $jobs = 'a', 'b' | ForEach-Object { [pscustomobject]@{ Id = "dup$_"; Command = "echo $_" } }
            $all = @([pscustomobject]@{ Id = 'dup'; Command = 'echo again' }) + $jobs
            $added = $all | Add-QueueJob -Database $db -PassThru -ErrorVariable problems -ErrorAction SilentlyContinue
            $added.Id | Should -Be @('dupa', 'dupb')
            $problems.Count | Should -Be 1
            $problems[0].FullyQualifiedErrorId | Should -Be 'DuplicateJobId,QueueCtl.PowerShell.Commands.AddQueueJobCommand'
            $problems[0].CategoryInfo.Category | Should -Be 'ResourceExists'
            (Get-QueueJob -Id 'dup' -Database $db).Command | Should -Be 'echo first'
        }

        It 'skips existing ids with -SkipExisting' {
            Add-QueueJob -Command 'echo first' -Id 'keep' -Database $db
            Add-QueueJob -Command 'echo second' -Id 'keep' -SkipExisting -Database $db -ErrorAction Stop
            (Get-QueueJob -Id 'keep' -Database $db).Command | Should -Be 'echo first'
        }

        It 'refuses the id <Id> with InvalidJobId' -ForEach $badIds {
            { Add-QueueJob -Command 'echo x' -Id $Id -Database $db -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidJobId,QueueCtl.PowerShell.Commands.AddQueueJobCommand'
        }

        It 'refuses -<Parameter> <Value> with <ErrorId>' -ForEach $outOfRange {
            $splat = @{ Command = 'echo x'; Database = $db; $Parameter = $Value }
            { Add-QueueJob @splat -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,QueueCtl.PowerShell.Commands.AddQueueJobCommand"
            Get-QueueJob -Database $db | Should -BeNullOrEmpty
        }

        It 'takes null and empty values from objects as not given' {
            $jobs = '[{"Command":"echo n","Id":null,"Queue":"","WorkingDirectory":null,"MaxRetries":null}]' | ConvertFrom-Json |
                Add-QueueJob -Database $db -PassThru -ErrorAction Stop
            $jobs.Queue | Should -Be 'default'
            $jobs.Id | Should -Not -BeNullOrEmpty
            $jobs.WorkingDirectory | Should -BeNullOrEmpty
        }

        It 'copies jobs between queues (Get-QueueJob | Add-QueueJob)' -Tag 'Pipeline' {
            Add-QueueJob -Command 'echo copied' -Id 'orig' -Queue 'src' -Priority 4 -Database $db
            $other = New-TestDatabasePath
            $copy = Get-QueueJob -Database $db | Add-QueueJob -Database $other -PassThru -ErrorAction Stop
            $copy.Id | Should -Be 'orig'
            $copy.Queue | Should -Be 'src'
            $copy.Priority | Should -Be 4
        }

        It 'refuses an empty command' {
            { Add-QueueJob -Command '' -Database $db } | Should -Throw -ErrorId 'ParameterArgumentValidationError,QueueCtl.PowerShell.Commands.AddQueueJobCommand'
        }

        It 'ends the command when the database is not a QueueCtl database' {
            $notDb = Join-Path $TestDrive 'not-a-db.db'
            Set-Content -Path $notDb -Value ('this is not sqlite ' * 100)
            $before = Get-FileHash $notDb
            $thrown = { Add-QueueJob -Command 'echo x' -Database $notDb -ErrorAction Stop } |
                Should -Throw -ErrorId 'NotQueueDatabase,QueueCtl.PowerShell.Commands.AddQueueJobCommand' -PassThru
            $thrown.CategoryInfo.Category | Should -Be 'OpenError'
            $thrown.TargetObject | Should -Be (Resolve-Path $notDb).ProviderPath
            (Get-FileHash $notDb).Hash | Should -Be $before.Hash
        }
    }

    Context '-WhatIf' {
        It 'writes nothing' {
            Add-QueueJob -Command 'echo not really' -Id 'whatif' -Database $db -WhatIf
            Get-QueueJob -Database $db | Should -BeNullOrEmpty
        }
    }
}

BeforeDiscovery {
    $defaults = @(
        @{ Key = 'max_retries'; Value = '3' }
        @{ Key = 'backoff_base'; Value = '2' }
        @{ Key = 'backoff_max'; Value = '3600' }
        @{ Key = 'lease_seconds'; Value = '30' }
        @{ Key = 'output_limit'; Value = '65536' }
    )
}

Describe 'Get-QueueConfig' -Tag 'Unit', 'Config' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
        $db = New-TestDatabasePath
    }
    AfterAll { Clear-SqlitePool }

    It 'lists every key as QueueConfigEntry objects' {
        $entries = Get-QueueConfig -Database $db
        # By name: the type lives in the module's private load context.
        $entries | ForEach-Object { $_.GetType().FullName } | Sort-Object -Unique | Should -Be 'QueueCtl.Core.Config.QueueConfigEntry'
        $entries.Key | Should -Be @('max_retries', 'backoff_base', 'backoff_max', 'backoff_jitter', 'job_timeout', 'lease_seconds', 'shutdown_grace', 'output_limit')
        $entries.IsDefault | Sort-Object -Unique | Should -BeTrue
    }

    It 'shows <Key> = <Value> by default' -ForEach $defaults {
        $entry = Get-QueueConfig -Key $Key -Database $db
        $entry.Value | Should -Be $Value
        "$entry" | Should -Be "$Key = $Value"
    }

    It 'accepts the classic spellings and dashes' {
        (Get-QueueConfig 'retries', 'backoff-max' -Database $db).Key | Should -Be @('max_retries', 'backoff_max')
    }

    It 'writes UnknownConfigKey naming the known keys' -Tag 'Errors' {
        $thrown = { Get-QueueConfig -Key 'colour' -Database $db -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownConfigKey,QueueCtl.PowerShell.Commands.GetQueueConfigCommand' -PassThru
        $thrown.Exception.Message | Should -BeLike '*max_retries*'
        $thrown.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}

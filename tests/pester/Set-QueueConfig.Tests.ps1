BeforeDiscovery {
    $refused = @(
        @{ Key = 'max_retries'; Value = '-1' }
        @{ Key = 'max_retries'; Value = '2.5' }
        @{ Key = 'backoff_jitter'; Value = '1.5' }
        @{ Key = 'lease_seconds'; Value = 'soon' }
    )
}

Describe 'Set-QueueConfig' -Tag 'Unit', 'Config' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module $QueueCtlManifest -Force
    }
    AfterAll { Clear-SqlitePool }

    BeforeEach { $db = New-TestDatabasePath }

    It 'sets a key and returns it with -PassThru' {
        $entry = Set-QueueConfig -Key 'max_retries' -Value 5 -Database $db -PassThru -Confirm:$false
        $entry.Value | Should -Be '5'
        $entry.IsDefault | Should -BeFalse
        (Get-QueueConfig -Key 'max_retries' -Database $db).Value | Should -Be '5'
    }

    It 'takes key and value by position, and numbers in the invariant culture' {
        $previous = [System.Globalization.CultureInfo]::CurrentCulture
        [System.Globalization.CultureInfo]::CurrentCulture = 'de-DE'
        try { Set-QueueConfig 'backoff_jitter' 0.25 -Database $db -Confirm:$false }
        finally { [System.Globalization.CultureInfo]::CurrentCulture = $previous }
        (Get-QueueConfig -Key 'backoff_jitter' -Database $db).Value | Should -Be '0.25'
    }

    It 'copies configuration between queues (Get-QueueConfig | Set-QueueConfig)' -Tag 'Pipeline' {
        Set-QueueConfig -Key 'job_timeout' -Value 120 -Database $db -Confirm:$false
        $other = New-TestDatabasePath
        Get-QueueConfig -Database $db | Set-QueueConfig -Database $other -Confirm:$false
        (Get-QueueConfig -Key 'job_timeout' -Database $other).Value | Should -Be '120'
    }

    It 'applies to the next job a worker runs' -Tag 'Worker' {
        Set-QueueConfig -Key 'max_retries' -Value 0 -Database $db -Confirm:$false
        Add-QueueJob -Command 'exit 1' -Id 'once' -Database $db
        $null = Invoke-QueueWorker -Drain -Database $db
        (Get-QueueJob -Id 'once' -Database $db).State | Should -Be 'Dead'
    }

    It 'refuses <Key> = <Value> with InvalidConfigValue and keeps the old value' -Tag 'Errors' -ForEach $refused {
        $before = (Get-QueueConfig -Key $Key -Database $db).Value
        $thrown = { Set-QueueConfig -Key $Key -Value $Value -Database $db -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidConfigValue,QueueCtl.PowerShell.Commands.SetQueueConfigCommand' -PassThru
        $thrown.Exception.Message | Should -BeLike "*$Key*"
        (Get-QueueConfig -Key $Key -Database $db).Value | Should -Be $before
    }

    It 'refuses an unknown key with UnknownConfigKey' -Tag 'Errors' {
        { Set-QueueConfig -Key 'nope' -Value 1 -Database $db -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownConfigKey,QueueCtl.PowerShell.Commands.SetQueueConfigCommand'
    }

    It 'changes nothing with -WhatIf' {
        Set-QueueConfig -Key 'max_retries' -Value 9 -Database $db -WhatIf
        (Get-QueueConfig -Key 'max_retries' -Database $db).IsDefault | Should -BeTrue
    }
}

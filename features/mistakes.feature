Feature: Runbook mistakes are reported clearly and change nothing
  Runbooks are pasted from documents and wikis. A mistake is written at its line in PowerShell's
  own words and changes nothing; the next lines run, as in PowerShell, unless the runbook says
  $ErrorActionPreference = 'Stop'.

  Scenario: The deployment guide's own typo
    When the administrator runs on the first appliance:
      """
      Get- CsNetworkConfiguration -LocalStore
      """
    Then the runbook fails at line 1, column 1 with:
      """
      The term 'Get-' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.
      """

  Scenario: A service URL outside the SIP domains registered for hybrid voice is kept, with a warning
    When the tenant administrator sets the service URL to one outside every registered SIP domain
    Then the runbook succeeds
    And a warning mentions "not in a SIP domain registered for hybrid voice"
    And the tenant holds that service URL

  Scenario: A service URL that is not a web address
    When the tenant administrator runs:
      """
      Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl hybridvoice
      """
    Then the runbook fails at line 1 mentioning "is not an http or https URL"
    And the tenant's configuration is unchanged

  Scenario: A failing line writes its error and the next lines run, as in PowerShell
    When the tenant administrator runs:
      """
      Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl hybridvoice
      $mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
      Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
      """
    Then the runbook fails at line 1 mentioning "is not an http or https URL"
    And line 3 of the runbook ran
    And the tenant's media bypass settings show Enabled True

  Scenario: With $ErrorActionPreference = 'Stop' the first error ends the runbook
    When the tenant administrator runs:
      """
      $ErrorActionPreference = 'Stop'
      Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl hybridvoice
      $mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
      Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
      """
    Then the runbook stops at line 2
    And the tenant's configuration is unchanged

  Scenario: AlwaysBypass without Enabled is ignored, with a warning
    When the tenant administrator runs:
      """
      $mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true
      Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
      """
    Then the runbook succeeds
    And the output warns "AlwaysBypass setting is ignored if Enabled is set to false."
    And the tenant's media bypass settings show Enabled False

  Scenario: An argument of the wrong type
    When the tenant administrator runs:
      """
      $mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled maybe
      Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
      """
    Then the runbook fails at line 1 mentioning 'Cannot convert value "maybe" to type "System.Boolean"'
    And the tenant's configuration is unchanged

  Scenario: A variable that was never set
    When the tenant administrator runs:
      """
      Set-CsNetworkConfiguration -MediaBypassSettings $mediabypas
      """
    Then the runbook fails at line 1 mentioning "The variable '$mediabypas' cannot be retrieved because it has not been set."
    And the tenant's configuration is unchanged

  Scenario: A runbook that opens a remote PowerShell session first
    When the tenant administrator runs:
      """
      Import-Module SkypeOnlineConnector
      $cred = Get-Credential
      $session = New-CsOnlineSession -Credential $cred
      Import-PSSession $session
      $mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true
      Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
      Remove-PSSession $session
      """
    Then the runbook succeeds
    And the output warns "AlwaysBypass setting is ignored if Enabled is set to false."

  Scenario: A real cmdlet the lab does not model is not a typo
    When the administrator runs against the DNS server:
      """
      Get-DnsServerRecursion
      """
    Then the runbook fails at line 1 mentioning "is a real cmdlet that this lab does not model"

  Scenario: A misspelt cmdlet gets a suggestion
    When the tenant administrator runs:
      """
      $mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $true
      Set-CsNetworkConfigration -MediaBypassSettings $mediabypass
      """
    Then the runbook fails at line 2 mentioning "Did you mean 'Set-CsNetworkConfiguration'?"
    And the tenant's configuration is unchanged

  Scenario: null written without its dollar sign
    When the tenant administrator runs:
      """
      $mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled null
      """
    Then the runbook fails at line 1 mentioning "PowerShell writes the value as $null"
    And the tenant's configuration is unchanged

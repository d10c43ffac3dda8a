Feature: Editing the media bypass settings in place
  There is no Set- cmdlet for the bypass settings: an administrator reads the settings the tenant
  holds, changes one property, and hands the object back.

  Scenario: Turning media bypass off by editing the settings the tenant holds
    When the tenant administrator enables media bypass with the planned service URL
    And the tenant administrator runs:
      """
      $s = (Get-CsNetworkConfiguration).MediaBypassSettings
      $s.BypassID
      $s.Enabled = $false
      Set-CsNetworkConfiguration -MediaBypassSettings $s
      """
    Then the runbook succeeds
    And the tenant's media bypass settings show Enabled False
    And the runbook printed the bypass ID the tenant still holds

Feature: Disabling media bypass permanently
  The administrator clears the URL, turns bypass off and removes the service name's records from
  the internal DNS servers: nothing resolves, clients receive no URL and web services reject.

  Scenario: Nothing is left of media bypass
    Given media bypass has been enabled and has replicated
    And a user is signed in at each site
    When the tenant administrator runs:
      """
      Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl  $null
      	$mediabypass = New-CsNetworkMediaBypassConfiguration  -Enabled $false 
      Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass 
      """
    Then the runbook succeeds
    When the administrator removes the service name's records from every zone scope
    Then no client anywhere resolves the service name
    When the replication window passes
    Then every Mediation Server's web service rejects clients
    When each of them signs out and signs in again
    Then each of them has received no service URL
    And the UccApi log of each of them records that no service URL was provisioned
    And each of them places a PSTN call with media "client <-> Mediation Server <-> gateway"

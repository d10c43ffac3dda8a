Feature: Enabling media bypass
  A tenant administrator turns media bypass on from remote PowerShell: the web service's URL, then
  a bypass settings object, then its assignment. Nothing reaches the Cloud Connector appliances until
  they replicate (which can take up to a day), and a client learns the URL only when it signs in.

  Scenario: The bypass settings object lives in memory until it is assigned
    When the tenant administrator runs:
      """
      $mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
      """
    Then the runbook succeeds
    And the tenant's configuration is unchanged

  @seed
  Scenario: The deployment guide's three lines, pasted as they are
    When the tenant administrator runs:
      """
      Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc
      $mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
      Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
      """
    Then the runbook succeeds
    When the tenant administrator runs:
      """
      Get-CsTenantHybridConfiguration -LocalStore
      Get-CsNetworkConfiguration -LocalStore
      """
    Then the output shows "HybridConfigServiceInternalUrl" as "http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc"
    And the output shows "Enabled" as "True"
    And the output shows "AlwaysBypass" as "True"
    And the output shows a GUID as "BypassID"

  Scenario: Replication brings the settings to every Mediation Server
    When the tenant administrator enables media bypass with the planned service URL
    Then no Mediation Server has the new settings yet
    And every Mediation Server's web service rejects clients
    When the replication window passes
    Then every Mediation Server's LocalStore shows Enabled True and AlwaysBypass True
    And every Mediation Server holds the tenant's bypass ID
    And every Mediation Server's web service serves bypassEnabled true
    And the tenant shows every appliance at the current configuration version

  Scenario: Confirming on a Mediation Server, as the guide says
    When the tenant administrator enables media bypass with the planned service URL
    And the replication window passes
    And the administrator runs on each Mediation Server:
      """
      Get-CsNetworkConfiguration -LocalStore
      """
    Then every run shows "Enabled" as "True" and "AlwaysBypass" as "True"

  Scenario: A client receives the URL after signing out and in
    Given a user "alice" is signed in at the first site
    When the tenant administrator enables media bypass with the planned service URL
    Then the UccApi log of "alice" does not mention the planned service URL
    When "alice" signs out and signs in again
    Then the UccApi log of "alice" holds hybridconfigserviceinternalurl with the planned service URL

  Scenario: Clients at every site bypass once the settings have replicated
    Given media bypass has been enabled and has replicated
    And a user is signed in at each site
    Then each of them resolves the service name to one of their own site's Mediation Servers
    And each of them has decided to bypass
    And each of them places a PSTN call with media "client <-> gateway"

  Scenario: An external client never bypasses
    Given media bypass has been enabled and has replicated
    And a user "eve" is signed in outside
    Then "eve" cannot resolve the service name
    And "eve" has decided not to bypass because the name does not resolve
    And "eve" places a PSTN call with media "client <-> Edge <-> Mediation Server <-> gateway"

Feature: Disabling media bypass temporarily
  For troubleshooting or maintenance the administrator turns bypass off but keeps the URL. Until the
  change replicates, Mediation Servers still serve the old settings; after it, their web services
  reject clients and calls go through the Mediation Server again.

  Background:
    Given media bypass has been enabled and has replicated
    And a user is signed in at each site

  Scenario: Still served before replication, rejected after
    When the tenant administrator runs:
      """
      $mediabypass = New-CsNetworkMediaBypassConfiguration  -Enabled $false
      Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
      """
    Then the runbook succeeds
    And every Mediation Server's web service serves bypassEnabled true
    When the replication window passes
    Then every Mediation Server's LocalStore shows Enabled False
    And every Mediation Server's web service rejects clients
    When 8 hours pass
    Then each of them has decided not to bypass because the web service rejected the request
    And each of them places a PSTN call with media "client <-> Mediation Server <-> gateway"

  Scenario: Re-enabling restores bypass
    When the tenant administrator disables media bypass temporarily
    And the replication window passes
    And 8 hours pass
    Then each of them places a PSTN call with media "client <-> Mediation Server <-> gateway"
    When the tenant administrator enables media bypass with the planned service URL
    And the replication window passes
    Then every Mediation Server's web service serves bypassEnabled true
    When 8 hours pass
    Then each of them has decided to bypass
    And each of them places a PSTN call with media "client <-> gateway"

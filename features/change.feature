Feature: Changing the web service's name
  The administrator may move the web service to another name in a SIP domain registered for hybrid
  voice. Clients learn the new name only when they sign out and in again.

  Scenario: Signed-in clients keep the old name until they sign in again
    Given media bypass has been enabled and has replicated
    And a user "bob" is signed in at the first site
    When the tenant administrator changes the service URL to one on "media" in a registered SIP domain
    Then the runbook succeeds
    And the UccApi log of "bob" holds hybridconfigserviceinternalurl with the planned service URL
    And "bob" still holds the planned service URL
    When "bob" signs out and signs in again
    Then "bob" holds the new service URL
    And the UccApi log of "bob" holds hybridconfigserviceinternalurl with the new service URL

  Scenario: The guide's change of name, in its order: DNS, the URL, replication, sign-in again
    Given media bypass has been enabled and has replicated
    And a user is signed in at each site
    When the administrator adds A records for "media" beside the service name in every site's zone scope
    And the tenant administrator changes the service URL to one on "media" in a registered SIP domain
    Then the runbook succeeds
    When the replication window passes
    And each of them signs out and signs in again
    Then each of them holds the new service URL
    And each of them resolves the service name to one of their own site's Mediation Servers
    And each of them has decided to bypass
    And each of them places a PSTN call with media "client <-> gateway"

  Scenario: The URL changed before DNS has the new name: no bypass until DNS is fixed
    Given media bypass has been enabled and has replicated
    And a user is signed in at each site
    When the tenant administrator changes the service URL to one on "media" in a registered SIP domain
    And the replication window passes
    And each of them signs out and signs in again
    Then each of them holds the new service URL
    And each of them has decided not to bypass because the name does not resolve
    When the administrator adds A records for "media" beside the service name in every site's zone scope
    And each of them signs out and signs in again
    Then each of them has decided to bypass

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

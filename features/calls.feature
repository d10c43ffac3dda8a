Feature: PSTN calls through a site's Cloud Connectors
  Calls go through the Mediation Servers of the user's PSTN site, spread over the site's appliances,
  and media bypasses them when the client holds the gateway's bypass ID, whichever way the call goes.

  Scenario: Calls are spread over the site's appliances, and bypassed media uses G.711
    Given media bypass has been enabled and has replicated
    And a user "alice" is signed in at the first site
    When "alice" places 20 PSTN calls
    Then every call went through an appliance of the first site
    And the calls used at least two of the first site's appliances when it has two or more
    And every bypassed call used the G.711 codec

  Scenario: An appliance in maintenance mode takes no new calls
    Given media bypass has been enabled and has replicated
    And a user "alice" is signed in at the first site
    When the tenant administrator puts the first site's first appliance in maintenance mode
    Then the tenant shows that appliance in maintenance mode
    When "alice" places 20 PSTN calls
    Then no call went through the appliance in maintenance mode

  Scenario: A PSTN caller rings internal and external users
    Given media bypass has been enabled and has replicated
    And a user "alice" is signed in at the first site
    And a user "erin" is signed in outside
    Then a PSTN caller reaches "alice" with media "client <-> gateway"
    And a PSTN caller reaches "erin" with media "client <-> Edge <-> Mediation Server <-> gateway"

  Scenario: A travelling user calls through their own PSTN site
    Given media bypass has been enabled and has replicated
    And "carol" is homed on the last site's PSTN site
    And "carol" is signed in at the first site
    Then a call by "carol" goes through an appliance of that PSTN site, its media crossing the WAN only when the user is at another site

  Scenario: Calls fail over past a stopped gateway
    Given media bypass has been enabled and has replicated
    And a user "alice" is signed in at the first site
    When the first gateway of the first site's first appliance stops
    And "alice" places 10 PSTN calls
    Then every call went to a gateway that is up, or found none up

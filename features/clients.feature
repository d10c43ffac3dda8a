Feature: Which clients bypass
  Only Skype for Business 2016 clients from the documented build on bypass, and on a VPN only with
  split tunnelling; every other client sends its media through the Cloud Connector and says why.

  Scenario: A client below the supported build
    Given media bypass has been enabled and has replicated
    When "olga" signs in at the first site with client version "16.0.7571.2109"
    Then "olga" has decided not to bypass because "is below 16.0.7870.2020"
    And "olga" places a PSTN call with media "client <-> Mediation Server <-> gateway"

  Scenario: A client on a VPN without split tunnelling
    Given media bypass has been enabled and has replicated
    When "victor" signs in at the first site on a VPN without split tunnelling
    Then "victor" has decided not to bypass because "VPN without split tunnelling"
    And "victor" places a PSTN call with media "client <-> Edge <-> Mediation Server <-> gateway"

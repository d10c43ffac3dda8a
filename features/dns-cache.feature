Feature: Clients cache DNS answers for the record's TTL
  A Windows client keeps a resolved address for the record's time to live (one hour by default).
  After the service name's records are removed, a client that resolved it keeps using the cached
  address until the TTL passes on the lab clock, or until `ipconfig /flushdns`.

  Scenario: A cached address outlives the removed records until its TTL passes
    Given media bypass has been enabled and has replicated
    And a user "alice" is signed in at the first site
    When the administrator removes the service name's records from every zone scope
    Then no client anywhere resolves the service name
    When "alice" fetches the hybrid configuration again
    Then each of them has decided to bypass
    When 2 hours pass
    And "alice" fetches the hybrid configuration again
    Then "alice" has decided not to bypass because the name does not resolve

  Scenario: Flushing the DNS cache forgets the address at once
    Given media bypass has been enabled and has replicated
    And a user "alice" is signed in at the first site
    When the administrator removes the service name's records from every zone scope
    And "alice" flushes the DNS cache
    And "alice" fetches the hybrid configuration again
    Then "alice" has decided not to bypass because the name does not resolve

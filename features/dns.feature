Feature: Multi-site DNS for the web service
  The service name is the same in every site. Windows Server 2016 DNS policies answer each client
  subnet with its own site's Mediation Servers, and answer nothing to clients outside.

  Scenario: Each site's clients get exactly their own site's Mediation Servers
    Then a client in each site resolves the service name to exactly that site's Mediation Servers
    And an external client gets no address for the service name

  @seed
  Scenario Outline: The deployment guide's example, client by client
    Then a client at <address> resolving hybridvoice.adatum.biz gets <answer>

    Examples:
      | address       | answer                                                  |
      | 192.168.1.77  | 192.168.1.45, 192.168.1.46, 192.168.1.47, 192.168.1.48 |
      | 192.168.1.200 | 192.168.1.45, 192.168.1.46, 192.168.1.47, 192.168.1.48 |
      | 10.10.1.77    | 10.10.1.8, 10.10.1.9, 10.10.1.10                        |
      | 10.10.1.254   | 10.10.1.8, 10.10.1.9, 10.10.1.10                        |
      | 203.0.113.100 | NXDOMAIN                                                |
      | 198.51.100.7  | NXDOMAIN                                                |

  Scenario: Over TCP the answers are the same
    Then a client in each site resolving the service name over TCP gets exactly that site's Mediation Servers

  @seed
  Scenario: The DNS script an administrator would run
    When the administrator runs against the DNS server:
      """
      Get-DnsServerClientSubnet
      Get-DnsServerQueryResolutionPolicy -ZoneName adatum.biz
      """
    Then the runbook succeeds
    And the output shows "IPv4Subnet" as "{192.168.1.0/24}"
    And the output shows "IPv4Subnet" as "{10.10.1.0/24}"

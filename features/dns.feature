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

  Scenario: Policies typed as admins type them answer as Microsoft documents
    When the administrator runs against the DNS server, with the topology's names:
      """
      Add-DnsServerClientSubnet OutsideNet {outside} -PassThru
      Add-DnsServerZoneScope {zone} OutsideZoneScope -PassThru
      Add-DnsServerZoneScope {zone} SpareZoneScope
      Add-DnsServerResourceRecord {zone} {host} -A -IPv4Address 192.0.2.1 -ZoneScope OutsideZoneScope
      Add-DnsServerResourceRecord {zone} {host} -A -IPv4Address 192.0.2.3 -ZoneScope SpareZoneScope
      Add-DnsServerQueryResolutionPolicy OutsidePolicy {zone} -ClientSubnet "EQ,OutsideNet" -ZoneScope "OutsideZoneScope,1;SpareZoneScope,3" -PassThru
      """
    Then the runbook succeeds
    And the output shows "Name" as "OutsideNet"
    And the output shows "ZoneScope" as "OutsideZoneScope"
    And the output shows "Action" as "Allow"
    And of 40 external queries for the service name exactly 10 are answered with 192.0.2.1
    When the administrator runs against the DNS server, with the topology's names:
      """
      Disable-DnsServerPolicy Zone OutsidePolicy {zone}
      """
    Then the runbook succeeds
    And an external client resolving the service name gets NXDOMAIN
    When the administrator runs against the DNS server, with the topology's names:
      """
      Set-DnsServerQueryResolutionPolicy -ZoneName {zone} -Name OutsidePolicy -ZoneScope "SpareZoneScope,1"
      Enable-DnsServerPolicy -Level Zone -Name OutsidePolicy -ZoneName {zone}
      """
    Then the runbook succeeds
    And an external client resolving the service name gets 192.0.2.3
    And a client in each site resolves the service name to exactly that site's Mediation Servers

  Scenario: A wildcard name criterion covers the zone apex
    When the administrator runs against the DNS server, with the topology's names:
      """
      Add-DnsServerClientSubnet OutsideNet {outside}
      Add-DnsServerQueryResolutionPolicy ApexBlock {zone} DENY -ClientSubnet "EQ,OutsideNet" -Fqdn "EQ,*.{zone}"
      """
    Then the runbook succeeds
    And an external client resolving the zone apex gets REFUSED
    And an external client resolving the service name gets REFUSED
    And a client in each site resolves the service name to exactly that site's Mediation Servers

  Scenario: A time-of-day window opens and closes on the lab clock
    When the administrator runs against the DNS server, with the topology's names:
      """
      Add-DnsServerClientSubnet -Name OutsideNet -IPv4Subnet {outside}
      Add-DnsServerQueryResolutionPolicy -Name Window -ZoneName {zone} -Action DENY -ClientSubnet "EQ,OutsideNet" -TimeOfDay "EQ,{start+6h}-{start+12h}"
      """
    Then the runbook succeeds
    And an external client resolving the zone apex gets no answer
    When 6 hours pass
    Then an external client resolving the zone apex gets REFUSED
    When 6 hours pass
    Then an external client resolving the zone apex gets no answer

  Scenario: A pipeline between cmdlets of one noun removes every zone policy
    When the administrator runs against the DNS server, with the topology's names:
      """
      Get-DnsServerQueryResolutionPolicy -ZoneName {zone} | Remove-DnsServerQueryResolutionPolicy
      """
    Then the runbook succeeds
    And no client anywhere resolves the service name

  Scenario: Policies held in a variable are added back through a pipeline
    When the administrator runs against the DNS server, with the topology's names:
      """
      $policies = Get-DnsServerQueryResolutionPolicy -ZoneName {zone}
      Get-DnsServerQueryResolutionPolicy -ZoneName {zone} |
        Remove-DnsServerQueryResolutionPolicy
      $policies | Add-DnsServerQueryResolutionPolicy -PassThru
      """
    Then the runbook succeeds
    And the output shows "IsEnabled" as "True"
    And a client in each site resolves the service name to exactly that site's Mediation Servers

  Scenario: A line piped into Microsoft's output and filter cmdlets runs once
    When the administrator runs against the DNS server, with the topology's names:
      """
      Get-DnsServerQueryResolutionPolicy -ZoneName {zone} | Where-Object { $_.IsEnabled -eq $true } | Remove-DnsServerQueryResolutionPolicy -PassThru | Select-Object Name, IsEnabled
      Add-DnsServerClientSubnet -Name "NorthAmericaSubnet" -IPv4Subnet 172.21.33.0/24 -PassThru | Format-List
      """
    Then the runbook succeeds
    And the output shows "IsEnabled" as "True"
    And no client anywhere resolves the service name

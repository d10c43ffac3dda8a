# page: https://learn.microsoft.com/windows-server/networking/dns/deploy/dns-policies-overview
# "DNS Policies Overview", its "Managing DNS Policies" examples line by line. The first line
# creates the zone the examples start from.
Add-DnsServerPrimaryZone -Name "contoso.com" -ZoneFile "contoso.com.dns"
#> ok
# Traffic management: North America and Europe each get their own datacenter.
Add-DnsServerClientSubnet -Name "NorthAmericaSubnet" -IPv4Subnet "172.21.33.0/24"
#> ok
Add-DnsServerClientSubnet -Name "EuropeSubnet" -IPv4Subnet "172.17.44.0/24"
#> ok
Add-DnsServerZoneScope -ZoneName "Contoso.com" -Name "NorthAmericaZoneScope"
#> ok
Add-DnsServerZoneScope -ZoneName "Contoso.com" -Name "EuropeZoneScope"
#> ok
Add-DnsServerResourceRecord -ZoneName "Contoso.com" -A -Name "www" -IPv4Address "172.17.97.97" -ZoneScope "EuropeZoneScope"
#> ok
Add-DnsServerResourceRecord -ZoneName "Contoso.com" -A -Name "www" -IPv4Address "172.21.21.21" -ZoneScope "NorthAmericaZoneScope"
#> ok
Add-DnsServerQueryResolutionPolicy -Name "NorthAmericaPolicy" -Action ALLOW -ClientSubnet "eq,NorthAmericaSubnet" -ZoneScope "NorthAmericaZoneScope,1" -ZoneName "Contoso.com"
#> ok
Add-DnsServerQueryResolutionPolicy -Name "EuropePolicy" -Action ALLOW -ClientSubnet "eq,EuropeSubnet" -ZoneScope "EuropeZoneScope,1" -ZoneName contoso.com
#> ok
#> answer www.contoso.com from 172.21.33.9 = 172.21.21.21
#> answer www.contoso.com from 172.17.44.9 = 172.17.97.97
#> answer www.contoso.com from 10.1.1.1 = NXDOMAIN
# Block queries for a domain: a server-level policy, before any zone is looked at. The lab's
# server holds no treyresearch.com zone and does not recurse: it refuses the name until then.
#> answer www.treyresearch.com from 10.1.1.1 = REFUSED
Add-DnsServerQueryResolutionPolicy -Name "BlackholePolicy" -Action IGNORE -FQDN "EQ,*.treyresearch.com"
#> ok
#> answer www.treyresearch.com from 10.1.1.1 = IGNORE
#> answer www.contoso.com from 172.21.33.9 = 172.21.21.21
# Block queries from a subnet.
Add-DnsServerClientSubnet -Name "MaliciousSubnet06" -IPv4Subnet 172.0.33.0/24
#> ok
Add-DnsServerQueryResolutionPolicy -Name "BlackholePolicyMalicious06" -Action IGNORE -ClientSubnet  "EQ,MaliciousSubnet06"
#> ok
#> answer www.contoso.com from 172.0.33.5 = IGNORE
#> answer www.contoso.com from 172.17.44.9 = 172.17.97.97
# Recursion for internal clients: recursion scopes and recursion policies are not modelled (the
# lab's server answers for its zones only and never recurses).
Set-DnsServerRecursionScope -Name . -EnableRecursion $False
#> not modelled
Add-DnsServerRecursionScope -Name "InternalClients" -EnableRecursion $True
#> not modelled
Add-DnsServerQueryResolutionPolicy -Name "SplitBrainPolicy" -Action ALLOW -ApplyOnRecursion -RecursionScope "InternalClients" -ServerInterfaceIP  "EQ,10.0.0.34"
#> not modelled
Get-DnsServerRecursionScope
#> not modelled
Remove-DnsServerRecursionScope -Name "InternalClients" -Force
#> not modelled
# The refused lines changed nothing: names outside the zones are still refused.
#> answer www.fabrikam.com from 10.1.1.1 = REFUSED
# Zone transfer policies are not modelled; the subnet line among them is.
Add-DnsServerZoneTransferPolicy -Name DenyTransferOfContosoToFabrikam -Zone contoso.com -Action DENY -ClientSubnet "EQ,192.168.1.0/24"
#> not modelled
Add-DnsServerClientSubnet -Name "AllowedSubnet" -IPv4Subnet 172.21.33.0/24
#> ok
Add-DnsServerZoneTransferPolicy -Name "NorthAmericaPolicy" -Action IGNORE -ClientSubnet "ne,AllowedSubnet"
#> not modelled
Add-DnsServerZoneTransferPolicy -Name "InternalTransfers" -Action IGNORE -ServerInterfaceIP "eq,10.0.0.33" -PassThru -ZoneName "contoso.com"
#> not modelled

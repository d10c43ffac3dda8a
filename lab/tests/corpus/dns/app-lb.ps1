# page: https://learn.microsoft.com/windows-server/networking/dns/deploy/app-lb
# "Use DNS Policy for Application Load Balancing", line by line: one name served from three
# datacenters, Seattle's weighing twice the others'. The first line creates the zone the guide
# starts from.
Add-DnsServerPrimaryZone -Name "contosogiftservices.com" -ZoneFile "contosogiftservices.com.dns"
#> ok
Add-DnsServerZoneScope -ZoneName "contosogiftservices.com" -Name "SeattleZoneScope"
#> ok
Add-DnsServerZoneScope -ZoneName "contosogiftservices.com" -Name "DallasZoneScope"
#> ok
Add-DnsServerZoneScope -ZoneName "contosogiftservices.com" -Name "ChicagoZoneScope"
#> ok
Add-DnsServerResourceRecord -ZoneName "contosogiftservices.com" -A -Name "www" -IPv4Address "192.0.0.1" -ZoneScope "SeattleZoneScope"
#> ok
Add-DnsServerResourceRecord -ZoneName "contosogiftservices.com" -A -Name "www" -IPv4Address "182.0.0.1" -ZoneScope "ChicagoZoneScope"
#> ok
Add-DnsServerResourceRecord -ZoneName "contosogiftservices.com" -A -Name "www" -IPv4Address "162.0.0.1" -ZoneScope "DallasZoneScope"
#> ok
# The records live in the scopes only: before the policy no scope is chosen, and the default
# scope has no www.
#> answer www.contosogiftservices.com from 10.0.0.8 = NXDOMAIN
Add-DnsServerQueryResolutionPolicy -Name "AmericaPolicy" -Action ALLOW -ZoneScope "SeattleZoneScope,2;ChicagoZoneScope,1;DallasZoneScope,1" -ZoneName "contosogiftservices.com"
#> ok
# Every four queries: two answers from Seattle, one each from Chicago and Dallas, whoever asks.
#> answer www.contosogiftservices.com from 10.0.0.8 in 4 queries = 162.0.0.1 x1, 182.0.0.1 x1, 192.0.0.1 x2
#> answer www.contosogiftservices.com from 203.0.113.50 in 400 queries = 162.0.0.1 x100, 182.0.0.1 x100, 192.0.0.1 x200
Get-DnsServerQueryResolutionPolicy -ZoneName "contosogiftservices.com" -Name "AmericaPolicy" | Format-List *
#> ok

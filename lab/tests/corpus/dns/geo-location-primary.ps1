# page: https://learn.microsoft.com/windows-server/networking/dns/deploy/primary-geo-location
# "Use DNS Policy for Geo-Location Traffic Management with Primary Servers", line by line.
# The guide starts from an existing woodgrove.com zone; the first line creates it with the
# Add-DnsServerPrimaryZone page's syntax.
Add-DnsServerPrimaryZone -Name "woodgrove.com" -ZoneFile "woodgrove.com.dns"
#> ok
Add-DnsServerClientSubnet -Name "USSubnet" -IPv4Subnet "192.0.0.0/24"
#> ok
Add-DnsServerClientSubnet -Name "EuropeSubnet" -IPv4Subnet "141.1.0.0/24"
#> ok
Add-DnsServerZoneScope -ZoneName "woodgrove.com" -Name "USZoneScope"
#> ok
Add-DnsServerZoneScope -ZoneName "woodgrove.com" -Name "EuropeZoneScope"
#> ok
Add-DnsServerResourceRecord -ZoneName "woodgrove.com" -A -Name "www" -IPv4Address "192.0.0.1" -ZoneScope "USZoneScope"
#> ok
Add-DnsServerResourceRecord -ZoneName "woodgrove.com" -A -Name "www" -IPv4Address "141.1.0.1" -ZoneScope "EuropeZoneScope"
#> ok
Add-DnsServerResourceRecord -ZoneName "woodgrove.com" -A -Name "www" -IPv4Address "192.0.0.1"
#> ok
Add-DnsServerResourceRecord -ZoneName "woodgrove.com" -A -Name "www" -IPv4Address "141.1.0.1"
#> ok
# Before the policies every client gets the default scope: both datacenters.
#> answer www.woodgrove.com from 192.0.0.5 = 141.1.0.1,192.0.0.1
Add-DnsServerQueryResolutionPolicy -Name "USPolicy" -Action ALLOW -ClientSubnet "eq,USSubnet" -ZoneScope "USZoneScope,1" -ZoneName "woodgrove.com"
#> ok
Add-DnsServerQueryResolutionPolicy -Name "EuropePolicy" -Action ALLOW -ClientSubnet "eq,EuropeSubnet" -ZoneScope "EuropeZoneScope,1" -ZoneName "woodgrove.com"
#> ok
#> answer www.woodgrove.com from 192.0.0.5 = 192.0.0.1
#> answer www.woodgrove.com from 141.1.0.9 = 141.1.0.1
#> answer www.woodgrove.com from 203.0.113.7 = 141.1.0.1,192.0.0.1
#> answer ftp.woodgrove.com from 192.0.0.5 = NXDOMAIN

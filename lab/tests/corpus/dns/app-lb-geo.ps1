# page: https://learn.microsoft.com/windows-server/networking/dns/deploy/app-lb-geo
# "Use DNS Policy for Application Load Balancing With Geo-Location Awareness", line by line, as
# the page prints it. The page builds on the application load balancing guide (app-lb.ps1): its
# zone, its three American scopes and their records come first. The page's own lines name a
# TexasZoneScope that neither guide creates (the American guide calls it DallasZoneScope), and
# its world-wide policy matches *.contoso.com in the contosogiftservices.com zone: a rehearsal
# shows both before rollout day.
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
# The geo-aware page from here.
Add-DnsServerClientSubnet -Name "AmericaSubnet" -IPv4Subnet 192.0.0.0/24,182.0.0.0/24
#> ok
Add-DnsServerClientSubnet -Name "EuropeSubnet" -IPv4Subnet 141.1.0.0/24,151.1.0.0/24
#> ok
Add-DnsServerZoneScope -ZoneName "contosogiftservices.com" -Name "DublinZoneScope"
#> ok
Add-DnsServerZoneScope -ZoneName "contosogiftservices.com" -Name "AmsterdamZoneScope"
#> ok
Add-DnsServerResourceRecord -ZoneName "contosogiftservices.com" -A -Name "www" -IPv4Address "151.1.0.1" -ZoneScope "DublinZoneScope”
#> ok
Add-DnsServerResourceRecord -ZoneName "contosogiftservices.com" -A -Name "www" -IPv4Address "141.1.0.1" -ZoneScope "AmsterdamZoneScope"
#> ok
Add-DnsServerQueryResolutionPolicy -Name "AmericaLBPolicy" -Action ALLOW -ClientSubnet "eq,AmericaSubnet" -ZoneScope "SeattleZoneScope,2;ChicagoZoneScope,1; TexasZoneScope,1" -ZoneName "contosogiftservices.com" –ProcessingOrder 1
#> error: The zone scope TexasZoneScope was not found in zone contosogiftservices.com
Add-DnsServerQueryResolutionPolicy -Name "EuropeLBPolicy" -Action ALLOW -ClientSubnet "eq,EuropeSubnet" -ZoneScope "DublinZoneScope,1;AmsterdamZoneScope,1" -ZoneName "contosogiftservices.com" -ProcessingOrder 2
#> ok
Add-DnsServerQueryResolutionPolicy -Name "WorldWidePolicy" -Action ALLOW -FQDN "eq,*.contoso.com" -ZoneScope "SeattleZoneScope,1;ChicagoZoneScope,1; TexasZoneScope,1;DublinZoneScope,1;AmsterdamZoneScope,1" -ZoneName "contosogiftservices.com" -ProcessingOrder 3
#> error: The zone scope TexasZoneScope was not found in zone contosogiftservices.com
# Europe is balanced half and half between Dublin and Amsterdam, from either of its subnets.
#> answer www.contosogiftservices.com from 141.1.0.20 in 2 queries = 141.1.0.1 x1, 151.1.0.1 x1
#> answer www.contosogiftservices.com from 151.1.0.20 in 10 queries = 141.1.0.1 x5, 151.1.0.1 x5
# America and the rest of the world have no policy: the default scope, which has no www.
#> answer www.contosogiftservices.com from 192.0.0.20 = NXDOMAIN
#> answer www.contosogiftservices.com from 203.0.113.50 = NXDOMAIN
# With the American guide's scope name, America is balanced as that guide says; the world-wide
# criterion still names contoso.com, so it matches no name of this zone.
Add-DnsServerQueryResolutionPolicy -Name "AmericaLBPolicy" -Action ALLOW -ClientSubnet "eq,AmericaSubnet" -ZoneScope "SeattleZoneScope,2;ChicagoZoneScope,1; DallasZoneScope,1" -ZoneName "contosogiftservices.com" –ProcessingOrder 1
#> ok
Add-DnsServerQueryResolutionPolicy -Name "WorldWidePolicy" -Action ALLOW -FQDN "eq,*.contoso.com" -ZoneScope "SeattleZoneScope,1;ChicagoZoneScope,1; DallasZoneScope,1;DublinZoneScope,1;AmsterdamZoneScope,1" -ZoneName "contosogiftservices.com" -ProcessingOrder 3
#> ok
#> answer www.contosogiftservices.com from 182.0.0.20 in 4 queries = 162.0.0.1 x1, 182.0.0.1 x1, 192.0.0.1 x2
#> answer www.contosogiftservices.com from 203.0.113.50 = NXDOMAIN
Add-DnsServerQueryResolutionPolicy -Name "WorldWidePolicy" -Action ALLOW -FQDN "eq,*.contosogiftservices.com" -ZoneScope "SeattleZoneScope,1;ChicagoZoneScope,1;DallasZoneScope,1;DublinZoneScope,1;AmsterdamZoneScope,1" -ZoneName "contosogiftservices.com" -ProcessingOrder 3
#> error: WorldWidePolicy already exists
Remove-DnsServerQueryResolutionPolicy -Name "WorldWidePolicy" -ZoneName "contosogiftservices.com" -Force
#> ok
Add-DnsServerQueryResolutionPolicy -Name "WorldWidePolicy" -Action ALLOW -FQDN "eq,*.contosogiftservices.com" -ZoneScope "SeattleZoneScope,1;ChicagoZoneScope,1;DallasZoneScope,1;DublinZoneScope,1;AmsterdamZoneScope,1" -ZoneName "contosogiftservices.com" -ProcessingOrder 3
#> ok
# Fixed, the rest of the world gets all five datacenters alike.
#> answer www.contosogiftservices.com from 203.0.113.50 in 5 queries = 141.1.0.1 x1, 151.1.0.1 x1, 162.0.0.1 x1, 182.0.0.1 x1, 192.0.0.1 x1

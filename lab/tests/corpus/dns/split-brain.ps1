# page: https://learn.microsoft.com/windows-server/networking/dns/deploy/split-brain-dns-deployment
# "Use DNS Policy for Split-Brain DNS Deployment", line by line, as the page writes it (its
# "10.0.0.39” closes with a typographic quote, and -ServerInterface is a prefix of
# -ServerInterfaceIP). The first line creates the zone the page starts from.
Add-DnsServerPrimaryZone -Name "contoso.com" -ZoneFile "contoso.com.dns"
#> ok
Add-DnsServerZoneScope -ZoneName "contoso.com" -Name "internal"
#> ok
Add-DnsServerResourceRecord -ZoneName "contoso.com" -A -Name "www.career" -IPv4Address "65.55.39.10"
#> ok
Add-DnsServerResourceRecord -ZoneName "contoso.com" -A -Name "www.career" -IPv4Address "10.0.0.39” -ZoneScope "internal"
#> ok
Add-DnsServerQueryResolutionPolicy -Name "SplitBrainZonePolicy" -Action ALLOW -ServerInterface "eq,10.0.0.56" -ZoneScope "internal,1" -ZoneName contoso.com
#> ok
# Queries on the private interface get the internal scope; the public interface the default.
#> answer www.career.contoso.com from 10.0.0.100 on 10.0.0.56 = 10.0.0.39
#> answer www.career.contoso.com from 203.0.113.9 on 65.55.39.1 = 65.55.39.10
# Selective recursion control: recursion scopes are not modelled by the lab.
Set-DnsServerRecursionScope -Name . -EnableRecursion $False
#> not modelled
Add-DnsServerRecursionScope -Name "InternalClients" -EnableRecursion $True
#> not modelled
Add-DnsServerQueryResolutionPolicy -Name "SplitBrainRecursionPolicy" -Action ALLOW -ApplyOnRecursion -RecursionScope "InternalClients" -ServerInterfaceIP "EQ,10.0.0.39"
#> not modelled

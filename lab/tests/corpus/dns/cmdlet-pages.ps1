# page: https://learn.microsoft.com/powershell/module/dnsserver/add-dnsserverqueryresolutionpolicy
# The examples of the DnsServer cmdlet pages the lab models, line by line (Windows Server 2016):
# Add-DnsServerClientSubnet, Add-DnsServerZoneScope, Get-DnsServerZoneScope,
# Add-DnsServerResourceRecord, Add-DnsServerQueryResolutionPolicy,
# Get-DnsServerQueryResolutionPolicy, Remove-DnsServerResourceRecord, Remove-DnsServerZoneScope
# (https://learn.microsoft.com/powershell/module/dnsserver/<cmdlet>). The zone the examples
# assume comes first.
Add-DnsServerPrimaryZone -Name "contoso.com" -ZoneFile "contoso.com.dns"
#> ok
Add-DnsServerClientSubnet -Name "NorthAmericaSubnet" -IPv4Subnet "172.21.33.0/24" -PassThru
#> ok
Add-DnsServerClientSubnet -Name "EuropeSubnet" -IPv4Subnet "172.17.44.0/24" -PassThru | Format-List
#> ok
Add-DnsServerZoneScope -ZoneName "Contoso.com" -Name "NorthAmericaZoneScope" -PassThru
#> ok
Add-DnsServerZoneScope -ZoneName "contoso.com" -Name "EuropeZoneScope" -Verbose -PassThru
#> ok
Add-DnsServerZoneScope -ZoneName "contoso.com" -Name "contoso_Archive" -LoadExisting -PassThru
#> ok
Get-DnsServerZoneScope -ZoneName "contoso.com"
#> ok
Get-DnsServerZoneScope -ZoneName "contoso.com" -Name "EuropeZoneScope"
#> ok
Add-DnsServerResourceRecord -ZoneName "Contoso.com" -A -Name "career" -IPv4Address "172.17.97.97" -ZoneScope "EuropeZoneScope" -PassThru
#> ok
Add-DnsServerResourceRecord -ZoneName "Contoso.com" -A -Name "career" -IPv4Address "172.21.21.21" -ZoneScope "NorthAmericaZoneScope" -PassThru
#> ok
Add-DnsServerResourceRecord -ZoneName "Contoso.com" -A -Name "Host21.admin" -IPv4Address "10.17.1.21"
#> ok
Add-DnsServerResourceRecord -ZoneName "Contoso.com" -A -Name "Host34" -AllowUpdateAny -IPv4Address "10.17.1.34" -TimeToLive 01:00:00 -AgeRecord
#> ok
Add-DnsServerResourceRecord -Name "." -MX -ZoneName "contoso.com" -MailExchange "mail.contoso.com" -Preference 10
#> not modelled
Add-DnsServerResourceRecord -Srv -Name "sip" -ZoneName "contoso.com" -DomainName "sipserver1.contoso.com" -Priority 0 -Weight 0 -Port 5060
#> not modelled
Add-DnsServerQueryResolutionPolicy -Name "NorthAmericaPolicy" -Action ALLOW -ClientSubnet "eq,NorthAmericaSubnet" -ZoneScope "NorthAmericaZoneScope,1" -ZoneName "Contoso.com" -PassThru
#> ok
Add-DnsServerQueryResolutionPolicy -Name "EuropePolicy" -Action ALLOW -ClientSubnet "eq,EuropeSubnet" -ZoneScope "EuropeZoneScope,1" -ZoneName contoso.com -PassThru
#> ok
#> answer career.contoso.com from 172.21.33.8 = 172.21.21.21
#> answer career.contoso.com from 172.17.44.8 = 172.17.97.97
#> answer host21.admin.contoso.com from 10.0.0.1 = 10.17.1.21
Get-DnsServerQueryResolutionPolicy -ZoneName "contoso.com" | Format-List *
#> ok
Get-DnsServerQueryResolutionPolicy -Name "NorthAmericaPolicy" -ZoneName "contoso.com" | Format-List *
#> ok
Add-DnsServerQueryResolutionPolicy -Name "BlackholePolicy" -Action IGNORE -FQDN "EQ,*.contoso.com" -PassThru | Format-List *
#> ok
#> answer career.contoso.com from 10.0.0.1 = IGNORE
Remove-DnsServerQueryResolutionPolicy -Name "BlackholePolicy" -Force
#> ok
Remove-DnsServerResourceRecord -ZoneName "contoso.com" -RRType "A" -Name "Host21.admin" -RecordData "10.17.1.21" -Force
#> ok
#> answer host21.admin.contoso.com from 10.0.0.1 = NXDOMAIN
Get-DnsServerQueryResolutionPolicy -ZoneName "contoso.com" | Remove-DnsServerQueryResolutionPolicy -Force
#> ok
Get-DnsServerZoneScope -ZoneName "contoso.com" | Remove-DnsServerZoneScope -Force -PassThru
#> error: default zone scope
Get-DnsServerZoneScope -ZoneName "contoso.com" -Name "EuropeZoneScope"
#> error: EuropeZoneScope

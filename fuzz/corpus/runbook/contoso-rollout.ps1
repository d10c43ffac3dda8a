# Media bypass rollout for contoso.com (examples/contoso/topology.toml): internal DNS first, then
# bypass on, a temporary disable, and the permanent disable.

# phase: dns
Add-DnsServerPrimaryZone -Name "contoso.com" -ReplicationScope "Forest"
Add-DnsServerClientSubnet -Name "SydneyClients" -IPv4Subnet "10.40.0.0/24","10.40.8.0/24"
Add-DnsServerClientSubnet -Name "TokyoClients" -IPv4Subnet "10.60.0.0/23"
Add-DnsServerClientSubnet -Name "DenverClients" -IPv4Subnet "172.16.4.0/24"
Add-DnsServerZoneScope -ZoneName "contoso.com" -Name "SydneyScope"
Add-DnsServerZoneScope -ZoneName "contoso.com" -Name "TokyoScope"
Add-DnsServerZoneScope -ZoneName "contoso.com" -Name "DenverScope"
Add-DnsServerResourceRecord -ZoneName "contoso.com" -A -Name "mbws" -IPv4Address "10.40.0.11" -ZoneScope "SydneyScope"
Add-DnsServerResourceRecord -ZoneName "contoso.com" -A -Name "mbws" -IPv4Address "10.40.0.12" -ZoneScope "SydneyScope"
Add-DnsServerResourceRecord -ZoneName "contoso.com" -A -Name "mbws" -IPv4Address "10.60.0.11" -ZoneScope "TokyoScope"
Add-DnsServerResourceRecord -ZoneName "contoso.com" -A -Name "mbws" -IPv4Address "10.60.0.12" -ZoneScope "TokyoScope"
Add-DnsServerResourceRecord -ZoneName "contoso.com" -A -Name "mbws" -IPv4Address "172.16.4.21" -ZoneScope "DenverScope"
Add-DnsServerQueryResolutionPolicy -Name "SydneyPolicy" -Action ALLOW -ClientSubnet "eq,SydneyClients" -ZoneScope "SydneyScope,1" -ZoneName "contoso.com"
Add-DnsServerQueryResolutionPolicy -Name "TokyoPolicy" -Action ALLOW -ClientSubnet "eq,TokyoClients" -ZoneScope "TokyoScope,1" -ZoneName "contoso.com"
Add-DnsServerQueryResolutionPolicy -Name "DenverPolicy" -Action ALLOW -ClientSubnet "eq,DenverClients" -ZoneScope "DenverScope,1" -ZoneName "contoso.com"

# phase: enable
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://mbws.contoso.com/hybridconfig/hybridconfigservice.svc
$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass

# phase: temporary-disable
$mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass

# phase: permanent-disable
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null
$mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
Remove-DnsServerResourceRecord -ZoneName "contoso.com" -RRType "A" -Name "mbws" -ZoneScope "SydneyScope" -Force
Remove-DnsServerResourceRecord -ZoneName "contoso.com" -RRType "A" -Name "mbws" -ZoneScope "TokyoScope" -Force
Remove-DnsServerResourceRecord -ZoneName "contoso.com" -RRType "A" -Name "mbws" -ZoneScope "DenverScope" -Force

# Media bypass rollout for fabrikam.com (lab/topologies/fabrikam.toml): internal DNS first, then
# bypass on, a temporary disable, and the permanent disable. Paris has two client subnets: both
# belong to ParisClients, so clients on either resolve Paris' Mediation Server.
#   bypass-lab rehearse --topology lab/topologies/fabrikam.toml --runbook examples/fabrikam/rollout.ps1

# phase: dns
Add-DnsServerPrimaryZone -Name "voice.fabrikam.com" -ReplicationScope "Forest"
Add-DnsServerClientSubnet -Name "LondonClients" -IPv4Subnet "172.20.10.0/24"
Add-DnsServerClientSubnet -Name "ParisClients" -IPv4Subnet "172.20.20.0/24","172.20.21.0/24"
Add-DnsServerClientSubnet -Name "BerlinClients" -IPv4Subnet "172.20.30.0/24"
Add-DnsServerZoneScope -ZoneName "voice.fabrikam.com" -Name "LondonScope"
Add-DnsServerZoneScope -ZoneName "voice.fabrikam.com" -Name "ParisScope"
Add-DnsServerZoneScope -ZoneName "voice.fabrikam.com" -Name "BerlinScope"
Add-DnsServerResourceRecord -ZoneName "voice.fabrikam.com" -A -Name "bypass" -IPv4Address "172.20.10.21" -ZoneScope "LondonScope"
Add-DnsServerResourceRecord -ZoneName "voice.fabrikam.com" -A -Name "bypass" -IPv4Address "172.20.10.22" -ZoneScope "LondonScope"
Add-DnsServerResourceRecord -ZoneName "voice.fabrikam.com" -A -Name "bypass" -IPv4Address "172.20.20.21" -ZoneScope "ParisScope"
Add-DnsServerResourceRecord -ZoneName "voice.fabrikam.com" -A -Name "bypass" -IPv4Address "172.20.30.21" -ZoneScope "BerlinScope"
Add-DnsServerResourceRecord -ZoneName "voice.fabrikam.com" -A -Name "bypass" -IPv4Address "172.20.30.22" -ZoneScope "BerlinScope"
Add-DnsServerResourceRecord -ZoneName "voice.fabrikam.com" -A -Name "bypass" -IPv4Address "172.20.30.23" -ZoneScope "BerlinScope"
Add-DnsServerQueryResolutionPolicy -Name "LondonPolicy" -Action ALLOW -ClientSubnet "eq,LondonClients" -ZoneScope "LondonScope,1" -ZoneName "voice.fabrikam.com"
Add-DnsServerQueryResolutionPolicy -Name "ParisPolicy" -Action ALLOW -ClientSubnet "eq,ParisClients" -ZoneScope "ParisScope,1" -ZoneName "voice.fabrikam.com"
Add-DnsServerQueryResolutionPolicy -Name "BerlinPolicy" -Action ALLOW -ClientSubnet "eq,BerlinClients" -ZoneScope "BerlinScope,1" -ZoneName "voice.fabrikam.com"

# phase: enable
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://bypass.voice.fabrikam.com/hybridconfig/hybridconfigservice.svc
$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass

# phase: temporary-disable
$mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass

# phase: permanent-disable
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null
$mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
Remove-DnsServerResourceRecord -ZoneName "voice.fabrikam.com" -RRType "A" -Name "bypass" -ZoneScope "LondonScope" -Force
Remove-DnsServerResourceRecord -ZoneName "voice.fabrikam.com" -RRType "A" -Name "bypass" -ZoneScope "ParisScope" -Force
Remove-DnsServerResourceRecord -ZoneName "voice.fabrikam.com" -RRType "A" -Name "bypass" -ZoneScope "BerlinScope" -Force

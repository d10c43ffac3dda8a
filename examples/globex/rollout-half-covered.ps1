# Media bypass rollout for globex.example (examples/globex/topology.toml), with one mistake:
# MumbaiSubnet names only the upper /24 of Mumbai's 10.80.2.0/23, so the lower half, where the
# appliances and the gateway live, resolves nothing. The rehearsal names that /24.

# phase: dns
Add-DnsServerPrimaryZone -Name "globex.example" -ReplicationScope "Forest"
Add-DnsServerClientSubnet -Name "MumbaiSubnet" -IPv4Subnet "10.80.3.0/24"
Add-DnsServerClientSubnet -Name "SeattleSubnet" -IPv4Subnet "10.20.0.0/24","10.20.4.0/25"
Add-DnsServerZoneScope -ZoneName "globex.example" -Name "MumbaiScope"
Add-DnsServerZoneScope -ZoneName "globex.example" -Name "SeattleScope"
Add-DnsServerResourceRecord -ZoneName "globex.example" -A -Name "mb" -IPv4Address "10.80.2.10" -ZoneScope "MumbaiScope"
Add-DnsServerResourceRecord -ZoneName "globex.example" -A -Name "mb" -IPv4Address "10.80.2.11" -ZoneScope "MumbaiScope"
Add-DnsServerResourceRecord -ZoneName "globex.example" -A -Name "mb" -IPv4Address "10.20.0.10" -ZoneScope "SeattleScope"
Add-DnsServerQueryResolutionPolicy -Name "MumbaiPolicy" -Action ALLOW -ClientSubnet "eq,MumbaiSubnet" -ZoneScope "MumbaiScope,1" -ZoneName "globex.example"
Add-DnsServerQueryResolutionPolicy -Name "SeattleOffice" -Action ALLOW -ClientSubnet "eq,SeattleSubnet" -ZoneScope "SeattleScope,1" -ZoneName "globex.example"

# phase: enable
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://mb.globex.example/hybridconfig/hybridconfigservice.svc
$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
Get-CsNetworkConfiguration -LocalStore

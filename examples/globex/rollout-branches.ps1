# Media bypass rollout for globex.example with its branch (examples/globex/branches.toml), with one
# mistake: PerthSubnet names Perth's client subnet, but Perth's queries reach dc1 from the branch
# resolver 10.50.9.5, which no client subnet covers, so Perth falls to the default scope.

# phase: dns
Add-DnsServerPrimaryZone -Name "globex.example" -ReplicationScope "Forest"
Add-DnsServerClientSubnet -Name "MumbaiSubnet" -IPv4Subnet "10.80.2.0/23"
Add-DnsServerClientSubnet -Name "SeattleSubnet" -IPv4Subnet "10.20.0.0/24","10.20.4.0/25"
Add-DnsServerClientSubnet -Name "PerthSubnet" -IPv4Subnet "10.50.0.0/24"
Add-DnsServerZoneScope -ZoneName "globex.example" -Name "MumbaiScope"
Add-DnsServerZoneScope -ZoneName "globex.example" -Name "SeattleScope"
Add-DnsServerResourceRecord -ZoneName "globex.example" -A -Name "mb" -IPv4Address "10.80.2.10" -ZoneScope "MumbaiScope"
Add-DnsServerResourceRecord -ZoneName "globex.example" -A -Name "mb" -IPv4Address "10.80.2.11" -ZoneScope "MumbaiScope"
Add-DnsServerResourceRecord -ZoneName "globex.example" -A -Name "mb" -IPv4Address "10.20.0.10" -ZoneScope "SeattleScope"
Add-DnsServerQueryResolutionPolicy -Name "MumbaiPolicy" -Action ALLOW -ClientSubnet "eq,MumbaiSubnet" -ZoneScope "MumbaiScope,1" -ZoneName "globex.example"
Add-DnsServerQueryResolutionPolicy -Name "SeattleOffice" -Action ALLOW -ClientSubnet "eq,SeattleSubnet" -ZoneScope "SeattleScope,1" -ZoneName "globex.example"
Add-DnsServerQueryResolutionPolicy -Name "PerthPolicy" -Action ALLOW -ClientSubnet "eq,PerthSubnet" -ZoneScope "MumbaiScope,1" -ZoneName "globex.example"

# phase: enable
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://mb.globex.example/hybridconfig/hybridconfigservice.svc
$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass

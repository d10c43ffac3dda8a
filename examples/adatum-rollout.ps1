# Media bypass rollout for adatum.biz (the seed topology, lab/topologies/adatum.toml), in the
# order the deployment guide gives. Rehearse it with:
#   bypass-lab rehearse --runbook examples/adatum-rollout.ps1
# The lab's DNS server starts empty: the first phase builds the zone, one client subnet, zone
# scope and policy per site, and the service name's records in each site's scope only (none in
# the default scope, so external clients get no answer).

# phase: dns
Add-DnsServerPrimaryZone -Name "adatum.biz" -ReplicationScope "Forest"
Add-DnsServerClientSubnet -Name "AmsterdamSubnet" -IPv4Subnet "192.168.1.0/24"
Add-DnsServerClientSubnet -Name "SeattleSubnet" -IPv4Subnet "10.10.1.0/24"
Add-DnsServerZoneScope -ZoneName "adatum.biz" -Name "AmsterdamZoneScope"
Add-DnsServerZoneScope -ZoneName "adatum.biz" -Name "SeattleZoneScope"
Add-DnsServerResourceRecord -ZoneName "adatum.biz" -A -Name "hybridvoice" -IPv4Address "192.168.1.45" -ZoneScope "AmsterdamZoneScope"
Add-DnsServerResourceRecord -ZoneName "adatum.biz" -A -Name "hybridvoice" -IPv4Address "192.168.1.46" -ZoneScope "AmsterdamZoneScope"
Add-DnsServerResourceRecord -ZoneName "adatum.biz" -A -Name "hybridvoice" -IPv4Address "192.168.1.47" -ZoneScope "AmsterdamZoneScope"
Add-DnsServerResourceRecord -ZoneName "adatum.biz" -A -Name "hybridvoice" -IPv4Address "192.168.1.48" -ZoneScope "AmsterdamZoneScope"
Add-DnsServerResourceRecord -ZoneName "adatum.biz" -A -Name "hybridvoice" -IPv4Address "10.10.1.8" -ZoneScope "SeattleZoneScope"
Add-DnsServerResourceRecord -ZoneName "adatum.biz" -A -Name "hybridvoice" -IPv4Address "10.10.1.9" -ZoneScope "SeattleZoneScope"
Add-DnsServerResourceRecord -ZoneName "adatum.biz" -A -Name "hybridvoice" -IPv4Address "10.10.1.10" -ZoneScope "SeattleZoneScope"
Add-DnsServerQueryResolutionPolicy -Name "AmsterdamPolicy" -Action ALLOW -ClientSubnet "eq,AmsterdamSubnet" -ZoneScope "AmsterdamZoneScope,1" -ZoneName "adatum.biz"
Add-DnsServerQueryResolutionPolicy -Name "SeattlePolicy" -Action ALLOW -ClientSubnet "eq,SeattleSubnet" -ZoneScope "SeattleZoneScope,1" -ZoneName "adatum.biz"

# phase: enable
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc
$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
# Confirm what the tenant holds, and what the admin's own workstation resolves.
Get-CsTenantHybridConfiguration -LocalStore
Get-CsNetworkConfiguration -LocalStore
Resolve-DnsName hybridvoice.adatum.biz

# phase: temporary-disable
$mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass

# phase: permanent-disable
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null
$mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
Remove-DnsServerResourceRecord -ZoneName "adatum.biz" -RRType "A" -Name "hybridvoice" -ZoneScope "AmsterdamZoneScope" -Force
Remove-DnsServerResourceRecord -ZoneName "adatum.biz" -RRType "A" -Name "hybridvoice" -ZoneScope "SeattleZoneScope" -Force

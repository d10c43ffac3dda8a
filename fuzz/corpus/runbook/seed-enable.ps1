# Enable media bypass, as the deployment guide's "Enable media bypass" step, for the seed plan
# (lab/topologies/adatum.toml). The guide writes the URL as http://newname.domain/...: that name
# is a placeholder for your own service name; the seed's is hybridvoice.adatum.biz.
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc
$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass

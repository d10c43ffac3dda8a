# Quoting, continuation, arrays, pipelines and a typo the seed itself holds.
$url = "http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc"
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $url
$obj = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true `
    -Enabled $true
Set-CsNetworkConfiguration -MediaBypassSettings $obj
Get- CsNetworkConfiguration -LocalStore
$names = @('ams-cce1', "sea-cce1"); $names | ForEach-Object { $_ }
Add-DnsServerQueryResolutionPolicy -Name "AmsPolicy" -Action ALLOW -ClientSubnet "EQ,AmsSubnet" -ZoneScope "AmsScope,1;SeaScope,2" -ZoneName "adatum.biz"
Write-Host 'it''s "quoted"' ; Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null

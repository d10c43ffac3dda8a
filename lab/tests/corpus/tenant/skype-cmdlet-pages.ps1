# page: https://learn.microsoft.com/powershell/module/skype/set-cstenanthybridconfiguration
# The examples of the Skype for Business Online cmdlet pages the lab models, line by line
# (https://learn.microsoft.com/powershell/module/skype/<cmdlet>), with the seed plan's names
# and the tenant's own id in place of the pages' examples where the lab checks them.
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl "https://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc"
#> ok
Get-CsTenantHybridConfiguration -Identity "Global"
#> ok
#> shows HybridConfigServiceInternalUrl = https://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc
Get-CsTenantHybridConfiguration -Tenant "bf19b7db-6960-41e5-a139-2aa373474354"
#> error: was not found
Get-CsTenantHybridConfiguration | Format-List
#> ok
Set-CsNetworkConfiguration -EnableBandwidthPolicyCheck $True
#> not modelled
Get-CsNetworkConfiguration
#> ok
$a = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
#> ok
Set-CsNetworkConfiguration -MediaBypassSettings $a
#> ok
$a = (Get-CsNetworkConfiguration).MediaBypassSettings
#> ok
$a.AlwaysBypass = $false
#> ok
Set-CsNetworkConfiguration -MediaBypassSettings $a
#> ok
Get-CsNetworkConfiguration
#> ok
#> shows AlwaysBypass = False
Get-CsHybridPSTNAppliance
#> ok
Get-CsHybridPSTNAppliance -SiteName "Seattle"
#> ok
Get-CsHybridPSTNAppliance -Name "sea-cce1"
#> ok
Get-CsHybridPSTNAppliance -SiteName "Seattle" -Name "sea-cce1"
#> ok
Get-CsHybridPSTNSite
#> ok
Get-CsHybridPSTNSite -Identity "Seattle"
#> ok
Set-CsUserPstnSettings -Identity jphillips@adatum.biz -Tenant "38aad667-af54-4397-aaa7-e94c79ec2308" -AllowInternationalCalls $true
#> error: was not found
Set-CsUserPstnSettings -Identity jphillips@adatum.biz -AllowInternationalCalls $true
#> ok
Get-CsUserPstnSettings -Identity jphillips@adatum.biz
#> ok
#> shows AllowInternationalCalls = True
Set-CsUserPstnSettings -Identity jphillips@adatum.biz -AllowInternationalCalls $false -HybridPSTNSite $null
#> ok
# The pages' own example user is in contoso.com, which is not this tenant's: the service does
# not find that user.
Get-CsUserPstnSettings -Identity "jphillips@contoso.com"
#> error: Management object not found for identity "jphillips@contoso.com"
Set-CsUserPstnSettings -Identity "jphillips@contoso.com" -HybridPSTNSite "Seattle"
#> error: Management object not found for identity "jphillips@contoso.com"
Set-CsTenantFederationConfiguration -AllowPublicUsers $false
#> not modelled
Get-CsOnlineUser -Identity jphillips@adatum.biz
#> not modelled

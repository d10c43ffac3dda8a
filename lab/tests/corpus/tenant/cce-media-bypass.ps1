# page: https://learn.microsoft.com/skypeforbusiness/skype-for-business-hybrid-solutions/plan-your-phone-system-cloud-pbx-solution/cloud-connector-edition/deploy-media-bypass-in-cloud-connector
# "Deploy media bypass in Cloud Connector Edition", line by line, with the seed plan's service
# name in place of the page's placeholder (newname.domain).
Import-Module SkypeOnlineConnector
#> ok
$cred = Get-Credential
#> ok
$CSSession = New-CsOnlineSession -Credential $cred -OverrideAdminDomain "adatum.onmicrosoft.com"
#> ok
Import-PSSession $CSSession -AllowClobber
#> ok
# Enable media bypass.
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc
#> ok
$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
#> ok
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
#> ok
# Confirm the settings online.
Get-CsTenantHybridConfiguration -LocalStore
#> ok
#> shows HybridConfigServiceInternalUrl = http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc
Get-CsNetworkConfiguration -LocalStore
#> ok
#> shows Enabled = True
#> shows AlwaysBypass = True
# Temporarily disable media bypass.
$mediabypass = New-CsNetworkMediaBypassConfiguration
#> ok
$mediabypass.Enabled = $false
#> ok
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
#> ok
Get-CsNetworkConfiguration
#> ok
#> shows Enabled = False
# Permanently disable media bypass: the URL goes, then the settings.
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null
#> ok
$mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false
#> ok
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
#> ok
Get-CsTenantHybridConfiguration
#> ok
#> shows HybridConfigServiceInternalUrl =
# The guide's own typo, as printed on the page.
Get- CsNetworkConfiguration -LocalStore
#> error: The term 'Get-' is not recognized
Remove-PSSession $CSSession
#> ok

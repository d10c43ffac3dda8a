#!/usr/bin/env bash
# Times `bypass-lab rehearse --runbook` on CCE's largest deployment: SITES sites (default 200) of
# 16 appliances, each site with its own subnet, client subnet, zone scope and policy, and a
# four-phase runbook (dns, enable, temporary-disable, permanent-disable) as the seed's example
# gives it. Prints wall time, peak memory, the new TCP connections (the kernel's ActiveOpens for
# the whole namespace: run it where nothing else opens connections) and the verdict line.
set -euo pipefail
cd "$(dirname "$0")/../.."
sites="${1:-200}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$sites" "$work" <<'PY'
import sys
sites, work = int(sys.argv[1]), sys.argv[2]
topo = ['[tenant]', 'domain = "adatum.biz"', 'sip_domains = ["adatum.biz"]',
        'service_name = "hybridvoice.adatum.biz"', 'replication_window = "24h"']
dns = ['# phase: dns', 'Add-DnsServerPrimaryZone -Name "adatum.biz" -ReplicationScope "Forest"']
for s in range(sites):
    topo += ['', '[[site]]', f'name = "site{s}"', f'subnets = ["10.{s}.0.0/24"]', f'gateway = "10.{s}.0.1"']
    dns += [f'Add-DnsServerClientSubnet -Name "Site{s}Subnet" -IPv4Subnet "10.{s}.0.0/24"',
            f'Add-DnsServerZoneScope -ZoneName "adatum.biz" -Name "Site{s}Scope"']
    for a in range(16):
        topo += ['[[site.appliance]]', f'name = "s{s}-cce{a}"', f'address = "10.{s}.0.{10 + a}"']
        dns.append(f'Add-DnsServerResourceRecord -ZoneName "adatum.biz" -A -Name "hybridvoice" '
                   f'-IPv4Address "10.{s}.0.{10 + a}" -ZoneScope "Site{s}Scope"')
    dns.append(f'Add-DnsServerQueryResolutionPolicy -Name "Site{s}Policy" -Action ALLOW '
               f'-ClientSubnet "eq,Site{s}Subnet" -ZoneScope "Site{s}Scope,1" -ZoneName "adatum.biz"')
rest = ['', '# phase: enable',
        'Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc',
        '$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true',
        'Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass',
        '', '# phase: temporary-disable',
        '$mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false',
        'Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass',
        '', '# phase: permanent-disable',
        'Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null',
        '$mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false',
        'Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass']
rest += [f'Remove-DnsServerResourceRecord -ZoneName "adatum.biz" -RRType "A" -Name "hybridvoice" -ZoneScope "Site{s}Scope" -Force'
         for s in range(sites)]
open(f'{work}/topology.toml', 'w').write('\n'.join(topo) + '\n')
open(f'{work}/rollout.ps1', 'w').write('\n'.join(dns + rest) + '\n')
PY
cargo build --release --quiet --bin bypass-lab
echo "$sites sites x 16 appliances; load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
active_opens() { awk '/^Tcp:/ { if (!n) { for (i = 1; i <= NF; i++) if ($i == "ActiveOpens") col = i; n = 1 } else print $col }' /proc/net/snmp; }
opened=$(active_opens)
start=$(date +%s.%N)
set +e
/usr/bin/time -f "peak memory %M kB" target/release/bypass-lab rehearse \
  --topology "$work/topology.toml" --runbook "$work/rollout.ps1" --report "$work/report" 2>&1 | grep --line-buffered -E "rollout rehearsal|peak memory|phase [0-9]"
set -e
end=$(date +%s.%N)
echo "wall $(python3 -c "print(f'{$end - $start:.1f}')") s (target < 30 s); $(( $(active_opens) - opened )) new TCP connections; load average $(cut -d' ' -f1-3 /proc/loadavg) at end"

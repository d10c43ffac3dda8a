#!/usr/bin/env bash
# Queries per second of the lab's DNS role against BIND 9 answering the same policy-selected
# records, both on loopback only, with dnsperf and the same query file for the same time.
# Usage: bench/dns/run.sh [SECONDS]   (default 10 s per server)
set -euo pipefail
SECONDS_EACH="${1:-10}"
LAB_PORT=25353
LAB_ADMIN=28053
BIND_PORT=25354
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v dnsperf >/dev/null || ! command -v named >/dev/null || ! command -v dig >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq dnsperf bind9 bind9-dnsutils >/dev/null
fi

# Queries: the service name (policy-selected answer) and an absent name (NXDOMAIN).
for _ in $(seq 1 50); do
    echo "hybridvoice.adatum.biz A"
    echo "missing.adatum.biz A"
done > "$WORK/queries.txt"

# BIND 9: the client is 127.0.0.1, so a view keyed on that source gives the Amsterdam scope,
# which is what the lab's server gives a client stating 192.168.1.77 by ECS.
cat > "$WORK/amsterdam.zone" <<ZONE
\$TTL 3600
@ 60 IN SOA dns.adatum.biz. hostmaster.adatum.biz. 1 900 600 86400 60
@ IN NS dns.adatum.biz.
dns IN A 127.0.0.1
hybridvoice IN A 192.168.1.45
hybridvoice IN A 192.168.1.46
hybridvoice IN A 192.168.1.47
hybridvoice IN A 192.168.1.48
ZONE
cat > "$WORK/default.zone" <<ZONE
\$TTL 3600
@ 60 IN SOA dns.adatum.biz. hostmaster.adatum.biz. 1 900 600 86400 60
@ IN NS dns.adatum.biz.
dns IN A 127.0.0.1
ZONE
cat > "$WORK/named.conf" <<CONF
options {
    directory "$WORK";
    pid-file "$WORK/named.pid";
    listen-on port $BIND_PORT { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
};
view "amsterdam" { match-clients { 127.0.0.1; }; zone "adatum.biz" { type primary; file "$WORK/amsterdam.zone"; }; };
view "others" { match-clients { any; }; zone "adatum.biz" { type primary; file "$WORK/default.zone"; }; };
CONF
# The lab's server: the client is also 127.0.0.1, so give loopback the Amsterdam scope too, with
# a start-up script of the same cmdlets an admin would run.
cat > "$WORK/loopback-is-amsterdam.ps1" <<'PS'
Add-DnsServerClientSubnet -Name BenchLoopback -IPv4Subnet 127.0.0.0/8
Add-DnsServerQueryResolutionPolicy -Name BenchLoopbackPolicy -Action ALLOW -ClientSubnet "EQ,BenchLoopback" -ZoneScope "AmsterdamZoneScope,1" -ProcessingOrder 100 -ZoneName adatum.biz
PS
cd "$ROOT"
cargo build --release -p bypass-lab --bin bypass-lab
"$ROOT/target/release/bypass-lab" serve dns --listen "127.0.0.1:$LAB_PORT" --admin "127.0.0.1:$LAB_ADMIN" \
    --script "$WORK/loopback-is-amsterdam.ps1" >"$WORK/lab-dns.log" 2>&1 &
PIDS+=($!)
named -g -u "$(id -un)" -c "$WORK/named.conf" >"$WORK/named.log" 2>&1 &
PIDS+=($!)

wait_for() { # PORT
    for _ in $(seq 1 100); do
        if dig @127.0.0.1 -p "$1" +time=1 +tries=1 hybridvoice.adatum.biz | grep -q "192.168.1.45"; then return 0; fi
        sleep 0.2
    done
    echo "no answer on port $1" >&2
    return 1
}
wait_for "$LAB_PORT"
wait_for "$BIND_PORT"

rate() { # PORT
    dnsperf -s 127.0.0.1 -p "$1" -d "$WORK/queries.txt" -l "$SECONDS_EACH" -c 4 -Q 1000000 -q 200 \
        | awk '/Queries per second/ {print $4}'
}
LAB_QPS="$(rate "$LAB_PORT")"
BIND_QPS="$(rate "$BIND_PORT")"
echo "bypass-lab DNS: $LAB_QPS queries/s"
echo "BIND 9:         $BIND_QPS queries/s"
awk -v a="$LAB_QPS" -v b="$BIND_QPS" 'BEGIN { printf "ratio (lab / BIND): %.2fx\n", a / b }'

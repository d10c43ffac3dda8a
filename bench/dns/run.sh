#!/usr/bin/env bash
# Queries per second of the lab's DNS role against BIND 9 answering the same geo policy, both on
# loopback only, with dnsperf and the same query file, alternating BIND and the lab in one run.
#
# The policy: five zone scopes (five sites, five answers) and N client-subnet policies, policy i
# sending client 127.0.a.b (one /32 each) to site i mod 5; every other client gets the default
# scope, where the name does not exist. BIND expresses it as N views in the same order plus a
# default view. dnsperf asks from the LAST policy's address, so both servers try every policy
# before the one that matches: the per-query cost of policies shows, if there is one.
#
# Usage: bench/dns/run.sh [SECONDS] [POLICY COUNTS...]   (default: 5 s per measurement, 2 20 200)
set -euo pipefail
SECONDS_EACH="${1:-5}"
shift || true
COUNTS=("${@:-}")
if [ -z "${COUNTS[0]}" ]; then COUNTS=(2 20 200); fi
ROUNDS=2
LAB_PORT=25353
LAB_ADMIN=28053
BIND_PORT=25354
SITES=5
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$(mktemp -d)"
PIDS=()
stop_servers() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}
cleanup() {
    stop_servers
    rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v dnsperf >/dev/null || ! command -v named >/dev/null || ! command -v dig >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq dnsperf bind9 bind9-dnsutils >/dev/null
fi

client_of() { # POLICY-INDEX -> the one address its client subnet holds
    echo "127.0.$((1 + $1 / 250)).$((1 + $1 % 250))"
}
# A client no policy names: the default scope answers it.
STRANGER=127.9.9.9

cd "$ROOT"
cargo build --release -p bypass-lab --bin bypass-lab
LAB="$ROOT/target/release/bypass-lab"

# Queries: the policy-selected name and an absent one (NXDOMAIN).
for _ in $(seq 1 50); do
    echo "hybridvoice.adatum.biz A"
    echo "missing.adatum.biz A"
done > "$WORK/queries.txt"

configure() { # POLICIES: writes the lab's start-up script and BIND's configuration
    local n="$1" i
    {
        echo "Add-DnsServerPrimaryZone -Name adatum.biz -ZoneFile adatum.biz.dns"
        for s in $(seq 0 $((SITES - 1))); do
            echo "Add-DnsServerZoneScope -ZoneName adatum.biz -Name Site${s}ZoneScope"
            for h in 45 46; do
                echo "Add-DnsServerResourceRecord -ZoneName adatum.biz -A -Name hybridvoice -IPv4Address 192.168.$((s + 1)).$h -ZoneScope Site${s}ZoneScope"
            done
        done
        for i in $(seq 0 $((n - 1))); do
            echo "Add-DnsServerClientSubnet -Name Bench$i -IPv4Subnet $(client_of "$i")/32"
            echo "Add-DnsServerQueryResolutionPolicy -Name BenchPolicy$i -Action ALLOW -ClientSubnet \"EQ,Bench$i\" -ZoneScope \"Site$((i % SITES))ZoneScope,1\" -ProcessingOrder $((i + 1)) -ZoneName adatum.biz"
        done
    } > "$WORK/policy.ps1"

    for s in $(seq 0 $((SITES - 1))) default; do
        {
            echo "\$TTL 3600"
            echo "@ 60 IN SOA dns.adatum.biz. hostmaster.adatum.biz. 1 900 600 86400 60"
            echo "@ IN NS dns.adatum.biz."
            echo "dns IN A 127.0.0.1"
            if [ "$s" != default ]; then
                echo "hybridvoice IN A 192.168.$((s + 1)).45"
                echo "hybridvoice IN A 192.168.$((s + 1)).46"
            fi
        } > "$WORK/site$s.zone"
    done
    {
        echo "options {"
        echo "    directory \"$WORK\"; pid-file \"$WORK/named.pid\";"
        echo "    listen-on port $BIND_PORT { 127.0.0.1; }; listen-on-v6 { none; };"
        echo "    recursion no; dnssec-validation no;"
        echo "};"
        for i in $(seq 0 $((n - 1))); do
            echo "view \"policy$i\" { match-clients { $(client_of "$i")/32; }; zone \"adatum.biz\" { type primary; file \"$WORK/site$((i % SITES)).zone\"; }; };"
        done
        echo "view \"others\" { match-clients { any; }; zone \"adatum.biz\" { type primary; file \"$WORK/sitedefault.zone\"; }; };"
    } > "$WORK/named.conf"
}

wait_for() { # PORT ADDRESS
    for _ in $(seq 1 150); do
        if dig -b "$2" @127.0.0.1 -p "$1" +time=1 +tries=1 hybridvoice.adatum.biz | grep -q "status: NOERROR"; then return 0; fi
        sleep 0.2
    done
    echo "no answer on port $1" >&2
    return 1
}

answer() { # PORT FROM NAME -> status and sorted addresses on one line
    local out
    out="$(dig -b "$2" @127.0.0.1 -p "$1" +time=2 +tries=1 "$3" A)"
    printf '%s %s\n' "$(echo "$out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')" \
        "$(echo "$out" | awk '/^;; ANSWER SECTION/ {on=1; next} /^$/ {on=0} on && $4 == "A" {print $5}' | sort | tr '\n' ' ')"
}

same_answers() { # POLICIES: the lab and BIND agree for the last sites' clients and a stranger
    local n="$1" first i from lab bind
    first=$((n > SITES ? n - SITES : 0))
    for i in $(seq "$first" $((n - 1))) stranger; do
        from="$STRANGER"
        [ "$i" != stranger ] && from="$(client_of "$i")"
        for name in hybridvoice.adatum.biz missing.adatum.biz; do
            lab="$(answer "$LAB_PORT" "$from" "$name")"
            bind="$(answer "$BIND_PORT" "$from" "$name")"
            if [ "$lab" != "$bind" ]; then
                echo "answers differ for $name from $from: lab [$lab], BIND [$bind]" >&2
                return 1
            fi
        done
    done
    echo "  same answers from both for $((n - first)) policies' clients and a stranger: $(answer "$LAB_PORT" "$(client_of $((n - 1)))" hybridvoice.adatum.biz)"
}

rate() { # PORT FROM
    dnsperf -s 127.0.0.1 -p "$1" -a "$2" -d "$WORK/queries.txt" -l "$SECONDS_EACH" -c 4 -Q 1000000 -q 200 \
        | awk '/Queries per second/ {print $4}'
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
for n in "${COUNTS[@]}"; do
    configure "$n"
    "$LAB" serve dns --empty --listen "127.0.0.1:$LAB_PORT" --admin "127.0.0.1:$LAB_ADMIN" \
        --script "$WORK/policy.ps1" >"$WORK/lab-dns.log" 2>&1 &
    PIDS+=($!)
    named -g -u "$(id -un)" -c "$WORK/named.conf" >"$WORK/named.log" 2>&1 &
    PIDS+=($!)
    from="$(client_of $((n - 1)))"
    wait_for "$LAB_PORT" "$from" || { cat "$WORK/lab-dns.log" >&2; exit 1; }
    wait_for "$BIND_PORT" "$from" || { tail "$WORK/named.log" >&2; exit 1; }
    echo "$n policies, $SITES zone scopes, asking from $from:"
    same_answers "$n"
    bind_sum=0
    lab_sum=0
    for round in $(seq 1 "$ROUNDS"); do
        b="$(rate "$BIND_PORT" "$from")"
        l="$(rate "$LAB_PORT" "$from")"
        echo "  round $round: BIND 9 $b q/s, bypass-lab $l q/s"
        bind_sum="$(awk -v s="$bind_sum" -v x="$b" 'BEGIN { print s + x }')"
        lab_sum="$(awk -v s="$lab_sum" -v x="$l" 'BEGIN { print s + x }')"
    done
    awk -v n="$n" -v a="$lab_sum" -v b="$bind_sum" -v r="$ROUNDS" \
        'BEGIN { printf "  %d policies: bypass-lab %.0f q/s, BIND 9 %.0f q/s, ratio (lab / BIND): %.2fx\n", n, a / r, b / r, a / b }'
    stop_servers
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Queries per second and CPU per query of the lab's DNS role against BIND 9 answering the same
# geo policy, both on loopback only, with dnsperf and the same query file, alternating BIND and
# the lab in one run.
#
# The policy: five zone scopes (five sites, five answers) and N client-subnet policies, policy i
# sending client 127.0.a.b (one /32 each) to site i mod 5; every other client gets the default
# scope, where the name does not exist. BIND expresses it as N views in the same order plus a
# default view. dnsperf asks from the LAST policy's address, so both servers try every policy
# before the one that matches: the per-query cost of policies shows, if there is one.
#
# CPU per query: the server process's user and system time (utime + stime of /proc/PID/stat, all
# its threads) over one dnsperf run, divided by the queries dnsperf saw answered in that run.
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
# CI sets CARGO_BUILD_TARGET, which moves the binary under the target's directory.
LAB="$ROOT/target/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}release/bypass-lab"
TICK="$(getconf CLK_TCK)"

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

cpu_ticks() { # PID -> user + system clock ticks of the whole process so far
    # Fields 14 and 15 of /proc/PID/stat, counted after the command name's closing parenthesis.
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

measure() { # PORT FROM PID -> "q/s answered cpu-seconds" for one dnsperf run
    local before after out
    before="$(cpu_ticks "$3")"
    out="$(dnsperf -s 127.0.0.1 -p "$1" -a "$2" -d "$WORK/queries.txt" -l "$SECONDS_EACH" -c 4 -Q 1000000 -q 200)"
    after="$(cpu_ticks "$3")"
    echo "$out" | awk -v t=$((after - before)) -v hz="$TICK" '
        /Queries completed/ { done = $3 }
        /Queries per second/ { qps = $4 }
        END { if (done == "" || done == 0) exit 1; printf "%s %s %.2f\n", qps, done, t / hz }'
}

per_query() { # CPU-SECONDS ANSWERED -> microseconds per query
    awk -v c="$1" -v n="$2" 'BEGIN { printf "%.2f", c * 1e6 / n }'
}
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
for n in "${COUNTS[@]}"; do
    configure "$n"
    "$LAB" serve dns --empty --listen "127.0.0.1:$LAB_PORT" --admin "127.0.0.1:$LAB_ADMIN" \
        --script "$WORK/policy.ps1" >"$WORK/lab-dns.log" 2>&1 &
    lab_pid=$!
    PIDS+=("$lab_pid")
    named -g -u "$(id -un)" -c "$WORK/named.conf" >"$WORK/named.log" 2>&1 &
    bind_pid=$!
    PIDS+=("$bind_pid")
    from="$(client_of $((n - 1)))"
    wait_for "$LAB_PORT" "$from" || { cat "$WORK/lab-dns.log" >&2; exit 1; }
    wait_for "$BIND_PORT" "$from" || { tail "$WORK/named.log" >&2; exit 1; }
    echo "$n policies, $SITES zone scopes, asking from $from:"
    same_answers "$n"
    # Sums over the rounds: q/s, answered queries, CPU seconds.
    bq=0 bn=0 bc=0 lq=0 ln=0 lc=0
    for round in $(seq 1 "$ROUNDS"); do
        read -r q1 n1 c1 < <(measure "$BIND_PORT" "$from" "$bind_pid")
        read -r q2 n2 c2 < <(measure "$LAB_PORT" "$from" "$lab_pid")
        echo "  round $round: BIND 9 $q1 q/s, $(per_query "$c1" "$n1") µs CPU/query ($c1 s for $n1);" \
            "bypass-lab $q2 q/s, $(per_query "$c2" "$n2") µs CPU/query ($c2 s for $n2)"
        read -r bq bn bc lq ln lc < <(awk -v a="$bq $bn $bc $lq $ln $lc" -v b="$q1 $n1 $c1 $q2 $n2 $c2" 'BEGIN {
            split(a, x, " "); split(b, y, " "); for (i = 1; i <= 6; i++) printf "%s ", x[i] + y[i]; print "" }')
    done
    awk -v n="$n" -v r="$ROUNDS" -v bq="$bq" -v bn="$bn" -v bc="$bc" -v lq="$lq" -v ln="$ln" -v lc="$lc" 'BEGIN {
        bu = bc * 1e6 / bn; lu = lc * 1e6 / ln
        printf "  %d policies: bypass-lab %.0f q/s, %.2f µs CPU/query; BIND 9 %.0f q/s, %.2f µs CPU/query\n", n, lq / r, lu, bq / r, bu
        printf "  %d policies: q/s ratio (lab / BIND) %.2fx, CPU per query ratio (lab / BIND) %.2fx\n", n, lq / bq, lu / bu }'
    stop_servers
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

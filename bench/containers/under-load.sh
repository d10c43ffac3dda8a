#!/usr/bin/env bash
# The rehearsal under CPU contention: two busy loops (one per core on a 2-core runner) spin while
# N embedded rehearsals of the seed and M containers rehearsals of a plan unlike the seed's run
# one after another. Prints failures and wall times; exits 1 on any failed run. Needs a Docker
# engine (root for the blackhole shield over the plan's subnets).
#
#   bench/containers/under-load.sh [EMBEDDED_RUNS] [CONTAINERS_RUNS]    # default 100 5
#   BIN=path/to/bypass-lab PLAN=plan.toml bench/containers/under-load.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
EMBEDDED=${1:-100}
CONTAINERS=${2:-5}

WORK=$(mktemp -d /tmp/bypass-lab-under-load.XXXXXX)
# shellcheck source=bench/containers/common.sh
. bench/containers/common.sh
BUSY=()
cleanup() {
  for pid in "${BUSY[@]}"; do kill "$pid" 2>/dev/null || true; done
  for subnet in "${SHIELD[@]}"; do ip route del blackhole "$subnet" metric 4000 2>/dev/null || true; done
}
trap cleanup EXIT
for _ in 1 2; do
  bash -c 'while :; do :; done' &
  BUSY+=($!)
done
echo "busy loops: ${BUSY[*]}; load average $(cut -d' ' -f1-3 /proc/loadavg) at $(date -u '+%Y-%m-%d %H:%M:%S UTC')"

# run KIND N ARGS...: N rehearsals one after another; prints failures, min/max wall time.
run() {
  local kind=$1 n=$2; shift 2
  local failed=0 min= max= started wall
  for i in $(seq 1 "$n"); do
    started=$(date +%s.%N)
    if ! "$BIN" rehearse "$@" --report "$WORK/$kind" >"$WORK/$kind-$i.log" 2>&1; then
      failed=$((failed + 1))
      echo "  $kind run $i failed: $(grep -E '^rehearsal:|^error:' "$WORK/$kind-$i.log" | head -1)"
    fi
    wall=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
    min=$(awk -v a="${min:-$wall}" -v b="$wall" 'BEGIN { print (b < a) ? b : a }')
    max=$(awk -v a="${max:-$wall}" -v b="$wall" 'BEGIN { print (b > a) ? b : a }')
  done
  echo "$kind: $n runs, $failed failed, wall time $min–$max s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  [ "$failed" = 0 ]
}

status=0
run embedded "$EMBEDDED" || status=1
run containers "$CONTAINERS" --backend containers --topology "$PLAN" --wait 20m || status=1
echo "$(nproc) cores, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $BIN; logs: $WORK"
exit "$status"

#!/usr/bin/env bash
# Two containers rehearsals of one plan on one Docker engine, as two CI jobs on one runner:
#   A. without --wait: the second, started 5 s after the first, exits 2 before any scenario with
#      one message naming the holder; the first passes;
#   B. with --wait: both, started 5 s apart, pass, one after the other;
#   C. a waiter killed with -9, then the holder killed with -9 mid-rehearsal: the next waiter
#      sweeps both and passes.
# Prints each run's exit code, scenarios, wall time and wait; exits 1 when a run does not behave
# so. Needs a Docker engine (root for the blackhole shield over the plan's subnets).
#
#   bench/containers/contention.sh                  # builds the release binary first
#   BIN=path/to/bypass-lab PLAN=plan.toml bench/containers/contention.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

WORK=$(mktemp -d /tmp/bypass-lab-contention.XXXXXX)
# shellcheck source=bench/containers/common.sh
. bench/containers/common.sh
RUNS=()
cleanup() {
  for pid in "${RUNS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for subnet in "${SHIELD[@]}"; do ip route del blackhole "$subnet" metric 4000 2>/dev/null || true; done
}
trap cleanup EXIT

FAILED=0
expect() { # what, condition...
  local what=$1; shift
  if "$@"; then echo "  ok: $what"; else echo "  NOT MET: $what"; FAILED=1; fi
}

# start NAME ARGS...: a rehearsal in the background; its pid in $! and RUNS.
start() {
  local name=$1; shift
  date +%s.%N >"$WORK/$name.start"
  "$BIN" rehearse --backend containers --topology "$PLAN" --report "$WORK/$name" "$@" >"$WORK/$name.log" 2>&1 &
  RUNS+=($!)
}

# finish NAME PID: waits for the run, records its exit code and end.
finish() {
  local rc=0
  wait "$2" || rc=$?
  echo "$rc" >"$WORK/$1.rc"
  date +%s.%N >"$WORK/$1.end"
}

# until_said NAME TEXT: returns once the run's log holds TEXT (deadline 300 s).
until_said() {
  local deadline=$((SECONDS + 300))
  until grep -qF "$2" "$WORK/$1.log"; do
    [ $SECONDS -lt $deadline ] || { echo "  NOT MET: $1 did not say '$2' within 300 s"; FAILED=1; return 1; }
    sleep 0.2
  done
}

report() { # NAME
  local rc wall scenarios waited
  rc=$(cat "$WORK/$1.rc")
  wall=$(awk -v s="$(cat "$WORK/$1.start")" -v e="$(cat "$WORK/$1.end")" 'BEGIN { print e - s }')
  scenarios=$(grep -oE '^rehearsal: [0-9]+ passed, [0-9]+ failed' "$WORK/$1.log" | sed 's/rehearsal: //' || true)
  waited=$(grep -oE '^waited [0-9.]+ s' "$WORK/$1.log" | sed 's/waited //' || true)
  printf '| %s | %s | %s | %.1f s | %s |\n' "$1" "$rc" "${scenarios:--}" "$wall" "${waited:--}"
}

echo "== A. without --wait, the second run 5 s after the first"
start a1; a1=$!
sleep 5 # the scenario itself: two CI jobs 5 s apart
start a2; a2=$!
finish a2 "$a2"
expect "a2 exits 2" [ "$(cat "$WORK/a2.rc")" = 2 ]
expect "a2 says it once, naming the holder" [ "$(grep -c '^error: ' "$WORK/a2.log")" = 1 ]
expect "a2's message names the lab or the run holding the subnets, and its command" \
  grep -qE "^error: (lab [0-9a-f]{8}|the run of process [0-9]+).*by \`bypass-lab rehearse" "$WORK/a2.log"
expect "a2 ran no scenario" bash -c "! grep -qE '^(Feature|rehearsal:)' '$WORK/a2.log'"
finish a1 "$a1"
expect "a1 passes" grep -qE '^rehearsal: [1-9][0-9]* passed, 0 failed' "$WORK/a1.log"
sed -n 's/^error: /  a2: /p' "$WORK/a2.log"

echo "== B. with --wait, the second run 5 s after the first"
start b1 --wait 20m; b1=$!
sleep 5
start b2 --wait 20m; b2=$!
finish b1 "$b1"
finish b2 "$b2"
for run in b1 b2; do
  expect "$run exits 0 with every scenario passed" grep -qE '^rehearsal: [1-9][0-9]* passed, 0 failed' "$WORK/$run.log"
done
expect "b2 waited, and said how long" grep -qE '^waited [0-9.]+ s' "$WORK/b2.log"
grep -E '^waiting for' "$WORK/b2.log" | sed 's/^/  b2: /'

echo "== C. a waiter killed with -9, then the holder killed with -9 mid-rehearsal"
start c1 --wait 20m; c1=$!
sleep 5
start c2 --wait 20m; c2=$!
until_said c2 "waiting for this topology's subnets"
kill -9 "$c2"
finish c2 "$c2"
start c3 --wait 20m; c3=$!
until_said c3 "waiting for this topology's subnets"
until_said c1 "Feature"
kill -9 "$c1"
finish c1 "$c1"
finish c3 "$c3"
expect "c3 removed the killed waiter's place" grep -qF "removed an abandoned place in the queue (process $c2 ended)" "$WORK/c3.log"
expect "c3 removed the killed holder's lab" grep -qE "removed abandoned lab [0-9a-f]{8} \(process $c1 ended\)" "$WORK/c3.log"
expect "c3 exits 0 with every scenario passed" grep -qE '^rehearsal: [1-9][0-9]* passed, 0 failed' "$WORK/c3.log"
expect "nothing of the runs is left on the engine" \
  bash -c "[ -z \"\$(docker volume ls -q --filter label=bypass-lab.queue.subnets=$(grep -E '^\s*subnets' "$PLAN" | grep -oE '[0-9.]+/[0-9]+' | paste -sd,))\" ]"

echo
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC'), $BIN"
echo "| run | exit | scenarios | wall time | waited |"
echo "|---|---|---|---|---|"
for run in a1 a2 b1 b2 c1 c2 c3; do report "$run"; done
echo "logs: $WORK"
exit "$FAILED"

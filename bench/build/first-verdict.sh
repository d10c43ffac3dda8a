#!/usr/bin/env bash
# Times the README's first command on a fresh clone: `cargo run --release -- rehearse` in a clone of
# this checkout's HEAD, with an empty Cargo home (so every crate is downloaded, as on a new machine)
# and no target directory. Prints the wall time to the rehearsal's verdict, the CPU time, the build
# alone (from Cargo's timing report), the units Cargo compiled and the packages in Cargo.lock. Run it
# on a quiet machine: the wall time is what a user waits, and other builds take its cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q --no-local . "$work/clone"
cd "$work/clone"
export CARGO_HOME="$work/cargo-home"
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET RUSTFLAGS
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "packages in Cargo.lock: $(grep -c '^name = ' Cargo.lock)"
start=$(date +%s.%N)
/usr/bin/time -f '%e s wall, %U s user, %S s system' -o "$work/time" \
  cargo run --release --timings -- rehearse >"$work/out" 2>"$work/err" || { tail -20 "$work/err"; exit 1; }
end=$(date +%s.%N)
grep -E 'passed|failed' "$work/out" | tail -1 || true
python3 - "$work/clone/target/cargo-timings" <<'PY'
import glob, json, re, sys
page = open(sorted(glob.glob(sys.argv[1] + "/cargo-timing-*.html"))[-1]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", page, re.S).group(1))
end = max(u["start"] + u["duration"] for u in units)
print(f"build: {len(units)} units compiled, {end:.1f} s from the first unit to the last")
for u in sorted(units, key=lambda u: -u["duration"])[:5]:
    print(f"  {u['duration']:6.1f} s from {u['start']:6.1f} s  {u['name']} {u['version']} {u.get('target', '').strip()}")
PY
echo "first verdict: $(echo "$end - $start" | bc) s ($(cat "$work/time")), load average after $(cut -d' ' -f1 /proc/loadavg)"

#!/usr/bin/env bash
# The containers lab at scale: for each plan SITESxAPPLIANCES given (default: 10x4 25x8), the
# time `up --backend containers` takes to be ready, the lab's memory once ready, the time of
# `clock advance 24h` (every Mediation Server syncs once), and the time of `down`.
#   bench/containers/scale.sh 10x4 25x8
# Plans use 10.150.<site>.0/24 and an outside 198.18.150.0/24; while a lab runs, those subnets
# are shielded with low-priority blackhole routes (root), so nothing for them leaves the host.
# At most 244 appliances: their online legs share one /24. Needs a Docker engine.
set -euo pipefail
cd "$(dirname "$0")/../.."
export RUSTFLAGS="${RUSTFLAGS:--C target-feature=+crt-static}"
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}"
cargo build -q --release --features containers
bin="${CARGO_TARGET_DIR:-$PWD/target}/$CARGO_BUILD_TARGET/release/bypass-lab"
plans=("$@")
[ ${#plans[@]} -gt 0 ] || plans=(10x4 25x8)
work=$(mktemp -d)
shielded=()
cleanup() {
  "$bin" --state "$work/state" down >/dev/null 2>&1 || true
  for net in "${shielded[@]}"; do ip route del blackhole "$net" metric 4000 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

plan() { # sites appliances
  printf '[tenant]\ndomain = "scale.test"\nsip_domains = ["scale.test"]\n'
  printf 'service_name = "hybridvoice.scale.test"\nreplication_window = "24h"\n'
  for s in $(seq 1 "$1"); do
    printf '\n[[site]]\nname = "s%d"\nsubnets = ["10.150.%d.0/24"]\ngateway = "10.150.%d.1"\n' "$s" "$s" "$s"
    for a in $(seq 1 "$2"); do
      printf '\n[[site.appliance]]\nname = "s%d-cce%d"\naddress = "10.150.%d.%d"\n' "$s" "$a" "$s" $((10 + a))
    done
  done
  printf '\n[outside]\nsubnets = ["198.18.150.0/24"]\n'
}

seconds() { # command...: wall-clock seconds it took
  local began ended
  began=$(date +%s.%N)
  "$@" >/dev/null
  ended=$(date +%s.%N)
  echo "$began $ended" | awk '{printf "%.1f", $2 - $1}'
}

memory() { # lab id: the sum of its containers' memory, in MiB
  docker stats --no-stream --format '{{.MemUsage}}' $(docker ps -q --filter "label=bypass-lab.lab=$1") |
    awk '{v=$1; u=v; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+$/, "", v);
          f = (u=="GiB") ? 1024 : (u=="KiB") ? 1/1024 : (u=="B") ? 1/1048576 : 1; t += v*f}
         END {printf "%.0f", t}'
}

echo "| plan | Mediation Servers | ready | memory | clock advance 24h | down |"
echo "|---|---|---|---|---|---|"
for p in "${plans[@]}"; do
  sites=${p%x*}; per=${p#*x}
  plan "$sites" "$per" >"$work/plan.toml"
  for s in $(seq 1 "$sites") ; do
    if ip route add blackhole "10.150.$s.0/24" metric 4000 2>/dev/null; then shielded+=("10.150.$s.0/24"); fi
  done
  if ip route add blackhole 198.18.150.0/24 metric 4000 2>/dev/null; then shielded+=(198.18.150.0/24); fi
  ready=$(seconds "$bin" --state "$work/state" up --backend containers --topology "$work/plan.toml")
  id=$(docker network ls --filter label=bypass-lab.lab --format '{{.Name}}' | grep -- '-s1$' | sed 's/^bypass-lab-//; s/-s1$//')
  mib=$(memory "$id")
  clock=$(seconds "$bin" --state "$work/state" clock advance 24h)
  down=$(seconds "$bin" --state "$work/state" down)
  echo "| ${sites} × ${per} | $((sites * per)) | ${ready} s | ${mib} MiB | ${clock} s | ${down} s |"
  for net in "${shielded[@]}"; do ip route del blackhole "$net" metric 4000 2>/dev/null || true; done
  shielded=()
done

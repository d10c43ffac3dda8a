#!/usr/bin/env bash
# The engine's own floor for taking many containers down, without the lab: SITES networks of
# PER containers each (default 25 × 8), every container a do-nothing static binary in an image
# made FROM scratch on the spot (no registry), one network leg each. Then times removing them all
# with the Docker CLI alone: `docker rm -f`, PARALLEL at once (default 64, far more than the lab
# dares, since concurrent removals on one network can leave Docker 20.10 miscounting its
# endpoints), then the networks. The lab's own `down` cannot beat this: its Mediation Servers
# have two legs each and a volume.
#   bench/containers/floor.sh [SITES] [PER] [PARALLEL]
# Networks use 10.151.<site>.0/24, refused if the host has a route or address inside 10.151.0.0/16,
# and shielded with low-priority blackhole routes while they exist (root); the containers send
# nothing.
set -euo pipefail
sites="${1:-25}" per="${2:-8}" parallel="${3:-64}"
if [ -n "$(ip -4 route show root 10.151.0.0/16 table all)" ] || ip -4 -o addr | grep -q ' 10\.151\.'; then
  echo "the host already uses 10.151.0.0/16: not starting" >&2
  exit 2
fi
work=$(mktemp -d)
label="bypass-lab.floor=$$"
cleanup() {
  docker ps -aq --filter "label=$label" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network ls -q --filter "label=$label" | xargs -r docker network rm >/dev/null 2>&1 || true
  docker rmi -f "bypass-lab-floor:$$" >/dev/null 2>&1 || true
  ip route del blackhole 10.151.0.0/16 metric 4000 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip route add blackhole 10.151.0.0/16 metric 4000 2>/dev/null || echo "(no blackhole shield: not root)"
printf 'fn main() { loop { std::thread::park(); } }\n' >"$work/idle.rs"
rustc -O -C target-feature=+crt-static "$work/idle.rs" -o "$work/idle"
tar -C "$work" -cf "$work/idle.tar" idle
docker import -c 'CMD ["/idle"]' "$work/idle.tar" "bypass-lab-floor:$$" >/dev/null
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC'), Docker $(docker version --format '{{.Server.Version}}')"
for s in $(seq 1 "$sites"); do
  docker network create --label "$label" --subnet "10.151.$s.0/24" "bypass-lab-floor-$$-$s" >/dev/null
done
for s in $(seq 1 "$sites"); do
  (for a in $(seq 1 "$per"); do
    docker run -d --label "$label" --network "bypass-lab-floor-$$-$s" --ip "10.151.$s.$((10 + a))" "bypass-lab-floor:$$" >/dev/null
  done) &
done
wait
running=$(docker ps -q --filter "label=$label" | wc -l)
began=$(date +%s.%N)
docker ps -q --filter "label=$label" | xargs -r -P "$parallel" -n 1 docker rm -f >/dev/null
removed=$(date +%s.%N)
docker network ls -q --filter "label=$label" | xargs -r -P "$sites" -n 1 docker network rm >/dev/null
ended=$(date +%s.%N)
printf '%d containers removed %d at once in %.1f s, then %d networks in %.1f s: %.1f s in all (load average %s)\n' \
  "$running" "$parallel" "$(echo "$removed - $began" | bc)" "$sites" "$(echo "$ended - $removed" | bc)" \
  "$(echo "$ended - $began" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"

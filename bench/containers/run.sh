#!/usr/bin/env bash
# Warm start time of the seed lab in containers, and the image's size.
# Targets: start < 15 s with the image built, image < 20 MB. Needs a Docker engine.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# The first run builds the static binary and the image (minutes); the figures are for warm starts.
cargo bench -q -p bypass-lab --features containers --bench containers 2>&1 | grep -E '^bench'


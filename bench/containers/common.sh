# Shared by the containers benches (sourced, with the repository as the working folder): the
# binary (BIN, else a release build), the plan (PLAN, else northwind.toml) and low-priority
# blackhole routes over the plan's subnets (SHIELD), so that while no lab bridge holds them,
# nothing for them leaves through the default route. The caller removes SHIELD's routes.
if [ -z "${BIN:-}" ]; then
  cargo build -q --release --features containers --bin bypass-lab
  BIN=$(ls -t target/*/release/bypass-lab target/release/bypass-lab 2>/dev/null | head -1)
fi
PLAN=${PLAN:-bench/containers/northwind.toml}
SHIELD=()
for subnet in $(grep -E '^\s*subnets' "$PLAN" | grep -oE '[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+'); do
  ip route add blackhole "$subnet" metric 4000 2>/dev/null && SHIELD+=("$subnet")
done

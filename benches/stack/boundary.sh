#!/usr/bin/env bash
# What a call costs when it crosses into a stack extension (see benches/README.md).
# Runs boundary_calls.kont at every recursion depth from FROM to TO with N calls in
# the loop, then times the slowest depths and a typical one with 10 N calls and
# prints the extra nanoseconds per call.
#
#   benches/stack/boundary.sh                 # depths 2000-4600 (about 2 minutes)
#   FROM=1 TO=9000 benches/stack/boundary.sh  # a wider scan
#   KONT=path benches/stack/boundary.sh       # another binary (default target/release/kont)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ -z "${NO_BUILD:-}" && -z "${KONT:-}" ]]; then
  cargo build --release --quiet
fi
KONT=${KONT:-target/release/kont}
FROM=${FROM:-2000}
TO=${TO:-4600}
N=${N:-1000000}
prog=benches/stack/boundary_calls.kont
TIMEFORMAT=%3R

# Wall seconds of one run at depth $1 with $2 calls.
run() { { time "$KONT" "$prog" "$1" "$2" >/dev/null; } 2>&1; }

scan=$(for d in $(seq "$FROM" "$TO"); do echo "$d $(run "$d" "$N")"; done)
typical=$(sort -k2 -n <<<"$scan" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
printf '%-8s %10s %14s\n' depth "s (10 N)" "extra ns/call"
base=$(run "$typical" $((10 * N)))
printf '%-8s %10s %14s\n' "$typical" "$base" "(typical)"
for d in $(sort -k2 -rn <<<"$scan" | head -4 | awk '{ print $1 }'); do
  t=$(run "$d" $((10 * N)))
  awk -v d="$d" -v t="$t" -v b="$base" -v n=$((10 * N)) \
    'BEGIN { printf "%-8s %10s %14.1f\n", d, t, (t - b) * 1e9 / n }'
done

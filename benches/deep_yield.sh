#!/usr/bin/env bash
# The cost of one yield (suspend + resume on the slow path) that passes DEPTH handlers which
# do not handle it, for several depths: (time(N) - time(0)) / N, median of RUNS runs each.
#
#   benches/deep_yield.sh                     # depths 0 10 100 1000, N = 300000, RUNS = 3
#   KONT=path RUNS=5 benches/deep_yield.sh    # another binary, more runs
#
# Builds kont first unless NO_BUILD=1 or KONT is set.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${NO_BUILD:-}" && -z "${KONT:-}" ]]; then
  cargo build --release --quiet
fi
KONT=${KONT:-target/release/kont}
RUNS=${RUNS:-3}
N=${N:-300000}
prog=benches/effects/deep_yield.kont

# Median wall seconds of RUNS runs of `kont prog DEPTH COUNT`, checking the output.
seconds() {
  local depth=$1 count=$2 want=$(($2 * ($2 - 1) / 2)) i t out times=()
  for ((i = 0; i < RUNS; i++)); do
    t=$(date +%s.%N)
    out=$("$KONT" "$prog" "$depth" "$count")
    times+=("$(echo "$(date +%s.%N) - $t" | bc)")
    if [[ "$out" != "$want" ]]; then
      echo "deep_yield $depth $count printed $out, not $want" >&2
      exit 1
    fi
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

printf '%-8s %10s %14s\n' depth N "ns per yield"
for depth in 0 10 100 1000; do
  full=$(seconds "$depth" "$N")
  empty=$(seconds "$depth" 0)
  awk -v d="$depth" -v n="$N" -v a="$full" -v b="$empty" \
    'BEGIN { printf "%-8s %10d %14.1f\n", d, n, (a - b) * 1e9 / n }'
done

#!/usr/bin/env bash
# Indexing every character of an ASCII string of N characters (benches/strings/index.kont)
# at N = 250,000 to 4,000,000: the whole run's wall time (median of RUNS runs) and the time
# per character, which stays flat when s[i] is O(1) (it would double with N if s[i] walked
# the string).
#
#   benches/strings/index.sh            # builds kont first (NO_BUILD=1 skips it)
#   KONT=path RUNS=5 benches/strings/index.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ -z "${NO_BUILD:-}" && -z "${KONT:-}" ]]; then
  cargo build --release --quiet
fi
KONT=${KONT:-target/release/kont}
RUNS=${RUNS:-3}

# The median wall time in seconds of RUNS runs of `kont index.kont N`, checking the output.
median() {
  local n=$1 times=() t out
  for _ in $(seq "$RUNS"); do
    TIMEFORMAT=%3R
    t=$({ time "$KONT" benches/strings/index.kont "$n" >/tmp/kont_index_out.$$; } 2>&1)
    out=$(cat /tmp/kont_index_out.$$)
    if [[ "$out" != "$((n / 10))" ]]; then
      echo "wrong output at N=$n: $out" >&2
      exit 1
    fi
    times+=("$t")
  done
  rm -f /tmp/kont_index_out.$$
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

printf '%10s %10s %14s\n' "N" "seconds" "ns per index"
for n in 250000 500000 1000000 2000000 4000000; do
  s=$(median "$n")
  printf '%10d %10s %14.1f\n' "$n" "$s" "$(echo "$s * 1000000000 / $n" | bc -l)"
done

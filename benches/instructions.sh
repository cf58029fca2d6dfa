#!/usr/bin/env bash
# Instructions per unit of work, counted by callgrind: reproducible on a noisy machine, where
# wall-clock times move by ±15%. Each line runs one program at two inputs and prints
# (instructions(N2) - instructions(N1)) / (units(N2) - units(N1)), so start-up cancels out.
#
#   benches/instructions.sh            # every line below (about 2 minutes)
#   KONT=path benches/instructions.sh  # another kont binary (default target/release/kont)
#
# Needs valgrind (apt-get install -y valgrind). Builds kont first unless NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
  echo "valgrind is not installed (apt-get install -y valgrind)" >&2
  exit 1
fi
if [[ -z "${NO_BUILD:-}" && -z "${KONT:-}" ]]; then
  cargo build --release --quiet
fi
KONT=${KONT:-target/release/kont}

# Instructions of one run of `kont FILE N`.
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$KONT" "$1" "$2" 2>&1 |
    awk '/refs:/ { gsub(",", "", $4); print $4 }'
}

# NAME FILE N1 N2 UNITS1 UNITS2
per() {
  local a b
  a=$(count "$2" "$3")
  b=$(count "$2" "$4")
  printf '%-34s %12d\n' "$1" $(((b - a) / ($6 - $5)))
}

printf '%-34s %12s\n' "what" "instructions"
# fib(20) makes 21,891 calls, fib(22) 57,313.
per "fib: per call" benches/core/fib.kont 20 22 21891 57313
per "loop: per 1000-element round" benches/core/loop.kont 10 20 10 20
per "countdown: per iteration" benches/suite/countdown.kont 100000 200000 100000 200000
per "iterator: per element" benches/suite/iterator.kont 100000 200000 100000 200000
# product_early(N) runs N products of a 1001-element list, each 1,000 calls deep.
per "product_early: per product" benches/suite/product_early.kont 1000 2000 1000 2000
per "gen_loop: per suspend + resume" benches/effects/gen_loop.kont 100000 200000 100000 200000
per "handler_lifecycle: per lifecycle" benches/effects/handler_lifecycle.kont 10000 20000 10000 20000
# resume_nontail(N) performs 1000 * N operations; generator(N) visits 2^(N+1) - 1 nodes.
per "resume_nontail: per operation" benches/suite/resume_nontail.kont 100 200 100000 200000
per "generator: per tree node" benches/suite/generator.kont 14 15 32767 65535
per "handler_sieve: whole run at 3000" benches/suite/handler_sieve.kont 10 3000 0 1
per "parsing_dollars: whole run at 300" benches/suite/parsing_dollars.kont 10 300 0 1

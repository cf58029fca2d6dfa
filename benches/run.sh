#!/usr/bin/env bash
# kont's benchmarks, measured in one run against the peers installed on this
# machine (see benches/README.md).
#
#   benches/run.sh                       # everything: core, suite, effects, scale, io
#   benches/run.sh core                  # fib, loop, list: kont against Lua 5.4
#   benches/run.sh suite                 # the 8 effect-handlers-bench programs
#   benches/run.sh suite generator ...   # some of them only
#   benches/run.sh effects               # ns per operation, KiB per continuation
#   benches/run.sh scale                 # 100,000 and 1,000,000 continuations
#   benches/run.sh io                    # 1,000,000 lines printed to a file
#
# Timing: whole-process wall time (bash `time`, TIMEFORMAT=%3R, the method of
# the peers' scripts), median of RUNS runs. Every output is checked; a kont
# failure or a wrong output is reported as FAIL and makes the exit status 1
# (the run goes on). Peers that are not installed are skipped with a note.
# Tables go to stdout (and to $OUT/report.txt), progress to stderr.
#
# The suite's peers are run by their own scripts ($PEERS/ocaml5/run.sh and
# $PEERS/lua/run.sh, called with a cases file made from SUITE below), whose
# TSV output is parsed. Where a peer times a smaller N than kont's (the peers
# do so where the full N takes more than ~20 s, or cannot run), kont is also
# timed at that N and the ratio compares the two at the same N (marked *).
#
# Environment:
#   RUNS=3                 runs per measurement (median)
#   KONT=path              kont binary to use (default: target/release/kont,
#                          built first with `cargo build --release`)
#   NO_BUILD=1             do not run cargo build
#   KONT_TIMEOUT=600       seconds allowed per kont (or Lua) run
#   KONT_MAX_RSS_MB=half of the RAM   a kont (or Lua) run whose resident memory
#                          grows past this is killed (a leak must not bring the
#                          machine's OOM killer upon other processes)
#   PEERS=/work/shared/peers   the peers' programs and scripts
#   KONT_PEERS=~/.cache/kont-peers  where ocaml5/build.sh installed OCaml 5
#   LUA=lua5.4             the Lua 5.4 interpreter
#   OUT=target/bench       logs and report
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
RUNS=${RUNS:-3}
KONT_TIMEOUT=${KONT_TIMEOUT:-600}
KONT_MAX_RSS_MB=${KONT_MAX_RSS_MB:-$(awk '/^MemTotal/ { print int($2 / 2048) }' /proc/meminfo)}
PEERS=${PEERS:-/work/shared/peers}
LUA=${LUA:-lua5.4}
OUT=${OUT:-$root/target/bench}
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# ---------------------------------------------------------------- cases
# suite: name, small N, small output, benchmark N, benchmark output, peer name.
# fibonacci_recursive: the suite's N is 42 (433494437, about 10^9 calls);
# we use 35 (30 million calls) so that a run takes a few tenths of a second in
# an interpreter: at 32 it ran for a tenth of a second, too short to time well.
SUITE=(
  "countdown           5  0   200000000 0               countdown"
  "fibonacci_recursive 5  5   35        9227465         fib"
  "product_early       5  0   100000    0               product_early"
  "iterator            5  15  40000000  800000020000000 iterator"
  "generator           5  57  25        67108837        generator"
  "parsing_dollars     10 55  20000     200010000       parsing_dollars"
  "resume_nontail      5  37  20000     357             resume_nontail"
  "handler_sieve       10 17  60000     171848738       handler_sieve"
)
# core: name, N, output (each has a .kont and a .lua in benches/core)
CORE=(
  "fib  35     9227465"
  "loop 30000  15120000576"
  "list 500000 393706734"
)
# effects: name, N, what is measured, target (per operation / continuation)
EFFECTS=(
  "gen_loop          10000000 ns  40"
  "handler_lifecycle 1000000  ns  100"
  "suspended_100k    100000   KiB 6"
)
# io: name, N (benches/io/NAME.kont, NAME.lua with print, NAME_write.lua with
# io.write; each prints N lines "line I", I from 0, to a file)
IO=(
  "print_lines 1000000"
)
# the expected output of an effects or scale program for N
expected_of() {
  local p=$1 n=$2
  case $p in
    gen_loop | handler_lifecycle | fresh_conts) echo $((n * (n - 1) / 2)) ;;
    suspended_100k) echo $((n * (n + 1) / 2)) ;;
    abandon_all | abandon_each) echo "$n" ;;
  esac
}

# ---------------------------------------------------------------- helpers
say() { printf '%s\n' "$*" >&2; }
is_num() { [[ ${1:-} =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
# a / b with 2 decimals, "-" unless both are positive numbers
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {
  if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0 && a + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
# geometric mean of the numbers among the arguments ("*" suffixes ignored)
geomean() { printf '%s\n' "$@" | tr -d '*' | awk '
  /^[0-9.]+$/ && $1 > 0 { s += log($1); n++ }
  END { if (n) printf "%.2f (%d)", exp(s / n), n; else printf "-" }'; }
check() { # what got expected
  if [[ "$2" == "$3" ]]; then say "ok   $1 = $2"; return 0; fi
  say "FAIL $1: got '$(head -c 200 <<< "$2")', expected '$3'"; fail=1; return 1
}

# peak RSS in KiB of a command, written to $work/rss by a wrapper
if [[ -x /usr/bin/time ]]; then
  rss_wrap=(/usr/bin/time -f %M -o "$work/rss")
else
  rss_wrap=(python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$work/rss")
fi

# watchdog PID: kills PID and its children once it has run KONT_TIMEOUT
# seconds or their resident memory exceeds KONT_MAX_RSS_MB; says why in
# $work/killed
watchdog() {
  local pid=$1 ticks=0 kids rss
  while sleep 0.5; do
    kill -0 "$pid" 2> /dev/null || return 0
    kids=$(pgrep -P "$pid" || true)
    rss=$(for p in "$pid" $kids; do cat "/proc/$p/status" 2> /dev/null; done |
          awk '/^VmRSS/ { s += $2 } END { print int(s / 1024) }')
    ticks=$((ticks + 1))
    if ((rss > KONT_MAX_RSS_MB)); then echo "killed: over ${KONT_MAX_RSS_MB} MB of RSS" > "$work/killed"
    elif ((ticks > 2 * KONT_TIMEOUT)); then echo "timeout" > "$work/killed"
    else continue; fi
    kill -9 $kids "$pid" 2> /dev/null
    return 0
  done
}
# guarded CMD...: runs CMD under the watchdog, returns its exit status
guarded() {
  local pid w rc=0
  "$@" & pid=$!
  watchdog "$pid" & w=$!
  wait "$pid" || rc=$?
  kill "$w" 2> /dev/null || true
  wait "$w" 2> /dev/null || true
  return $rc
}

# measure [--rss] PROGRAM ARGS...: runs the command RUNS times (guarded).
# Sets T to the median wall time in seconds ("error", "timeout" or "killed" if
# a run failed; the runs stop there), O to the stdout of the last run, and M to
# the median peak RSS in KiB (with --rss).
measure() {
  local rss=0 i t rc ts=() ms=() wrap=()
  if [[ $1 == --rss ]]; then rss=1; wrap=("${rss_wrap[@]}"); shift; fi
  T=error O= M=-
  for ((i = 0; i < RUNS; i++)); do
    rc=0
    rm -f "$work/killed"
    t=$( { TIMEFORMAT=%3R; time guarded "${wrap[@]}" "$@" > "$work/out" 2> "$work/err"; } 2>&1 ) || rc=$?
    O=$(cat "$work/out")
    if ((rc != 0)); then
      if [[ -f $work/killed ]]; then
        T=$(cut -d: -f1 "$work/killed"); say "     $(cat "$work/killed")"
      else
        say "     exit status $rc: $(head -c 400 "$work/err" | tr '\n' ' ')"
      fi
      return 0
    fi
    ts+=("$t")
    ((rss)) && ms+=("$(tail -n 1 "$work/rss")")
  done
  T=$(printf '%s\n' "${ts[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")
  if ((rss)); then M=$(printf '%s\n' "${ms[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p"); fi
  return 0
}

# kont_run [--rss] FILE N EXPECTED: measure kont, check its output. Sets T
# ("wrong" if the output is wrong), O, M.
kont_run() {
  local opt=()
  if [[ $1 == --rss ]]; then opt=(--rss); shift; fi
  local file=$1 n=$2 want=$3 name
  name=${file#"$here"/}
  say "kont $name $n"
  measure "${opt[@]}" "$KONT" "$file" "$n"
  if ! is_num "$T"; then
    say "FAIL kont $name $n: $T"; fail=1; return 0
  fi
  check "kont $name $n" "$O" "$want" || T=wrong
}
# lua_run [--rss] FILE N EXPECTED: the same for Lua (T is "-" without Lua)
lua_run() {
  local opt=()
  if [[ $1 == --rss ]]; then opt=(--rss); shift; fi
  local file=$1 n=$2 want=$3
  T=- M=-
  ((have_lua)) || return 0
  say "lua  ${file#"$here"/} $n"
  measure "${opt[@]}" "$LUA" "$file" "$n"
  is_num "$T" || { say "     (Lua run failed: $T)"; T=-; return 0; }
  check "lua  ${file#"$here"/} $n" "$O" "$want" || T=-
}

# ---------------------------------------------------------------- setup
if [[ -z ${KONT:-} ]]; then
  KONT=$root/target/release/kont
  if [[ ${NO_BUILD:-0} != 1 ]]; then
    say "building kont: cargo build --release"
    (cd "$root" && cargo build --release --quiet) || { say "cargo build failed"; exit 1; }
  fi
fi
[[ -x $KONT ]] || { say "no kont binary at $KONT"; exit 1; }

have_lua=0
if command -v "$LUA" > /dev/null; then have_lua=1; else say "note: no $LUA, Lua columns skipped (apt-get install -y lua5.4)"; fi
ocaml_prefix=${KONT_PEERS:-$HOME/.cache/kont-peers}/ocaml5/prefix
have_ocaml=0
if [[ -x $ocaml_prefix/bin/ocamlopt && -x $ocaml_prefix/bin/ocamlc && -f $PEERS/ocaml5/run.sh ]]; then
  have_ocaml=1
elif [[ ! -f $PEERS/ocaml5/run.sh ]]; then
  say "note: no $PEERS/ocaml5/run.sh, OCaml columns skipped"
else
  say "note: OCaml 5 not installed in $ocaml_prefix ($PEERS/ocaml5/build.sh builds it), OCaml columns skipped"
fi
have_lua_suite=0
if ((have_lua)) && [[ -f $PEERS/lua/run.sh ]]; then have_lua_suite=1
elif ((have_lua)); then say "note: no $PEERS/lua/run.sh, Lua suite column skipped"; fi

# rows of the main table: program N kont_s r_native r_bytecode r_lua native_s bytecode_s lua_s
ROWS=() SUITE_ROWS=() NOTES=() EFFECT_ROWS=() SCALE_ROWS=() IO_ROWS=()
row() { printf '%-20s %10s %8s %10s %10s %8s %9s %9s %8s' "$@"; }

# ---------------------------------------------------------------- core
run_core() {
  local c p n want kt
  for c in "${CORE[@]}"; do
    read -r p n want <<< "$c"
    kont_run "$here/core/$p.kont" "$n" "$want"; kt=$T
    lua_run "$here/core/$p.lua" "$n" "$want"
    ROWS+=("$(row "$p" "$n" "$kt" - - "$(ratio "$kt" "$T")" - - "$T")")
  done
}

# ---------------------------------------------------------------- suite
declare -A KT      # kont seconds by "program@N"
declare -A ON OB OO LT LO   # OCaml native/bytecode/output, Lua time/output by "peer@N"

# runs a peer's script, leaving its TSV in $work/LABEL.tsv
run_peer() {
  local label=$1 script=$2; shift 2
  say "running the $label peers: $script $* (progress in $OUT/$label.log)"
  if ! CASES=$work/cases.tsv RUNS=$RUNS bash "$script" "$@" > "$work/$label.tsv" 2> "$OUT/$label.log"; then
    say "note: $label peer script reported failures (see $OUT/$label.log):"
    grep -E '^FAIL|rror' "$OUT/$label.log" | head -5 >&2 || true
  fi
}

# peer_cell TIMES OUTS PEER PROGRAM FILE BENCH_N BENCH_OUT LABEL: sets R (ratio)
# and S (peer seconds), timing kont at the peer's N where that is smaller
peer_cell() {
  local -n times=$1 outs=$2
  local q=$3 p=$4 file=$5 bn=$6 bo=$7 label=$8 m= key want
  R=- S=-
  if is_num "${times[$q@$bn]:-}"; then
    m=$bn
  else
    for key in "${!times[@]}"; do
      if [[ $key == "$q@"* ]] && is_num "${times[$key]}"; then m=${key#*@}; fi
    done
  fi
  if [[ -z $m ]]; then
    [[ ${times[$q@$bn]:-} == fail ]] && { R=fail; NOTES+=("$p: $label fails at N=$bn (${outs[$q@$bn]:-})"); }
    return 0
  fi
  want=$bo; [[ $m == "$bn" ]] || want=${outs[$q@$m]}
  if [[ ${outs[$q@$m]} != "$want" ]]; then
    NOTES+=("$p: $label printed '${outs[$q@$m]}' at N=$m, expected '$want'; no ratio")
    return 0
  fi
  S=${times[$q@$m]}
  if [[ $m != "$bn" ]]; then
    [[ -n ${KT[$p@$m]:-} ]] || { kont_run "$file" "$m" "$want"; KT[$p@$m]=$T; }
    if [[ ${times[$q@$bn]:-} == fail ]]; then
      NOTES+=("$p: $label fails at N=$bn (${outs[$q@$bn]:-}); timed at N=$m, $S s; kont at that N: ${KT[$p@$m]} s")
    else
      NOTES+=("$p: $label timed at N=$m, $S s; kont at that N: ${KT[$p@$m]} s")
    fi
    R=$(ratio "${KT[$p@$m]}" "$S"); [[ $R == - ]] || R="$R*"
    S="$S*"
  else
    R=$(ratio "${KT[$p@$bn]}" "$S")
  fi
}

run_suite() {
  local c p sn so bn bo q file peers=() n nat bc out name sel=("$@")
  # the programs asked for
  local progs=()
  for c in "${SUITE[@]}"; do
    read -r p sn so bn bo q <<< "$c"
    if ((${#sel[@]} == 0)) || [[ " ${sel[*]} " == *" $p "* ]]; then progs+=("$c"); peers+=("$q"); fi
  done
  local names=" "
  for c in "${SUITE[@]}"; do read -r p _ <<< "$c"; names+="$p "; done
  for p in "${sel[@]}"; do
    [[ $names == *" $p "* ]] || { say "unknown suite program: $p (one of:${names% })"; exit 2; }
  done
  # the cases file for the peers' scripts: the same N and outputs as kont's
  printf '# name\tsmall_n\tsmall_out\tbench_n\tbench_out\n' > "$work/cases.tsv"
  for c in "${progs[@]}"; do
    read -r p sn so bn bo q <<< "$c"
    printf '%s\t%s\t%s\t%s\t%s\n' "$q" "$sn" "$so" "$bn" "$bo" >> "$work/cases.tsv"
  done
  if ((have_ocaml)); then
    run_peer ocaml5 "$PEERS/ocaml5/run.sh" "${peers[@]}"
    while IFS=$'\t' read -r name n nat bc out; do
      [[ $name == name || -z $name ]] && continue
      ON[$name@$n]=$nat OB[$name@$n]=$bc OO[$name@$n]=$out
    done < "$work/ocaml5.tsv"
  fi
  if ((have_lua_suite)); then
    run_peer lua "$PEERS/lua/run.sh" "${peers[@]}"
    while IFS=$'\t' read -r name n t out; do
      [[ $name == name || -z $name ]] && continue
      LT[$name@$n]=$t LO[$name@$n]=$out
    done < "$work/lua.tsv"
  fi
  for c in "${progs[@]}"; do
    read -r p sn so bn bo q <<< "$c"
    file=$here/suite/$p.kont
    say "kont suite/$p.kont $sn (small input)"
    measure "$KONT" "$file" "$sn"
    if ! is_num "$T"; then
      say "FAIL kont $p $sn: $T"; fail=1; KT[$p@$bn]=$T
    elif ! check "kont $p $sn" "$O" "$so"; then
      KT[$p@$bn]=wrong
    else
      kont_run "$file" "$bn" "$bo"; KT[$p@$bn]=$T
    fi
    local rn sn_ rb sb rl sl
    peer_cell ON OO "$q" "$p" "$file" "$bn" "$bo" "OCaml native"; rn=$R sn_=$S
    peer_cell OB OO "$q" "$p" "$file" "$bn" "$bo" "OCaml bytecode"; rb=$R sb=$S
    peer_cell LT LO "$q" "$p" "$file" "$bn" "$bo" "Lua"; rl=$R sl=$S
    SUITE_ROWS+=("$(row "$p" "$bn" "${KT[$p@$bn]}" "$rn" "$rb" "$rl" "$sn_" "$sb" "$sl")")
  done
  local cols=() i
  for i in 4 5 6; do
    cols+=("$(geomean $(printf '%s\n' "${SUITE_ROWS[@]}" | awk -v c=$i '{ print $c }'))")
  done
  SUITE_ROWS+=("$(row "geomean (programs)" "" "" "${cols[@]}" "" "" "")")
}

# ---------------------------------------------------------------- effects
# per N: (time(N) - time(0)) / N in ns, or (RSS(N) - RSS(0)) / N in KiB
per_op() { awk -v a="$1" -v b="$2" -v n="$3" -v unit="$4" 'BEGIN {
  if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/) { printf "-"; exit }
  if (unit == "ns") printf "%.1f", (a - b) * 1e9 / n; else printf "%.2f", (a - b) / n }'; }
unit() { if [[ $1 == - ]]; then echo -; else echo "$1 $2"; fi; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN {
  if (v !~ /^-?[0-9.]+$/) printf "-"; else if (v + 0 <= t + 0) printf "ok"; else printf "MISSED" }'; }

run_effects() {
  local c p n unit target kv lv k0 l0 opt
  for c in "${EFFECTS[@]}"; do
    read -r p n unit target <<< "$c"
    opt=(); [[ $unit == KiB ]] && opt=(--rss)
    kont_run "${opt[@]}" "$here/effects/$p.kont" "$n" "$(expected_of "$p" "$n")"; kv=$T; [[ $unit == KiB ]] && kv=$M
    kont_run "${opt[@]}" "$here/effects/$p.kont" 0 0; k0=$T; [[ $unit == KiB ]] && k0=$M
    lua_run "${opt[@]}" "$here/effects/$p.lua" "$n" "$(expected_of "$p" "$n")"; lv=$T; [[ $unit == KiB ]] && lv=$M
    lua_run "${opt[@]}" "$here/effects/$p.lua" 0 0; l0=$T; [[ $unit == KiB ]] && l0=$M
    kv=$(per_op "$kv" "$k0" "$n" "$unit"); lv=$(per_op "$lv" "$l0" "$n" "$unit")
    EFFECT_ROWS+=("$(printf '%-20s %10s %12s %12s %8s %12s %9s' "$p" "$n" "$(unit "$kv" "$unit")" \
      "<= $target $unit" "$(verdict "$kv" "$target")" "$(unit "$lv" "$unit")" "$(ratio "$kv" "$lv")")")
  done
}

# ---------------------------------------------------------------- scale
run_scale() {
  local c p n dir want kt km lt lm
  declare -A base_k base_l base_kt base_lt
  for c in "effects suspended_100k 100000" "effects suspended_100k 1000000" \
           "scale abandon_all 1000000" "scale abandon_each 1000000" "scale fresh_conts 1000000"; do
    read -r dir p n <<< "$c"
    want=$(expected_of "$p" "$n")
    if [[ -z ${base_k[$p]:-} ]]; then   # N = 0: the baseline for the same program
      kont_run --rss "$here/$dir/$p.kont" 0 0; base_k[$p]=$M base_kt[$p]=$T
      lua_run --rss "$here/$dir/$p.lua" 0 0; base_l[$p]=$M base_lt[$p]=$T
    fi
    kont_run --rss "$here/$dir/$p.kont" "$n" "$want"; kt=$T km=$M
    lua_run --rss "$here/$dir/$p.lua" "$n" "$want"; lt=$T lm=$M
    is_num "$kt" || km=-
    is_num "$lt" || lm=-
    SCALE_ROWS+=("$(printf '%-16s %8s %8s %9s %9s %9s   %8s %9s %9s %9s' "$p" "$n" \
      "$kt" "$(per_op "$kt" "${base_kt[$p]}" "$n" ns)" "$(per_op "$km" "${base_k[$p]}" "$n" KiB)" "$km" \
      "$lt" "$(per_op "$lt" "${base_lt[$p]}" "$n" ns)" "$(per_op "$lm" "${base_l[$p]}" "$n" KiB)" "$lm")")
  done
}

# ---------------------------------------------------------------- io
# io_run PROGRAM FILE N: measures PROGRAM FILE N (stdout to a file) and checks
# the file's checksum against N lines "line I"; sets T ("wrong" if it differs)
io_run() {
  local prog=$1 file=$2 n=$3 want got
  say "$(basename "$prog") ${file#"$here"/} $n"
  measure "$prog" "$file" "$n"
  if ! is_num "$T"; then say "FAIL ${file#"$here"/} $n: $T"; fail=1; return 0; fi
  want=$(awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print "line " i }' | cksum)
  got=$(cksum < "$work/out")
  check "${file#"$here"/} $n (checksum)" "$got" "$want" || T=wrong
}

run_io() {
  local c p n kt lp lw
  for c in "${IO[@]}"; do
    read -r p n <<< "$c"
    io_run "$KONT" "$here/io/$p.kont" "$n"; kt=$T
    lp=- lw=-
    if ((have_lua)); then
      io_run "$LUA" "$here/io/$p.lua" "$n"; lp=$T
      io_run "$LUA" "$here/io/${p}_write.lua" "$n"; lw=$T
    fi
    IO_ROWS+=("$(printf '%-16s %8s %8s %10s %10s %10s %10s' "$p" "$n" "$kt" \
      "$lp" "$(ratio "$kt" "$lp")" "$lw" "$(ratio "$kt" "$lw")")")
  done
}

# ---------------------------------------------------------------- main
section=${1:-all}; (($#)) && shift
case $section in
  all) run_core; run_suite; run_effects; run_scale; run_io ;;
  core) run_core ;;
  suite) run_suite "$@" ;;
  effects) run_effects ;;
  scale) run_scale ;;
  io) run_io ;;
  *) say "usage: benches/run.sh [all | core | suite [PROGRAM...] | effects | scale | io]"; exit 2 ;;
esac

{
  echo
  echo "kont $(cd "$root" && git describe --always --dirty 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, RUNS=$RUNS"
  if ((${#ROWS[@]} + ${#SUITE_ROWS[@]})); then
    echo
    echo "Wall seconds, median of $RUNS; kont/X = kont's time / X's time (below 1: kont is faster)."
    row program N "kont s" kont/OCaml kont/OCaml kont/Lua OCaml OCaml Lua; echo
    row "" "" "" native bytecode "" "native s" "byte s" "s"; echo
    if ((${#ROWS[@]})); then echo "-- core"; printf '%s\n' "${ROWS[@]}"; fi
    if ((${#SUITE_ROWS[@]})); then echo "-- suite (effect-handlers-bench)"; printf '%s\n' "${SUITE_ROWS[@]}"; fi
    if ((${#NOTES[@]})); then
      echo "* the peer ran a smaller N (its script's choice: the full N takes > 20 s or fails);"
      echo "  the ratio compares kont and the peer at that same N:"
      printf '  %s\n' "${NOTES[@]}"
    fi
    ((have_ocaml)) || echo "(no OCaml 5 peers: see the note at the start; $PEERS/ocaml5/build.sh installs OCaml)"
    ((have_lua)) || echo "(no Lua: apt-get install -y lua5.4)"
  fi
  if ((${#EFFECT_ROWS[@]})); then
    echo
    echo "Effects: cost per operation = (time(N) - time(0)) / N; memory per suspended"
    echo "continuation = (peak RSS(N) - peak RSS(0)) / N. Medians of $RUNS runs."
    printf '%-20s %10s %12s %12s %8s %12s %9s\n' benchmark N kont target "" Lua kont/Lua
    printf '%s\n' "${EFFECT_ROWS[@]}"
  fi
  if ((${#SCALE_ROWS[@]})); then
    echo
    echo "Scale: wall seconds; per continuation: ns = (time(N) - time(0)) / N and"
    echo "KiB = (peak RSS(N) - peak RSS(0)) / N, N = 0 being the same program;"
    echo "peak RSS in KiB. Medians of $RUNS runs."
    printf '%-16s %8s %8s %9s %9s %9s   %8s %9s %9s %9s\n' program N "kont s" ns/cont KiB/cont "RSS KiB" \
      "Lua s" ns/cont KiB/cont "RSS KiB"
    printf '%s\n' "${SCALE_ROWS[@]}"
  fi
  if ((${#IO_ROWS[@]})); then
    echo
    echo "Output: wall seconds to print N lines to a file (stdout redirected), median of $RUNS;"
    echo "Lua print flushes every line, Lua io.write is block-buffered as kont is."
    printf '%-16s %8s %8s %10s %10s %10s %10s\n' program N "kont s" "Lua print" kont/print \
      "Lua write" kont/write
    printf '%s\n' "${IO_ROWS[@]}"
  fi
  ((fail == 0)) || echo "SOME CHECKS FAILED (see FAIL lines above)"
} | tee "$OUT/report.txt"
exit $fail

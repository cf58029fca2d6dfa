#!/usr/bin/env bash
# Memory the front end (parsing, resolving, compiling) takes per byte of source: the peak
# resident memory of `kont FILE` less that of a hello world, divided by the size of FILE, for
# programs that run nothing (functions never called) or that the front end refuses:
#
#   ordinary   every golden program and example, each a function of its own (its effects
#              renamed apart), repeated to about 11 MB
#   flat       100 MB of small functions (ordinary statements, comments)
#   list       a 1,000,000-element list literal: the densest valid code (a token per byte)
#   deep       1,000,000 nested blocks, refused at the nesting bound while it is parsed
#   chain      1,000,000 `1 ::`, refused when 400,000 wait for their operands
#   else-if    an `else if` chain 1,000,000 long (21 MB), refused by the resolver
#
#   benches/front_end_memory.sh            # builds kont first unless NO_BUILD=1 or KONT is set
#
# Needs python3 and GNU time (/usr/bin/time). docs/architecture.md, "Front end", has the
# figures and what they come from.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${NO_BUILD:-}" && -z "${KONT:-}" ]]; then
  cargo build --release --quiet
fi
KONT=${KONT:-target/release/kont}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

python3 - "$dir" <<'EOF'
import glob, re, sys
out = sys.argv[1]
files = sorted(glob.glob('examples/*.kont')) + sorted(glob.glob('tests/programs/**/*.kont', recursive=True))
decls, bodies = [], []
for i, f in enumerate(files):
    text = open(f).read()
    if 'expect compile error' in text or 'expect warning' in text:
        continue
    for name in set(re.findall(r'^\s*effect\s+(\w+)', text, re.M)):
        text = re.sub(r'\b%s\b' % name, '%s_%d' % (name, i), text)
    lines = []
    for line in text.split('\n'):
        if re.match(r'\s*effect\s+\w+', line):
            decls.append(line.strip())
        else:
            lines.append(line)
    bodies.append((i, '\n'.join(lines)))
copies = []
for k in range(30):
    copies += ['fn __p%d_%d() {\n%s\n}\n' % (i, k, body) for i, body in bodies]
open(out + '/ordinary.kont', 'w').write('\n'.join(decls) + '\n' + ''.join(copies))
flat, size, i = [], 0, 0
while size < 100_000_000:
    f = ('fn f%d(xs, n) {\n  // the even elements, times a factor, while n > 0\n  var total = 0;\n'
         '  for x in xs {\n    if x %% 2 == 0 and n > 0 { total = total + x * %d }\n  }\n'
         '  match total { 0 => None, t => Some(t) }\n}\n') % (i, i % 7 + 1)
    flat.append(f); size += len(f); i += 1
open(out + '/flat.kont', 'w').write(''.join(flat))
n = 1_000_000
open(out + '/list.kont', 'w').write('let l = [' + '1,' * n + '1];\n')
open(out + '/deep.kont', 'w').write('println(' + '{ ' * n + '1' + ' }' * n + ')\n')
open(out + '/chain.kont', 'w').write('println(' + '1 :: ' * n + '[])\n')
open(out + '/else-if.kont', 'w').write('let x = 3;\nprintln(' + 'if x == 0 { 0 } else ' * n + '{ 1 })\n')
open(out + '/hello.kont', 'w').write('println("hi")\n')
EOF

# Peak resident KiB and seconds of `kont FILE` (its output and errors dropped).
peak() {
  /usr/bin/time -f '%M %e' "$KONT" "$1" 2>&1 >/dev/null | tail -1
}

read -r base _ < <(peak "$dir/hello.kont")
printf '%-10s %12s %10s %8s %7s\n' "source" "bytes" "peak MiB" "B/byte" "seconds"
for name in ordinary flat list deep chain else-if; do
  file="$dir/$name.kont"
  bytes=$(stat -c %s "$file")
  read -r kib secs < <(peak "$file")
  awk -v n="$name" -v b="$bytes" -v k="$kib" -v base="$base" -v s="$secs" \
    'BEGIN { printf "%-10s %12d %10.0f %8.1f %7.2f\n", n, b, k / 1024, (k - base) * 1024 / b, s }'
done

#!/usr/bin/env python3
"""Finds loads that the processor probably cannot forward from its store buffer.

A load that reads bytes written by more than one recent store (typically a 16-byte copy of
a struct that was just written field by field) waits until those stores have reached the
cache: about 20 cycles on this machine (benches/README.md, "Store forwarding"). Hardware
counters are not available here, so this replays the memory trace of valgrind's lackey
tool: a load is flagged when the most recent of the last WINDOW stores that overlaps it
does not contain it; with --distance D, only stores made at most D instructions earlier
count (D = 20 matched measured times best here; a store made longer ago has probably left
the buffer). The model has no timing, so treat the sites as candidates and check a fix
against wall-clock time.

    benches/forwarding.py [--rounds R] [--window W] [--distance D] -- KONT PROGRAM ARGS...

runs `valgrind --tool=lackey --trace-mem=yes KONT PROGRAM ARGS...` and prints the flagged
loads per round (R = the number of rounds of the loop the run performs, so that start-up
is a small rest) and, for every site that fires at least 0.9 R times, the load and the
store it needed, as source locations (addr2line, inlined frames included). Needs valgrind
and binutils. Assumes valgrind's load address for position-independent executables on
x86_64 Linux (0x108000).
"""

import argparse
import collections
import subprocess
import sys
import tempfile

PIE_BASE = 0x108000


def flagged_loads(trace, window, distance):
    """Counts flagged (load instruction, store instruction) pairs in a lackey trace."""
    stores = collections.deque()
    flagged = collections.Counter()
    instr = 0
    executed = 0
    for line in trace:
        if line.startswith("I"):
            instr = int(line[3:].split(",")[0], 16)
            executed += 1
            while distance is not None and stores and executed - stores[0][3] > distance:
                stores.popleft()
            continue
        kind = line[:2]
        if kind not in (" S", " L", " M"):
            continue
        addr, size = line[3:].split(",")
        addr, size = int(addr, 16), int(size)
        if kind in (" L", " M"):
            for s_addr, s_size, s_instr, _ in reversed(stores):
                if s_addr < addr + size and addr < s_addr + s_size:
                    if not (s_addr <= addr and addr + size <= s_addr + s_size):
                        flagged[(instr, s_instr)] += 1
                    break
        if kind in (" S", " M"):
            stores.append((addr, size, instr, executed))
            if distance is None and len(stores) > window:
                stores.popleft()
    return flagged


def where(binary, addr):
    """The source location of a run-time address, inlined frames joined by ' < '."""
    out = subprocess.run(
        ["addr2line", "-f", "-C", "-i", "-e", binary, hex(addr - PIE_BASE)],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    frames = [f"{out[i]} {out[i + 1].split('/library/')[-1]}" for i in range(0, len(out) - 1, 2)]
    return " < ".join(frames)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--window", type=int, default=48)
    parser.add_argument("--distance", type=int, default=None)
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile(suffix=".lackey") as log:
        subprocess.run(
            ["valgrind", "--tool=lackey", "--trace-mem=yes", f"--log-file={log.name}"]
            + args.command,
            stdout=subprocess.DEVNULL,
            check=False,
        )
        with open(log.name) as trace:
            flagged = flagged_loads(trace, args.window, args.distance)
    total = sum(flagged.values())
    print(f"flagged loads per round: {total / args.rounds:.1f}")
    for (load, store), count in flagged.most_common():
        if count < 0.9 * args.rounds:
            break
        print(f"{count / args.rounds:5.2f}  load  {where(args.command[0], load)}")
        print(f"       store {where(args.command[0], store)}")


if __name__ == "__main__":
    sys.exit(main())

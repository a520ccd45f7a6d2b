#!/usr/bin/env python3
"""Where a kernel's warps wait, from an ncu report's per-instruction stall samples.

Reads `ncu -i REPORT --page source --print-source sass --csv` (one profiled launch) on stdin and
prints the samples summed by opcode (predicates and modifiers dropped: LDS.128 -> LDS) and the
hottest instructions with their SASS, so a kernel's time can be split into mainloop (WGMMA,
SYNCS / mbarrier waits), epilogue arithmetic, shared-memory and global traffic.
  ncu -i r.ncu-rep --page source --print-source sass --csv | python3 ncu-stalls.py [--top 25]
"""
import csv
import re
import sys
from collections import Counter


def main():
    top = 25
    if "--top" in sys.argv:
        top = int(sys.argv[sys.argv.index("--top") + 1])
    rows = list(csv.reader(sys.stdin))
    # ncu prints a few lines before the header on some versions: the header names the source.
    start = next((i for i, r in enumerate(rows) if "Source" in r), None)
    if start is None:
        sys.exit("ncu-stalls: no 'Source' column in the input (expected --page source --csv)")
    header = rows[start]
    source = header.index("Source")
    samples = next((i for i, name in enumerate(header)
                    if name.startswith("Warp Stall Sampling (All")), None)
    if samples is None:
        sys.exit("ncu-stalls: no 'Warp Stall Sampling (All Samples)' column in the input")
    by_opcode, hot, total = Counter(), [], 0
    for r in rows[start + 1:]:
        if len(r) <= max(source, samples):
            continue
        try:
            n = int(float(r[samples] or 0))
        except ValueError:
            continue
        text = r[source].strip()
        tokens = [t for t in text.split() if not t.startswith("@")]
        if not tokens:
            continue
        opcode = re.split(r"[.]", tokens[0])[0]
        by_opcode[opcode] += n
        hot.append((n, text))
        total += n
    print(f"{total} samples")
    for opcode, n in by_opcode.most_common(top):
        print(f"  {opcode:<10} {n:>8}  {100.0 * n / max(total, 1):5.1f}%")
    print("hottest instructions:")
    for n, text in sorted(hot, reverse=True)[:top]:
        print(f"  {n:>8}  {text}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compares two Chrome traces of the same training steps (`mammoscope-train bench --profile A.json` and
`tools/bench_pytorch.py --profile B.json`): GPU kernel time, kernel count and the span the kernels cover, then the
kernels whose total time differs most. Where the time goes when one is slower than the other."""
import json
import re
import sys
from collections import defaultdict


def load(path):
    with open(path) as f:
        t = json.load(f)
    ev = t["traceEvents"] if isinstance(t, dict) else t
    kernels = [e for e in ev if e.get("ph") == "X" and e.get("cat") in ("kernel", "gpu_memcpy", "gpu_memset")]
    return kernels


def short(name):
    name = re.sub(r"<.*", "", name)  # template arguments
    name = re.sub(r"\(.*", "", name)
    return name[:90]


def summary(kernels):
    total = sum(e["dur"] for e in kernels)
    start = min(e["ts"] for e in kernels)
    end = max(e["ts"] + e["dur"] for e in kernels)
    by = defaultdict(lambda: [0.0, 0])
    for e in kernels:
        b = by[short(e["name"])]
        b[0] += e["dur"]
        b[1] += 1
    return total, end - start, by


def main():
    a_path, b_path = sys.argv[1], sys.argv[2]
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    ta, sa, ba = summary(load(a_path))
    tb, sb, bb = summary(load(b_path))
    ka, kb = sum(v[1] for v in ba.values()), sum(v[1] for v in bb.values())
    print(f"{'':34}{'A':>12}{'B':>12}")
    print(f"{'GPU kernel time per step (ms)':34}{ta / steps / 1e3:12.2f}{tb / steps / 1e3:12.2f}")
    print(f"{'span of the kernels per step (ms)':34}{sa / steps / 1e3:12.2f}{sb / steps / 1e3:12.2f}")
    print(f"{'GPU idle within the span (%)':34}{100 * (1 - ta / sa):12.1f}{100 * (1 - tb / sb):12.1f}")
    print(f"{'kernels per step':34}{ka / steps:12.0f}{kb / steps:12.0f}")
    print()
    print(f"{'kernel':90}{'A ms/step':>11}{'B ms/step':>11}{'A n':>7}{'B n':>7}")
    names = set(ba) | set(bb)
    rows = sorted(names, key=lambda n: -abs(ba[n][0] - bb[n][0]))
    for n in rows[:30]:
        print(f"{n:90}{ba[n][0] / steps / 1e3:11.3f}{bb[n][0] / steps / 1e3:11.3f}{ba[n][1] / steps:7.0f}{bb[n][1] / steps:7.0f}")


if __name__ == "__main__":
    main()

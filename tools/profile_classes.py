#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the GPU time of N profiled training steps goes, by kind of kernel, for several Chrome/Kineto traces side by
side (`mammoscope-train bench --profile`, `tools/bench_pytorch.py --profile`, with or without `--compile`).

    tools/profile_classes.py [--steps 10] [--bench bench.txt] [--top N] engine-resnet50.json.gz eager-resnet50.json.gz ...

A trace named KIND-ARCH.json[.gz] (engine-resnet50.json.gz) is shown in ARCH's table, column KIND; `--bench` takes
the JSON lines that `bench --json` and bench_pytorch.py print and adds each column's training img/s.

Kernels are classed by name alone (so a trace cut down to its GPU events works too):
  conv/GEMM     cuDNN/CUTLASS/cuBLAS: xmma/implicit_gemm fprop, dgrad, wgrad, nvjet, gemm, split-K reductions and
                cuDNN's workspace init
  batch norm    at::native batch_norm_* kernels (statistics, transform, backward reduce/elemt, running-stat update)
                and every Triton kernel whose name holds 'batch_norm'. Inductor fuses BN with its ReLU, residual add and
                threshold_backward (e.g. triton_poi_fused__native_batch_norm_legit_functional_add_relu_12): such a kernel
                counts wholly as batch norm, and its time is also shown apart ('of which BN fused with act/add'), so
                compare 'batch norm + act/add' across columns
  act/add       ReLU (clamp_min: launch_clamp_scalar), threshold_backward, residual add and other pointwise math,
                and Triton kernels with no batch norm whose names hold relu/add/threshold/mul/...
  pooling       max/avg pool forward and backward (at::native and Triton)
  cast/copy     dtype casts (bfloat16_copy, direct_copy, Triton _to_copy), copy_/contiguous, fills, cuDNN's
                nchw<->nhwc layout transforms, memcpy and memset
  optimizer     multi_tensor_apply / foreach / fused SGD and Adam kernels
  reduce/loss   reduce_kernel (sum, mean), softmax, nll_loss, Triton sum/mean reductions
  other         anything else (listed with --top)

Per column: kernel time per step by class, split into the forward (+ loss + optimizer: the thread that launched the
first kernel) and the backward (autograd's device thread); kernels per step; the span from the first kernel's start
to the last one's end, per step; the time in that span with no kernel running (launch and dependency gaps; gaps over
10 us apart; the profiler's own CPU overhead inflates them, most in Python); the median time from a kernel's launch
call on the CPU to its start on the GPU (milliseconds: the CPU runs ahead and the GPU is the bottleneck; a few us: the
GPU waits for launches); and with --bench the unprofiled step time (batch / img/s) less the kernel time, i.e. the idle
that remains without the profiler.
"""
import argparse
import gzip
import json
import os
import re
import sys
from collections import defaultdict

CLASSES = ["conv/GEMM", "batch norm", "act/add", "pooling", "cast/copy", "optimizer", "reduce/loss", "other"]
GPU_CATS = ("kernel", "gpu_memcpy", "gpu_memset")

TRITON_BN = re.compile(r"batch_norm")
TRITON_POOL = re.compile(r"max_pool|avg_pool")
TRITON_ACT = re.compile(r"relu|threshold|add|mul|sub|div|where|sigmoid|gelu|silu|neg|exp|sqrt|rsqrt|clamp")
COPY_WORDS = sorted(["_to_copy", "to_copy", "copy_", "copy", "clone", "new_zeros", "zeros", "full", "fill", "view",
                     "unsqueeze", "squeeze", "as_strided", "permute", "transpose", "cat", "expand"], key=len, reverse=True)
TRITON_RED = re.compile(r"sum|mean|amax|max|softmax|nll|log")


def classify(name, cat="kernel"):
    """(class, fused_bn_with_elementwise) for one GPU event."""
    if cat in ("gpu_memcpy", "gpu_memset"):
        return "cast/copy", False
    n = name
    if n.startswith("triton_"):
        ops = re.sub(r"^triton_[a-z]+_fused_?", "", n)
        ops = re.sub(r"_\d+$", "", ops)  # kernel index
        if TRITON_BN.search(ops):
            return "batch norm", bool(re.search(r"(^|_)(relu|threshold_backward|add)(_|$)", ops))
        if TRITON_POOL.search(ops):
            return "pooling", False
        rest = ops
        for w in COPY_WORDS:
            rest = rest.replace(w, "")
        if not rest.strip("_"):
            return "cast/copy", False
        if TRITON_ACT.search(ops):
            return "act/add", False
        if TRITON_RED.search(ops) or n.startswith(("triton_red", "triton_per")):
            return "reduce/loss", False
        return "other", False
    if re.search(r"nchwToNhwc|nhwcToNchw", n):
        return "cast/copy", False
    if re.search(r"batch_norm|bn_fw|bn_bw", n):
        return "batch norm", False
    if re.search(r"xmma|implicit_gemm|ImplicitGemm|convolve_|conv2d|Conv2d|cudnn|cask_|nvjet|gemm|Gemm|cutlass|"
                 r"ReduceSplitK|splitKreduce|cublas|winograd|fft", n):
        return "conv/GEMM", False
    if re.search(r"multi_tensor_apply|foreach|fused_sgd|fused_adam|FusedSgd|FusedAdam|adam|sgd", n, re.I):
        return "optimizer", False
    if re.search(r"max_pool|avg_pool|AvgPool|MaxPool|adaptive_avg", n):
        return "pooling", False
    if re.search(r"softmax|nll_loss|cross_entropy|reduce_kernel|ReduceOp|sum_functor|MeanOps|norm_kernel", n):
        return "reduce/loss", False
    if re.search(r"copy_kernel|direct_copy|bfloat16_copy|float_copy|FillFunctor|fill_kernel|contiguous|to_copy|"
                 r"cat_|CatArray|memcpy|memset|Memcpy|Memset", n):
        return "cast/copy", False
    if re.search(r"clamp|relu|threshold|Functor_add|_add|add_kernel|AddFunctor|mul|Mul|div|Div|sub|BinaryFunctor|"
                 r"BUnaryFunctor|elementwise", n):
        return "act/add", False
    return "other", False


def load(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt") as f:
        t = json.load(f)
    return t["traceEvents"] if isinstance(t, dict) else t


def short(name):
    name = name.replace("(anonymous namespace)", "anon")
    name = re.sub(r"\(.*", "", name)
    return name[:110]


def analyse(path, steps):
    ev = load(path)
    gpu = sorted((e for e in ev if e.get("ph") == "X" and e.get("cat") in GPU_CATS), key=lambda e: e["ts"])
    if not gpu:
        raise SystemExit(f"{path}: no GPU kernels in the trace")
    by = defaultdict(float)
    count = defaultdict(int)
    fused = 0.0
    kernels = defaultdict(lambda: [0.0, 0, ""])
    ops = {}
    for e in ev:
        if e.get("cat") in ("cpu_op",) and "args" in e:
            ops.setdefault(e["args"].get("External id"), e["name"])
    runtime = [e for e in ev
               if e.get("cat") in ("cuda_runtime", "cuda_driver") and "correlation" in e.get("args", {})]
    launches = {e["args"]["correlation"]: e["ts"] for e in runtime}
    threads = {e["args"]["correlation"]: e["tid"] for e in runtime}
    # The thread that launched the first kernel runs the forward, loss and optimizer; backward kernels come from
    # autograd's device thread (LibTorch and PyTorch alike).
    main = next((threads[c] for c in (e.get("args", {}).get("correlation") for e in gpu) if c in threads), None)
    phase = defaultdict(float)
    lat = []
    for e in gpu:
        c, f = classify(e["name"], e["cat"])
        tid = threads.get(e.get("args", {}).get("correlation"))
        if tid is not None:
            ph = "fwd" if tid == main else "bwd"
            phase[ph] += e["dur"]
            phase[(ph, c)] += e["dur"]
        by[c] += e["dur"]
        count[c] += 1
        if f:
            fused += e["dur"]
        k = kernels[(c, short(e["name"]))]
        k[0] += e["dur"]
        k[1] += 1
        k[2] = k[2] or ops.get(e.get("args", {}).get("External id"), "")
        corr = e.get("args", {}).get("correlation")
        if corr in launches:
            lat.append(e["ts"] - launches[corr])
    # busy time as the union of the intervals (kernels of several streams may overlap), gaps between them
    busy, gaps_small, gaps_big = 0.0, 0.0, 0.0
    cur_s, cur_e = gpu[0]["ts"], gpu[0]["ts"] + gpu[0]["dur"]
    for e in gpu[1:]:
        s, t = e["ts"], e["ts"] + e["dur"]
        if s > cur_e:
            busy += cur_e - cur_s
            g = s - cur_e
            if g > 10:
                gaps_big += g
            else:
                gaps_small += g
            cur_s, cur_e = s, t
        else:
            cur_e = max(cur_e, t)
    busy += cur_e - cur_s
    span = cur_e - gpu[0]["ts"]
    lat.sort()
    ms = lambda us: us / steps / 1e3  # noqa: E731
    return {
        "class_ms": {c: ms(by[c]) for c in CLASSES},
        "class_n": {c: count[c] / steps for c in CLASSES},
        "fused_bn_ms": ms(fused),
        "total_ms": ms(sum(by.values())),
        "phase_ms": {k: ms(v) for k, v in phase.items()},
        "idle_ms": ms(gaps_small + gaps_big),
        "kernels": len(gpu) / steps,
        "span_ms": ms(span),
        "idle_pct": 100 * (1 - busy / span),
        "gap_small_ms": ms(gaps_small),
        "gap_big_ms": ms(gaps_big),
        "launch_latency_ms": lat[len(lat) // 2] / 1e3 if lat else float("nan"),
        "top": kernels,
    }


def bench_lines(path):
    out = {}
    if not path:
        return out
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        j = json.loads(line)
        eng = j.get("engine", "")
        kind = "engine" if eng == "mammoscope-train" else "compile" if "compile" in eng else "eager"
        out[(kind, j.get("arch"))] = (j.get("train_images_per_s"), j.get("batch"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("traces", nargs="+")
    ap.add_argument("--steps", type=int, default=10, help="training steps in each trace (10)")
    ap.add_argument("--bench", help="file of bench --json / bench_pytorch.py lines, for img/s")
    ap.add_argument("--top", type=int, default=0, help="list the N longest kernels of each class per column")
    a = ap.parse_args()
    ips = bench_lines(a.bench)
    groups = defaultdict(list)
    for p in a.traces:
        base = re.sub(r"\.json(\.gz)?$", "", os.path.basename(p))
        kind, _, arch = base.partition("-")
        groups[arch or "?"].append((kind, p))
    for arch, cols in groups.items():
        res = [(k, analyse(p, a.steps)) for k, p in cols]
        last = res[-1][0]
        diff = len(res) >= 2
        head = "| " + " | ".join(["ms per step (" + arch + ")"] + [k for k, _ in res]
                                 + ([f"{res[0][0]} − {last}"] if diff else [])) + " |"
        print(f"\n### {arch}\n")
        print(head)
        print("|" + "---|" * (head.count("|") - 1))

        def row(label, vals, fmt="{:.2f}", d=True):
            cells = [fmt.format(v) for v in vals]
            if diff and d:
                cells.append(fmt.replace("{:", "{:+").format(vals[0] - vals[-1]))
            elif diff:
                cells.append("")
            print("| " + " | ".join([label] + cells) + " |")

        for c in CLASSES:
            row(c, [r["class_ms"][c] for _, r in res])
        row("  of which BN fused with act/add (Triton)", [r["fused_bn_ms"] for _, r in res])
        row("batch norm + act/add", [r["class_ms"]["batch norm"] + r["class_ms"]["act/add"] for _, r in res])
        row("**kernel time**", [r["total_ms"] for _, r in res])
        if all(r["phase_ms"] for _, r in res):
            for ph, label in (("fwd", "forward + loss + optimizer (main thread)"), ("bwd", "backward (autograd thread)")):
                row(label, [r["phase_ms"].get(ph, 0) for _, r in res])
                row("  of which batch norm + act/add", [r["phase_ms"].get((ph, "batch norm"), 0)
                                                        + r["phase_ms"].get((ph, "act/add"), 0) for _, r in res])
                for c in ("conv/GEMM", "pooling", "cast/copy"):
                    row(f"  of which {c}", [r["phase_ms"].get((ph, c), 0) for _, r in res])
        row("span of the kernels", [r["span_ms"] for _, r in res])
        row("idle within the span (ms)", [r["idle_ms"] for _, r in res])
        row("idle within the span (%)", [r["idle_pct"] for _, r in res], "{:.1f}", d=False)
        row("  gaps ≤ 10 µs (ms)", [r["gap_small_ms"] for _, r in res])
        row("  gaps > 10 µs (ms)", [r["gap_big_ms"] for _, r in res])
        row("kernels per step", [r["kernels"] for _, r in res], "{:.0f}")
        for c in CLASSES:
            row(f"  {c} kernels", [r["class_n"][c] for _, r in res], "{:.0f}")
        row("median launch → start (ms)", [r["launch_latency_ms"] for _, r in res], "{:.2f}", d=False)
        if ips and all((k, arch) in ips for k, _ in res):
            # unprofiled: the step time that the timed run's img/s gives, and how much of it no kernel covers
            vals = [ips[(k, arch)] for k, _ in res]
            row("train img/s (timed run, no profiler)", [v for v, _ in vals], "{:.0f}")
            step = [1e3 * b / v for v, b in vals]
            row("step time from img/s (ms)", step)
            row("  of which not covered by kernel time (ms)", [t - r["total_ms"] for t, (_, r) in zip(step, res)])
        if a.top:
            for k, r in res:
                print(f"\n{arch} {k}: longest kernels by class (ms per step, count per step, launching op)")
                for c in CLASSES:
                    items = sorted(((v, n) for (cc, n), v in r["top"].items() if cc == c), key=lambda x: -x[0][0])
                    for (us, n_, op), name in items[: a.top]:
                        print(f"  {c:12} {us / a.steps / 1e3:7.3f} {n_ / a.steps:5.0f}  {name}  [{op}]")


if __name__ == "__main__":
    sys.exit(main())

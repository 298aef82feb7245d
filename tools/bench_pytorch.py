#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch eager reference for `mammoscope-train bench`: the same work (torchvision ResNet with a 1-channel conv1,
SGD momentum 0.9, cross-entropy, synthetic input, bf16 autocast and channels_last when asked), timed the same way
(warm-up steps, then synchronised wall time over N steps). Prints one JSON line."""
import argparse
import json
import time

import torch
import torchvision


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--arch", default="resnet50")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--classes", type=int, default=5)
    ap.add_argument("--amp", default="bf16")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (for reference)")
    ap.add_argument("--profile", help="write a Chrome trace of 10 training steps after the timed ones")
    a = ap.parse_args()

    dev = torch.device(a.device)
    torch.backends.cudnn.benchmark = True
    model = getattr(torchvision.models, a.arch)(weights=None, num_classes=a.classes)
    model.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    model = model.to(dev)
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
    if a.compile:
        model = torch.compile(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(a.batch, 1, a.size, a.size, device=dev)
    if a.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, a.classes, (a.batch,), device=dev)
    use_amp = a.amp == "bf16" and dev.type == "cuda"

    def train_step():
        opt.zero_grad(set_to_none=False)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_amp):
            logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.float(), y)
        loss.backward()
        opt.step()

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    model.train()
    for _ in range(a.warmup):
        train_step()
    sync()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        train_step()
    sync()
    train_s = time.perf_counter() - t0
    if a.profile:
        acts = [torch.profiler.ProfilerActivity.CPU]
        if dev.type == "cuda":
            acts.append(torch.profiler.ProfilerActivity.CUDA)
        with torch.profiler.profile(activities=acts) as prof:
            for _ in range(10):
                train_step()
            sync()
        prof.export_chrome_trace(a.profile)
    model.eval()
    with torch.no_grad():
        for _ in range(a.warmup):
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_amp):
                model(x)
        sync()
        t0 = time.perf_counter()
        for _ in range(a.steps):
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_amp):
                model(x)
        sync()
        infer_s = time.perf_counter() - t0
    print(json.dumps({
        "engine": "pytorch-eager" + ("+compile" if a.compile else ""),
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "arch": a.arch, "batch": a.batch, "size": a.size, "amp": "bf16" if use_amp else "none",
        "channels_last": a.channels_last,
        "train_images_per_s": a.batch * a.steps / train_s,
        "infer_images_per_s": a.batch * a.steps / infer_s,
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exports a torchvision ResNet's weights to the safetensors file mammoscope-train reads with --init.

    python3 tools/export_torchvision.py --arch resnet50 --weights /path/to/resnet50-11ad3fa6.pth --out resnet50.safetensors

MammoScope downloads nothing: bring the torchvision checkpoint yourself (e.g. from a machine with network access,
~/.cache/torch/hub/checkpoints/). Parameter names are torchvision's; the engine folds conv1's RGB weights into one
channel and leaves a head of another class count as initialised. Needs only torch (no safetensors package)."""
import argparse
import json
import struct

import torch


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    dtypes = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype not in dtypes:
            continue
        data = t.view(torch.uint8).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="resnet18", choices=["resnet18", "resnet34", "resnet50"])
    ap.add_argument("--weights", help="a torchvision state_dict (.pth); without it, torchvision's random initialisation")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    import torchvision
    model = getattr(torchvision.models, a.arch)(weights=None)
    if a.weights:
        model.load_state_dict(torch.load(a.weights, map_location="cpu"))
    sd = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    write_safetensors(a.out, sd, {"arch": a.arch, "source": a.weights or "random"})
    print(f"wrote {a.out}: {len(sd)} tensors")


if __name__ == "__main__":
    main()

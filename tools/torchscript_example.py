#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Exports a torchvision ResNet-18 (one input channel, the five patch classes) as TorchScript with a MammoScope model
# card beside it: what a user with a model trained in Python does to use it in MammoScope (inference only).
#   tools/torchscript_example.py OUT_DIR [--weights state_dict.pth] [--size 224]
import argparse, hashlib, json, os
import torch, torchvision

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--weights")
p.add_argument("--size", type=int, default=224)
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
classes = ["BACKGROUND", "BENIGN_CALCIFICATION", "BENIGN_MASS", "MALIGNANT_CALCIFICATION", "MALIGNANT_MASS"]
m = torchvision.models.resnet18(num_classes=len(classes))
m.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
if a.weights:
    m.load_state_dict(torch.load(a.weights, map_location="cpu"))
m.eval()
path = os.path.join(a.out, "model.pt")
torch.jit.script(m).save(path)
sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
card = {
    "format": "mammoscope-model-card/1", "name": "torchscript-resnet18", "architecture": "torchscript", "task": "patches",
    "classes": classes,
    "input": {"channels": 1, "width": a.size, "height": a.size, "mean": 0.5, "std": 0.25,
              "preprocessing": "window from the breast histogram to 8 bits, /255, (x - mean) / std"},
    "weights": "model.pt", "weights_sha256": sha, "training": {}, "metrics": {},
    "notes": "Exported by tools/torchscript_example.py" + (" from " + a.weights if a.weights else " with random weights (for testing the path only)"),
}
json.dump(card, open(os.path.join(a.out, "card.json"), "w"), indent=2)
print(path, sha)

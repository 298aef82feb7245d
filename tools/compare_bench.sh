#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs mammoscope-train bench and the PyTorch eager reference on the same device with the same settings, one after
# the other, and prints both and the ratio. Usage: tools/compare_bench.sh ENGINE_BINARY ARCH [BATCH] [DEVICE]
set -euo pipefail
engine="$1"; arch="${2:-resnet50}"; batch="${3:-256}"; device="${4:-cuda}"
here="$(cd "$(dirname "$0")" && pwd)"
e=$("$engine" bench --device "$device" --arch "$arch" --batch "$batch" --amp bf16 --channels-last --steps 40 --warmup 15 --json)
p=$(python3 "$here/bench_pytorch.py" --device "$device" --arch "$arch" --batch "$batch" --amp bf16 --channels-last --steps 40 --warmup 15)
echo "$e"
echo "$p"
python3 - "$e" "$p" <<'PY'
import json, sys
e, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{e['arch']} batch {e['batch']} bf16 channels_last on {e['device']}: "
      f"train {e['train_images_per_s']:.0f} vs {p['train_images_per_s']:.0f} img/s (ratio {e['train_images_per_s']/p['train_images_per_s']:.3f}), "
      f"inference {e['infer_images_per_s']:.0f} vs {p['infer_images_per_s']:.0f} img/s (ratio {e['infer_images_per_s']/p['infer_images_per_s']:.3f})")
PY

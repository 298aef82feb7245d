#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# How models/demo was made: the compact CNN trained on synthetic phantoms only (seed 4242: not the demo dataset's
# patients, which are seed 2016), 96 px patches at the phantoms' 0.3 mm pixels, five classes; pooling the inner 8x8 of
# the 12x12 feature cells (--pool-margin 2), so that the dense map over a whole image is the same function.
#   tools/demo_model.sh ENGINE OUT [DEVICE]     e.g. tools/demo_model.sh build/bin/mammoscope-train /tmp/demo cuda
# PATIENTS (600), LESION_PATCHES (crops per abnormality, 4) and EPOCHS (30) as the README's model card row says.
# Then copy OUT/run/checkpoints/best/{model.safetensors,card.json} to models/demo/.
set -euo pipefail
T="$1"; OUT="$2"; DEV="${3:-cpu}"
PATIENTS="${PATIENTS:-600}"; LESION_PATCHES="${LESION_PATCHES:-4}"; EPOCHS="${EPOCHS:-30}"
mkdir -p "$OUT"
"$T" train --data "synth:$PATIENTS:4242" --task patches --size 96 --arch compact --epochs "$EPOCHS" --batch 256 --lr 1e-3 \
  --schedule cosine --warmup 1 --class-weights --pool-margin 2 --lesion-patches "$LESION_PATCHES" --device "$DEV" --seed 1 \
  --log-every 20 --run-dir "$OUT/run" >/dev/null 2>"$OUT/train.log"
"$T" eval --run "$OUT/run" --split test --device "$DEV" --json > "$OUT/test.json"
"$T" eval --run "$OUT/run" --split test --device "$DEV" --data synth:150:99 --json > "$OUT/unseen.json"
tail -3 "$OUT/train.log"

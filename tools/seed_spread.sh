#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# What the README's "Seeds" table comes from (run on the GPU machine, as the device call's command, from the
# repository root; the packs made on the dev machine as the README says: .carry/mias-256.tar.xz and
# .carry/phantom2-256.tar.xz, the latter from `mammoscope-cli synth --anatomy 2 --patients 300 --size 512x832` + prepare).
# Seed spread of (b) scratch vs (d) phantom-pretrained fine-tuning on mini-MIAS (same 5 folds by woman per seed).
# stage A: build, pretrain on anatomy-2 phantoms (model back in $OUT/pm), scratch seeds 2 and 3 beside it.
# stage B (after copying stage A's pm/ folder to .carry/pm): build, fine-tune from .carry/pm/model.safetensors with seeds 1, 2, 3 (seed 1 also writes the final model).
set -u
O=$OUT; export OUT=/tmp/o; mkdir -p $OUT /tmp/x
t0=$(date +%s)
(bash tools/gpu_session.sh build 2>&1 | tail -2) || exit 1
echo "build $(( $(date +%s) - t0 )) s"
T=/tmp/ms-engine/bin/mammoscope-train
tar -xJf .carry/mias-256.tar.xz -C /tmp/x
export NVIDIA_TF32_OVERRIDE=0
C=(--device cuda --amp bf16 --threads 4 --no-other-breast)
summ() { python3 - "$1" "$2" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1])); h, t = j["held_out"], j["train"]
    f = lambda o: f"{o['value']:.3f} [{o['ci95'][0]:.2f}-{o['ci95'][1]:.2f}]"
    print(sys.argv[2], "mass@1", f(h["froc_masses"]["1"]), "all@1", f(h["froc_all"]["1"]), "pointing", f(h["pointing_game"]),
          "auc", f(h["auc_abnormal_vs_normal"]), "train mass@1 %.3f" % t["froc_masses"]["1"]["value"], "s %.0f" % j["seconds"])
except Exception as e: print(sys.argv[2], "failed:", e)
PY
}
if [ "$1" = A ]; then
  tar -xJf .carry/phantom2-256.tar.xz -C /tmp/x
  P=$(ls -d /tmp/x/*/ | grep -v mias | head -1)
  ( t1=$(date +%s); timeout 500 $T crossval --data $P --run-dir /tmp/x/pre --folds 0 --final-model $O/pm --final-name "phantom (anatomy 2) lesion-map U-Net" "${C[@]}" >/dev/null 2>/tmp/x/pre.log; echo "pretrain rc $? $(( $(date +%s) - t1 )) s"; tail -3 /tmp/x/pre.log ) &
  for s in 2 3; do ( timeout 520 $T crossval --data /tmp/x/mias-256 --run-dir /tmp/x/b$s --seed $s "${C[@]}" >/dev/null 2>/tmp/x/b$s.log; cp /tmp/x/b$s/crossval.json $O/b-scratch-seed$s.json; summ $O/b-scratch-seed$s.json b-seed$s ) & done
  wait
else
  for s in 1 2 3; do
    fin=(); [ $s = 1 ] && fin=(--final-model $O/mias-ft --final-name "mini-MIAS lesion map (U-Net, phantom-pretrained, fine-tuned)")
    ( timeout 540 $T crossval --data /tmp/x/mias-256 --run-dir /tmp/x/d$s --seed $s --init .carry/pm/model.safetensors "${fin[@]}" "${C[@]}" >/dev/null 2>/tmp/x/d$s.log; cp /tmp/x/d$s/crossval.json $O/d-ft-seed$s.json; summ $O/d-ft-seed$s.json d-seed$s ) &
  done
  wait
fi
ls -la $O

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# What the README's "Ensembles and extra data" figures come from: run on the GPU machine as the device call's command,
# from the repository root, with the packs made on the dev machine as the README says (.carry/mias-256.tar.xz,
# .carry/cdd-256.tar.xz, .carry/phantom2-256.tar.xz; canvas 256x256 at 0.8 mm).
#   tools/ensemble_cv.sh A   build (the engine comes back as $OUT/mammoscope-train: carry it as .carry/bin/ to skip the
#                            build in B), pretrain a U-Net on the anatomy-2 phantoms (back as $OUT/pm/), and beside it
#                            a run from scratch on mini-MIAS (seed 1, fold seed 1)
#   tools/ensemble_cv.sh B   fine-tune from .carry/pm/model.safetensors with seeds 1, 2, 3 (SEEDS) on one set of folds (fold
#                            seed 1, held-out maps kept), EXTRA=1: with CDD-CESM added; then crossval-combine: the
#                            ensemble's figures beside each member's (back: results-TAG.tar, summary.txt, the ensemble
#                            model as ens-card.json and ens-model.part-NN)
set -u
O=$OUT
X=/tmp/x
mkdir -p $X
t0=$(date +%s)
if [ -x .carry/bin/mammoscope-train ]; then
  T=.carry/bin/mammoscope-train
else
  OUT=/tmp/o bash tools/gpu_session.sh build >/tmp/build.txt 2>&1 || { tail -30 /tmp/build.txt; exit 1; }
  T=/tmp/ms-engine/bin/mammoscope-train
  cp $T $O/mammoscope-train && strip $O/mammoscope-train
fi
echo "engine ready in $(( $(date +%s) - t0 )) s"
for p in mias-256 cdd-256; do [ -f .carry/$p.tar.xz ] && tar -xJf .carry/$p.tar.xz -C $X; done
export NVIDIA_TF32_OVERRIDE=0
C=(--device cuda --amp bf16 --threads 4 --no-other-breast --fold-seed 1)
summ() { python3 - "$@" <<'PY'
import json, sys
for f in sys.argv[1:]:
    try:
        j = json.load(open(f)); h = j["held_out"]
        c = lambda o: f"{o['value']:.3f} [{o['ci95'][0]:.2f}-{o['ci95'][1]:.2f}]"
        t = j.get("train") or {}
        tr = f"train mass@1 {t['froc_masses']['1']['value']:.3f}" if t else "members' train mass@1 %.3f" % j["train_mean_of_members"]["froc_masses_1fp"]
        print(f.split("/")[-1], "mass@0.25/0.5/1/2/4", " ".join(f"{h['froc_masses'][k]['value']:.2f}" for k in ["0.25", "0.5", "1", "2", "4"]),
              "| mass@1", c(h["froc_masses"]["1"]), "all@1", c(h["froc_all"]["1"]), "pointing", c(h["pointing_game"]),
              "AUC", c(h["auc_abnormal_vs_normal"]), "malignant AUC", c(h["auc_malignant_vs_rest"]), "|", tr,
              "| op", json.dumps(j.get("operating_point")), "| %.0f s" % j.get("seconds", 0))
    except Exception as e:
        print(f, "failed:", e)
PY
}
case "${1:-}" in
A)
  tar -xJf .carry/phantom2-256.tar.xz -C $X
  P=$X/phantom2-256
  ( timeout 400 $T crossval --data $P --run-dir $X/pre --folds 0 --final-model $O/pm --final-name "phantom (anatomy 2) lesion-map U-Net" \
      "${C[@]}" >/dev/null 2>$X/pre.log; echo "pretrain rc $?"; tail -2 $X/pre.log ) &
  ( timeout 400 $T crossval --data $X/mias-256 --run-dir $X/b1 --seed 1 "${C[@]}" >/dev/null 2>$X/b1.log; cp $X/b1/crossval.json $O/b-mias-seed1.json ) &
  wait
  summ $O/b-mias-seed1.json | tee $O/summary.txt
  ;;
B)
  extra=(); tag=mias; [ "${EXTRA:-0}" = 1 ] && extra=(--extra-data $X/cdd-256) && tag=mias+cdd
  for s in ${SEEDS:-1 2 3}; do
    ( timeout ${LIMIT:-500} $T crossval --data $X/mias-256 "${extra[@]}" --run-dir $X/d$s --seed $s --init .carry/pm/model.safetensors --save-maps \
        --final-model $X/m$s --final-name "mini-MIAS lesion map (U-Net, phantom-pretrained, fine-tuned, seed $s)" "${C[@]}" >/dev/null 2>$X/d$s.log
      echo "seed $s: rc $? in $(( $(date +%s) - t0 )) s"; tail -2 $X/d$s.log; cp $X/d$s/crossval.json $O/d-$tag-seed$s.json ) &
  done
  wait
  [ -f $X/d3/heldout-maps.f32 ] && $T crossval-combine --data $X/mias-256 --members $X/d1,$X/d2,$X/d3 --run-dir $X/ens --final-model $X/ens-model \
    --final-name "mini-MIAS lesion map (3 U-Nets, phantom-pretrained, fine-tuned)" && cp $X/ens/crossval.json $O/d-$tag-ensemble3.json
  [ -f $X/d2/heldout-maps.f32 ] && $T crossval-combine --data $X/mias-256 --members $X/d1,$X/d2 --run-dir $X/ens2 --final-model $X/ens2-model \
    --final-name "mini-MIAS lesion map (2 U-Nets, phantom-pretrained, fine-tuned)" && cp $X/ens2/crossval.json $O/d-$tag-ensemble2.json
  [ -f $X/ens-model/card.json ] || { [ -d $X/ens2-model ] && mv $X/ens2-model $X/ens-model; }
  summ $(ls $O/d-$tag-*.json) | tee $O/summary.txt
  (cd $O && tar -cf results-$tag.tar d-*.json && rm d-*.json)
  # the ensemble model in parts under the 16 MiB a file that comes back (cat ens-model.part-* > model.safetensors)
  if [ -f $X/ens-model/card.json ]; then
    cp $X/ens-model/card.json $O/ens-card.json
    split -b 15M -d $X/ens-model/model.safetensors $O/ens-model.part-
  fi
  ;;
*) echo "usage: tools/ensemble_cv.sh A|B"; exit 2 ;;
esac
echo "total $(( $(date +%s) - t0 )) s"

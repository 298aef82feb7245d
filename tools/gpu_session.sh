#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# What the GPU figures in the README come from. Runs on a machine with a CUDA GPU, CMake, a compiler and PyTorch
# (whose bundled LibTorch the engine builds against); no Qt, OpenCV or DCMTK needed. nlohmann-json's headers travel
# with the call where the machine has none: on the dev machine `mkdir -p .carry/include && cp -r /usr/include/nlohmann
# .carry/include/`, and carry .carry/include.
#   tools/gpu_session.sh build        configure and build mammoscope-train (engine only) into $BUILD
#   tools/gpu_session.sh bench        engine vs PyTorch eager (ResNet-50, ResNet-18, batch 256, bf16, channels_last),
#                                     shards vs synthetic throughput, CPU vs GPU
#   tools/gpu_session.sh accuracy     ResNet-18 on synthetic patches: fine-tuning vs feature extraction, test and
#                                     unseen-seed figures (RES, EPOCHS, PATIENTS, OTHER, LESION_PATCHES, TRAIN_LIMIT,
#                                     TRAIN_SEED: the runs' initialisation and order;
#                                     SCRATCH_ONLY=1: the first run)
#   tools/gpu_session.sh gputest      the checks of tests/engine/test_gpu.cpp (label gpu) without Qt: CUDA training in
#                                     bf16 + channels-last, eval on CUDA, bench; "N passed, N failed" at the end
#   tools/gpu_session.sh ddp          data parallel (NCCL) on every GPU of the machine: training img/s at 1..N GPUs
#                                     (ResNet-18 and -50, per-GPU batch 256, bf16, channels-last, shards), scaling
#                                     efficiency, and a 2-GPU curve against the 1-GPU one at the same global batch;
#                                     bench-ddp.jsonl: the same as bench --json lines for the app's Import results…
#   tools/gpu_session.sh profile      kernel-by-kernel comparison of 10 training steps, engine vs PyTorch eager
#   tools/gpu_session.sh real SHARDS.tar.xz RUN [crossval options]
#                                     cross-validation on real mammograms: lesion-map or tissue shards made on the dev
#                                     machine (mammoscope-cli prepare DATASET --task lesion-map|tissue), carried packed
#   tools/gpu_session.sh transfer REAL.tar.xz PHANTOM.tar.xz [crossval options]
#                                     the seed report's question on real images, same folds: (a) phantoms only,
#                                     (b) from scratch, (c) phantom-pretrained feature extraction, (d) fine-tuning
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-/tmp/ms-engine}"
OUT="${OUT:-/tmp/ms-out}"
mkdir -p "$OUT"
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
T="$BUILD/bin/mammoscope-train"

case "${1:-all}" in
build)
  tp=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
  export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
  cmake -S . -B "$BUILD" -G Ninja -DMS_ENGINE_ONLY=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$tp" >"$OUT/cmake.log" 2>&1 || { tail -40 "$OUT/cmake.log"; exit 1; }
  grep -E "MammoScope engine" "$OUT/cmake.log" || true
  ninja -C "$BUILD" mammoscope-train >"$OUT/build.log" 2>&1 || { grep -E "error" "$OUT/build.log" | head -30; exit 1; }
  "$T" devices --json
  ;;
bench)
  for arch in resnet50 resnet18; do
    tools/compare_bench.sh "$T" "$arch" 256 cuda | tee -a "$OUT/bench.txt"
  done
  # The shard pipeline against synthetic tensors (ResNet-18, batch 256, 224 px patches).
  "$T" export-shards --data synth:120:5 --task patches --size 224 --out "$OUT/shards" >/dev/null
  s=$("$T" bench --device cuda --arch resnet18 --batch 256 --amp bf16 --channels-last --steps 40 --warmup 15 --json)
  f=$("$T" bench --device cuda --arch resnet18 --batch 256 --amp bf16 --channels-last --steps 40 --warmup 15 --source "$OUT/shards" --json)
  echo "$s" | tee -a "$OUT/bench.txt"; echo "$f" | tee -a "$OUT/bench.txt"
  python3 -c "import json,sys; s,f=json.loads(sys.argv[1]),json.loads(sys.argv[2]); print(f'shards vs synthetic tensors: {f[\"train_images_per_s\"]:.0f} / {s[\"train_images_per_s\"]:.0f} = {f[\"train_images_per_s\"]/s[\"train_images_per_s\"]:.3f}')" "$s" "$f" | tee -a "$OUT/bench.txt"
  # CPU vs GPU, the same model and settings (fp32, batch 64).
  c=$("$T" bench --device cpu --arch resnet18 --batch 64 --steps 5 --warmup 2 --json)
  g=$("$T" bench --device cuda --arch resnet18 --batch 64 --steps 40 --warmup 10 --json)
  echo "$c" | tee -a "$OUT/bench.txt"; echo "$g" | tee -a "$OUT/bench.txt"
  python3 -c "import json,sys; c,g=json.loads(sys.argv[1]),json.loads(sys.argv[2]); print(f'CPU vs GPU resnet18 fp32 batch 64: train {c[\"train_images_per_s\"]:.1f} vs {g[\"train_images_per_s\"]:.0f} img/s (x{g[\"train_images_per_s\"]/c[\"train_images_per_s\"]:.0f}), inference {c[\"infer_images_per_s\"]:.1f} vs {g[\"infer_images_per_s\"]:.0f} img/s (x{g[\"infer_images_per_s\"]/c[\"infer_images_per_s\"]:.0f})')" "$c" "$g" | tee -a "$OUT/bench.txt"
  ;;
accuracy)
  # Phantoms at RES (default 1024x1664, 0.15 mm per pixel), sampled once into shards, then trained and evaluated
  # from the shards: the run's own train/val/test patients and the test patients of another seed (99).
  # LESION_PATCHES: crops per abnormality in the training set (the unseen set keeps the default 4); TRAIN_LIMIT: seconds
  # after which training gets SIGTERM (it checkpoints and stops; the best checkpoint is evaluated).
  RES="${RES:-1024x1664}"; EPOCHS="${EPOCHS:-16}"; PATIENTS="${PATIENTS:-1000}"; OTHER="${OTHER:-300}"
  LESION_PATCHES="${LESION_PATCHES:-4}"; TRAIN_LIMIT="${TRAIN_LIMIT:-100000}"; TRAIN_SEED="${TRAIN_SEED:-1}"
  t0=$(date +%s)
  "$T" export-shards --data "synth:$PATIENTS:1:$RES" --task patches --size 224 --lesion-patches "$LESION_PATCHES" --out "$OUT/shards-1" >/dev/null
  echo "generated $PATIENTS patients in $(( $(date +%s) - t0 )) s" | tee -a "$OUT/accuracy.txt"
  "$T" export-shards --data "synth:$OTHER:99:$RES" --task patches --size 224 --out "$OUT/shards-99" >/dev/null
  [ -n "${SCRATCH_ONLY:-}" ] || "$T" export-shards --data "synth:$OTHER:2:$RES" --task roi --size 224 --out "$OUT/shards-2" >/dev/null
  common=(--data "$OUT/shards-1" --seed "$TRAIN_SEED" --device cuda --amp bf16 --channels-last --batch 128 --threads 16 --log-every 50 --class-weights)
  report() { # run: train / val / test / unseen accuracy and malignant-vs-benign AUC
    local r="$1"
    for split in train val test; do
      "$T" eval --run "$OUT/$r" --split "$split" --device cuda --json > "$OUT/$r-$split.json"
    done
    "$T" eval --run "$OUT/$r" --split test --device cuda --data "$OUT/shards-99" --json > "$OUT/$r-unseen.json"
    python3 - "$OUT" "$r" <<'PY' | tee -a "$OUT/accuracy.txt"
import json, sys
out, r = sys.argv[1], sys.argv[2]
row = [r]
for s in ["train", "val", "test", "unseen"]:
    j = json.load(open(f"{out}/{r}-{s}.json"))
    row.append(f"{s}: acc {j['accuracy']:.3f} AUC {j['malignant_auc']:.3f} (n={j['samples']})")
print(" | ".join(row))
PY
  }
  # 1. From scratch, every layer trained; pooling the inner 5x5 of the 7x7 feature cells, so that this model's dense
  #    map over a whole mammogram is the same function (it is also the heatmap model).
  t0=$(date +%s)
  timeout -s TERM "$TRAIN_LIMIT" "$T" train --run-dir "$OUT/scratch" --arch resnet18 --epochs "$EPOCHS" --lr 1e-3 --pool-margin 1 "${common[@]}" >/dev/null 2>"$OUT/scratch.log" || tail -5 "$OUT/scratch.log"
  echo "trained in $(( $(date +%s) - t0 )) s: $(tail -1 "$OUT/scratch/status.json" 2>/dev/null | head -c 300)" | tee -a "$OUT/accuracy.txt"
  report scratch
  [ -z "${SCRATCH_ONLY:-}" ] || exit 0
  # 2. A backbone from another task and seed (ROI benign vs malignant, seed 2), standing in for ImageNet weights
  #    that cannot be downloaded here; then the seed report's two columns from it.
  "$T" train --data "$OUT/shards-2" --run-dir "$OUT/pretrain-roi" --arch resnet18 --epochs "$EPOCHS" --lr 1e-3 --device cuda --amp bf16 --channels-last \
     --batch 128 --threads 16 --log-every 50 >/dev/null 2>"$OUT/pretrain.log" || tail -5 "$OUT/pretrain.log"
  init="$OUT/pretrain-roi/checkpoints/best/model.safetensors"
  "$T" train --run-dir "$OUT/fe" --arch resnet18 --mode feature-extraction --init "$init" --epochs "$EPOCHS" --lr 3e-3 "${common[@]}" >/dev/null 2>"$OUT/fe.log" || tail -5 "$OUT/fe.log"
  report fe
  "$T" train --run-dir "$OUT/ft" --arch resnet18 --mode finetune --init "$init" --epochs "$EPOCHS" --lr 1e-3 --backbone-lr-mult 0.3 "${common[@]}" >/dev/null 2>"$OUT/ft.log" || tail -5 "$OUT/ft.log"
  report ft
  ;;
real)
  # Shards prepared where the images are (../shared does not travel), unpacked here. Back through $OUT (8 files at
  # most): RUN.json (crossval.json), RUN.log (the engine's log) and with FINAL=1 RUN-model/{card.json,model.safetensors},
  # a model trained on every image with the same recipe.
  pack="$2"; run="$3"; shift 3
  mkdir -p /tmp/ms-real /tmp/ms-real-runs && tar -xJf "$pack" -C /tmp/ms-real
  data="/tmp/ms-real/$(tar -tJf "$pack" | awk -F/ 'NR==1{print $1}')"
  final=(); [ -n "${FINAL:-}" ] && final=(--final-model "/tmp/ms-real-runs/$run-model" --final-name "${FINAL_NAME:-lesion-map U-Net}" --final-notes "${FINAL_NOTES:-}")
  t0=$(date +%s)
  "$T" crossval --data "$data" --run-dir "/tmp/ms-real-runs/$run" --device cuda --amp bf16 --threads 16 "${final[@]}" "$@" >/dev/null 2>"$OUT/$run.log" || { tail -20 "$OUT/$run.log"; exit 1; }
  echo "$run: crossval in $(( $(date +%s) - t0 )) s"
  cp "/tmp/ms-real-runs/$run/crossval.json" "$OUT/$run.json"
  [ -n "${FINAL:-}" ] && mkdir -p "$OUT/$run-model" && cp "/tmp/ms-real-runs/$run-model/"* "$OUT/$run-model/"
  python3 - "$OUT/$run.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
def f(x): return "n/a" if x is None else f"{x:.3f}"
def ci(o): return f"{f(o['value'])} [{f(o['ci95'][0])}-{f(o['ci95'][1])}]"
if j.get("task") == "tissue":
    for part in ["held_out", "train", "test"]:
        if part in j:
            h = j[part]
            print(part, h["images"], "images: Dice breast", ci(h["dice_breast"]), "fatty", ci(h["dice_fatty"]), "fibroglandular",
                  ci(h["dice_fibroglandular"]), "pectoral", ci(h["dice_pectoral"]), "dense-fraction r", ci(h["dense_fraction_correlation"]))
    sys.exit(0)
h, t = j["held_out"], j["train"]
print("held-out mass FROC @0.25/0.5/1/2/4 FP:", " ".join(ci(h["froc_masses"][k]) for k in ["0.25", "0.5", "1", "2", "4"]))
print("held-out all FROC @1 FP:", ci(h["froc_all"]["1"]), " pointing", ci(h["pointing_game"]))
print("held-out AUC abnormal", ci(h["auc_abnormal_vs_normal"]), " malignant", ci(h["auc_malignant_vs_rest"]))
print("train mass FROC @1 FP:", f(t["froc_masses"]["1"]["value"]), " train AUC", f(t["auc_abnormal_vs_normal"]["value"]))
print("operating point:", j["operating_point"])
PY
  ;;
transfer)
  # Both packs unpacked; the phantom pretraining (a U-Net on every phantom, no folds), then four crossvals on the real
  # set with the same seed (so the same folds). Back: transfer.txt, each run's crossval.json, and the four run folders
  # (config, metrics, status: they open in the Training workspace) as runs.tar.xz.
  real="$2"; phantom="$3"; shift 3
  mkdir -p /tmp/ms-real /tmp/ms-phantom /tmp/ms-tr && tar -xJf "$real" -C /tmp/ms-real && tar -xJf "$phantom" -C /tmp/ms-phantom
  # RUNS: which of the four (all by default); the pretrained model is reused while the machine stays warm
  rdata="/tmp/ms-real/$(tar -tJf "$real" | awk -F/ 'NR==1{print $1}')"; pdata="/tmp/ms-phantom/$(tar -tJf "$phantom" | awk -F/ 'NR==1{print $1}')"
  common=(--device cuda --amp bf16 --threads 16 --no-other-breast "$@")
  init=/tmp/ms-tr/phantom-model/model.safetensors
  if [ ! -f "$init" ]; then # kept from an earlier call while the machine stays warm
    t0=$(date +%s)
    "$T" crossval --data "$pdata" --run-dir /tmp/ms-tr/pretrain --folds 0 --final-model /tmp/ms-tr/phantom-model --final-name "phantom lesion-map U-Net" "${common[@]}" >/dev/null 2>"$OUT/pretrain.log" || { tail -20 "$OUT/pretrain.log"; exit 1; }
    echo "pretrained on phantoms in $(( $(date +%s) - t0 )) s" | tee -a "$OUT/transfer.txt"
  fi
  # the runs side by side on the one GPU (a 256-pixel U-Net leaves most of it idle), then their figures
  runs=(${RUNS:-a-phantoms-only b-scratch c-feature-extraction d-fine-tuning})
  t0=$(date +%s)
  for r in "${runs[@]}"; do
    case $r in
      a-*) extra=(--init "$init" --epochs 0) ;;
      b-*) extra=() ;;
      c-*) extra=(--init "$init" --freeze-encoder) ;;
      d-*) extra=(--init "$init") ;;
    esac
    "$T" crossval --data "$rdata" --run-dir "/tmp/ms-tr/$r" "${common[@]}" "${extra[@]}" >/dev/null 2>"$OUT/$r.log" &
  done
  wait
  for r in "${runs[@]}"; do
    [ -f "/tmp/ms-tr/$r/crossval.json" ] || { echo "$r failed:"; tail -5 "$OUT/$r.log"; continue; }
    cp "/tmp/ms-tr/$r/crossval.json" "$OUT/$r.json"
    python3 - "$OUT/$r.json" "$r" "$(( $(date +%s) - t0 ))" <<'PY' | tee -a "$OUT/transfer.txt"
import json, sys
j = json.load(open(sys.argv[1])); h, t = j["held_out"], j["train"]
def f(x): return "n/a" if x is None else f"{x:.3f}"
def ci(o): return f"{f(o['value'])} [{f(o['ci95'][0])}-{f(o['ci95'][1])}]"
print(f"{sys.argv[2]} ({sys.argv[3]} s for all): held-out mass FROC@1 {ci(h['froc_masses']['1'])}, all {ci(h['froc_all']['1'])}, pointing {ci(h['pointing_game'])}, "
      f"AUC {ci(h['auc_abnormal_vs_normal'])} | train mass FROC@1 {f(t['froc_masses']['1']['value'])}, AUC {f(t['auc_abnormal_vs_normal']['value'])}")
PY
  done
  tar -cJf "$OUT/runs.tar.xz" -C /tmp/ms-tr --exclude='*.safetensors' --exclude='checkpoints' pretrain a-phantoms-only b-scratch c-feature-extraction d-fine-tuning 2>/dev/null || true
  ;;
gputest)
  # The same checks as test_gpu (which needs Qt, absent here), each one asserted; exit 1 when one fails.
  pass=0; fail=0
  check() { if [ "$1" = ok ]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2: $1"; fi; }
  d=/tmp/ms-gputest; rm -rf "$d"
  if "$T" train --data synth:20:3:192x320 --task patches --size 64 --arch resnet18 --device cuda --amp bf16 --channels-last \
      --epochs 2 --batch 32 --run-dir "$d/gpu" >"$d.log" 2>&1; then
    st=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["state"])' "$d/gpu/status.json" 2>/dev/null || echo none)
    [ "$st" = finished ] && check ok "trainsOnCudaWithBf16AndChannelsLast" || check "status $st" "trainsOnCudaWithBf16AndChannelsLast"
  else check "exit $? ($(tail -1 "$d.log"))" "trainsOnCudaWithBf16AndChannelsLast"; fi
  n=$("$T" eval --run "$d/gpu" --split test --device cuda --json 2>/dev/null | python3 -c 'import json,sys;print(json.load(sys.stdin)["samples"])' 2>/dev/null || echo 0)
  [ "${n:-0}" -gt 0 ] && check ok "evalOnCuda ($n samples)" || check "no samples" "evalOnCuda"
  ips=$("$T" bench --device cuda --arch resnet18 --batch 64 --amp bf16 --channels-last --steps 5 --warmup 2 --json 2>/dev/null \
      | python3 -c 'import json,sys;j=json.load(sys.stdin);print(j["train_images_per_s"] if j["amp"]=="bf16" else 0)' 2>/dev/null || echo 0)
  python3 -c "import sys;sys.exit(0 if float('$ips')>0 else 1)" && check ok "benchReportsThroughput ($ips img/s)" || check "no throughput" "benchReportsThroughput"
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
  ;;
ddp)
  N=$(nvidia-smi -L | wc -l)
  [ -d "$OUT/ddp-shards" ] || "$T" export-shards --data "synth:${PATIENTS:-300}:1" --task patches --size 224 --out "$OUT/ddp-shards" >/dev/null
  summary() { # run jsonl -> median group img/s of the step lines after step 10 (cuDNN's autotuning done)
    python3 -c 'import json,sys,statistics as s;v=[j["images_per_s"] for j in map(json.loads,open(sys.argv[1])) if j.get("type")=="step" and j["step"]>10];print(f"{s.median(v):.0f}" if v else 0)' "$1"
  }
  for arch in ${ARCHS:-resnet18 resnet50}; do
    one=0
    for n in $(seq 1 "$N"); do
      r="$OUT/ddp-$arch-$n"
      "$T" train --data "$OUT/ddp-shards" --arch "$arch" --device cuda --amp bf16 --channels-last --batch 256 --epochs 2 \
        --limit-train-batches "${STEPS:-40}" --log-every 5 --threads 8 --nproc-per-node "$n" --run-dir "$r" >"$r.jsonl" 2>"$r.err" \
        || { echo "$arch $n GPUs failed:"; tail -5 "$r.err"; continue; }
      ips=$(summary "$r.jsonl")
      [ "$n" -eq 1 ] && one=$ips
      python3 -c "import sys;n,i,o=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]);print(f'$arch: {n} GPU(s), global batch {256*n}: {i:.0f} img/s' + (f', scaling efficiency {i/(n*o)*100:.1f} %' if n>1 and o>0 else ''))" "$n" "$ips" "$one" | tee -a "$OUT/ddp.txt"
      grep -h "data parallel" "$r.err" | head -1 | tee -a "$OUT/ddp.txt" || true
      # The same as bench results, for the app's CPU vs GPU view (Import results…).
      "$T" bench --device cuda --arch "$arch" --batch 256 --amp bf16 --channels-last --steps 30 --warmup 10 --source "$OUT/ddp-shards" \
        --nproc-per-node "$n" --json >>"$OUT/bench-ddp.jsonl" 2>>"$OUT/bench-ddp.err" || echo "bench at $n GPUs failed" | tee -a "$OUT/ddp.txt"
    done
  done
  # The curves: 1 GPU at batch 256 against 2 GPUs at 128 each (global 256), same seed and data; ResNet-18.
  if [ "$N" -ge 2 ]; then
    for spec in "1 256" "2 128"; do
      set -- $spec
      "$T" train --data "$OUT/ddp-shards" --arch resnet18 --device cuda --amp bf16 --channels-last --batch "$2" --epochs "${CURVE_EPOCHS:-6}" \
        --log-every 20 --threads 8 --nproc-per-node "$1" --run-dir "$OUT/curve-$1" >"$OUT/curve-$1.jsonl" 2>"$OUT/curve-$1.err" || tail -5 "$OUT/curve-$1.err"
    done
    python3 - "$OUT" <<'PY' | tee -a "$OUT/ddp.txt"
import json, sys
out = sys.argv[1]
ep = {n: [j for j in map(json.loads, open(f"{out}/curve-{n}.jsonl")) if j.get("type") == "epoch"] for n in (1, 2)}
print("epoch | 1 GPU x 256: train loss, val acc, val AUC | 2 GPUs x 128: train loss, val acc, val AUC")
for a, b in zip(ep[1], ep[2]):
    print(f"{a['epoch']} | {a['train_loss']:.4f}, {a.get('val_accuracy', 0):.3f}, {a.get('val_auc', 0):.3f} | {b['train_loss']:.4f}, {b.get('val_accuracy', 0):.3f}, {b.get('val_auc', 0):.3f}")
PY
  fi
  ;;
profile)
  # Where the time goes: 10 training steps of the engine and of PyTorch eager, kernel by kernel.
  for arch in ${ARCHS:-resnet18 resnet50}; do
    "$T" bench --device cuda --arch "$arch" --batch 256 --amp bf16 --channels-last --steps 20 --warmup 10 --json --profile "$OUT/engine-$arch.json" | tee -a "$OUT/bench.txt"
    python3 tools/bench_pytorch.py --device cuda --arch "$arch" --batch 256 --amp bf16 --channels-last --steps 20 --warmup 10 --profile "$OUT/eager-$arch.json" | tee -a "$OUT/bench.txt"
    echo "== $arch: A = engine, B = PyTorch eager"
    python3 tools/compare_profiles.py "$OUT/engine-$arch.json" "$OUT/eager-$arch.json" 10
  done
  ;;
esac

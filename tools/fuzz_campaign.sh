#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Coverage-guided fuzzing with libFuzzer (clang, ASan + UBSan, every library instrumented), target by target:
#   tools/fuzz_campaign.sh [RUNS] [SECONDS] [TARGET...]
# builds build-fuzz/ (no LibTorch: the engine's two targets, fuzz_card and fuzz_safetensors, run under the standalone
# driver in the suite), then runs each target until RUNS executions (default 1,000,000) or SECONDS (default 600), two
# at a time, from a copy of its seed corpus, and prints a table: executions, coverage (edges), features, corpus size,
# findings. A finding leaves its crash-* or leak-* file in build-fuzz/findings/TARGET/ and fails the script.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-1000000}"; secs="${2:-600}"; shift $(( $# > 2 ? 2 : $# ))
b="$root/build-fuzz"
if [ ! -f "$b/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMS_BUILD_ENGINE=OFF -DMS_LIBFUZZER=ON \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" >/dev/null || exit 2
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=($(awk '{print $1}' "$b/fuzz-corpora.txt"))
ninja -C "$b" "${targets[@]}" >/dev/null || exit 2
# Inputs longer than this are cut (the seeds include whole CBIS-DDSM CSVs and 2 MB DICOMs: at full length a target
# runs a few dozen inputs a second); text formats get 8 KB, binary ones 64 KB (a DICOM header and the start of its pixels).
maxlen() {
  case "$1" in
    fuzz_csv|fuzz_json|fuzz_mias|fuzz_runs|fuzz_rle|fuzz_folder) echo 8192 ;;
    *) echo 65536 ;;
  esac
}
one() {
  local t="$1" seeds corpus out
  seeds=$(awk -v t="$t" '$1 == t { $1 = ""; print }' "$b/fuzz-corpora.txt")
  corpus="$b/corpus/$t"; out="$b/findings/$t"
  mkdir -p "$corpus" "$out"
  for s in $seeds; do if [ -d "$s" ]; then cp -rn "$s"/. "$corpus"/ 2>/dev/null; else cp -n "$s" "$corpus"/ 2>/dev/null; fi; done
  find "$corpus" -mindepth 1 -type d -exec sh -c 'cp -n "$1"/* "$2"/ 2>/dev/null; rm -rf "$1"' _ {} "$corpus" \; 2>/dev/null
  ( cd "$out" && ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1 "$b/bin/$t" -runs="$runs" -max_total_time="$secs" \
      -rss_limit_mb=4096 -timeout=20 -max_len="$(maxlen "$t")" -print_final_stats=1 "$corpus" >"$b/$t.log" 2>&1 )
  local rc=$? done cov ft corp execs
  done=$(grep -E '^#[0-9]+\s+(DONE|pulse|NEW|REDUCE)' "$b/$t.log" | tail -1)
  cov=$(echo "$done" | sed -n 's/.*cov: \([0-9]*\).*/\1/p'); ft=$(echo "$done" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$done" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$b/$t.log" | tail -1)
  local found; found=$(ls "$out" | grep -cE '^(crash|leak|timeout|oom)-' || true)
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$found" \
    "$([ $rc -eq 0 ] && echo ok || echo "exit $rc, see build-fuzz/$t.log")"
}
echo "| target | executions | coverage (edges) | features | corpus | findings | result |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
export -f one maxlen; export b runs secs
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'one {}' | sort
# exit 1 when any target left a finding
[ -z "$(find "$b/findings" -type f 2>/dev/null | head -1)" ]

#!/usr/bin/env bash
# MammoScope setup: installs what is missing (Debian 12 packages listed in packaging/debian-packages.txt),
# builds with CMake + Ninja, then runs the app or the tests.
#
#   packaging/setup.sh run [DATASET] [app options]   install, build, start the GUI (demo dataset when none is given)
#   packaging/setup.sh test                          install, build, run the whole test suite (ctest)
#   packaging/setup.sh sanitize                      the core tests and fuzz targets again under ASan + UBSan
#   packaging/setup.sh build | deps | bench | package
# `test` runs the suite, then clang-tidy's checked set on the cores, then `sanitize` (MS_SANITIZE=0 skips both).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${MS_BUILD_DIR:-$root/build}"
cmd="${1:-run}"
[ $# -gt 0 ] && shift

say() { printf '\033[1m[mammoscope]\033[0m %s\n' "$*" >&2; }

deps() {
  local list="${1:-$here/debian-packages.txt}"
  local missing=()
  while read -r pkg; do
    pkg="${pkg%%#*}"; pkg="$(echo "$pkg" | xargs)"
    [ -z "$pkg" ] && continue
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done < "$list"
  if [ ${#missing[@]} -eq 0 ]; then
    say "all $(grep -cvE '^\s*(#|$)' "$list") Debian packages of $(basename "$list") present"
    return
  fi
  say "installing ${#missing[@]} missing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  if [ "$list" = "$here/debian-packages-test.txt" ]; then
    # The tests' servers: their packages' services must not start (nor stay enabled); each test starts its own.
    local policy=/usr/sbin/policy-rc.d made=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && made=1
    fi
    local rc=0
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" || rc=$?
    [ "$made" = 1 ] && $sudo rm -f "$policy"
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
      for p in "${missing[@]}"; do
        case "$p" in
          openssh-server) $sudo systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true ;;
          slurmctld | slurmd | munge) $sudo systemctl disable --now "$p.service" >/dev/null 2>&1 || true ;;
        esac
      done
    fi
    return "$rc"
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

configure_build() {
  local werror=OFF
  [ "${CI:-}" = "true" ] && werror=ON
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMS_WERROR="$werror"
  fi
  local jobs
  jobs="$(nproc 2>/dev/null || echo 2)"
  cmake --build "$build" -j "$jobs"
}

# The Qt-free cores' tests and every fuzz target, built again with AddressSanitizer and UBSan (no LibTorch: the engine
# and the GUI are left out to keep CI within its time): a memory error in a parser fails the suite instead of passing
# unnoticed. Any sanitizer report aborts the test (halt_on_error, no UBSan recovery).
sanitize_targets="test_common test_image test_dicom test_pacs test_deid mammoscope-cli test_csv test_dataset test_synth test_annotations test_roi test_metrics test_shards test_sampling test_runreader test_runconfig test_dicomobjects fuzz_csv fuzz_rle fuzz_json fuzz_jpegll fuzz_j2k fuzz_dicom fuzz_dicomweb fuzz_shard fuzz_image fuzz_runs fuzz_mias fuzz_store fuzz_folder"
sanitize() {
  local sb="${MS_ASAN_BUILD_DIR:-$root/build-asan}"
  if [ ! -f "$sb/build.ninja" ]; then
    cmake -S "$root" -B "$sb" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMS_BUILD_ENGINE=OFF -DMS_WERROR=OFF \
      -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
      -DCMAKE_C_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" \
      -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
  fi
  say "building the cores' tests and fuzz targets with ASan + UBSan"
  cmake --build "$sb" -j "$(nproc 2>/dev/null || echo 2)" --target $sanitize_targets
  local regex
  regex="^($(echo $sanitize_targets | tr ' ' '|'))\$"
  cd "$sb"
  ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" -R "$regex"
}

# clang-tidy's checked set (.clang-tidy) on the Qt- and torch-free cores, warnings as errors.
tidy() {
  if ! command -v clang-tidy >/dev/null; then
    say "clang-tidy not installed: skipped"
    return
  fi
  [ -f "$build/compile_commands.json" ] || cmake -S "$root" -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
  local files
  files=$(cd "$root" && ls core/{common,image,dicom,dataset,synth,annotations,metrics,shards,sampling,runs}/*.cpp 2>/dev/null)
  say "clang-tidy on $(echo "$files" | wc -l) core files"
  (cd "$root" && echo "$files" | xargs -P "$(nproc 2>/dev/null || echo 2)" -n 4 clang-tidy -p "$build" --quiet --warnings-as-errors='*' 2>/dev/null)
}

case "$cmd" in
  deps) deps ;;
  test-deps) deps "$here/debian-packages-test.txt" ;;
  build) deps; configure_build ;;
  test)
    deps
    deps "$here/debian-packages-test.txt"
    configure_build
    (cd "$build" && QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@")
    if [ "${MS_SANITIZE:-1}" != 0 ] && [ $# -eq 0 ]; then
      tidy
      sanitize
    fi
    ;;
  sanitize) deps; sanitize ;;
  tidy) deps; tidy ;;
  run)
    deps
    configure_build
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
      say "no display found: starting under Xvfb (set DISPLAY to use your own)"
      exec xvfb-run -a -s "-screen 0 1920x1080x24" "$build/bin/mammoscope" "$@"
    fi
    exec "$build/bin/mammoscope" "$@"
    ;;
  bench)
    deps
    configure_build
    cd "$root"
    "$build/bin/mammoscope-cli" bench "$@"
    ;;
  package)
    deps
    configure_build
    cd "$build"
    cpack -G DEB
    ;;
  *)
    echo "usage: packaging/setup.sh run [DATASET] | test | build | deps | bench | package" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# MammoScope setup: installs what is missing (Debian 12 packages listed in packaging/debian-packages.txt),
# builds with CMake + Ninja, then runs the app or the tests.
#
#   packaging/setup.sh run [DATASET] [app options]   install, build, start the GUI (demo dataset when none is given)
#   packaging/setup.sh test                          install, build, run the whole test suite (ctest)
#   packaging/setup.sh build | deps | bench | package
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${MS_BUILD_DIR:-$root/build}"
cmd="${1:-run}"
[ $# -gt 0 ] && shift

say() { printf '\033[1m[mammoscope]\033[0m %s\n' "$*" >&2; }

deps() {
  local missing=()
  while read -r pkg; do
    pkg="${pkg%%#*}"; pkg="$(echo "$pkg" | xargs)"
    [ -z "$pkg" ] && continue
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done < "$here/debian-packages.txt"
  if [ ${#missing[@]} -eq 0 ]; then
    say "all $(grep -cvE '^\s*(#|$)' "$here/debian-packages.txt") Debian packages present"
    return
  fi
  say "installing ${#missing[@]} missing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
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

case "$cmd" in
  deps) deps ;;
  build) deps; configure_build ;;
  test)
    deps
    configure_build
    cd "$build"
    QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
    ;;
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

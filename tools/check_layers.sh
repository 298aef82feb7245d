#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The dependency rules of DESIGN.md, checked on the sources (and, given the engine binary, on what it links):
#   tools/check_layers.sh SOURCE_DIR [path/to/mammoscope-train]
# Prints each broken rule with the files that break it; exit 1 when any is broken. A ctest test (layers) runs it.
set -uo pipefail
src="${1:?usage: check_layers.sh SOURCE_DIR [ENGINE_BINARY]}"; engine="${2:-}"
cd "$src" || exit 2
broken=0
rule() { # rule NAME FILES...: the rule holds when no file is listed
  local name="$1"; shift
  if [ $# -gt 0 ]; then echo "BROKEN: $name:"; printf '  %s\n' "$@"; broken=1; else echo "ok: $name"; fi
}
inc() { # inc REGEX DIRS...: the source files under DIRS whose #include lines match REGEX
  local re="$1"; shift
  grep -rlE --include='*.cpp' --include='*.h' "^\s*#\s*include\s*[<\"]($re)" "$@" 2>/dev/null | sort
}
engine_dirs=(core/training core/ml core/models app/mammoscope-train)
rule "core/ never includes Qt" $(inc 'Q[A-Za-z]*[>"/.]|Qt[A-Za-z]*/' core)
rule "QtWidgets only in ui/, the GUI programs (app/mammoscope, app/mammoscope-bench) and tests" $(inc 'QtWidgets|QWidget|QMainWindow|QDialog|QApplication>' core app/mammoscope-cli app/mammoscope-train)
rule "DCMTK only in core/dicom" $(inc 'dcmtk/' core ui app fuzz | grep -v '^core/dicom/')
rule "OpenJPEG only in core/dicom" $(inc 'openjpeg' core ui app fuzz | grep -v '^core/dicom/')
rule "the engine includes no Qt" $(inc 'Q[A-Za-z]*[>"/.]|Qt[A-Za-z]*/' "${engine_dirs[@]}")
rule "the engine includes no OpenCV or DCMTK" $(inc 'opencv2/|dcmtk/' "${engine_dirs[@]}")
rule "torch headers only in core/ml, core/training and core/models" $(inc 'torch/|ATen/|c10/' core ui app fuzz | grep -vE '^(core/ml|core/training|core/models)/|^app/mammoscope-train/')
rule "ui/ never includes engine internals (core/training, core/models)" $(inc 'core/training/|core/models/' ui app/mammoscope)
rule "the run folder (core/runs) is standard library only" $(inc 'torch/|Q[A-Za-z]*[>"/.]|opencv2/|dcmtk/|core/(training|models|ml|dicom|dataset|imageio)/' core/runs)
rule "nothing includes from the models/ data folder" $(inc 'models/' core ui app fuzz tests | xargs -r grep -lE '^\s*#\s*include\s*"models/' 2>/dev/null)
rule "arrows point down: core/ never includes ui/ or app/" $(inc 'ui/|app/' core)
rule "arrows point down: ui/ never includes app/" $(inc 'app/' ui)
if [ -n "$engine" ]; then
  if [ -x "$engine" ] && command -v readelf >/dev/null; then
    # What the engine itself asks for (its NEEDED entries): LibTorch and the C/C++ runtime. (Debian's libtorch in turn
    # pulls in OpenCV and Qt 5 for its own Caffe2 parts; that is the package's, not ours.)
    rule "the engine binary links LibTorch and the C/C++ runtime only" $(readelf -d "$engine" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' \
      | grep -vE '^(libtorch[a-z_]*|libc10[a-z_]*|libstdc\+\+|libm|libgcc_s|libc|ld-linux[-a-z0-9_]*|libpthread|libdl|librt|libgomp|libcuda[a-z]*|libcudart|libnvToolsExt|libgloo[a-z_]*)\.so' || true)
  else
    echo "BROKEN: the engine binary $engine is not there to check"; broken=1
  fi
fi
exit $broken

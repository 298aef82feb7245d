#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's PACS figures: a local Orthanc (with its DICOMweb plugin) on 127.0.0.1 with a temporary configuration,
# one woman's 4-view study of full-size phantoms (synth --full-size --one-study: 16-bit DICOMs as CBIS-DDSM's) stored
# into it, then the time to find it and to retrieve it over DIMSE (C-GET) and DICOMweb (WADO-RS), and to open the
# retrieved folder as a dataset; ROUNDS times each (default 3), medians printed.
#   tools/pacs_bench.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
build="${1:-build}"; rounds="${2:-3}"
cli="$build/bin/mammoscope-cli"
orthanc=$(command -v Orthanc || echo /usr/sbin/Orthanc)
[ -x "$orthanc" ] || { echo "Orthanc is not installed (packaging/setup.sh test-deps)"; exit 2; }
work=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
dp=$(port); hp=$(port)
mkdir -p "$work/storage"
cat > "$work/orthanc.json" <<JSON
{ "Name": "bench", "StorageDirectory": "$work/storage", "IndexDirectory": "$work/storage", "HttpPort": $hp, "DicomPort": $dp,
  "DicomAet": "ORTHANC", "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "StorageCompression": false,
  "DicomModalities": { "ms": { "AET": "MAMMOSCOPE", "Host": "127.0.0.1", "Port": 1, "AllowGet": true, "AllowFind": true,
    "AllowStore": true, "AllowEcho": true } },
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" }, "Plugins": [ "/usr/share/orthanc/plugins/libOrthancDicomWeb.so" ] }
JSON
"$orthanc" "$work/orthanc.json" > "$work/orthanc.log" 2>&1 & pid=$!
for _ in $(seq 100); do "$cli" pacs echo --port "$dp" --timeout 2 >/dev/null 2>&1 && break; sleep 0.2; done
"$cli" synth --out "$work/ds" --patients 1 --seed 3 --full-size --one-study --quiet
mapfile -t full < <(find "$work/ds" -name '*.dcm' -path '*full mammogram images*' | sort)
echo "study: ${#full[@]} images, $(du -cm "${full[@]}" | tail -1 | cut -f1) MB (full-size phantoms)"
t() { local s; s=$(date +%s.%N); "$@" >/dev/null; python3 -c "print(f'{$(date +%s.%N)-$s:.2f}')"; }
median() { python3 -c 'import sys,statistics;print(f"{statistics.median(map(float,sys.argv[1:])):.2f}")' "$@"; }
echo "C-STORE of the 4 views: $(t "$cli" pacs send --port "$dp" --quiet "${full[@]}") s"
uid=$("$cli" pacs find --port "$dp" --modality any --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["studies"][0]["study_uid"])')
f=(); g=(); w=(); o=()
for r in $(seq "$rounds"); do
  f+=("$(t "$cli" pacs find --port "$dp" --modality any --quiet)")
  g+=("$(t "$cli" pacs get --port "$dp" --study "$uid" --out "$work/get-dimse" --quiet)")
  w+=("$(t "$cli" pacs get --url "http://127.0.0.1:$hp/dicom-web" --study "$uid" --out "$work/get-web" --quiet)")
  o+=("$(t "$cli" index "$work/get-dimse/$uid" --no-cache --json)")
done
echo "C-FIND (study level): $(median "${f[@]}") s"
echo "retrieve, DIMSE C-GET: $(median "${g[@]}") s"
echo "retrieve, DICOMweb WADO-RS: $(median "${w[@]}") s"
echo "open the retrieved folder (index, no cache): $(median "${o[@]}") s"

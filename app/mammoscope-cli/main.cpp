// SPDX-License-Identifier: GPL-3.0-or-later
// mammoscope-cli: data tools. Research software, not a medical device.
#include "commands.h"

#include <cstdio>
#include <cstring>
#include <string>

static void usage(FILE* f)
{
    std::fprintf(f,
        "usage: mammoscope-cli COMMAND [options]\n\n"
        "commands:\n"
        "  index PATH [--json] [--no-cache]      index a dataset (CBIS-DDSM, Kaggle JPEG, mini-MIAS, image folder)\n"
        "  info FILE [--json] [--tags]           decoded size, bits, photometric, spacing, laterality, view, windows\n"
        "  render FILE --out PNG [--window C,W] [--overlay MASK] [--max-size N]\n"
        "                                        render an image (and an ROI mask outline) to PNG\n"
        "  synth --out DIR [--patients N] [--seed S] [--size WxH] [--layout cbis|kaggle] [--full-size]\n"
        "                                        generate a synthetic CBIS-DDSM lookalike\n"
        "  prepare DATASET --task patches|roi|whole|lesion-map|tissue --out SHARDS [--size N]\n"
        "                                        decode once into training shards (docs/shards.md)\n"
        "  annotate DATASET [--set ITEM FIELD VALUE]... [--unset ITEM FIELD]... [--audit] [--verify] [--store FILE]\n"
        "                                        corrections in the annotation store (as the GUI's curation tools make)\n"
        "  export DATASET --format cbis|coco|masks --out DIR [--store FILE] [--files link|copy|symlink]\n"
        "                                        the corrected dataset (original + annotation store) and its audit CSV\n"
        "  pacs echo|find|get|send [NODE] ...    a PACS over DIMSE: search studies, retrieve one into a folder (C-GET),\n"
        "                                        send SEG/SR or images back (C-STORE); 'pacs' alone for its options\n"
        "  deidentify FILE|FOLDER... --out DIR [--key-file F]\n"
        "                                        DICOM de-identified for sharing (PS3.15 basic profile, dates shifted per\n"
        "                                        patient, UIDs remapped consistently)\n"
        "  bench [--json] [--csv-dir DIR]        index, decode and synth timings\n"
        "  realism REAL PHANTOMS [--json]        phantoms against real mammograms as a network sees them: features and\n"
        "                                        a real-vs-phantom classifier's held-out accuracy (the realism gap)\n"
        "  infer DATASET --model DIR --out DIR [--device cpu|cuda:N] [--heatmaps] [--split all|train|test] [--limit N]\n"
        "                                        scores CSV and a suspicion map per image (PNG overlays with --heatmaps)\n"
        "  score DIR [--json] [--lesions CSV]    pointing game, FROC and image AUC of infer's maps against the ROIs\n"
        "  segment IMAGE --out LABELS.png [--model DIR] [--json]\n"
        "                                        breast, fatty, fibroglandular tissue and pectoral muscle (8-bit labels\n"
        "                                        64/128/192/255) and the breast density estimate\n"
        "  segment-eval DATASET --labels DIR [--model DIR] [--split-csv CSV --split test] [--json]\n"
        "                                        Dice per tissue class against label maps\n\n"
        "MammoScope is a research tool, not a medical device.\n");
}

int main(int argc, char** argv)
{
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const std::string cmd = argv[1];
    if (cmd == "index")
        return ms::cli::cmdIndex(argc, argv);
    if (cmd == "info")
        return ms::cli::cmdInfo(argc, argv);
    if (cmd == "render")
        return ms::cli::cmdRender(argc, argv);
    if (cmd == "synth")
        return ms::cli::cmdSynth(argc, argv);
    if (cmd == "prepare")
        return ms::cli::cmdPrepare(argc, argv);
    if (cmd == "export")
        return ms::cli::cmdExport(argc, argv);
    if (cmd == "annotate")
        return ms::cli::cmdAnnotate(argc, argv);
    if (cmd == "bench")
        return ms::cli::cmdBench(argc, argv);
    if (cmd == "deidentify")
        return ms::cli::cmdDeidentify(argc, argv);
    if (cmd == "pacs")
        return ms::cli::cmdPacs(argc, argv);
    if (cmd == "realism")
        return ms::cli::cmdRealism(argc, argv);
#ifdef MS_WITH_ML
    if (cmd == "infer")
        return ms::cli::cmdInfer(argc, argv);
    if (cmd == "score")
        return ms::cli::cmdScore(argc, argv);
    if (cmd == "segment")
        return ms::cli::cmdSegment(argc, argv);
    if (cmd == "segment-eval")
        return ms::cli::cmdSegmentEval(argc, argv);
#endif
    std::fprintf(stderr, "mammoscope-cli: unknown command '%s'\n\n", cmd.c_str());
    usage(stderr);
    return 2;
}

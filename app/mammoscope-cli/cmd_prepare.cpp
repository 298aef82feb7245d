// SPDX-License-Identifier: GPL-3.0-or-later
// prepare: decode a dataset once into shards for the engine (patches, roi or whole-image samples), with a
// patient-level train/val split and the official test split kept apart.
#include "commands.h"
#ifdef MS_WITH_ML
#include "core/ml/inference.h"
#endif
#include "app/common/cliargs.h"
#include "core/annotations/effective.h"
#include "core/annotations/roi.h"
#include "core/annotations/store.h"
#include "core/common/strings.h"
#include "core/dataset/dataset.h"
#include "core/dataset/loader.h"
#include "core/image/window.h"
#include "core/sampling/sampling.h"
#include "core/shards/shards.h"
#include "core/synth/random.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace ms::cli
{

int cmdPrepare(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "quiet" });
    const char* usage
        = "usage: mammoscope-cli prepare DATASET --task patches|roi|whole --out SHARDS [--size N] [--whole-size WxH]\n"
          "       [--scale S] [--lesion-patches N] [--background-patches N] [--edge-patches N] [--val-fraction F] [--seed S]\n"
          "       [--annotations STORE]   apply a curator's corrections (labels, ROIs, added/deleted abnormalities)\n"
          "       [--tissue-model DIR]    the breast from a tissue model (models/tissue) instead of Otsu's threshold\n"
          "       mammoscope-cli prepare DATASET --task lesion-map --out SHARDS [--pixel-mm 0.8] [--canvas 256x256]\n"
          "       [--source-mm MM]        whole mammograms with the other breast and the lesion circles, for crossval\n"
          "       mammoscope-cli prepare DATASET --task tissue --labels DIR --out SHARDS [--canvas 384] [--split-csv CSV]\n"
          "                               images and their tissue label maps (64/128/192/255), for crossval\n";
    if (auto u = a.unknown({ "task", "out", "size", "whole-size", "scale", "lesion-patches", "background-patches", "edge-patches",
            "val-fraction", "seed", "quiet", "annotations", "pixel-mm", "canvas", "source-mm", "labels", "split-csv", "tissue-model" });
        !u.empty() || a.positional.size() != 1 || !a.get("out")) {
        std::fprintf(stderr, "%s%s\n", usage, u.c_str());
        return 2;
    }
    sampling::Options opt;
    const bool tissue = a.get("task", "patches") == "tissue";
    const bool lesionMap = a.get("task", "patches") == "lesion-map" || tissue;
    if (!lesionMap && !sampling::parseTask(a.get("task", "patches"), opt.task)) {
        std::fprintf(stderr, "mammoscope-cli prepare: --task must be patches, roi, whole, lesion-map or tissue\n");
        return 2;
    }
    opt.size = int(parseInt(a.get("size", "224")).value_or(0));
    opt.scale = parseDouble(a.get("scale", "1")).value_or(0);
    opt.lesionPatches = int(parseInt(a.get("lesion-patches", "4")).value_or(-1));
    opt.backgroundPatches = int(parseInt(a.get("background-patches", "4")).value_or(-1));
    opt.edgePatches = int(parseInt(a.get("edge-patches", "2")).value_or(-1));
    const double valFraction = parseDouble(a.get("val-fraction", "0.15")).value_or(-1);
    std::string badSeed;
    const auto seedArg = a.integer("seed", 1, 0, 9007199254740992LL, badSeed);
    if (!seedArg) {
        std::fprintf(stderr, "mammoscope-cli prepare: %s\n", badSeed.c_str());
        return 2;
    }
    const uint64_t seed = uint64_t(*seedArg);
    auto ws = split(a.get("whole-size", "896x1152"), 'x');
    if (ws.size() == 2) {
        opt.wholeWidth = int(parseInt(ws[0]).value_or(0));
        opt.wholeHeight = int(parseInt(ws[1]).value_or(0));
    }
    if (!lesionMap
        && (opt.size < 16 || opt.size > 2048 || opt.scale <= 0 || opt.scale > 4 || opt.lesionPatches < 0 || opt.backgroundPatches < 0
            || opt.edgePatches < 0 || valFraction < 0 || valFraction >= 1 || opt.wholeWidth < 16 || opt.wholeHeight < 16)) {
        std::fprintf(stderr, "mammoscope-cli prepare: invalid option value\n%s", usage);
        return 2;
    }
    auto ds = dataset::open(a.positional[0]);
    if (!ds) {
        std::fprintf(stderr, "mammoscope-cli prepare: %s\n", ds.error().toString().c_str());
        return 1;
    }
    if (auto store = a.get("annotations")) {
        // The effective dataset: what the curator sees is what the network learns from.
        annotations::Store::Options so;
        so.datasetRoot = ds->root;
        so.readOnly = true;
        auto st = annotations::Store::open(*store, so);
        if (!st) {
            std::fprintf(stderr, "mammoscope-cli prepare: %s\n", st.error().toString().c_str());
            return 1;
        }
        auto read = (*st)->readSnapshot(); // a damaged store stops here rather than training without its corrections
        if (!read) {
            std::fprintf(stderr, "mammoscope-cli prepare: %s\n", read.error().toString().c_str());
            return 1;
        }
        const auto& snap = *read;
        *ds = annotations::effective(*ds, snap);
        if (!a.flag("quiet"))
            std::fprintf(stderr, "applying %zu corrected item(s) from %s\n", snap.items.size(), store->c_str());
    }
    if (tissue)
        return prepareTissue(*ds, *a.get("out"), a);
    if (lesionMap)
        return prepareLesionMap(*ds, *a.get("out"), a);
    std::map<std::string, shards::SampleSet> sets;
    for (const char* s : { "train", "val", "test" })
        sets.emplace(s, sampling::makeSet(opt));
        // The breast that background and edge patches come from: a tissue model's (not its background: the label tag and
        // scanner marks are not breast), else Otsu's threshold.
#ifdef MS_WITH_ML
    std::unique_ptr<ml::Model> tissueModel;
    if (auto dir = a.get("tissue-model")) {
        auto m = ml::Model::load(*dir, "cpu");
        if (!m || !(*m)->isTissue()) {
            std::fprintf(stderr, "mammoscope-cli prepare: --tissue-model %s: %s\n", dir->c_str(),
                m ? "not a tissue model" : m.error().toString().c_str());
            return 1;
        }
        tissueModel = std::move(*m);
    }
#else
    if (a.get("tissue-model")) {
        std::fprintf(stderr, "mammoscope-cli prepare: --tissue-model needs a build with LibTorch\n");
        return 2;
    }
#endif
    long skipped = 0, problems = 0, noTruth = 0;
    std::vector<double> spacings; // mm per pixel of the images as sampled, for inference to match
    const bool quiet = a.flag("quiet");
    for (size_t i = 0; i < ds->images.size(); ++i) {
        const auto& im = ds->images[i];
        if (!quiet && i % 10 == 0)
            std::fprintf(stderr, "\r%3d%% preparing %zu images", int(100 * i / std::max<size_t>(1, ds->images.size())), ds->images.size());
        if (im.path.empty()) {
            ++skipped;
            continue;
        }
        if (!im.groundTruth) { // nothing says whether it is normal: no background or lesion samples from it
            ++noTruth;
            continue;
        }
        auto li = dataset::loadImage(im.path);
        if (!li) {
            std::fprintf(stderr, "\n%s\n", li.error().toString().c_str());
            ++problems;
            continue;
        }
        if (li->image.spacingY > 0)
            spacings.push_back(li->image.spacingY / opt.scale);
        sampling::ImageInput in;
        in.image = &li->image;
#ifdef MS_WITH_ML
        if (tissueModel) {
            auto t = tissueModel->tissueMap(li->image);
            if (!t) {
                std::fprintf(stderr, "\n%s: tissue model: %s\n", im.key.c_str(), t.error().toString().c_str());
                ++problems;
                continue;
            }
            in.breast = RleMask::fromGray(t->classes); // every class but background (0)
        }
#endif
        in.patient = im.patientId;
        in.imageKey = im.key;
        bool usable = true;
        for (int ai : im.abnormalities) {
            const auto& ab = ds->abnormalities[size_t(ai)];
            sampling::Lesion l;
            l.malignant = ab.pathology == "MALIGNANT";
            l.mass = ab.type != "calcification";
            l.abnormality = ai;
            // An abnormality without a usable ROI: its image can give neither lesion nor background patches safely.
            auto roi = annotations::resolveRoi(ab, li->image.width, li->image.height);
            if (!roi) {
                std::fprintf(stderr, "\n%s: %s; image skipped\n", im.key.c_str(), roi.error().toString().c_str());
                usable = false;
                break;
            }
            if (!roi->note.empty() && !quiet)
                std::fprintf(stderr, "\n%s: %s\n", im.key.c_str(), roi->note.c_str());
            l.mask = std::move(roi->mask);
            in.lesions.push_back(std::move(l));
        }
        if (!usable) {
            ++problems;
            continue;
        }
        const std::string splitName = sampling::splitFor(im.patientId, im.split == dataset::Split::Test, valFraction);
        sampling::sampleImage(in, opt, synth::hashMix({ seed, uint64_t(i) }), sets[splitName]);
    }
    if (!quiet)
        std::fprintf(stderr, "\r100%% preparing %zu images\n", ds->images.size());
    shards::Manifest m;
    m.task = sampling::taskName(opt.task);
    m.classes = sampling::classNames(opt.task);
    const auto& any = sets["train"];
    m.width = any.width;
    m.height = any.height;
    Json src = Json::object();
    src.set("dataset", ds->root);
    src.set("format", dataset::formatName(ds->format));
    src.set("size", opt.size);
    src.set("scale", opt.scale);
    if (!spacings.empty()) {
        std::nth_element(spacings.begin(), spacings.begin() + long(spacings.size() / 2), spacings.end());
        src.set("spacing_mm", spacings[spacings.size() / 2]);
    }
    src.set("seed", (unsigned long long)seed);
    src.set("val_fraction", valFraction);
    src.set("breast", a.get("tissue-model") ? "tissue model " + *a.get("tissue-model") : std::string("Otsu's threshold"));
    src.set("images_skipped_missing", skipped);
    src.set("images_skipped_problems", problems);
    src.set("images_skipped_no_ground_truth", noTruth);
    m.source = src;
    Json counts = Json::object();
    for (auto& [name, set] : sets) {
        auto files = shards::writeShards(a.get("out").value(), name, set);
        if (!files) {
            std::fprintf(stderr, "mammoscope-cli prepare: %s\n", files.error().toString().c_str());
            return 1;
        }
        m.splits.emplace_back(name, *files);
        m.counts.emplace_back(name, long(set.size()));
        Json per = Json::array();
        for (long c : set.classCounts())
            per.push(c);
        counts.set(name, per);
    }
    if (auto st = shards::writeManifest(*a.get("out"), m); !st) {
        std::fprintf(stderr, "mammoscope-cli prepare: %s\n", st.error().toString().c_str());
        return 1;
    }
    Json out = Json::object();
    out.set("out", *a.get("out"));
    out.set("task", m.task);
    out.set("classes", Json(Json::Array(m.classes.begin(), m.classes.end())));
    out.set("per_class", counts);
    out.set("images_missing", skipped);
    out.set("images_with_problems", problems);
    out.set("images_without_ground_truth", noTruth);
    std::printf("%s\n", out.dump().c_str());
    return 0;
}

} // namespace ms::cli

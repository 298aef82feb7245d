// SPDX-License-Identifier: GPL-3.0-or-later
// prepare --task lesion-map: every mammogram with ground truth as one whole-image sample for lesion-map models (the
// image at a fixed pixel size, chest wall left, the other breast of the same woman as a second channel, the lesion
// circles in sample pixels, the other breast named), in one split "all": the engine's crossval makes folds by woman from it.
#include "app/common/cliargs.h"
#include "commands.h"
#include "core/annotations/effective.h"
#include "core/common/strings.h"
#include "core/dataset/dataset.h"
#include "core/dataset/loader.h"
#include "core/sampling/lesionmap.h"
#include "core/shards/shards.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace ms::cli
{

namespace
{

// The lesion's class as the figures split them: mini-MIAS's own CLASS column, else the abnormality type.
std::string lesionKind(const dataset::Abnormality& a)
{
    for (const auto& [k, v] : a.attributes)
        if (k == "CLASS")
            return v;
    return a.type;
}

} // namespace

int prepareLesionMap(const dataset::Dataset& ds, const std::string& out, const Args& a)
{
    sampling::MapOptions opt;
    opt.targetMm = parseDouble(a.get("pixel-mm", "0.8")).value_or(0);
    auto canvas = split(a.get("canvas", "256x256"), 'x');
    if (canvas.size() == 2) {
        opt.width = int(parseInt(canvas[0]).value_or(0));
        opt.height = int(parseInt(canvas[1]).value_or(0));
    }
    // mini-MIAS PGMs carry no pixel size; its documentation says 200 micron.
    const double fallbackMm = parseDouble(a.get("source-mm", ds.format == dataset::Format::MiniMias ? "0.2" : "0")).value_or(-1);
    if (!(opt.targetMm >= 0.05 && opt.targetMm <= 5) || opt.width < 32 || opt.height < 32 || opt.width > 2048 || opt.height > 2048
        || fallbackMm < 0 || fallbackMm > 5) {
        std::fprintf(stderr, "mammoscope-cli prepare: --pixel-mm takes 0.05-5, --canvas WxH 32-2048 on each side, --source-mm 0-5\n");
        return 2;
    }
    if (std::none_of(ds.images.begin(), ds.images.end(), [](const dataset::Image& im) { return im.groundTruth; })) {
        std::fprintf(stderr,
            "mammoscope-cli prepare: %s: no ground truth (no image says whether it is normal or where its lesions are; a "
            "plain image folder has none until a curator reviews its images), so it cannot make lesion-map samples\n",
            ds.root.c_str());
        return 1;
    }
    const bool quiet = a.flag("quiet");
    // Every image once (a woman's other breast is its partner's second channel).
    std::vector<Gray8> samples(ds.images.size());
    std::vector<sampling::MapGeometry> geom(ds.images.size());
    std::vector<bool> ok(ds.images.size(), false);
    std::vector<std::string> problems;
    double usedMm = 0;
    for (size_t i = 0; i < ds.images.size(); ++i) {
        const auto& im = ds.images[i];
        if (!quiet && i % 10 == 0)
            std::fprintf(stderr, "\r%3d%% reading %zu images", int(100 * i / std::max<size_t>(1, ds.images.size())), ds.images.size());
        if (im.path.empty() || !im.groundTruth) // an image nothing is known of is no sample (normal or not)
            continue;
        auto li = dataset::loadImage(im.path);
        if (!li) {
            problems.push_back(li.error().toString());
            continue;
        }
        const double mm = sampling::pixelSizeMm(li->image, fallbackMm);
        if (mm > 0 && !sampling::plausiblePixelMm(mm)) {
            problems.push_back(im.path + ": pixel size " + std::to_string(mm) + " mm is not plausible (0.01-2 mm); image skipped");
            continue;
        }
        if (mm <= 0) {
            problems.push_back(im.path + ": the pixel size is unknown (give --source-mm)");
            continue;
        }
        usedMm = mm;
        samples[i] = sampling::mapSample(li->image, mm, opt, &geom[i]);
        ok[i] = true;
    }
    if (!quiet)
        std::fprintf(stderr, "\r100%% reading %zu images\n", ds.images.size());

    shards::SampleSet set;
    set.task = "lesion-map";
    set.classes = { "normal", "benign", "malignant" };
    set.width = opt.width;
    set.height = opt.height;
    long withoutCoordinates = 0, lesions = 0, partners = 0;
    for (size_t i = 0; i < ds.images.size(); ++i) {
        if (!ok[i])
            continue;
        const auto& im = ds.images[i];
        shards::SampleMeta m;
        m.id = im.key;
        m.patient = im.patientId;
        m.image = im.key;
        // the partner: the same woman's other side in the same view (the engine puts it in the second channel)
        if (const auto* p = ds.findPatient(im.patientId))
            for (int j : p->images) {
                const auto& o = ds.images[size_t(j)];
                if (size_t(j) != i && ok[size_t(j)] && o.view == im.view && !o.side.empty() && o.side != im.side)
                    m.partner = o.key;
            }
        partners += !m.partner.empty();
        const auto& g = geom[i];
        m.geometry[0] = g.scale;
        m.geometry[1] = g.flipped ? 1 : 0;
        m.geometry[2] = g.offsetX;
        m.geometry[3] = g.offsetY;
        bool malignant = false;
        for (int ai : im.abnormalities) {
            const auto& ab = ds.abnormalities[size_t(ai)];
            m.abnormal = true;
            malignant = malignant || ab.pathology == "MALIGNANT";
            double cx = ab.centerX, cy = ab.centerY, r = ab.radius;
            if (r <= 0 && (!ab.roiRle.empty() || !ab.maskPath.empty())) {
                // an ROI mask: its bounding circle
                auto mask = annotations::roiMask(ab, g.sourceWidth, g.sourceHeight);
                if (mask && !mask->empty()) {
                    const Rect b = mask->boundingBox();
                    cx = b.x + b.w / 2.0;
                    cy = b.y + b.h / 2.0;
                    r = std::max(b.w, b.h) / 2.0;
                }
            }
            if (r <= 0) {
                ++withoutCoordinates; // counts for the image-level figures, not for FROC
                continue;
            }
            m.lesions.push_back(sampling::circleToSample(g, cx, cy, r, lesionKind(ab), ab.pathology == "MALIGNANT"));
            ++lesions;
        }
        m.label = !m.abnormal ? 0 : malignant ? 2 : 1;
        set.add(m, samples[i].pixels.data());
    }
    auto files = shards::writeShards(out, "all", set, 512);
    if (!files) {
        std::fprintf(stderr, "mammoscope-cli prepare: %s\n", files.error().toString().c_str());
        return 1;
    }
    shards::Manifest man;
    man.task = set.task;
    man.classes = set.classes;
    man.width = set.width;
    man.height = set.height;
    Json src = Json::object();
    src.set("dataset", ds.root);
    src.set("format", dataset::formatName(ds.format));
    src.set("spacing_mm", opt.targetMm);
    src.set("source_spacing_mm", usedMm);
    src.set("partner", "each record names the same woman's other breast (same view) when the dataset has it");
    src.set("geometry", "chest wall left; sampling::MapGeometry per sample");
    man.source = src;
    man.splits.emplace_back("all", *files);
    man.counts.emplace_back("all", long(set.size()));
    if (auto st = shards::writeManifest(out, man); !st) {
        std::fprintf(stderr, "mammoscope-cli prepare: %s\n", st.error().toString().c_str());
        return 1;
    }
    for (const auto& p : problems)
        std::fprintf(stderr, "%s\n", p.c_str());
    Json o = Json::object();
    o.set("out", out);
    o.set("task", set.task);
    o.set("images", long(set.size()));
    Json per = Json::array();
    for (long c : set.classCounts())
        per.push(c);
    o.set("per_class", per);
    o.set("lesions_with_coordinates", lesions);
    o.set("lesions_without_coordinates", withoutCoordinates);
    o.set("with_other_breast", partners);
    o.set("images_missing", long(std::count_if(ds.images.begin(), ds.images.end(), [](const auto& im) { return im.path.empty(); })));
    o.set("images_with_problems", long(problems.size()));
    std::printf("%s\n", o.dump().c_str());
    return 0; // unreadable images are listed above and counted in the summary
}

} // namespace ms::cli

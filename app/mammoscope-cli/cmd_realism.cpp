// SPDX-License-Identifier: GPL-3.0-or-later
// realism REAL PHANTOMS: how far the phantoms are from real mammograms, measured on what a network sees (the 8-bit
// model view at one pixel size, chest wall left): features side by side, and a real-vs-phantom classifier's held-out
// accuracy (the realism gap: 0.5 = indistinguishable).
#include "app/common/cliargs.h"
#include "commands.h"
#include "core/common/strings.h"
#include "core/dataset/dataset.h"
#include "core/dataset/loader.h"
#include "core/metrics/realism.h"
#include "core/sampling/lesionmap.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ms::cli
{

int cmdRealism(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "json" });
    if (auto u = a.unknown({ "json", "pixel-mm", "per-set", "folds", "seed", "view" }); !u.empty() || a.positional.size() != 2) {
        std::fprintf(stderr,
            "usage: mammoscope-cli realism REAL_DATASET PHANTOM_DATASET [--pixel-mm 0.8] [--per-set 314] [--view MLO] [--folds 5]\n"
            "       [--json]   features of both as a network sees them, and a real-vs-phantom classifier's held-out accuracy\n%s\n",
            u.c_str());
        return 2;
    }
    const double mm = parseDouble(a.get("pixel-mm", "0.8")).value_or(0);
    const long perSet = parseInt(a.get("per-set", "314")).value_or(0);
    const int folds = int(parseInt(a.get("folds", "5")).value_or(0));
    const std::string view = toUpper(a.get("view", ""));
    std::string badSeed;
    const auto seedArg = a.integer("seed", 1, 0, 9007199254740992LL, badSeed);
    if (!seedArg) {
        std::fprintf(stderr, "mammoscope-cli realism: %s\n", badSeed.c_str());
        return 2;
    }
    if (!(mm >= 0.2 && mm <= 5) || perSet < 4 || folds < 2 || folds > 20) {
        std::fprintf(stderr, "mammoscope-cli realism: --pixel-mm 0.2-5, --per-set >= 4, --folds 2-20\n");
        return 2;
    }
    sampling::MapOptions opt;
    opt.targetMm = mm;
    opt.width = opt.height = int(std::ceil(320.0 / mm)); // 32 cm: any breast fits
    std::vector<std::vector<double>> x;
    std::vector<int> y;
    std::vector<std::string> groups;
    std::vector<metrics::RealismFeatures> feats[2];
    std::vector<std::string> problems;
    for (int set = 0; set < 2; ++set) {
        auto ds = dataset::open(a.positional[size_t(set)]);
        if (!ds) {
            std::fprintf(stderr, "mammoscope-cli realism: %s\n", ds.error().toString().c_str());
            return 1;
        }
        std::vector<const dataset::Image*> ims;
        for (const auto& im : ds->images)
            if (!im.path.empty() && (view.empty() || im.view == view))
                ims.push_back(&im);
        // at most perSet, spread over the set
        std::vector<const dataset::Image*> pick;
        for (size_t k = 0; k < ims.size() && long(pick.size()) < perSet; ++k)
            if (ims.size() <= size_t(perSet) || (k * size_t(perSet)) / ims.size() != ((k + 1) * size_t(perSet)) / ims.size())
                pick.push_back(ims[k]);
        const double fallback = ds->format == dataset::Format::MiniMias ? 0.2 : 0;
        for (const auto* im : pick) {
            auto li = dataset::loadImage(im->path);
            if (!li) {
                problems.push_back(li.error().toString());
                continue;
            }
            const double src = sampling::pixelSizeMm(li->image, fallback);
            if (!sampling::plausiblePixelMm(src)) {
                problems.push_back(im->path + ": no usable pixel size (give a DICOM, or mini-MIAS)");
                continue;
            }
            const Gray8 v = sampling::mapSample(li->image, src, opt);
            const auto f = metrics::realismFeatures(v, mm);
            if (!f.ok) {
                problems.push_back(im->path + ": no breast or no tissue window found");
                continue;
            }
            feats[set].push_back(f);
            x.push_back(f.vector());
            y.push_back(set == 0 ? 1 : 0);
            groups.push_back(std::to_string(set) + ":" + im->patientId);
        }
    }
    for (const auto& p : problems)
        std::fprintf(stderr, "%s\n", p.c_str());
    if (feats[0].size() < 4 || feats[1].size() < 4) {
        std::fprintf(stderr, "mammoscope-cli realism: too few usable images (%zu real, %zu phantom)\n", feats[0].size(), feats[1].size());
        return 1;
    }
    const auto names = metrics::RealismFeatures::names();
    Json table = Json::array();
    for (size_t j = 0; j < names.size(); ++j) {
        double m[2] = { 0, 0 }, s[2] = { 0, 0 };
        for (int set = 0; set < 2; ++set) {
            const double n = double(feats[set].size());
            for (const auto& f : feats[set])
                m[set] += f.vector()[j] / n;
            for (const auto& f : feats[set])
                s[set] += (f.vector()[j] - m[set]) * (f.vector()[j] - m[set]) / n;
            s[set] = std::sqrt(s[set]);
        }
        const double pooled = std::sqrt((s[0] * s[0] + s[1] * s[1]) / 2);
        Json r = Json::object();
        r.set("feature", names[j]);
        r.set("real_mean", m[0]);
        r.set("real_sd", s[0]);
        r.set("phantom_mean", m[1]);
        r.set("phantom_sd", s[1]);
        r.set("cohens_d", pooled > 0 ? Json((m[1] - m[0]) / pooled) : Json());
        table.push(r);
    }
    const auto c = metrics::logisticCrossValidated(x, y, groups, folds, uint64_t(*seedArg));
    Json o = Json::object();
    o.set("real", a.positional[0]);
    o.set("phantom", a.positional[1]);
    o.set("pixel_mm", mm);
    o.set("real_images", long(feats[0].size()));
    o.set("phantom_images", long(feats[1].size()));
    o.set("features", table);
    o.set("classifier",
        "logistic regression on the features, standardised, class-balanced; " + std::to_string(folds) + "-fold cross-validation by woman");
    o.set("held_out_accuracy", c.accuracy);
    o.set("held_out_auc", c.auc);
    o.set("images_with_problems", long(problems.size()));
    if (a.flag("json")) {
        std::printf("%s\n", o.dump(2).c_str());
        return 0;
    }
    std::printf("%-16s %18s %18s %9s\n", "feature", "real mean (sd)", "phantom mean (sd)", "Cohen d");
    for (const Json& r : table.elements()) {
        std::printf("%-16s %9.3g (%6.3g) %9.3g (%6.3g) %9.2f\n", r["feature"].string().c_str(), r["real_mean"].number(),
            r["real_sd"].number(), r["phantom_mean"].number(), r["phantom_sd"].number(), r["cohens_d"].number(0));
    }
    std::printf("realism gap: real-vs-phantom classifier, held-out accuracy %.3f, AUC %.3f (%zu real, %zu phantom images; 0.5 = "
                "indistinguishable)\n",
        c.accuracy, c.auc, feats[0].size(), feats[1].size());
    return 0;
}

} // namespace ms::cli

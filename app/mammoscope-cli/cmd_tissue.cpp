// SPDX-License-Identifier: GPL-3.0-or-later
// Tissue maps: prepare --task tissue (training samples from images and their label maps), segment (one image's label
// map from a tissue model) and segment-eval (Dice against label maps), in the DDSM tissue labels' convention
// (core/sampling/tissue.h: 64 background, 128 fatty, 192 fibroglandular, 255 pectoral muscle).
#include "app/common/cliargs.h"
#include "commands.h"
#include "core/common/paths.h"
#include "core/common/strings.h"
#include "core/dataset/csv.h"
#include "core/dataset/dataset.h"
#include "core/dataset/loader.h"
#include "core/imageio/imageio.h"
#include "core/metrics/metrics.h"
#include "core/sampling/lesionmap.h"
#include "core/sampling/tissue.h"
#include "core/shards/shards.h"
#ifdef MS_WITH_ML
#include "core/ml/inference.h"
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

namespace fs = std::filesystem;

namespace ms::cli
{

namespace
{

// The label map of an image in `labels`: NAME_LI.png (the DDSM tissue set's naming), NAME.png, NAME_labels.png or
// NAME_mask.png, NAME the image's file name without its extension. Only files inside `labels` count.
std::string labelFileFor(const fs::path& labels, const std::string& imagePath)
{
    const std::string stem = fs::path(imagePath).stem().string();
    for (const char* suffix : { "_LI.png", ".png", "_labels.png", "_label.png", "_mask.png" }) {
        const fs::path p = labels / (stem + suffix);
        std::error_code ec;
        if (fs::is_regular_file(p, ec) && resolvesInside(p, labels))
            return p.string();
    }
    return {};
}

// An 8-bit label image as tissue classes; a 16-bit one is refused (a label map is 8-bit by its convention).
Result<Gray8> readLabels(const std::string& file)
{
    auto img = imageio::read(file);
    if (!img)
        return img.error();
    if (img->bitsStored > 8)
        return Error("a tissue label map is 8-bit (64 background, 128 fatty, 192 fibroglandular, 255 pectoral); this one has "
                + std::to_string(img->bitsStored) + " bits",
            file);
    Gray8 g(img->width, img->height);
    for (size_t i = 0; i < g.pixels.size(); ++i)
        g.pixels[i] = uint8_t(std::min<int>(255, img->pixels[i]));
    return sampling::tissueClasses(g);
}

// image stem -> split, from a CSV with columns image and source_split (or split); rows naming "test" are the test split.
Result<std::map<std::string, std::string>> readSplitCsv(const std::string& file)
{
    auto t = readCsv(file);
    if (!t)
        return t.error();
    const int ci = t->column("image");
    int cs = t->column("source split");
    if (cs < 0)
        cs = t->column("split");
    if (ci < 0 || cs < 0)
        return Error("a split CSV needs the columns image and split (or source_split)", file);
    std::map<std::string, std::string> out;
    for (const auto& r : t->rows) {
        if (int(r.cells.size()) <= std::max(ci, cs))
            return Error("line " + std::to_string(r.line) + " has too few cells", file);
        // the image's name, with or without its extension
        std::string name(trim(r.cells[size_t(ci)]));
        if (imageio::isImageFileName(name))
            name = fs::path(name).stem().string();
        out[name] = toLower(trim(r.cells[size_t(cs)])) == "test" ? "test" : "train";
    }
    return out;
}

std::string stemOf(const std::string& path)
{
    return fs::path(path).stem().string();
}

} // namespace

int prepareTissue(const dataset::Dataset& ds, const std::string& out, const Args& a)
{
    const auto labelsDir = a.get("labels");
    if (!labelsDir) {
        std::fprintf(stderr, "mammoscope-cli prepare: --task tissue needs --labels DIR (the label maps, NAME_LI.png or NAME.png)\n");
        return 2;
    }
    const int side = int(parseInt(a.get("canvas", "384")).value_or(0));
    if (side < 32 || side > 2048 || side % 16 != 0) {
        std::fprintf(stderr, "mammoscope-cli prepare: --canvas for tissue takes one side, 32-2048, a multiple of 16\n");
        return 2;
    }
    std::map<std::string, std::string> splitOf;
    if (auto f = a.get("split-csv")) {
        auto s = readSplitCsv(*f);
        if (!s) {
            std::fprintf(stderr, "mammoscope-cli prepare: %s\n", s.error().toString().c_str());
            return 1;
        }
        splitOf = std::move(*s);
    }
    const sampling::MapOptions opt = sampling::tissueCanvas(side);
    std::map<std::string, shards::SampleSet> sets;
    for (const char* s : { "train", "test" }) {
        auto& set = sets[s];
        set.task = "tissue";
        for (int c = 0; c < sampling::kTissueClasses; ++c)
            set.classes.push_back(sampling::tissueName(c));
        set.width = side;
        set.height = side;
        set.channels = 2;
    }
    std::vector<std::string> problems;
    long withoutLabels = 0;
    for (const auto& im : ds.images) {
        if (im.path.empty())
            continue;
        const std::string lf = labelFileFor(*labelsDir, im.path);
        if (lf.empty()) {
            ++withoutLabels;
            continue;
        }
        auto li = dataset::loadImage(im.path);
        if (!li) {
            problems.push_back(li.error().toString());
            continue;
        }
        auto labels = readLabels(lf);
        if (!labels) {
            problems.push_back(labels.error().toString());
            continue;
        }
        if (labels->width != li->image.width || labels->height != li->image.height) {
            problems.push_back(lf + ": the label map is " + std::to_string(labels->width) + "x" + std::to_string(labels->height)
                + ", its image " + std::to_string(li->image.width) + "x" + std::to_string(li->image.height) + "; image skipped");
            continue;
        }
        sampling::MapGeometry g;
        const Gray8 s = sampling::mapSample(li->image, 0, opt, &g);
        const Gray8 c = sampling::classesToSample(*labels, g);
        std::vector<uint8_t> px(s.pixels);
        px.insert(px.end(), c.pixels.begin(), c.pixels.end());
        shards::SampleMeta m;
        m.id = im.key;
        m.patient = im.patientId.empty() ? im.key : im.patientId;
        m.image = im.key;
        m.geometry[0] = g.scale;
        m.geometry[1] = g.flipped ? 1 : 0;
        m.geometry[2] = g.offsetX;
        m.geometry[3] = g.offsetY;
        auto it = splitOf.find(stemOf(im.path));
        sets[it != splitOf.end() ? it->second : "train"].add(m, px.data());
    }
    if (sets["train"].size() == 0) {
        std::fprintf(stderr, "mammoscope-cli prepare: no image of %s has a label map in %s\n", ds.root.c_str(), labelsDir->c_str());
        for (const auto& p : problems)
            std::fprintf(stderr, "%s\n", p.c_str());
        return 1;
    }
    shards::Manifest man;
    man.task = "tissue";
    man.classes = sets["train"].classes;
    man.width = side;
    man.height = side;
    man.channels = 2;
    Json src = Json::object();
    src.set("dataset", ds.root);
    src.set("labels", *labelsDir);
    src.set("format", dataset::formatName(ds.format));
    src.set("geometry", "the image scaled to fill the square canvas's height, chest wall left (sampling::mapSample)");
    src.set("channels", "0: the image (8-bit model view), 1: its tissue classes (0 background, 1 fatty, 2 fibroglandular, 3 pectoral)");
    if (auto f = a.get("split-csv"))
        src.set("split_csv", *f);
    man.source = src;
    for (const char* s : { "train", "test" }) {
        if (sets[s].size() == 0)
            continue;
        auto files = shards::writeShards(out, s, sets[s], 512);
        if (!files) {
            std::fprintf(stderr, "mammoscope-cli prepare: %s\n", files.error().toString().c_str());
            return 1;
        }
        man.splits.emplace_back(s, *files);
        man.counts.emplace_back(s, long(sets[s].size()));
    }
    if (auto st = shards::writeManifest(out, man); !st) {
        std::fprintf(stderr, "mammoscope-cli prepare: %s\n", st.error().toString().c_str());
        return 1;
    }
    for (const auto& p : problems)
        std::fprintf(stderr, "%s\n", p.c_str());
    Json o = Json::object();
    o.set("out", out);
    o.set("task", "tissue");
    o.set("train", long(sets["train"].size()));
    o.set("test", long(sets["test"].size()));
    o.set("images_without_labels", withoutLabels);
    o.set("images_with_problems", long(problems.size()));
    std::printf("%s\n", o.dump().c_str());
    return 0;
}

#ifdef MS_WITH_ML

namespace
{

Result<std::unique_ptr<ml::Model>> loadTissueModel(const Args& a, const char* cmd)
{
    const std::string dir = a.get("model", ml::shippedModelDir("tissue"));
    if (dir.empty())
        return Error(std::string("no tissue model: give --model DIR (the app ships models/tissue)"));
    auto m = ml::Model::load(dir, a.get("device", "cpu"));
    if (!m)
        return m.error();
    if (!(*m)->isTissue())
        return Error(std::string(cmd) + ": the model's task is '" + (*m)->info().task + "', not tissue", dir);
    return m;
}

Json statsJson(const sampling::TissueStats& s)
{
    Json j = Json::object();
    for (int c = 0; c < sampling::kTissueClasses; ++c)
        j.set(std::string(sampling::tissueName(c)) + "_pixels", s.pixels[c]);
    const double f = s.denseFraction();
    j.set("dense_fraction", f >= 0 ? Json(f) : Json());
    j.set("density_quartile", sampling::densityQuartile(f));
    return j;
}

} // namespace

int cmdSegment(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "json" });
    if (auto u = a.unknown({ "out", "model", "device", "json" }); !u.empty() || a.positional.size() != 1 || !a.get("out")) {
        std::fprintf(stderr,
            "usage: mammoscope-cli segment IMAGE --out LABELS.png [--model DIR] [--device cpu|cuda:N] [--json]\n"
            "       an 8-bit label map: 64 background, 128 fatty, 192 fibroglandular, 255 pectoral muscle\n%s\n",
            u.c_str());
        return 2;
    }
    const std::string in = a.positional[0], out = *a.get("out");
    std::error_code ec;
    if (fs::exists(out, ec) && fs::equivalent(in, out, ec)) {
        std::fprintf(stderr, "mammoscope-cli segment: %s: the output would overwrite the image\n", out.c_str());
        return 2;
    }
    auto model = loadTissueModel(a, "segment");
    if (!model) {
        std::fprintf(stderr, "mammoscope-cli segment: %s\n", model.error().toString().c_str());
        return 1;
    }
    auto li = dataset::loadImage(in);
    if (!li) {
        std::fprintf(stderr, "mammoscope-cli segment: %s\n", li.error().toString().c_str());
        return 1;
    }
    auto t = (*model)->tissueMap(li->image);
    if (!t) {
        std::fprintf(stderr, "mammoscope-cli segment: %s: %s\n", in.c_str(), t.error().toString().c_str());
        return 1;
    }
    if (auto st = imageio::writePng(out, sampling::tissueLabels(t->classes)); !st) {
        std::fprintf(stderr, "mammoscope-cli segment: %s\n", st.error().toString().c_str());
        return 1;
    }
    Json o = statsJson(t->stats);
    o.set("image", in);
    o.set("out", out);
    o.set("model", (*model)->info().dir);
    o.set("milliseconds", t->milliseconds);
    if (a.flag("json"))
        std::printf("%s\n", o.dump(2).c_str());
    else
        std::printf("%s: breast %lld px, fibroglandular %.1f %% of the breast tissue (density quartile %s, an area estimate), %.0f ms\n",
            out.c_str(), t->stats.breastPixels(), 100 * std::max(0.0, t->stats.denseFraction()),
            sampling::densityQuartile(t->stats.denseFraction()).c_str(), t->milliseconds);
    return 0;
}

int cmdSegmentEval(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "json" });
    if (auto u = a.unknown({ "labels", "model", "device", "json", "split-csv", "split", "out" });
        !u.empty() || a.positional.size() != 1 || !a.get("labels")) {
        std::fprintf(stderr,
            "usage: mammoscope-cli segment-eval DATASET --labels DIR [--model DIR] [--split-csv CSV --split test|train]\n"
            "       [--device cpu|cuda:N] [--out DIR] [--json]   Dice per tissue class against label maps\n%s\n",
            u.c_str());
        return 2;
    }
    std::map<std::string, std::string> splitOf;
    const std::string only = a.get("split", "");
    if (auto f = a.get("split-csv")) {
        auto s = readSplitCsv(*f);
        if (!s) {
            std::fprintf(stderr, "mammoscope-cli segment-eval: %s\n", s.error().toString().c_str());
            return 1;
        }
        splitOf = std::move(*s);
    }
    if (!only.empty() && (splitOf.empty() || (only != "test" && only != "train"))) {
        std::fprintf(stderr, "mammoscope-cli segment-eval: --split takes test or train, with --split-csv\n");
        return 2;
    }
    auto ds = dataset::open(a.positional[0]);
    if (!ds) {
        std::fprintf(stderr, "mammoscope-cli segment-eval: %s\n", ds.error().toString().c_str());
        return 1;
    }
    auto model = loadTissueModel(a, "segment-eval");
    if (!model) {
        std::fprintf(stderr, "mammoscope-cli segment-eval: %s\n", model.error().toString().c_str());
        return 1;
    }
    const auto outDir = a.get("out");
    if (outDir) {
        std::error_code ec;
        fs::create_directories(*outDir, ec);
    }
    Json per = Json::array();
    std::vector<std::string> problems;
    std::vector<double> sum(sampling::kTissueClasses + 1, 0.0);
    std::vector<long> n(sampling::kTissueClasses + 1, 0);
    std::vector<double> pd, td;
    double ms = 0;
    for (const auto& im : ds->images) {
        if (im.path.empty())
            continue;
        if (!only.empty()) {
            auto it = splitOf.find(stemOf(im.path));
            if ((it == splitOf.end() ? std::string("train") : it->second) != only)
                continue;
        }
        const std::string lf = labelFileFor(*a.get("labels"), im.path);
        if (lf.empty())
            continue;
        auto li = dataset::loadImage(im.path);
        auto truth = li ? readLabels(lf) : Result<Gray8>(li.error());
        if (!li || !truth) {
            problems.push_back(!li ? li.error().toString() : truth.error().toString());
            continue;
        }
        if (truth->width != li->image.width || truth->height != li->image.height) {
            problems.push_back(lf + ": the label map's size differs from its image's; skipped");
            continue;
        }
        auto t = (*model)->tissueMap(li->image);
        if (!t) {
            problems.push_back(im.path + ": " + t.error().toString());
            continue;
        }
        ms += t->milliseconds;
        const auto d = sampling::tissueDice(t->classes, *truth);
        Json r = Json::object();
        r.set("image", im.key);
        r.set("dice_breast", d.breast >= 0 ? Json(d.breast) : Json());
        if (d.breast >= 0) {
            sum[0] += d.breast;
            ++n[0];
        }
        for (int c = 0; c < sampling::kTissueClasses; ++c) {
            r.set(std::string("dice_") + sampling::tissueName(c), d.perClass[c] >= 0 ? Json(d.perClass[c]) : Json());
            if (d.perClass[c] >= 0) {
                sum[size_t(c) + 1] += d.perClass[c];
                ++n[size_t(c) + 1];
            }
        }
        const double fp = t->stats.denseFraction(), ft = sampling::tissueStats(*truth).denseFraction();
        r.set("dense_fraction", fp >= 0 ? Json(fp) : Json());
        r.set("dense_fraction_labels", ft >= 0 ? Json(ft) : Json());
        if (fp >= 0 && ft >= 0) {
            pd.push_back(fp);
            td.push_back(ft);
        }
        per.push(r);
        if (outDir)
            if (auto st = imageio::writePng(fs::path(*outDir) / (stemOf(im.path) + "_pred.png"), sampling::tissueLabels(t->classes)); !st)
                problems.push_back(st.error().toString());
    }
    for (const auto& p : problems)
        std::fprintf(stderr, "%s\n", p.c_str());
    if (per.size() == 0) {
        std::fprintf(stderr, "mammoscope-cli segment-eval: no image of %s has a label map in %s%s\n", ds->root.c_str(),
            a.get("labels")->c_str(), only.empty() ? "" : (" in split " + only).c_str());
        return 1;
    }
    const double corr = metrics::pearson(pd, td);
    Json mean = Json::object();
    mean.set("breast", n[0] ? Json(sum[0] / double(n[0])) : Json());
    for (int c = 0; c < sampling::kTissueClasses; ++c)
        mean.set(sampling::tissueName(c), n[size_t(c) + 1] ? Json(sum[size_t(c) + 1] / double(n[size_t(c) + 1])) : Json());
    Json o = Json::object();
    o.set("dataset", ds->root);
    o.set("labels", *a.get("labels"));
    o.set("model", (*model)->info().dir);
    o.set("split", only.empty() ? std::string("all") : only);
    o.set("images", long(per.size()));
    o.set("mean_dice", mean);
    o.set("dense_fraction_correlation", std::isfinite(corr) ? Json(corr) : Json());
    o.set("ms_per_image", ms / double(per.size()));
    o.set("images_with_problems", long(problems.size()));
    o.set("per_image", per);
    if (a.flag("json"))
        std::printf("%s\n", o.dump(2).c_str());
    else {
        std::printf(
            "%ld images: Dice breast %.3f, fatty %.3f, fibroglandular %.3f, pectoral %.3f; dense fraction r = %.3f; %.0f ms/image\n",
            long(per.size()), mean["breast"].number(-1), mean["fatty"].number(-1), mean["fibroglandular"].number(-1),
            mean["pectoral"].number(-1), std::isfinite(corr) ? corr : -1.0, ms / double(per.size()));
    }
    return 0;
}

#endif

} // namespace ms::cli

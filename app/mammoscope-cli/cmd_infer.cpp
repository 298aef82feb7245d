// SPDX-License-Identifier: GPL-3.0-or-later
// mammoscope-cli infer: a model over a dataset (scores CSV, a map per image, optional PNG overlays);
// mammoscope-cli score: how well those maps agree with the ground-truth lesions (pointing game, FROC, image AUC).
#include "commands.h"

#include "app/common/cliargs.h"
#include "core/annotations/roi.h"
#include "core/common/json.h"
#include "core/common/paths.h"
#include "core/common/strings.h"
#include "core/dataset/dataset.h"
#include "core/dataset/loader.h"
#include "core/dicom/dicom.h"
#include "core/dicom/objects.h"
#include "core/image/colormap.h"
#include "core/imageio/imageio.h"
#include "core/metrics/heatmap.h"
#include "core/metrics/metrics.h"
#include "core/ml/inference.h"
#include "core/sampling/sampling.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

namespace fs = std::filesystem;

namespace ms::cli
{

namespace
{

// Map values to 1e-7 (float precision near 1): rounding to fewer digits made saturated cells (0.99996, 0.99999) tie at
// 1.0, and the pointing game and FROC then took the first tied cell instead of the true peak.
Json floats(const std::vector<float>& v)
{
    Json a = Json::array();
    for (float x : v)
        a.push(std::round(double(x) * 1e7) / 1e7);
    return a;
}

// The overlay PNG: the image as the model saw it, with suspicion in the inferno colormap where it exceeds 0.2.
Status writeOverlay(const fs::path& file, const Image16& img, const ml::Heatmap& h, const std::vector<float>& map)
{
    const Gray8 g = sampling::toModelInput8(img);
    std::vector<uint8_t> rgb(size_t(g.width) * size_t(g.height) * 3);
    for (int y = 0; y < g.height; ++y)
        for (int x = 0; x < g.width; ++x) {
            const size_t i = size_t(y) * size_t(g.width) + size_t(x);
            const int cx = std::min(h.width - 1, int(x / h.stride)), cy = std::min(h.height - 1, int(y / h.stride));
            const float v = map[size_t(cy) * size_t(h.width) + size_t(cx)];
            const double a = v > 0.2f ? 0.6 * (double(v) - 0.2) / 0.8 : 0.0;
            const auto c = colormap(Colormap::Inferno, double(v));
            rgb[i * 3 + 0] = uint8_t(g.pixels[i] * (1 - a) + c[0] * a);
            rgb[i * 3 + 1] = uint8_t(g.pixels[i] * (1 - a) + c[1] * a);
            rgb[i * 3 + 2] = uint8_t(g.pixels[i] * (1 - a) + c[2] * a);
        }
    return imageio::writePngRgb(file, g.width, g.height, rgb);
}

// One row per lesion of an image for `score --lesions`: where the map stands inside it and which candidate finds it.
void writeLesionRows(std::ostream& out, const std::string& image, const metrics::Heatmap& map, const metrics::FrocCase& c,
    const std::vector<const Json*>& info)
{
    const auto peak = std::max_element(map.values.begin(), map.values.end());
    const float imageMax = peak == map.values.end() ? 0.f : *peak;
    const size_t peakIndex = size_t(peak - map.values.begin());
    const int px = int(peakIndex % size_t(std::max(1, map.width))), py = int(peakIndex / size_t(std::max(1, map.width)));
    const auto marks = metrics::frocMarks(c);
    for (size_t l = 0; l < c.lesions.size(); ++l) {
        const RleMask& m = c.lesions[l];
        float inside = -std::numeric_limits<float>::infinity();
        long cells = 0;
        for (int y = 0; y < map.height; ++y)
            for (int x = 0; x < map.width; ++x)
                if (m.contains(x, y)) {
                    ++cells;
                    inside = std::max(inside, map.at(x, y));
                }
        // The first candidate (strongest first) whose peak lies in this lesion.
        int rank = -1;
        float found = 0;
        for (size_t d = 0; d < marks.detections.size(); ++d)
            if (marks.detections[d].second == int(l)) {
                rank = int(d) + 1;
                found = marks.detections[d].first;
                break;
            }
        const Json& li = *info[l];
        out << image << ',' << li["abnormality"].integer() << ',' << li["type"].string() << ',' << li["pathology"].string() << ',' << cells
            << ',' << metrics::sigmoid(inside) << ',' << inside << ',' << imageMax << ',' << (m.contains(px, py) ? 1 : 0) << ',';
        if (rank > 0)
            out << metrics::sigmoid(found) << ',' << rank;
        else
            out << ',';
        out << ',' << marks.detections.size() << '\n';
    }
}

} // namespace

int exportFindingsSr(
    const dataset::Dataset& ds, const std::string& modelDir, const std::string& device, const std::string& outDir, bool json, bool quiet)
{
    const fs::path out = outDir;
    std::error_code ec;
    if (!ds.root.empty()) {
        const fs::path o = fs::weakly_canonical(out, ec), r = fs::weakly_canonical(ds.root, ec);
        const auto rel = o.lexically_relative(r);
        if (!rel.empty() && *rel.begin() != "..") {
            std::fprintf(stderr, "mammoscope-cli export: %s is inside the dataset folder %s; MammoScope never writes into a dataset\n",
                out.c_str(), ds.root.c_str());
            return 1;
        }
    }
    if (fs::exists(out, ec) && fs::directory_iterator(out, ec) != fs::directory_iterator()
        && !fs::exists(out / "mammoscope-export.json", ec)) {
        std::fprintf(
            stderr, "mammoscope-cli export: %s is not empty and holds no earlier MammoScope export; choose an empty folder\n", out.c_str());
        return 1;
    }
    auto model = ml::Model::load(modelDir, device);
    if (!model) {
        std::fprintf(stderr, "mammoscope-cli export: %s\n", model.error().toString().c_str());
        return 1;
    }
    fs::create_directories(out / "sr", ec);
    if (ec) {
        std::fprintf(stderr, "mammoscope-cli export: cannot create %s: %s\n", (out / "sr").c_str(), ec.message().c_str());
        return 1;
    }
    const auto& info = (*model)->info();
    // The regions the reading view shows at the model's operating point (its card's threshold), else at 0.3.
    ml::OperatingPoint op;
    const double threshold = ml::operatingPoint(info, op) ? op.threshold : double(metrics::kCandidateThreshold);
    dicom::SrOptions so;
    so.modelName = info.name.empty() ? fs::path(modelDir).filename().string() : info.name;
    so.modelVersion = info.card["version"].isString() ? info.card["version"].string() : "1";
    so.weightsSha256 = info.weightsSha256;
    const auto t0 = std::chrono::steady_clock::now();
    int written = 0, regions = 0;
    Json problems = Json::array();
    auto problem = [&](const std::string& file, const std::string& message) {
        Json p = Json::object();
        p.set("file", file);
        p.set("message", message);
        problems.push(p);
        if (!json)
            std::fprintf(stderr, "%s: %s\n", file.c_str(), message.c_str());
    };
    for (size_t i = 0; i < ds.images.size(); ++i) {
        const auto& im = ds.images[i];
        if (!quiet && !json)
            std::fprintf(stderr, "\r%3d%% %s", int(100.0 * double(i) / double(std::max<size_t>(1, ds.images.size()))), im.key.c_str());
        if (im.path.empty())
            continue;
        if (auto h = dicom::readHeader(im.path); !h) {
            problem(im.path, "not exported as DICOM SR: " + h.error().message + " (an SR refers to a DICOM image by its UIDs)");
            continue;
        }
        auto li = dataset::loadImage(im.path);
        if (!li) {
            problem(im.path, li.error().message);
            continue;
        }
        auto h = (*model)->denseMap(li->image);
        if (!h) {
            problem(im.path, h.error().message);
            continue;
        }
        std::vector<dicom::SrFinding> findings;
        for (const auto& r : ml::suspiciousRegions(*h, h->suspicionLogOdds(), threshold)) {
            dicom::SrFinding f;
            const std::string c = toUpper(r.className);
            f.type = c.find("MASS") != std::string::npos ? "mass"
                : c.find("CALC") != std::string::npos    ? "calcification"
                                                         : "suspicious region";
            f.pathology = c.find("MALIGNANT") != std::string::npos ? "malignant" : c.find("BENIGN") != std::string::npos ? "benign" : "";
            f.score = r.score;
            f.outline = { { r.x, r.y }, { r.x + r.width, r.y }, { r.x + r.width, r.y + r.height }, { r.x, r.y + r.height } };
            f.centerX = r.peakX;
            f.centerY = r.peakY;
            findings.push_back(std::move(f));
        }
        so.imageScore = std::isfinite(h->score) ? h->score : -1;
        std::string name = safeFileName(im.key);
        if (iEndsWith(name, ".dcm")) // a folder's key is its file name
            name.resize(name.size() - 4);
        const fs::path file = out / "sr" / (name + ".dcm");
        if (auto st = dicom::writeFindingsSr(im.path, findings, file, so); !st) {
            problem(file.string(), st.error().toString());
            continue;
        }
        ++written;
        regions += int(findings.size());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Json j = Json::object();
    j.set("format", "dicom-sr");
    j.set("source", ds.root);
    j.set("model", modelDir);
    j.set("threshold", threshold);
    j.set("reports", written);
    j.set("regions", regions);
    j.set("problems", problems);
    j.set("seconds", seconds);
    if (auto err = writeFileAtomic(out / "mammoscope-export.json", j.dump(2)); !err.empty()) {
        std::fprintf(stderr, "mammoscope-cli export: %s\n", err.c_str());
        return 1;
    }
    if (json)
        std::printf("%s\n", j.dump(2).c_str());
    else
        std::printf("%sexported %d DICOM SR reports (%d regions at threshold %.2f, model %s) to %s in %.1f s; %zu problem(s)\n",
            quiet ? "" : "\r", written, regions, threshold, so.modelName.c_str(), out.c_str(), seconds, problems.size());
    return written > 0 || problems.size() == 0 ? 0 : 1;
}

int cmdInfer(int argc, char** argv)
{
    const char* usage = "usage: mammoscope-cli infer DATASET --model MODEL_DIR|RUN_DIR --out DIR [--device cpu|cuda:N] [--heatmaps]\n"
                        "                            [--split all|train|test] [--limit N] [--stride PX]\n";
    Args a = Args::parse(argc, argv, 2, { "heatmaps" });
    if (auto u = a.unknown({ "model", "out", "device", "heatmaps", "split", "limit", "stride" });
        !u.empty() || a.positional.empty() || !a.get("model") || !a.get("out")) {
        std::fprintf(stderr, "%s%s\n", usage, u.c_str());
        return 2;
    }
    // the options first: a malformed one is a usage error before anything is loaded
    std::string bad;
    const auto limitArg = a.integer("limit", 0, 0, 100000000, bad);
    const auto strideArg = a.number("stride", 0, 0, 4096, bad);
    if (!limitArg || !strideArg) {
        std::fprintf(stderr, "mammoscope-cli infer: %s (--limit 0: every image; --stride 0: the model's)\n", bad.c_str());
        return 2;
    }
    auto model = ml::Model::load(*a.get("model"), a.get("device", "cpu"));
    if (!model) {
        std::fprintf(stderr, "mammoscope-cli infer: %s\n", model.error().toString().c_str());
        return 1;
    }
    auto ds = dataset::open(a.positional[0], {});
    if (!ds) {
        std::fprintf(stderr, "mammoscope-cli infer: %s\n", ds.error().toString().c_str());
        return 1;
    }
    const fs::path out = *a.get("out");
    std::error_code ec;
    fs::create_directories(out / "maps", ec);
    const bool overlays = a.flag("heatmaps");
    if (overlays)
        fs::create_directories(out / "overlays", ec);
    if (ec) {
        std::fprintf(stderr, "mammoscope-cli infer: cannot create %s: %s\n", out.c_str(), ec.message().c_str());
        return 1;
    }
    const std::string split = a.get("split", "all");
    const long limit = long(*limitArg);
    const double stride = *strideArg;
    const auto& info = (*model)->info();
    std::ofstream csv(out / "scores.csv");
    csv << "image,patient,side,view,split,truth,score,max_suspicion,milliseconds\n";
    Json truth = Json::array();
    long done = 0, failed = 0;
    double totalMs = 0;
    for (const auto& im : ds->images) {
        if (split != "all" && (split == "test") != (im.split == dataset::Split::Test))
            continue;
        if (limit > 0 && done >= limit)
            break;
        if (im.path.empty())
            continue;
        auto li = dataset::loadImage(im.path);
        if (!li) {
            std::fprintf(stderr, "\n%s\n", li.error().toString().c_str());
            ++failed;
            continue;
        }
        auto h = (*model)->denseMap(li->image, stride);
        if (!h) {
            std::fprintf(stderr, "\n%s: %s\n", im.key.c_str(), h.error().toString().c_str());
            ++failed;
            continue;
        }
        const auto sus = h->suspicion();
        float maxSus = 0;
        for (float v : sus)
            maxSus = std::max(maxSus, v);
        // an image the dataset says nothing of is not "normal": it is scored but left out of the agreement figures
        std::string label = im.groundTruth ? "normal" : "unknown";
        Json lesions = Json::array();
        for (int ai : im.abnormalities) {
            const auto& ab = ds->abnormalities[size_t(ai)];
            if (ab.pathology == "MALIGNANT")
                label = "malignant";
            else if (label == "normal")
                label = "benign";
            Json l = Json::object();
            l.set("abnormality", ai);
            l.set("pathology", ab.pathology);
            l.set("type", ab.type);
            l.set("mask", ab.maskPath);
            if (ab.radius > 0) {
                l.set("cx", ab.centerX);
                l.set("cy", ab.centerY);
                l.set("r", ab.radius);
            }
            lesions.push(l);
        }
        Json m = Json::object();
        m.set("image", im.key);
        m.set("truth", label);
        m.set("image_width", h->imageWidth);
        m.set("image_height", h->imageHeight);
        m.set("width", h->width);
        m.set("height", h->height);
        m.set("stride", h->stride);
        m.set("window", h->window);
        m.set("score", h->score);
        m.set("suspicion", floats(sus));
        {
            Json lo = Json::array();
            for (float x : h->suspicionLogOdds())
                lo.push(std::round(double(x) * 1e4) / 1e4);
            m.set("suspicion_logit", lo);
        }
        m.set("malignancy", floats(h->malignancy(info.malignantClasses())));
        m.set("lesions", lesions);
        (void)writeFileAtomic(out / "maps" / (safeFileName(im.key) + ".json"), m.dump() + "\n");
        if (overlays)
            if (auto s = writeOverlay(out / "overlays" / (safeFileName(im.key) + ".png"), li->image, *h, sus); !s)
                std::fprintf(stderr, "\n%s\n", s.error().toString().c_str());
        csv << im.key << ',' << im.patientId << ',' << im.side << ',' << im.view << ','
            << (im.split == dataset::Split::Test ? "test" : "train") << ',' << label << ',' << h->score << ',' << maxSus << ','
            << h->milliseconds << '\n';
        totalMs += h->milliseconds;
        ++done;
        std::fprintf(stderr, "\r%ld images, %.0f ms per image", done, totalMs / double(done));
    }
    std::fprintf(stderr, "\n");
    Json meta = Json::object();
    meta.set("dataset", ds->root);
    meta.set("model", info.dir);
    meta.set("model_sha256", info.weightsSha256);
    meta.set("device", (*model)->deviceName());
    meta.set("images", done);
    meta.set("failed", failed);
    meta.set("ms_per_image", done ? totalMs / double(done) : 0.0);
    (void)writeFileAtomic(out / "inference.json", meta.dump(2) + "\n");
    std::printf("%ld images scored (%ld failed), %.0f ms per image on %s; %s\n", done, failed, done ? totalMs / double(done) : 0.0,
        (*model)->deviceName().c_str(), (out / "scores.csv").c_str());
    return failed && !done ? 1 : 0;
}

int cmdScore(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "json" });
    if (auto u = a.unknown({ "json", "lesions", "candidates", "prominence" }); !u.empty() || a.positional.empty()) {
        std::fprintf(stderr,
            "usage: mammoscope-cli score DIR [--json] [--lesions CSV] [--candidates P] [--prominence L]\n"
            "  DIR written by mammoscope-cli infer\n"
            "  --candidates P  lowest suspicion of a candidate region's peak (default 0.3)\n"
            "  --prominence L  a peak is a region of its own when it rises L above where it meets a higher one, in\n"
            "                  log-odds (default 2: odds 7.4 times higher); smaller splits more\n"
            "  --lesions CSV   one row per ground-truth lesion: its type, pathology and size, the map's maximum inside it,\n"
            "                  and the score and rank of the candidate that finds it (empty when none does)\n%s\n",
            u.c_str());
        return 2;
    }
    std::ofstream lesionCsv;
    if (const auto lp = a.get("lesions")) {
        lesionCsv.open(*lp);
        if (!lesionCsv) {
            std::fprintf(stderr, "mammoscope-cli score: cannot write %s\n", lp->c_str());
            return 1;
        }
        lesionCsv << "image,abnormality,type,pathology,cells,max_inside,max_inside_logit,image_max_logit,pointed,found_score,found_rank,"
                     "candidates\n";
    }
    const auto candidate = parseDouble(a.get("candidates", "0.3"));
    const auto prom = parseDouble(a.get("prominence", "2"));
    if (!candidate || *candidate <= 0 || *candidate >= 1 || !prom || *prom < 0) {
        std::fprintf(stderr, "mammoscope-cli score: --candidates takes a probability in (0, 1), --prominence log-odds >= 0\n");
        return 2;
    }
    const float candidateLogit = metrics::logit(float(*candidate)), prominence = float(*prom);
    const fs::path dir = a.positional[0];
    std::vector<metrics::FrocCase> cases;
    long pointed = 0, pointable = 0, images = 0, withoutTruth = 0;
    std::vector<double> scores;
    std::vector<bool> malignant;
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir / "maps", ec))
        if (e.path().extension() == ".json")
            files.push_back(e.path());
    if (ec || files.empty()) {
        std::fprintf(stderr, "mammoscope-cli score: %s has no maps/ (run mammoscope-cli infer first)\n", dir.c_str());
        return 1;
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        std::string text;
        readFile(f, text);
        auto j = Json::parse(text);
        if (!j) {
            std::fprintf(stderr, "mammoscope-cli score: %s: %s\n", f.c_str(), j.error().message.c_str());
            return 1;
        }
        // Judged on the log-odds (maps of older versions hold only the probabilities: their logits, saturated near 1).
        metrics::Heatmap map;
        map.width = int((*j)["width"].integer());
        map.height = int((*j)["height"].integer());
        if ((*j)["suspicion_logit"].size() > 0)
            for (const auto& v : (*j)["suspicion_logit"].elements())
                map.values.push_back(float(v.number()));
        else
            for (const auto& v : (*j)["suspicion"].elements())
                map.values.push_back(metrics::logit(float(v.number())));
        if (map.values.size() != size_t(map.width) * size_t(map.height)) {
            std::fprintf(stderr, "mammoscope-cli score: %s: map size does not match its values\n", f.c_str());
            return 1;
        }
        if ((*j)["truth"].string() == "unknown") {
            ++withoutTruth;
            continue;
        }
        const double stride = (*j)["stride"].number();
        const long long iw = (*j)["image_width"].integer(), ih = (*j)["image_height"].integer();
        if (iw < 1 || ih < 1 || iw > 65536 || ih > 65536 || !(stride > 0 && stride < 4096)) {
            std::fprintf(stderr, "mammoscope-cli score: %s: image size %lldx%lld or stride %g out of range\n", f.c_str(), iw, ih, stride);
            return 1;
        }
        std::vector<RleMask> lesions;
        std::vector<const Json*> lesionInfo;
        for (const auto& l : (*j)["lesions"].elements()) {
            if (l["mask"].string().empty() && !(l["r"].number() > 0))
                continue; // a lesion without coordinates (mini-MIAS calcifications): nothing to point at
            dataset::Abnormality ab;
            ab.key = (*j)["image"].string();
            ab.maskPath = l["mask"].string();
            ab.centerX = l["cx"].number();
            ab.centerY = l["cy"].number();
            ab.radius = l["r"].number();
            auto roi = annotations::resolveRoi(ab, int(iw), int(ih)); // the one rule for masks of another size
            if (!roi) {
                std::fprintf(stderr, "mammoscope-cli score: %s: %s; lesion skipped\n", f.c_str(), roi.error().toString().c_str());
                continue;
            }
            lesions.push_back(std::move(roi->mask));
            lesionInfo.push_back(&l);
        }
        auto scored = metrics::scoreAgainstLesions(map, stride, lesions, candidateLogit, prominence);
        metrics::FrocCase& c = scored.frocCase;
        const int pg = scored.pointing;
        if (pg >= 0) {
            ++pointable;
            pointed += pg;
        }
        if (lesionCsv.is_open())
            writeLesionRows(lesionCsv, (*j)["image"].string(), map, c, lesionInfo);
        cases.push_back(std::move(c));
        scores.push_back((*j)["score"].number());
        malignant.push_back((*j)["truth"].string() == "malignant");
        ++images;
    }
    const auto fr = metrics::froc(cases);
    const double auc = metrics::rocAuc(scores, malignant);
    Json out = Json::object();
    out.set("images", images);
    out.set("images_without_ground_truth", withoutTruth);
    out.set("images_with_lesions", pointable);
    out.set("pointing_game", pointable ? double(pointed) / double(pointable) : 0.0);
    Json f = Json::array();
    for (const auto& p : fr) {
        Json o = Json::object();
        o.set("fp_per_image", p.fpPerImage);
        o.set("sensitivity", p.sensitivity);
        f.push(o);
    }
    out.set("froc", f);
    out.set("auc", std::isfinite(auc) ? Json(auc) : Json());
    if (a.flag("json")) {
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf(
            "%ld images, %ld with lesions: pointing game %.3f\n", images, pointable, pointable ? double(pointed) / double(pointable) : 0.0);
        for (const auto& p : fr)
            std::printf("  FROC: sensitivity %.3f at %.2f false positives per image\n", p.sensitivity, p.fpPerImage);
        std::printf(
            "  image-level AUC (malignant vs not): %s\n", std::isfinite(auc) ? std::to_string(auc).c_str() : "n/a (one class only)");
    }
    return 0;
}

} // namespace ms::cli

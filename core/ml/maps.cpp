// SPDX-License-Identifier: GPL-3.0-or-later
// What a map is once computed, and which model suits a dataset (no LibTorch here): suspicious regions, the per-class
// probability planes as suspicion, malignancy and log-odds, the model's training domain and warning, its card's
// operating point, and where the shipped models are found. Running the networks is inference.cpp's.
#include "core/ml/inference.h"

#include "core/metrics/heatmap.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace ms::ml
{

std::vector<Region> suspiciousRegions(const Heatmap& h, const std::vector<float>& logOdds, double threshold, size_t maxRegions)
{
    std::vector<Region> out;
    if (h.width <= 0 || h.height <= 0 || logOdds.size() != size_t(h.width) * size_t(h.height))
        return out;
    metrics::Heatmap map;
    map.width = h.width;
    map.height = h.height;
    map.values = logOdds;
    // One region per peak above the threshold (a lesion beside a brighter area is not swallowed by one blob).
    const float extent = h.paintsLesions ? std::numeric_limits<float>::infinity() : metrics::kPeakProminence;
    const auto dets = metrics::detectPeaks(map, metrics::logit(float(std::max(0.01, threshold))), metrics::kPeakProminence, 1, extent);
    const size_t plane = size_t(h.width) * size_t(h.height);
    const int background = h.backgroundClass();
    for (size_t i = 0; i < dets.size() && i < maxRegions; ++i) {
        const auto& d = dets[i];
        Region r;
        int best = -1;
        float bestP = -1;
        for (int c = 0; c < h.classes; ++c) {
            if (c == background)
                continue;
            const size_t at = size_t(c) * plane + size_t(d.peakY) * size_t(h.width) + size_t(d.peakX);
            if (at < h.prob.size() && h.prob[at] > bestP) {
                bestP = h.prob[at];
                best = c;
            }
        }
        r.x = d.box.x * h.stride;
        r.y = d.box.y * h.stride;
        r.width = d.box.w * h.stride;
        r.height = d.box.h * h.stride;
        r.peakX = (d.peakX + 0.5) * h.stride;
        r.peakY = (d.peakY + 0.5) * h.stride;
        r.score = metrics::sigmoid(d.score);
        if (best >= 0 && size_t(best) < h.classNames.size())
            r.className = h.classNames[size_t(best)];
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<int> ModelInfo::malignantClasses() const
{
    std::vector<int> out;
    for (size_t i = 0; i < classes.size(); ++i)
        if (classes[i].rfind("MALIGNANT", 0) == 0)
            out.push_back(int(i));
    return out;
}

std::vector<float> Heatmap::malignancy(const std::vector<int>& malignantClasses) const
{
    std::vector<float> out(size_t(width) * size_t(height), 0.f);
    for (int c : malignantClasses)
        for (size_t i = 0; i < out.size(); ++i)
            out[i] += prob[size_t(c) * out.size() + i];
    return out;
}

int Heatmap::backgroundClass() const
{
    for (size_t c = 0; c < classNames.size(); ++c)
        if (classNames[c] == "BACKGROUND")
            return int(c);
    return -1;
}

std::vector<float> Heatmap::suspicion() const
{
    const size_t plane = size_t(width) * size_t(height);
    std::vector<float> out(plane, 0.f);
    if (const int bg = backgroundClass(); bg >= 0)
        for (size_t i = 0; i < plane; ++i)
            out[i] = 1.f - prob[size_t(bg) * plane + i];
    return out;
}

std::vector<float> Heatmap::logOdds(const std::vector<int>& positive) const
{
    const size_t plane = size_t(width) * size_t(height);
    std::vector<float> out(plane, 0.f);
    std::vector<uint8_t> in(size_t(std::max(0, classes)), 0);
    for (int c : positive)
        if (c >= 0 && c < classes)
            in[size_t(c)] = 1;
    for (size_t i = 0; i < plane; ++i) {
        double pin = 0, pout = 0;
        for (size_t c = 0; c < in.size(); ++c)
            (in[c] ? pin : pout) += double(prob[c * plane + i]);
        // Floored at the smallest float: a float probability below it is 0 already.
        constexpr double tiny = double(std::numeric_limits<float>::denorm_min());
        out[i] = float(std::log(std::max(pin, tiny)) - std::log(std::max(pout, tiny)));
    }
    return out;
}

std::vector<float> Heatmap::suspicionLogOdds() const
{
    std::vector<int> lesion;
    const int bg = backgroundClass();
    if (bg >= 0)
        for (int c = 0; c < classes; ++c)
            if (c != bg)
                lesion.push_back(c);
    return logOdds(lesion);
}

Domain trainingDomain(const ModelInfo& info)
{
    const Json& data = info.card["training"]["data"];
    if (data.isString())
        return data.string().rfind("synth:", 0) == 0 ? Domain::Phantoms : Domain::Real; // a shards folder made by prepare
    if (data.isObject()) {
        const std::string f = data["format"].string();
        if (f == "synth" || f == "phantoms")
            return Domain::Phantoms;
        if (!f.empty())
            return Domain::Real;
    }
    return Domain::Unknown;
}

std::string domainWarning(Domain model, Domain images)
{
    if (model == Domain::Phantoms && images == Domain::Real)
        return "This model has only seen synthetic phantoms: on real mammograms its map is not meaningful.";
    if (model == Domain::Real && images == Domain::Phantoms)
        return "This model was trained on real mammograms; these images are synthetic phantoms.";
    return {};
}

bool operatingPoint(const ModelInfo& info, OperatingPoint& out)
{
    const Json& op = info.card["metrics"]["operating_point"];
    if (!op.isObject() || !op["threshold_probability"].isNumber())
        return false;
    const double t = op["threshold_probability"].number();
    if (!(t > 0 && t < 1))
        return false;
    out.threshold = t;
    out.regionsPerNormalImage = op["regions_per_normal_image"].number(0);
    out.sensitivityMasses = op["sensitivity_masses"].number(-1);
    out.sensitivityAll = op["sensitivity_all"].number(-1);
    return true;
}

std::string shippedModelDir(const std::string& name)
{
    std::string env = "MAMMOSCOPE_" + name + "_MODEL";
    std::transform(env.begin(), env.end(), env.begin(), [](unsigned char c) { return char(std::toupper(c)); });
    std::vector<fs::path> candidates;
    if (const char* e = std::getenv(env.c_str()); e && *e)
        candidates.emplace_back(e);
    if (const char* e = std::getenv("MAMMOSCOPE_REAL_MODEL"); name == "mias" && e && *e) // its earlier name
        candidates.emplace_back(e);
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
        candidates.push_back(exe.parent_path() / ".." / "share" / "mammoscope" / "models" / name);
#ifdef MS_SOURCE_DIR
    candidates.push_back(fs::path(MS_SOURCE_DIR) / "models" / name);
#endif
    for (const auto& c : candidates)
        if (fs::is_regular_file(c / "card.json", ec))
            return fs::weakly_canonical(c, ec).string();
    return {};
}

} // namespace ms::ml

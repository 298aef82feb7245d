// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/training/lesionfigures.h"

#include "core/image/mask.h"
#include "core/metrics/heatmap.h"
#include "core/sampling/lesionmap.h"
#include "core/training/unetcommon.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>

namespace ms::training
{

const std::vector<double> kFpRates = { 0.25, 0.5, 1, 2, 4 };
ImageMarks marksOf(const shards::SampleSet& set, size_t i, const std::vector<float>& map)
{
    const auto& m = set.meta[i];
    ImageMarks r;
    r.woman = m.patient;
    r.abnormal = m.abnormal;
    r.malignant = m.label == 2;
    metrics::Heatmap h;
    h.width = set.width;
    h.height = set.height;
    h.values = map;
    r.score = *std::max_element(map.begin(), map.end());
    std::vector<RleMask> all, masses;
    std::vector<RleMask> others;
    for (const auto& l : m.lesions) {
        const double rad = std::max(2.0, double(l.r));
        RleMask e = RleMask::ellipse(set.width, set.height, l.x, l.y, rad, rad);
        all.push_back(e);
        if (sampling::isMassKind(l.kind))
            masses.push_back(e);
        else
            others.push_back(e);
    }
    r.hasMassLesion = !masses.empty();
    if (!all.empty())
        r.pointing = metrics::pointingGame(h, all);
    auto dets = metrics::detectPeaks(h, kFrocFloorLogit, metrics::kPeakProminence);
    r.all = metrics::frocMarks({ dets, all });
    // masses: a detection on another kind of lesion is neither a hit nor a false positive
    std::vector<metrics::Detection> massDets;
    for (const auto& d : dets) {
        bool onOther = false;
        for (const auto& o : others)
            onOther = onOther || o.contains(d.peakX, d.peakY);
        if (!onOther)
            massDets.push_back(d);
    }
    r.masses = metrics::frocMarks({ massDets, masses });
    return r;
}

Figures figuresOf(const std::vector<const ImageMarks*>& marks)
{
    Figures f;
    std::vector<metrics::FrocMarks> all, masses;
    std::vector<double> scores;
    std::vector<bool> abnormal, malignant;
    long hits = 0, pointed = 0;
    for (const auto* m : marks) {
        all.push_back(m->all);
        masses.push_back(m->masses);
        scores.push_back(m->score);
        abnormal.push_back(m->abnormal);
        malignant.push_back(m->malignant);
        if (m->pointing >= 0) {
            ++pointed;
            hits += m->pointing;
        }
        f.lesions += m->all.lesions;
        f.massLesions += m->masses.lesions;
    }
    f.images = long(marks.size());
    for (const auto& p : metrics::froc(all, kFpRates))
        f.frocAll.push_back(p.sensitivity);
    for (const auto& p : metrics::froc(masses, kFpRates))
        f.frocMasses.push_back(p.sensitivity);
    if (pointed > 0)
        f.pointing = double(hits) / double(pointed);
    f.aucAbnormal = metrics::rocAuc(scores, abnormal);
    f.aucMalignant = metrics::rocAuc(scores, malignant);
    return f;
}

Json numberOrNull(double v)
{
    return std::isfinite(v) ? Json(v) : Json();
}

Json frocJson(const std::vector<double>& s)
{
    Json j = Json::object();
    for (size_t k = 0; k < kFpRates.size() && k < s.size(); ++k) {
        char key[16];
        std::snprintf(key, sizeof key, "%g", kFpRates[k]);
        j.set(key, numberOrNull(s[k]));
    }
    return j;
}

Json figuresWithIntervals(const std::vector<ImageMarks>& marks, int rounds, unsigned long long seed)
{
    std::vector<const ImageMarks*> everyone;
    std::map<std::string, std::vector<const ImageMarks*>> byWoman;
    for (const auto& m : marks) {
        everyone.push_back(&m);
        byWoman[m.woman].push_back(&m);
    }
    const Figures point = figuresOf(everyone);
    std::vector<std::vector<const ImageMarks*>> women;
    for (auto& [w, v] : byWoman)
        women.push_back(v);
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<size_t> pick(0, women.empty() ? 0 : women.size() - 1);
    std::vector<Figures> boot;
    for (int r = 0; r < rounds && !women.empty(); ++r) {
        std::vector<const ImageMarks*> sample;
        for (size_t k = 0; k < women.size(); ++k) {
            const auto& w = women[pick(rng)];
            sample.insert(sample.end(), w.begin(), w.end());
        }
        boot.push_back(figuresOf(sample));
    }
    auto interval = [&](auto get) {
        std::vector<double> v;
        for (const auto& b : boot) {
            const double x = get(b);
            if (std::isfinite(x))
                v.push_back(x);
        }
        return percentileCi(std::move(v));
    };
    auto withCi = [&](double value, auto get) {
        Json j = Json::object();
        j.set("value", numberOrNull(value));
        j.set("ci95", interval(get));
        return j;
    };
    Json out = Json::object();
    out.set("images", point.images);
    out.set("women", long(women.size()));
    out.set("lesions_with_coordinates", point.lesions);
    out.set("mass_lesions", point.massLesions);
    Json fm = Json::object(), fa = Json::object();
    for (size_t k = 0; k < kFpRates.size(); ++k) {
        char key[16];
        std::snprintf(key, sizeof key, "%g", kFpRates[k]);
        fm.set(key, withCi(point.frocMasses[k], [k](const Figures& f) { return f.frocMasses[k]; }));
        fa.set(key, withCi(point.frocAll[k], [k](const Figures& f) { return f.frocAll[k]; }));
    }
    out.set("froc_masses", fm);
    out.set("froc_all", fa);
    out.set("pointing_game", withCi(point.pointing, [](const Figures& f) { return f.pointing; }));
    out.set("auc_abnormal_vs_normal", withCi(point.aucAbnormal, [](const Figures& f) { return f.aucAbnormal; }));
    out.set("auc_malignant_vs_rest", withCi(point.aucMalignant, [](const Figures& f) { return f.aucMalignant; }));
    return out;
}

Json operatingPoint(const std::vector<ImageMarks>& marks, double perNormal)
{
    std::vector<float> normalScores;
    long normals = 0;
    for (const auto& m : marks)
        if (!m.abnormal) {
            ++normals;
            for (const auto& [s, l] : m.all.detections)
                normalScores.push_back(s);
        }
    Json j = Json::object();
    if (normals == 0)
        return j;
    std::sort(normalScores.begin(), normalScores.end(), std::greater<float>());
    const size_t allowed = size_t(std::floor(perNormal * double(normals)));
    // threshold: just above the (allowed+1)-th strongest candidate on normal images
    float threshold = kFrocFloorLogit;
    if (allowed < normalScores.size())
        threshold = std::nextafter(normalScores[allowed], std::numeric_limits<float>::infinity());
    auto sensitivity = [&](bool massesOnly) {
        long found = 0, total = 0;
        for (const auto& m : marks) {
            const auto& fm = massesOnly ? m.masses : m.all;
            total += fm.lesions;
            std::set<int> hit;
            for (const auto& [s, l] : fm.detections)
                if (s >= threshold && l >= 0)
                    hit.insert(l);
            found += long(hit.size());
        }
        return total > 0 ? double(found) / double(total) : NAN;
    };
    long fp = 0;
    for (const auto& m : marks)
        if (!m.abnormal)
            for (const auto& [s, l] : m.all.detections)
                fp += s >= threshold;
    j.set("threshold_logit", double(threshold));
    j.set("threshold_probability", double(metrics::sigmoid(threshold)));
    j.set("regions_per_normal_image", double(fp) / double(normals));
    j.set("sensitivity_all", numberOrNull(sensitivity(false)));
    j.set("sensitivity_masses", numberOrNull(sensitivity(true)));
    return j;
}

} // namespace ms::training

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/heatmap.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace ms::metrics
{

std::vector<Detection> detectPeaks(const Heatmap& map, float threshold, float prominence, long minArea, float extent)
{
    const int W = map.width, H = map.height;
    const size_t n = size_t(std::max(0, W)) * size_t(std::max(0, H));
    if (map.values.size() != n || n == 0)
        return {};
    std::vector<uint32_t> order;
    for (size_t i = 0; i < n; ++i)
        if (map.values[i] >= threshold)
            order.push_back(uint32_t(i));
    // Highest first; equal values in raster order, so the result does not depend on the sort's whims.
    std::sort(order.begin(), order.end(),
        [&](uint32_t a, uint32_t b) { return map.values[a] != map.values[b] ? map.values[a] > map.values[b] : a < b; });
    // Union-find over basins; a root's peak is the first (highest) cell that started it.
    constexpr uint32_t none = std::numeric_limits<uint32_t>::max();
    std::vector<uint32_t> label(n, none), parent;
    std::vector<uint32_t> peak;
    auto find = [&](uint32_t b) {
        while (parent[b] != b) {
            parent[b] = parent[parent[b]];
            b = parent[b];
        }
        return b;
    };
    std::vector<uint32_t> roots;
    for (uint32_t i : order) {
        const int x = int(i % uint32_t(W)), y = int(i / uint32_t(W));
        roots.clear();
        for (int dy = -1; dy <= 1; ++dy)
            for (int dx = -1; dx <= 1; ++dx) {
                const int nx = x + dx, ny = y + dy;
                if ((dx == 0 && dy == 0) || nx < 0 || ny < 0 || nx >= W || ny >= H)
                    continue;
                const uint32_t l = label[size_t(ny) * size_t(W) + size_t(nx)];
                if (l == none)
                    continue;
                const uint32_t r = find(l);
                if (std::find(roots.begin(), roots.end(), r) == roots.end())
                    roots.push_back(r);
            }
        if (roots.empty()) { // a new maximum
            parent.push_back(uint32_t(parent.size()));
            peak.push_back(i);
            label[i] = parent.back();
            continue;
        }
        // The cell joins the basin with the highest peak; lower basins meeting here merge into it unless their peak
        // stands out by the prominence.
        const auto higher = [&](uint32_t a, uint32_t b) {
            const float va = map.values[peak[a]], vb = map.values[peak[b]];
            return va != vb ? va > vb : peak[a] < peak[b];
        };
        uint32_t top = roots[0];
        for (uint32_t r : roots)
            if (higher(r, top))
                top = r;
        for (uint32_t r : roots)
            if (r != top && map.values[peak[r]] - map.values[i] < prominence)
                parent[r] = top;
        label[i] = top;
    }
    std::vector<Detection> dets(parent.size());
    std::vector<uint8_t> used(parent.size(), 0);
    for (auto& d : dets)
        d.box = { std::numeric_limits<int>::max(), std::numeric_limits<int>::max(), -1, -1 }; // x0, y0, x1, y1 for now
    for (uint32_t i : order) {
        const uint32_t r = find(label[i]);
        Detection& d = dets[r];
        const int x = int(i % uint32_t(W)), y = int(i / uint32_t(W));
        if (!used[r]) {
            used[r] = 1;
            d.score = map.values[peak[r]];
            d.peakX = int(peak[r] % uint32_t(W));
            d.peakY = int(peak[r] / uint32_t(W));
        }
        if (map.values[i] < d.score - extent)
            continue;
        ++d.area;
        d.box.x = std::min(d.box.x, x);
        d.box.y = std::min(d.box.y, y);
        d.box.w = std::max(d.box.w, x);
        d.box.h = std::max(d.box.h, y);
    }
    std::vector<Detection> out;
    for (size_t r = 0; r < dets.size(); ++r)
        if (used[r] && dets[r].area >= minArea) {
            Detection d = dets[r];
            d.box = { d.box.x, d.box.y, d.box.w - d.box.x + 1, d.box.h - d.box.y + 1 };
            out.push_back(d);
        }
    std::sort(out.begin(), out.end(), [](const Detection& a, const Detection& b) {
        return a.score != b.score ? a.score > b.score : (a.peakY != b.peakY ? a.peakY < b.peakY : a.peakX < b.peakX);
    });
    return out;
}

float logit(float p)
{
    const double q = std::clamp(double(p), 1e-30, 1.0);
    return float(std::log(q) - std::log1p(-std::min(q, 1.0 - 1e-16)));
}

float sigmoid(float x)
{
    return float(1.0 / (1.0 + std::exp(-double(x))));
}

ImageScoring scoreAgainstLesions(
    const Heatmap& map, double stride, const std::vector<RleMask>& lesionsAtImageSize, float candidateLogit, float prominence)
{
    ImageScoring s;
    for (const auto& m : lesionsAtImageSize)
        s.frocCase.lesions.push_back(toGrid(m, map.width, map.height, stride));
    s.pointing = pointingGame(map, s.frocCase.lesions);
    s.frocCase.detections = detectPeaks(map, candidateLogit, prominence);
    return s;
}

int pointingGame(const Heatmap& map, const std::vector<RleMask>& lesions)
{
    if (lesions.empty() || map.values.empty())
        return -1;
    const size_t best = size_t(std::max_element(map.values.begin(), map.values.end()) - map.values.begin());
    const int x = int(best % size_t(map.width)), y = int(best / size_t(map.width));
    for (const auto& l : lesions)
        if (l.contains(x, y))
            return 1;
    return 0;
}

FrocMarks frocMarks(const FrocCase& c)
{
    FrocMarks m;
    m.lesions = int(c.lesions.size());
    for (const auto& d : c.detections) {
        int hit = -1;
        for (size_t l = 0; l < c.lesions.size() && hit < 0; ++l)
            if (c.lesions[l].contains(d.peakX, d.peakY))
                hit = int(l);
        m.detections.emplace_back(d.score, hit);
    }
    return m;
}

std::vector<FrocPoint> froc(const std::vector<FrocCase>& cases, const std::vector<double>& fpRates)
{
    std::vector<FrocMarks> marks;
    marks.reserve(cases.size());
    for (const auto& c : cases)
        marks.push_back(frocMarks(c));
    return froc(marks, fpRates);
}

std::vector<FrocPoint> froc(const std::vector<FrocMarks>& cases, const std::vector<double>& fpRates)
{
    struct Item {
        float score;
        size_t image;
        int lesion; // -1: false positive
    };
    std::vector<Item> items;
    long lesionsTotal = 0;
    for (size_t c = 0; c < cases.size(); ++c) {
        lesionsTotal += cases[c].lesions;
        for (const auto& [score, hit] : cases[c].detections)
            items.push_back({ score, c, hit < cases[c].lesions ? hit : -1 });
    }
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.score > b.score; });
    // Walk down the scores: (fp per image, sensitivity) after each distinct score.
    std::vector<std::pair<double, double>> curve { { 0.0, 0.0 } };
    std::vector<std::vector<uint8_t>> found(cases.size());
    for (size_t c = 0; c < cases.size(); ++c)
        found[c].assign(size_t(std::max(0, cases[c].lesions)), 0);
    long tp = 0, fp = 0;
    const double nImages = double(std::max<size_t>(1, cases.size()));
    for (size_t i = 0; i < items.size(); ++i) {
        const auto& it = items[i];
        if (it.lesion < 0)
            ++fp;
        else if (!found[it.image][size_t(it.lesion)]) {
            found[it.image][size_t(it.lesion)] = 1;
            ++tp;
        }
        if (i + 1 == items.size() || items[i + 1].score != it.score)
            curve.emplace_back(double(fp) / nImages, lesionsTotal ? double(tp) / double(lesionsTotal) : 0.0);
    }
    std::vector<FrocPoint> out;
    for (double rate : fpRates) {
        double sens = 0;
        for (const auto& [f, s] : curve)
            if (f <= rate + 1e-12)
                sens = std::max(sens, s);
        out.push_back({ rate, sens });
    }
    return out;
}

RleMask toGrid(const RleMask& lesion, int gw, int gh, double stride)
{
    std::vector<uint8_t> cells(size_t(std::max(0, gw)) * size_t(std::max(0, gh)), 0);
    const Rect b = lesion.boundingBox();
    const Gray8 g = b.empty() ? Gray8() : lesion.toGray(1);
    if (!b.empty() && stride > 0)
        for (int y = b.y; y < b.y + b.h; ++y)
            for (int x = b.x; x < b.x + b.w; ++x)
                if (g.pixels[size_t(y) * size_t(g.width) + size_t(x)]) {
                    const int cx = int(x / stride), cy = int(y / stride);
                    if (cx >= 0 && cy >= 0 && cx < gw && cy < gh)
                        cells[size_t(cy) * size_t(gw) + size_t(cx)] = 1;
                }
    return RleMask::fromBinary(cells.data(), gw, gh);
}

} // namespace ms::metrics

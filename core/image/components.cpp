// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/image/components.h"

#include <algorithm>
#include <cmath>

namespace ms
{

std::vector<long long> labelComponents(const uint8_t* mask, int w, int h, std::vector<int>& labels)
{
    const size_t n = w > 0 && h > 0 ? size_t(w) * size_t(h) : 0;
    labels.assign(n, 0);
    std::vector<long long> sizes(1, 0);
    std::vector<size_t> stack;
    for (size_t start = 0; start < n; ++start) {
        if (!mask[start] || labels[start])
            continue;
        const int id = int(sizes.size());
        sizes.push_back(0);
        stack.assign(1, start);
        labels[start] = id;
        while (!stack.empty()) {
            const size_t p = stack.back();
            stack.pop_back();
            ++sizes.back();
            const size_t x = p % size_t(w), y = p / size_t(w);
            auto visit = [&](size_t q) {
                if (mask[q] && !labels[q]) {
                    labels[q] = id;
                    stack.push_back(q);
                }
            };
            if (x > 0)
                visit(p - 1);
            if (x + 1 < size_t(w))
                visit(p + 1);
            if (y > 0)
                visit(p - size_t(w));
            if (y + 1 < size_t(h))
                visit(p + size_t(w));
        }
    }
    return sizes;
}

std::vector<uint8_t> largestComponent(const uint8_t* mask, int w, int h)
{
    std::vector<int> labels;
    const auto sizes = labelComponents(mask, w, h, labels);
    std::vector<uint8_t> out(labels.size(), 0);
    if (sizes.size() <= 1)
        return out;
    const int keep = int(std::max_element(sizes.begin() + 1, sizes.end()) - sizes.begin());
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = labels[i] == keep;
    return out;
}

namespace
{

// The 8-connected parts of the nonzero pixels of `px` (w x h) that are long for their mean thickness (area / longer
// side of their bounding box: at least 8 times; a disk is 1.3 times, an ellipse must be over 6 times longer than wide,
// CDD-CESM's skin traces are about 40 times) and at least `minLength` long: 1 in the returned map where such a part is.
std::vector<uint8_t> elongatedParts(const std::vector<uint8_t>& px, int w, int h, double minLength, double ratio = 8.0)
{
    // 8-connected parts through 4-connected labels of the pixels grown by one (a diagonal line stays one part)
    std::vector<uint8_t> grown(px.size(), 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            if (!px[size_t(y) * size_t(w) + size_t(x)])
                continue;
            for (int yy = std::max(0, y - 1); yy <= std::min(h - 1, y + 1); ++yy)
                for (int xx = std::max(0, x - 1); xx <= std::min(w - 1, x + 1); ++xx)
                    grown[size_t(yy) * size_t(w) + size_t(xx)] = 1;
        }
    std::vector<int> labels;
    const size_t parts = labelComponents(grown.data(), w, h, labels).size();
    std::vector<int> lx(parts, w), ly(parts, h), hx(parts, -1), hy(parts, -1);
    std::vector<long long> area(parts, 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const size_t i = size_t(y) * size_t(w) + size_t(x);
            const auto l = size_t(labels[i]);
            if (!l || !px[i])
                continue;
            ++area[l];
            lx[l] = std::min(lx[l], x);
            hx[l] = std::max(hx[l], x);
            ly[l] = std::min(ly[l], y);
            hy[l] = std::max(hy[l], y);
        }
    std::vector<uint8_t> thin(parts, 0);
    for (size_t l = 1; l < parts; ++l) {
        if (!area[l])
            continue;
        const double longer = double(std::max(hx[l] - lx[l], hy[l] - ly[l]) + 1), thickness = double(area[l]) / longer;
        thin[l] = longer >= ratio * thickness && longer >= minLength;
    }
    std::vector<uint8_t> out(px.size(), 0);
    for (size_t i = 0; i < px.size(); ++i)
        out[i] = px[i] && thin[size_t(labels[i])];
    return out;
}

// Erosion or dilation of 0/1 pixels by a (2r+1)-square, separably, in time independent of r (running sums: a pixel
// erodes to 1 when its whole window is 1, dilates to 1 when any of it is); outside counts as 0.
std::vector<uint8_t> squareFilter(const std::vector<uint8_t>& px, int w, int h, int r, bool dilate)
{
    std::vector<uint8_t> tmp(px.size()), out(px.size());
    std::vector<int> sum;
    auto pass = [&](const std::vector<uint8_t>& in, std::vector<uint8_t>& o, bool rows) {
        const int n = rows ? w : h, lines = rows ? h : w;
        auto at = [&](int line, int k) { return rows ? size_t(line) * size_t(w) + size_t(k) : size_t(k) * size_t(w) + size_t(line); };
        sum.assign(size_t(n) + 1, 0);
        for (int line = 0; line < lines; ++line) {
            for (int k = 0; k < n; ++k)
                sum[size_t(k) + 1] = sum[size_t(k)] + (in[at(line, k)] ? 1 : 0);
            for (int k = 0; k < n; ++k) {
                const int lo = std::max(0, k - r), hi = std::min(n, k + r + 1);
                const int ones = sum[size_t(hi)] - sum[size_t(lo)];
                o[at(line, k)] = dilate ? ones > 0 : ones == 2 * r + 1;
            }
        }
    };
    pass(px, tmp, true);
    pass(tmp, out, false);
    return out;
}

} // namespace

RleMask withoutStrokes(const RleMask& mask, long long* removed)
{
    if (removed)
        *removed = 0;
    const Rect b = mask.boundingBox();
    if (b.empty())
        return mask;
    // the bounding box with a margin, with holes filled (a closed outline is a region)
    const int r = std::max(2, int(std::lround(std::max(mask.width(), mask.height()) / 64.0)));
    const int x0 = std::max(0, b.x - 1), y0 = std::max(0, b.y - 1);
    const int x1 = std::min(mask.width(), b.x + b.w + 1), y1 = std::min(mask.height(), b.y + b.h + 1);
    const int w = x1 - x0, h = y1 - y0;
    const Gray8 full = mask.toGray(1);
    Gray8 crop(w, h, 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            crop.at(x, y) = full.at(x0 + x, y0 + y);
    const std::vector<uint8_t> filled = RleMask::fromGray(crop).fillHoles().toGray(1).pixels; // the margin keeps the outside
    // 1. parts that are lines on their own
    std::vector<uint8_t> stroke = elongatedParts(filled, w, h, 0);
    // 2. lines that touch a region (a skin trace running into the lesion's outline): what an opening by a square of
    // side 2r+1 (r: 1/64 of the mask's size, 8 pixels at 512) takes off the regions, where it is very long and thin
    std::vector<uint8_t> region(filled.size());
    for (size_t i = 0; i < filled.size(); ++i)
        region[i] = filled[i] && !stroke[i];
    const std::vector<uint8_t> opened = squareFilter(squareFilter(region, w, h, r, false), w, h, r, true);
    std::vector<uint8_t> residue(filled.size());
    for (size_t i = 0; i < filled.size(); ++i)
        residue[i] = region[i] && !opened[i];
    // stricter than 1.: 16 times longer than thick, and a quarter of the image long (a skin trace runs along the
    // breast; the bits an opening shaves off a lesion's rim are short or thick)
    const std::vector<uint8_t> attached
        = elongatedParts(residue, w, h, std::max(4.0 * r, 0.25 * std::max(mask.width(), mask.height())), 16.0);
    bool anyLeft = false, anyStroke = false;
    for (size_t i = 0; i < filled.size(); ++i) {
        stroke[i] = stroke[i] || attached[i];
        anyStroke = anyStroke || (filled[i] && stroke[i]);
        anyLeft = anyLeft || (filled[i] && !stroke[i]);
    }
    if (!anyStroke || !anyLeft)
        return mask;
    Gray8 out = full;
    long long n = 0;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            uint8_t& v = out.at(x0 + x, y0 + y);
            if (v && stroke[size_t(y) * size_t(w) + size_t(x)]) {
                v = 0;
                ++n;
            }
        }
    if (removed)
        *removed = n;
    return RleMask::fromGray(out);
}

} // namespace ms

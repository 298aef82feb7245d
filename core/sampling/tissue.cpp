// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/sampling/tissue.h"

#include "core/image/components.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace ms::sampling
{

uint8_t tissueValue(int cls)
{
    static constexpr uint8_t v[kTissueClasses] = { 64, 128, 192, 255 };
    return cls >= 0 && cls < kTissueClasses ? v[cls] : 64;
}

const char* tissueName(int cls)
{
    static constexpr const char* n[kTissueClasses] = { "background", "fatty", "fibroglandular", "pectoral" };
    return cls >= 0 && cls < kTissueClasses ? n[cls] : "background";
}

int tissueClassOfValue(int value)
{
    int best = 0, bestDist = 1 << 30;
    for (int c = 0; c < kTissueClasses; ++c) {
        const int d = std::abs(value - int(tissueValue(c)));
        if (d < bestDist) {
            bestDist = d;
            best = c;
        }
    }
    return best;
}

Gray8 tissueClasses(const Gray8& labels)
{
    uint8_t lut[256];
    for (int v = 0; v < 256; ++v)
        lut[v] = uint8_t(tissueClassOfValue(v));
    Gray8 out(labels.width, labels.height);
    for (size_t i = 0; i < labels.pixels.size(); ++i)
        out.pixels[i] = lut[labels.pixels[i]];
    return out;
}

Gray8 tissueLabels(const Gray8& classes)
{
    Gray8 out(classes.width, classes.height);
    for (size_t i = 0; i < classes.pixels.size(); ++i)
        out.pixels[i] = tissueValue(classes.pixels[i]);
    return out;
}

MapOptions tissueCanvas(int side)
{
    MapOptions o;
    o.width = side;
    o.height = side;
    return o;
}

Gray8 classesToSample(const Gray8& classes, const MapGeometry& g)
{
    Gray8 out(g.width, g.height, TissueBackground);
    for (int cy = 0; cy < g.height; ++cy)
        for (int cx = 0; cx < g.width; ++cx) {
            double x = 0, y = 0;
            g.toSource(cx + 0.5, cy + 0.5, x, y);
            const int ix = int(std::floor(x)), iy = int(std::floor(y));
            if (ix >= 0 && iy >= 0 && ix < classes.width && iy < classes.height)
                out.at(cx, cy) = classes.at(ix, iy);
        }
    return out;
}

void keepLargestBreast(Gray8& classes)
{
    if (classes.empty())
        return;
    Gray8 inside(classes.width, classes.height);
    for (size_t i = 0; i < classes.pixels.size(); ++i)
        inside.pixels[i] = classes.pixels[i] != TissueBackground;
    std::vector<int> comp;
    const auto sizes = labelComponents(inside.pixels.data(), inside.width, inside.height, comp);
    if (sizes.size() <= 1)
        return;
    const int keep = int(std::max_element(sizes.begin() + 1, sizes.end()) - sizes.begin());
    // holes: background components that do not touch the image's border
    Gray8 outside(classes.width, classes.height);
    for (size_t i = 0; i < comp.size(); ++i)
        outside.pixels[i] = comp[i] != keep;
    std::vector<int> hole;
    const auto holeSizes = labelComponents(outside.pixels.data(), outside.width, outside.height, hole);
    std::vector<bool> touchesBorder(holeSizes.size(), false);
    const int W = classes.width, H = classes.height;
    for (int x = 0; x < W; ++x) {
        touchesBorder[size_t(hole[size_t(x)])] = true;
        touchesBorder[size_t(hole[size_t(H - 1) * size_t(W) + size_t(x)])] = true;
    }
    for (int y = 0; y < H; ++y) {
        touchesBorder[size_t(hole[size_t(y) * size_t(W)])] = true;
        touchesBorder[size_t(hole[size_t(y) * size_t(W) + size_t(W - 1)])] = true;
    }
    for (size_t i = 0; i < comp.size(); ++i) {
        if (comp[i] == keep)
            continue;
        if (hole[i] > 0 && !touchesBorder[size_t(hole[i])])
            classes.pixels[i] = classes.pixels[i] == TissueBackground ? uint8_t(TissueFatty) : classes.pixels[i];
        else
            classes.pixels[i] = TissueBackground;
    }
}

double TissueStats::denseFraction() const
{
    const long long tissue = pixels[TissueFatty] + pixels[TissueDense];
    return tissue > 0 ? double(pixels[TissueDense]) / double(tissue) : -1;
}

TissueStats tissueStats(const Gray8& classes)
{
    TissueStats s;
    for (uint8_t v : classes.pixels)
        if (v < kTissueClasses)
            ++s.pixels[v];
    return s;
}

std::string densityQuartile(double f)
{
    if (!(f >= 0 && f <= 1))
        return "";
    return f < 0.25 ? "a" : f < 0.5 ? "b" : f < 0.75 ? "c" : "d";
}

TissueDice tissueDice(const Gray8& predicted, const Gray8& truth)
{
    TissueDice d;
    if (predicted.width != truth.width || predicted.height != truth.height)
        return d;
    long long inter[kTissueClasses] = {}, a[kTissueClasses] = {}, b[kTissueClasses] = {};
    long long bi = 0, ba = 0, bb = 0;
    for (size_t i = 0; i < truth.pixels.size(); ++i) {
        const int p = std::min<int>(predicted.pixels[i], kTissueClasses - 1), t = std::min<int>(truth.pixels[i], kTissueClasses - 1);
        ++a[p];
        ++b[t];
        inter[p] += p == t;
        const bool pb = p != TissueBackground, tb = t != TissueBackground;
        ba += pb;
        bb += tb;
        bi += pb && tb;
    }
    for (int c = 0; c < kTissueClasses; ++c)
        if (a[c] + b[c] > 0)
            d.perClass[c] = 2.0 * double(inter[c]) / double(a[c] + b[c]);
    if (ba + bb > 0)
        d.breast = 2.0 * double(bi) / double(ba + bb);
    return d;
}

} // namespace ms::sampling

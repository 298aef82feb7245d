// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/sampling/lesionmap.h"

#include "core/image/components.h"
#include "core/image/resample.h"
#include "core/sampling/sampling.h"

#include <algorithm>
#include <cmath>

namespace ms::sampling
{

void MapGeometry::toSample(double x, double y, double& sx, double& sy) const
{
    sx = (flipped ? sourceWidth - x : x) * scale + offsetX;
    sy = y * scale + offsetY;
}

void MapGeometry::toSource(double sx, double sy, double& x, double& y) const
{
    const double u = (sx - offsetX) / scale;
    x = flipped ? sourceWidth - u : u;
    y = (sy - offsetY) / scale;
}

bool plausiblePixelMm(double mm)
{
    return mm >= 0.01 && mm <= 2.0;
}

double pixelSizeMm(const Image16& img, double fallbackMm)
{
    if (img.spacingY > 0)
        return img.spacingY;
    if (img.spacingX > 0)
        return img.spacingX;
    return fallbackMm > 0 ? fallbackMm : 0;
}

BreastExtent breastExtent(const Gray8& small)
{
    BreastExtent out;
    const int w = small.width, h = small.height;
    if (w <= 0 || h <= 0)
        return out;
    // The chest wall: the breast is widest there. The breast is the largest region brighter than the background (label
    // tags, film edges and specks apart); its chest wall is on the side of its extent's centre where its centre of
    // mass lies. Comparing the image's own outer bands instead failed where the breast does not reach the image's edges
    // (12 % of mini-MIAS, the padded CDD-CESM squares).
    // breast: above a tenth of the 99th percentile (a threshold between tissues, such as Otsu's, cuts a dense
    // breast in parts); the outer 3 % of the columns left out (film edges, scanner strips)
    long hist[256] = {};
    for (uint8_t v : small.pixels)
        ++hist[v];
    int p99 = 255;
    for (long seen = 0; p99 > 0; --p99) {
        seen += hist[p99];
        if (double(seen) >= 0.01 * double(small.pixels.size()))
            break;
    }
    const int thr = std::max(4, p99 / 10), margin = w / 33;
    std::vector<uint8_t> above(small.pixels.size(), 0);
    for (int y = 0; y < h; ++y)
        for (int x = margin; x < w - margin; ++x)
            above[size_t(y) * size_t(w) + size_t(x)] = small.at(x, y) > thr;
    const std::vector<uint8_t> breast = largestComponent(above.data(), w, h);
    std::vector<long> columns(size_t(w), 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            columns[size_t(x)] += breast[size_t(y) * size_t(w) + size_t(x)];
    int lo = 0, hi = w - 1;
    while (lo < w && columns[size_t(lo)] == 0)
        ++lo;
    while (hi >= 0 && columns[size_t(hi)] == 0)
        --hi;
    if (lo > hi)
        return out; // no breast: the chest wall is taken to be on the left
    // a breast cut by the left-out margin reaches the image's edge
    lo = lo <= margin ? 0 : lo;
    hi = hi >= w - 1 - margin ? w - 1 : hi;
    // the breast's centre of mass lies nearer the chest wall (it is widest there)
    double mass = 0, moment = 0;
    for (int x = lo; x <= hi; ++x) {
        mass += double(columns[size_t(x)]);
        moment += double(columns[size_t(x)]) * x;
    }
    const double off = moment / mass - 0.5 * (lo + hi);
    bool right = false;
    if (std::abs(off) > 0.02 * (hi - lo + 1))
        right = off > 0;
    else if ((lo == 0) != (hi == w - 1)) // no shape to go by: the side where it meets the image's edge
        right = hi == w - 1;
    else { // nor that: the brighter outer band of the image
        double left = 0, rightBand = 0;
        const int band = std::max(1, w / 4);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < band; ++x) {
                left += small.at(x, y);
                rightBand += small.at(w - 1 - x, y);
            }
        right = rightBand > left;
    }
    out.found = true;
    out.lo = lo;
    out.hi = hi;
    out.chestWallRight = right;
    return out;
}

bool chestWallOnLeft(const Image16& img)
{
    if (img.empty())
        return true;
    // at about the lesion map's scale (256 sample pixels high), where the rule was checked on every mini-MIAS image
    const int h = std::min(img.height, 256);
    const int w = std::max(1, int(std::lround(double(img.width) * h / img.height)));
    return !breastExtent(resizeGray(toModelInput8(img), w, h)).chestWallRight;
}

Gray8 mapSample(const Image16& img, double pixelMm, const MapOptions& opt, MapGeometry* geometry)
{
    MapGeometry g;
    g.sourceWidth = img.width;
    g.sourceHeight = img.height;
    g.width = opt.width;
    g.height = opt.height;
    g.scale = plausiblePixelMm(pixelMm) ? pixelMm / opt.targetMm : double(opt.height) / std::max(1, img.height);
    Gray8 canvas(opt.width, opt.height, 0);
    if (img.empty()) {
        if (geometry)
            *geometry = g;
        return canvas;
    }
    const int w = std::max(1, int(std::lround(img.width * g.scale))), h = std::max(1, int(std::lround(img.height * g.scale)));
    const Gray8 small = resizeGray(toModelInput8(img), w, h);
    // the chest-wall edge of the breast's extent goes to the canvas's left (breastExtent: the one chest-wall rule)
    const BreastExtent be = breastExtent(small);
    const int x0 = be.found ? be.lo : 0, x1 = be.found ? be.hi : w - 1;
    const bool flipped = be.chestWallRight;
    g.flipped = flipped;
    // in the mirrored image (x' = flipped ? w - 1 - x : x) the chest-wall edge is column `shift`
    const int shift = flipped ? w - 1 - x1 : x0;
    g.offsetX = -double(shift);
    g.offsetY = std::floor((opt.height - h) / 2.0);
    // Place the resized image: the canvas pixel (cx, cy) takes resized pixel (x, y) with cx = x' + offsetX where
    // x' = flipped ? w - 1 - x : x (pixel centres of the mirrored image).
    const int oy = int(g.offsetY);
    for (int cy = 0; cy < opt.height; ++cy) {
        const int y = cy - oy;
        if (y < 0 || y >= h)
            continue;
        for (int cx = 0; cx < std::min(opt.width, w - shift); ++cx) {
            const int xm = cx + shift;
            const int x = g.flipped ? w - 1 - xm : xm;
            canvas.at(cx, cy) = small.at(x, y);
        }
    }
    // The exact horizontal scale of this resize, so that mirrored coordinates (W0 - x) * scale land on the mirrored
    // pixels; the vertical one (h / height) differs from it by the rounding of w and h, under half a sample pixel.
    g.scale = double(w) / img.width;
    if (geometry)
        *geometry = g;
    return canvas;
}

std::vector<uint8_t> twoChannels(const Gray8& image, const Gray8* partner)
{
    std::vector<uint8_t> out(image.pixels);
    const Gray8& p = partner && partner->width == image.width && partner->height == image.height ? *partner : image;
    out.insert(out.end(), p.pixels.begin(), p.pixels.end());
    return out;
}

shards::LesionCircle circleToSample(const MapGeometry& g, double cx, double cy, double radius, const std::string& kind, bool malignant)
{
    shards::LesionCircle c;
    double sx = 0, sy = 0;
    g.toSample(cx, cy, sx, sy);
    c.x = float(sx);
    c.y = float(sy);
    c.r = float(std::max(0.0, radius) * g.scale);
    c.kind = kind;
    c.malignant = malignant;
    return c;
}

bool isMassKind(const std::string& kind)
{
    return kind == "CIRC" || kind == "SPIC" || kind == "MISC" || kind == "mass";
}

} // namespace ms::sampling

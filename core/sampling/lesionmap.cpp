// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/sampling/lesionmap.h"

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
    // The chest wall is the brighter side: the breast tissue meets it over the full height, the nipple side is air.
    double left = 0, right = 0;
    const int band = std::max(1, w / 4);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < band; ++x) {
            left += small.at(x, y);
            right += small.at(w - 1 - x, y);
        }
    g.flipped = right > left;
    g.offsetX = 0; // chest wall on the canvas's left edge
    g.offsetY = std::floor((opt.height - h) / 2.0);
    // Place the resized image: the canvas pixel (cx, cy) takes resized pixel (x, y) with cx = x' + offsetX where
    // x' = flipped ? w - 1 - x : x (pixel centres of the mirrored image).
    const int oy = int(g.offsetY);
    for (int cy = 0; cy < opt.height; ++cy) {
        const int y = cy - oy;
        if (y < 0 || y >= h)
            continue;
        for (int cx = 0; cx < std::min(opt.width, w); ++cx) {
            const int x = g.flipped ? w - 1 - cx : cx;
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

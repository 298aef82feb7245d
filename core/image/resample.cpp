// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/image/resample.h"

#include <algorithm>
#include <cmath>

namespace ms
{

namespace
{

// Area-weighted average over the source footprint of each destination pixel (both axes shrink or stay).
template <class T> void areaResize(const T* src, int sw, int sh, T* dst, int dw, int dh)
{
    const double fx = double(sw) / dw, fy = double(sh) / dh;
    std::vector<double> row(static_cast<size_t>(dw));
    for (int y = 0; y < dh; ++y) {
        std::fill(row.begin(), row.end(), 0.0);
        double y0 = y * fy, y1 = (y + 1) * fy;
        double wsum = 0;
        for (int sy = int(y0); sy < std::min(sh, int(std::ceil(y1))); ++sy) {
            double wy = std::min(y1, double(sy + 1)) - std::max(y0, double(sy));
            if (wy <= 0)
                continue;
            wsum += wy;
            const T* s = src + size_t(sy) * size_t(sw);
            for (int x = 0; x < dw; ++x) {
                double x0 = x * fx, x1 = (x + 1) * fx, acc = 0;
                for (int sx = int(x0); sx < std::min(sw, int(std::ceil(x1))); ++sx) {
                    double wx = std::min(x1, double(sx + 1)) - std::max(x0, double(sx));
                    if (wx > 0)
                        acc += wx * s[sx];
                }
                row[size_t(x)] += wy * acc / fx;
            }
        }
        T* d = dst + size_t(y) * size_t(dw);
        for (int x = 0; x < dw; ++x)
            d[x] = T(std::lround(row[size_t(x)] / std::max(wsum, 1e-12)));
    }
}

template <class T> void bilinearResize(const T* src, int sw, int sh, T* dst, int dw, int dh)
{
    const double fx = double(sw) / dw, fy = double(sh) / dh;
    for (int y = 0; y < dh; ++y) {
        double syf = std::clamp((y + 0.5) * fy - 0.5, 0.0, double(sh - 1));
        int y0 = int(syf), y1 = std::min(y0 + 1, sh - 1);
        double ty = syf - y0;
        for (int x = 0; x < dw; ++x) {
            double sxf = std::clamp((x + 0.5) * fx - 0.5, 0.0, double(sw - 1));
            int x0 = int(sxf), x1 = std::min(x0 + 1, sw - 1);
            double tx = sxf - x0;
            double a = src[size_t(y0) * sw + x0] * (1 - tx) + src[size_t(y0) * sw + x1] * tx;
            double b = src[size_t(y1) * sw + x0] * (1 - tx) + src[size_t(y1) * sw + x1] * tx;
            dst[size_t(y) * dw + x] = T(std::lround(a * (1 - ty) + b * ty));
        }
    }
}

template <class T> void nearestResize(const T* src, int sw, int sh, T* dst, int dw, int dh)
{
    for (int y = 0; y < dh; ++y) {
        int sy = std::min(sh - 1, int((y + 0.5) * sh / dh));
        for (int x = 0; x < dw; ++x) {
            int sx = std::min(sw - 1, int((x + 0.5) * sw / dw));
            dst[size_t(y) * dw + x] = src[size_t(sy) * sw + sx];
        }
    }
}

template <class T> void resizeAny(const T* src, int sw, int sh, T* dst, int dw, int dh)
{
    if (dw <= sw && dh <= sh)
        areaResize(src, sw, sh, dst, dw, dh);
    else
        bilinearResize(src, sw, sh, dst, dw, dh);
}

} // namespace

Image16 resize(const Image16& img, int w, int h)
{
    w = std::max(1, w);
    h = std::max(1, h);
    Image16 r = img.withSameMetadata(w, h);
    if (img.empty())
        return r;
    if (w == img.width && h == img.height) {
        r.pixels = img.pixels;
        return r;
    }
    resizeAny(img.pixels.data(), img.width, img.height, r.pixels.data(), w, h);
    r.spacingX = img.spacingX * img.width / w;
    r.spacingY = img.spacingY * img.height / h;
    return r;
}

Image16 halve(const Image16& img)
{
    const int w = std::max(1, (img.width + 1) / 2), h = std::max(1, (img.height + 1) / 2);
    Image16 r = img.withSameMetadata(w, h);
    for (int y = 0; y < h; ++y) {
        const int sy0 = 2 * y, sy1 = std::min(2 * y + 1, img.height - 1);
        const uint16_t* a = &img.pixels[size_t(sy0) * img.width];
        const uint16_t* b = &img.pixels[size_t(sy1) * img.width];
        uint16_t* d = &r.pixels[size_t(y) * w];
        for (int x = 0; x < w; ++x) {
            const int sx0 = 2 * x, sx1 = std::min(2 * x + 1, img.width - 1);
            d[x] = uint16_t((unsigned(a[sx0]) + a[sx1] + b[sx0] + b[sx1] + 2) / 4);
        }
    }
    r.spacingX = img.spacingX * img.width / w;
    r.spacingY = img.spacingY * img.height / h;
    return r;
}

Image16 fitWithin(const Image16& img, int maxW, int maxH)
{
    if (img.empty())
        return img;
    double s = std::min({ 1.0, double(maxW) / img.width, double(maxH) / img.height });
    if (s >= 1.0)
        return img;
    return resize(img, std::max(1, int(std::lround(img.width * s))), std::max(1, int(std::lround(img.height * s))));
}

const ImagePtr& Pyramid::levelFor(double scale, int* levelIndex) const
{
    // Level k has 1/2^k of the resolution; it suffices while 1/2^k >= scale.
    size_t k = 0;
    while (k + 1 < levels.size() && std::ldexp(1.0, -int(k + 1)) >= scale)
        ++k;
    if (levelIndex)
        *levelIndex = int(k);
    return levels[k];
}

Pyramid buildPyramid(ImagePtr img, int minSize)
{
    Pyramid p;
    p.levels.push_back(img);
    while (std::max(p.levels.back()->width, p.levels.back()->height) > minSize)
        p.levels.push_back(std::make_shared<const Image16>(halve(*p.levels.back())));
    return p;
}

Gray8 resizeGray(const Gray8& img, int w, int h, bool nearest)
{
    Gray8 r(std::max(1, w), std::max(1, h));
    if (img.empty())
        return r;
    if (nearest)
        nearestResize(img.pixels.data(), img.width, img.height, r.pixels.data(), r.width, r.height);
    else
        resizeAny(img.pixels.data(), img.width, img.height, r.pixels.data(), r.width, r.height);
    return r;
}

} // namespace ms

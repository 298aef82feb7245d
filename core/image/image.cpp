// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/image/image.h"

#include <algorithm>

namespace ms
{

Image16 Image16::withSameMetadata(int w, int h) const
{
    Image16 r(w, h);
    r.spacingX = spacingX;
    r.spacingY = spacingY;
    r.photometric = photometric;
    r.bitsStored = bitsStored;
    r.slope = slope;
    r.intercept = intercept;
    r.windows = windows;
    r.voiLuts = voiLuts;
    return r;
}

Image16 Image16::crop(int x, int y, int w, int h) const
{
    int x0 = std::clamp(x, 0, width), y0 = std::clamp(y, 0, height);
    int x1 = std::clamp(x + w, 0, width), y1 = std::clamp(y + h, 0, height);
    Image16 r = withSameMetadata(x1 - x0, y1 - y0);
    for (int yy = y0; yy < y1; ++yy)
        std::copy_n(&pixels[size_t(yy) * size_t(width) + size_t(x0)], x1 - x0, &r.pixels[size_t(yy - y0) * size_t(r.width)]);
    return r;
}

void Image16::flipHorizontal()
{
    for (int y = 0; y < height; ++y) {
        auto row = pixels.begin() + std::ptrdiff_t(y) * width;
        std::reverse(row, row + width);
    }
}

uint16_t Image16::minValue() const
{
    return pixels.empty() ? 0 : *std::min_element(pixels.begin(), pixels.end());
}
uint16_t Image16::maxValue() const
{
    return pixels.empty() ? 0 : *std::max_element(pixels.begin(), pixels.end());
}

} // namespace ms

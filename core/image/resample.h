// SPDX-License-Identifier: GPL-3.0-or-later
// Resampling of 16-bit images: area averaging when shrinking (no aliasing of calcifications into noise),
// bilinear when enlarging; and a pyramid of halvings for fast display of large mammograms.
#pragma once

#include "core/image/image.h"

#include <vector>

namespace ms
{

// Resizes to w x h. Spacing is scaled so that the physical size stays the same.
Image16 resize(const Image16& img, int w, int h);
// Halves both dimensions (2x2 mean; an odd last row/column is averaged with what exists).
Image16 halve(const Image16& img);
// Fits inside maxW x maxH keeping the aspect ratio (never enlarges).
Image16 fitWithin(const Image16& img, int maxW, int maxH);

// Level 0 is the image itself; each next level is halve() of the previous, down to minSize on the longer side.
struct Pyramid {
    std::vector<ImagePtr> levels;
    // The coarsest level whose resolution is still at least `scale` (display pixels per image pixel) demands.
    const ImagePtr& levelFor(double scale, int* levelIndex = nullptr) const;
};
Pyramid buildPyramid(ImagePtr img, int minSize = 256);

// Same for 8-bit masks and images (nearest neighbour for masks when asked).
Gray8 resizeGray(const Gray8& img, int w, int h, bool nearest = false);

} // namespace ms

// SPDX-License-Identifier: GPL-3.0-or-later
// Window/level (VOI) of 16-bit images to 8-bit display values through a lookup table, following
// DICOM PS3.3 C.11.2.1.2 (linear function) and C.11.2.1.3 (VOI LUT).
#pragma once

#include "core/image/image.h"

#include <array>
#include <vector>

namespace ms
{

struct WindowLevel {
    double center = 0; // modality units
    double width = 1;
};

// A table from every stored value (0..65535) to a display value 0..255.
using DisplayLut = std::vector<uint8_t>;

// invert: show dark as bright. MONOCHROME1 images are inverted automatically (so invert=false shows them as
// the file means them: high values dark).
DisplayLut buildWindowLut(const Image16& img, const WindowLevel& wl, bool invert = false);
DisplayLut buildVoiLut(const Image16& img, const VoiLut& lut, bool invert = false);

// Applies the table to the whole image.
Gray8 applyLut(const Image16& img, const DisplayLut& lut);
// Threads for the per-pixel passes over large images (LUT, histograms): 0 (default) = up to 16 by the hardware;
// 1 = none. Results do not depend on it.
void setPixelThreads(int threads);
// Convenience: window then apply.
Gray8 renderWindow(const Image16& img, const WindowLevel& wl, bool invert = false);

// The full range of stored values present, in modality units.
WindowLevel fullRangeWindow(const Image16& img);
// A window from the histogram of the breast (or body) region: the background (the lowest mode, found by Otsu's
// threshold on the histogram) is left out, then the 0.5th..99.5th percentiles of the rest.
WindowLevel autoWindow(const Image16& img);
// The window to show first: the file's first preset, else autoWindow.
WindowLevel defaultWindow(const Image16& img);

// Otsu threshold over the stored values (returns a stored value).
uint16_t otsuThreshold(const Image16& img);

} // namespace ms

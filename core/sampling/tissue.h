// SPDX-License-Identifier: GPL-3.0-or-later
// Breast tissue maps: background, fatty tissue, fibroglandular (dense) tissue and pectoral muscle per pixel, in the
// convention of the DDSM tissue labels (Tiryaki et al.; realdata/ddsm-tissue): an 8-bit label image with 64
// background, 128 fatty, 192 fibroglandular, 255 pectoral muscle. A tissue model (a U-Net, core/ml Model::tissueMap)
// sees the mammogram on a square canvas that its height fills, chest wall left (sampling::mapSample without a pixel
// size: tissue looks the same at any scale the canvas gives it); the same geometry prepares its training samples.
// Also here: what the figures and the case panel need of a label map (Dice, fibroglandular fraction, density).
#pragma once

#include "core/image/image.h"
#include "core/sampling/lesionmap.h"

#include <array>
#include <cstdint>
#include <string>

namespace ms::sampling
{

enum TissueClass : uint8_t { TissueBackground = 0, TissueFatty = 1, TissueDense = 2, TissuePectoral = 3 };
constexpr int kTissueClasses = 4;
// The label image's value of each class (64, 128, 192, 255) and its name.
uint8_t tissueValue(int cls);
const char* tissueName(int cls);
// The class of a label image's value: the nearest of the four (label maps saved as JPEG or resized carry values
// between them); 0 (what some label maps use outside the image) counts as background.
int tissueClassOfValue(int value);

// A label image (values 64/128/192/255, any in between rounded to the nearest) as class indices 0-3.
Gray8 tissueClasses(const Gray8& labels);
// Class indices 0-3 as a label image in the DDSM convention.
Gray8 tissueLabels(const Gray8& classes);

// The tissue model's canvas: side x side, the image scaled to fill its height, chest wall left.
MapOptions tissueCanvas(int side);
// A label image (or class map) of a source image, taken onto that image's sample canvas (nearest neighbour);
// canvas pixels off the image are background.
Gray8 classesToSample(const Gray8& classes, const MapGeometry& g);

// The largest connected breast (not background, 4-connected) with its holes filled: what is not it becomes
// background (the label tag, film markers and scanner edge are separate islands on a mammogram).
void keepLargestBreast(Gray8& classes);

// What one class map says about the breast.
struct TissueStats {
    long long pixels[kTissueClasses] = { 0, 0, 0, 0 };
    long long breastPixels() const { return pixels[1] + pixels[2] + pixels[3]; }
    // Fibroglandular share of the breast tissue (fatty + fibroglandular; the pectoral muscle is not breast tissue):
    // the area-based percent density. -1 when there is no tissue.
    double denseFraction() const;
};
TissueStats tissueStats(const Gray8& classes);
// The area-based density as a BI-RADS 4th-edition quartile (a: < 25 %, b: 25-50 %, c: 50-75 %, d: >= 75 %); "" when
// unknown. BI-RADS 5th edition rates density visually (masking), not by area: this is an estimate, and says so.
std::string densityQuartile(double denseFraction);

// Dice of two class maps of the same size: per class, and for the breast (anything not background). -1 for a class
// neither map has.
struct TissueDice {
    double perClass[kTissueClasses] = { -1, -1, -1, -1 };
    double breast = -1;
};
TissueDice tissueDice(const Gray8& predicted, const Gray8& truth);

} // namespace ms::sampling

// SPDX-License-Identifier: GPL-3.0-or-later
// Agreement of suspicion heatmaps with ground-truth lesions: detections from a map (threshold, connected regions),
// the pointing game (is the map's maximum inside a lesion?), FROC (sensitivity at given false positives per image)
// and image-level AUC. Maps and masks share one grid (resize the masks to the map first).
#pragma once

#include "core/image/mask.h"

#include <vector>

namespace ms::metrics
{

struct Heatmap {
    int width = 0, height = 0;
    std::vector<float> values; // row-major, higher = more suspicious
    float at(int x, int y) const { return values[size_t(y) * size_t(width) + size_t(x)]; }
};

struct Detection {
    Rect box;
    float score = 0; // the region's maximum
    int peakX = 0, peakY = 0;
    long area = 0;
};

// A lesion mask (image pixels) on a map's grid: a cell is set when any lesion pixel falls in it (cell (x, y) covers
// image pixels [x * stride, (x + 1) * stride) on both axes), so a calcification smaller than a cell still has one.
RleMask toGrid(const RleMask& lesion, int gridWidth, int gridHeight, double stride);

// Regions of the map above `threshold` (8-connected), strongest first.
std::vector<Detection> detect(const Heatmap& map, float threshold, long minArea = 1);

// 1 when the map's maximum lies inside one of the lesions; images without lesions are not counted (returns -1).
int pointingGame(const Heatmap& map, const std::vector<RleMask>& lesions);

struct FrocCase {
    std::vector<Detection> detections;
    std::vector<RleMask> lesions;
};

struct FrocPoint {
    double fpPerImage = 0, sensitivity = 0;
};

// What FROC needs of one image: its number of lesions and, for each detection, its score and the lesion its peak falls
// in (-1: a false positive). Small enough to cache per image.
struct FrocMarks {
    int lesions = 0;
    std::vector<std::pair<float, int>> detections;
};
FrocMarks frocMarks(const FrocCase& c);
std::vector<FrocPoint> froc(const std::vector<FrocMarks>& marks, const std::vector<double>& fpRates = { 0.25, 0.5, 1, 2, 4 });

// Sensitivity at each requested false-positive rate: a detection whose peak falls in a lesion finds that lesion
// (each lesion counts once; further detections of it are neither hits nor false positives), any other is a false
// positive. Sweeps the score threshold over all detections.
std::vector<FrocPoint> froc(const std::vector<FrocCase>& cases, const std::vector<double>& fpRates = { 0.25, 0.5, 1, 2, 4 });

} // namespace ms::metrics

// SPDX-License-Identifier: GPL-3.0-or-later
// Agreement of suspicion heatmaps with ground-truth lesions: detections from a map (threshold, connected regions),
// the pointing game (is the map's maximum inside a lesion?), FROC (sensitivity at given false positives per image)
// and image-level AUC. Maps and masks share one grid (resize the masks to the map first).
#pragma once

#include "core/image/mask.h"

#include <limits>
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

// Candidate regions of the map, one per peak, strongest first: the cells at or above `threshold` are flooded from their
// maxima downwards (a watershed); where two basins meet, the one with the lower peak stays a region of its own when
// that peak rises at least `prominence` above the meeting cell, and joins the other otherwise. A lesion beside a
// brighter area so keeps its own peak instead of vanishing into one connected blob (with an infinite prominence
// every 8-connected region above the threshold is one candidate).
// Each region's box and area cover its basin's cells that stand within `extent` of its peak (infinite: the whole
// basin; a weak model's basin can be most of a breast, which no reader would call a finding).
std::vector<Detection> detectPeaks(
    const Heatmap& map, float threshold, float prominence, long minArea = 1, float extent = std::numeric_limits<float>::infinity());
// The defaults of the app and `mammoscope-cli score`: candidates peak at suspicion 0.3 or more, and a peak is a
// region of its own when its odds are e^2 = 7.4 times those where it meets a higher one.
constexpr float kCandidateThreshold = 0.3f;
// The app draws a region's box over the cells within that much of its peak.
constexpr float kPeakProminence = 2.f;

// Probability <-> log-odds. Maps are compared in log-odds: near 1 a float probability saturates (many cells read
// 1.0), so the maximum and the peaks are found on the log-odds the model computed, which keep their order.
float logit(float p);
float sigmoid(float x);

// 1 when the map's maximum lies inside one of the lesions; images without lesions are not counted (returns -1).
int pointingGame(const Heatmap& map, const std::vector<RleMask>& lesions);

struct FrocCase {
    std::vector<Detection> detections;
    std::vector<RleMask> lesions;
};

// One image scored against its lesions, the same way in the app and in `mammoscope-cli score`: the lesions (masks at
// the image's size) put on the map's grid, the pointing game, and the candidate peaks.
struct ImageScoring {
    FrocCase frocCase; // lesions on the grid, detections strongest first
    int pointing = -1; // pointingGame: 1 hit, 0 miss, -1 no lesion
};
ImageScoring scoreAgainstLesions(const Heatmap& map, double stride, const std::vector<RleMask>& lesionsAtImageSize,
    float candidateLogit = logit(kCandidateThreshold), float prominence = kPeakProminence);

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

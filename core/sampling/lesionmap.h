// SPDX-License-Identifier: GPL-3.0-or-later
// Whole-mammogram samples for lesion-map models (a U-Net that paints where lesions are): the mammogram at a fixed
// pixel size (0.8 mm by default), turned so its chest wall is on the left, on a fixed canvas, with the other breast of
// the same woman prepared the same way (so mirrored onto it) as a second channel, and the lesion circles carried along
// in sample pixels. One geometry for training (mammoscope-cli prepare --task lesion-map) and inference (core/ml), so
// a map is drawn back on the image exactly where the network saw it.
#pragma once

#include "core/image/image.h"
#include "core/shards/shards.h"

#include <string>
#include <vector>

namespace ms::sampling
{

struct MapOptions {
    double targetMm = 0.8; // pixel size of the sample
    int width = 256, height = 256; // canvas, sample pixels
};

// Where a source image lies on the sample canvas: source pixel (x, y) -> sample ((flipped ? W0 - x : x) * scale + offsetX,
// y * scale + offsetY), W0 the source width.
struct MapGeometry {
    int sourceWidth = 0, sourceHeight = 0;
    double scale = 1; // sample pixels per source pixel
    bool flipped = false; // the chest wall was on the right
    double offsetX = 0, offsetY = 0;
    int width = 0, height = 0; // canvas
    void toSample(double x, double y, double& sx, double& sy) const;
    void toSource(double sx, double sy, double& x, double& y) const;
};

// Whether a pixel size is one a mammogram can have (0.01-2 mm): a header saying 10 mm would make a resample of gigabytes.
bool plausiblePixelMm(double mm);

// The source's pixel size in mm: its own spacing when it has one, else `fallbackMm` (mini-MIAS: 0.2), else 0 (unknown).
double pixelSizeMm(const Image16& img, double fallbackMm);

// The breast on an 8-bit image (the training's intensity path, at about the map's pixel size): the largest region
// above a tenth of the 99th percentile, the outer 3 % of the columns (film edges) left out; its columns lo..hi (an
// extent cut by that margin reaches the image's edge); the chest wall on the side where its centre of mass lies, else
// where it meets the image's edge, else the brighter outer quarter. Not found: chest wall left.
struct BreastExtent {
    bool found = false;
    int lo = 0, hi = 0;
    bool chestWallRight = false;
};
BreastExtent breastExtent(const Gray8& small);

// The one chest-wall rule: breastExtent on the image brought to 256 rows. The reading view hangs images by it and the
// lesion maps turn their canvases by it, so the two cannot disagree.
bool chestWallOnLeft(const Image16& img);

// The 8-bit sample of one mammogram (the training's intensity path, toModelInput8) and its geometry. pixelMm <= 0 (or
// not plausible; callers report that first): the image is scaled to fill the canvas's height instead.
Gray8 mapSample(const Image16& img, double pixelMm, const MapOptions& opt, MapGeometry* geometry = nullptr);

// Planar 2-channel pixels: the image's sample, then its partner's (or the image's own when there is none: no asymmetry).
std::vector<uint8_t> twoChannels(const Gray8& image, const Gray8* partner);

// One lesion circle in sample pixels, and its class: 'kind' as the dataset names it (CIRC, SPIC, MISC, CALC, ARCH,
// ASYM for mini-MIAS; mass / calcification otherwise).
shards::LesionCircle circleToSample(const MapGeometry& g, double cx, double cy, double radius, const std::string& kind, bool malignant);

// Whether a lesion class counts as a mass in the figures (CIRC, SPIC, MISC, mass).
bool isMassKind(const std::string& kind);

} // namespace ms::sampling

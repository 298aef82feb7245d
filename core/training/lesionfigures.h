// SPDX-License-Identifier: GPL-3.0-or-later
// Engine-internal: how a lesion map is judged against an image's lesions (candidates, FROC marks, pointing game, image
// score) and the pooled figures with bootstrap intervals over women and the app's operating point: one definition for
// crossval and crossval-combine.
#pragma once

#include "core/common/json.h"
#include "core/metrics/heatmap.h"
#include "core/metrics/metrics.h"
#include "core/shards/shards.h"

#include <cmath>
#include <filesystem>

#include <string>
#include <vector>

namespace ms::training
{

extern const std::vector<double> kFpRates; // false positives per image of the FROC figures
// Candidates for FROC: every peak whose log-odds reach this (P = 0.0025), split as the app splits them.
constexpr float kFrocFloorLogit = -6.f;

// What the figures need of one image, kept per woman for the bootstrap.
struct ImageMarks {
    std::string woman;
    bool abnormal = false, malignant = false;
    double score = 0; // the map's maximum (log-odds)
    int pointing = -1; // 1 / 0, -1 without lesions with coordinates
    metrics::FrocMarks all, masses;
    bool hasMassLesion = false;
};

// One image's marks from its map (log-odds, sample pixels).
ImageMarks marksOf(const shards::SampleSet& set, size_t i, const std::vector<float>& map);

struct Figures {
    std::vector<double> frocAll, frocMasses; // at kFpRates
    double pointing = NAN, aucAbnormal = NAN, aucMalignant = NAN;
    long images = 0, lesions = 0, massLesions = 0;
};
Figures figuresOf(const std::vector<const ImageMarks*>& marks);

Json numberOrNull(double v);
Json frocJson(const std::vector<double>& s);
// Figures with 95 % percentile-bootstrap intervals, resampling women with replacement.
Json figuresWithIntervals(const std::vector<ImageMarks>& marks, int rounds, unsigned long long seed);
// The operating point for the app: the lowest log-odds threshold at which the held-out normal images show at most
// `perNormal` candidate regions on average, and the lesion sensitivity there (all lesions, and masses).
Json operatingPoint(const std::vector<ImageMarks>& marks, double perNormal);

// --extra-data: appends another lesion-map shard folder's images to `set` (same canvas and pixel size), their ids,
// women and partners prefixed with "extra:" so that they never meet the scored set's. Shards of the scored dataset
// itself (`scoredSource`: its manifest's source) and images with a scored image's pixels are refused: they would be
// trained on while held out. Returns the error text, empty on success.
std::string appendExtraData(const std::filesystem::path& dir, shards::SampleSet& set, const Json& scoredSource);

// What is wrong with a heldout-maps.json for these shards (version, canvas, folds, the same images in the same order,
// a fold for each), empty when nothing is: crossval-combine's check of each member.
std::string heldOutIndexProblem(const Json& index, const shards::SampleSet& set);

// --save-maps: the held-out maps of the first `scored` images (log-odds, sample pixels) as heldout-maps.f32 (float32,
// little-endian, image after image in the shards' order) and heldout-maps.json (canvas, ids, fold of each image, fold
// seed, the shards' source), what crossval-combine reads back. Returns the error text, empty on success.
std::string writeHeldOutMaps(const std::filesystem::path& runDir, const shards::SampleSet& set, size_t scored, const std::vector<int>& fold,
    int folds, unsigned long long foldSeed, const Json& source, const std::vector<std::vector<float>>& maps);

} // namespace ms::training

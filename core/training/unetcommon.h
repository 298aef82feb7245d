// SPDX-License-Identifier: GPL-3.0-or-later
// Engine-internal (LibTorch): what the whole-image U-Net recipes share (lesion maps in crossval.cpp, tissue maps in
// tissuecv.cpp): the input convention, the learning-rate schedule, the paired image/target augmentation, folds,
// percentile intervals and the half-precision model folder.
#pragma once

#include "core/common/json.h"
#include "core/common/result.h"
#include "core/models/card.h"
#include "core/models/unet.h"
#include "core/runs/runfolder.h"
#include "core/training/engine.h"

#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace ms::training
{

// [0, 1] input -> the networks' convention (models::normaliseInput).
torch::Tensor normaliseUnit(const torch::Tensor& x01);

// One-cycle: cosine warm-up from lr/25 over the first 30 % of the steps, then cosine down to lr/1e4.
double oneCycle(double lr, long step, long total);

struct PairAugment {
    double rotateDegrees = 15, scaleJitter = 0.15, gammaJitter = 0.3, shift = 0.05;
    bool flipUpDown = true; // lesion maps: yes (the chest wall stays on the left); tissue: no (the pectoral is at the top)
    bool nearestTarget = false; // class-index targets (tissue) instead of a binary mask
};
// The same random affine for each image (N x C x H x W in [0, 1]) and its target (N x 1 x H x W), then gamma on the
// image; a binary target is re-thresholded, a class target sampled by nearest neighbour (off the image: 0).
void augmentPair(torch::Tensor& x, torch::Tensor& y, std::mt19937_64& rng, const PairAugment& a);

using runs::nowSeconds;
using runs::RunFolder;
// config.json of a cross-validation: every option, the shards' source, the task and the network's input channels.
runs::RunConfig crossvalRunConfig(
    const CrossvalConfig& c, const Json& source, const std::string& task, int channels, const std::string& deviceName);

// One fold's (fold >= 0) or the final model's (fold -1) epoch: the metrics line (type epoch, phase, fold 1..K or 0,
// train_loss, lr) and, every `logEvery` epochs and at the first and last, a line in the log.
void emitFoldEpoch(RunFolder& run, int fold, int epoch, int epochs, long step, double loss, double lr, double seconds, int logEvery);

// 95 % percentile interval of a statistic over `rounds` bootstrap resamples of `units` (indices), seeded. `stat`
// returns NaN where a resample gives no figure; such resamples are left out.
Json percentileInterval(size_t units, int rounds, unsigned long long seed, const std::function<double(const std::vector<size_t>&)>& stat);
// The 2.5th and 97.5th percentiles of bootstrap values (non-finite ones already left out) as [lo, hi]; [null, null]
// with fewer than 20 values.
Json percentileCi(std::vector<double> values);

// Writes the network's weights as dir/model.safetensors, in half precision when `half` (loading converts back), and the
// card with their sha256. Returns the error text, empty on success.
std::string writeUNetModel(const std::filesystem::path& dir, models::UNet& net, models::ModelCard card, bool half);
// The same for an ensemble (models::ensembleState's names; the card's training.members says how many networks).
std::string writeUNetModel(const std::filesystem::path& dir, std::vector<models::UNet>& nets, models::ModelCard card, bool half);

} // namespace ms::training

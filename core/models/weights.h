// SPDX-License-Identifier: GPL-3.0-or-later
// Engine-internal. Weights as safetensors files (an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw data): readable by Python's safetensors and by tools/ scripts,
// independent of the LibTorch version. Loading into a network matches torchvision's names; a 1-channel network takes
// 3-channel conv1 weights by summing over the colour channels; a head of another class count is left as initialised.
#pragma once

#include "core/common/result.h"

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ms::models
{

using TensorMap = std::map<std::string, torch::Tensor>;

Status saveSafetensors(
    const std::filesystem::path& file, const TensorMap& tensors, const std::map<std::string, std::string>& metadata = {});
Result<TensorMap> loadSafetensors(const std::filesystem::path& file);

// Parameters and buffers of a module (CPU, contiguous copies).
TensorMap stateDict(torch::nn::Module& m);

struct LoadReport {
    std::vector<std::string> loaded, skipped, missing; // skipped: in the file but not used (with the reason)
    bool foldedRgb = false;
};
Result<LoadReport> loadInto(torch::nn::Module& m, const TensorMap& tensors, bool strictHead = false);

} // namespace ms::models

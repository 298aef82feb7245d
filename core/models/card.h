// SPDX-License-Identifier: GPL-3.0-or-later
// Model cards: a JSON file beside the weights saying what the model is, what it expects and how it was made.
#pragma once

#include "core/common/json.h"
#include "core/common/result.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ms::models
{

struct ModelCard {
    std::string name;
    std::string architecture; // resnet18, ...
    std::string task; // patches, roi, whole
    std::vector<std::string> classes;
    int inputChannels = 1, inputWidth = 224, inputHeight = 224;
    double normMean = 0.5, normStd = 0.25; // applied to 8-bit/255 input (see core/sampling toModelInput8)
    std::string weightsFile; // relative to the card
    std::string weightsSha256;
    Json training; // data, run, options
    Json metrics; // evaluation results
    std::string notes;

    Json toJson() const;
    static Result<ModelCard> fromJson(const Json& j);
};

Status writeCard(const std::filesystem::path& file, const ModelCard& c);
Result<ModelCard> readCard(const std::filesystem::path& file);

} // namespace ms::models

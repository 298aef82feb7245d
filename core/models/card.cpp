// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/models/card.h"

#include "core/common/paths.h"

#include <cmath>

namespace ms::models
{

Json ModelCard::toJson() const
{
    Json j = Json::object();
    j.set("format", "mammoscope-model-card/1");
    j.set("name", name);
    j.set("architecture", architecture);
    j.set("task", task);
    Json c = Json::array();
    for (const auto& k : classes)
        c.push(k);
    j.set("classes", c);
    Json in = Json::object();
    in.set("channels", inputChannels);
    in.set("width", inputWidth);
    in.set("height", inputHeight);
    in.set("preprocessing", "window from the breast histogram to 8 bits (core/sampling toModelInput8), /255, (x - mean) / std");
    in.set("mean", normMean);
    in.set("std", normStd);
    j.set("input", in);
    j.set("weights", weightsFile);
    j.set("weights_sha256", weightsSha256);
    j.set("training", training);
    j.set("metrics", metrics);
    j.set("notes", notes);
    return j;
}

Result<ModelCard> ModelCard::fromJson(const Json& j)
{
    if (j["format"].string() != "mammoscope-model-card/1")
        return Error("not a MammoScope model card (format '" + j["format"].string() + "')");
    ModelCard c;
    c.name = j["name"].string();
    c.architecture = j["architecture"].string();
    c.task = j["task"].string();
    for (const auto& k : j["classes"].elements())
        c.classes.push_back(k.string());
    c.inputChannels = int(j["input"]["channels"].integer(1));
    c.inputWidth = int(j["input"]["width"].integer(224));
    c.inputHeight = int(j["input"]["height"].integer(224));
    c.normMean = j["input"]["mean"].number(0.5);
    c.normStd = j["input"]["std"].number(0.25);
    c.weightsFile = j["weights"].string();
    c.weightsSha256 = j["weights_sha256"].string();
    c.training = j["training"];
    c.metrics = j["metrics"];
    c.notes = j["notes"].string();
    // Values a network is built from: absurd ones are refused here, with the field, before LibTorch sees them.
    if (c.inputChannels < 1 || c.inputChannels > 4)
        return Error("input channels " + std::to_string(j["input"]["channels"].integer(1)) + " (1-4)", {}, "input.channels");
    if (c.inputWidth < 8 || c.inputWidth > 8192 || c.inputHeight < 8 || c.inputHeight > 8192)
        return Error("input size " + std::to_string(c.inputWidth) + "x" + std::to_string(c.inputHeight) + " (8-8192 each)", {}, "input");
    if (c.classes.size() > 1000)
        return Error(std::to_string(c.classes.size()) + " classes (at most 1000)", {}, "classes");
    if (!std::isfinite(c.normMean) || !std::isfinite(c.normStd) || c.normStd <= 0)
        return Error("input mean/std must be finite with std > 0", {}, "input.std");
    if (!c.weightsFile.empty())
        if (auto why = relativePathProblem(c.weightsFile); !why.empty())
            return Error("weights file '" + c.weightsFile + "': " + why + " (it must lie beside the card)", {}, "weights");
    return c;
}

Status writeCard(const std::filesystem::path& file, const ModelCard& c)
{
    if (auto err = writeFileAtomic(file, c.toJson().dump(2) + "\n"); !err.empty())
        return Error(err);
    return {};
}

Result<ModelCard> readCard(const std::filesystem::path& file)
{
    std::string s;
    if (!readFile(file, s))
        return Error("cannot read model card", file.string());
    auto j = Json::parse(s);
    if (!j)
        return Error(j.error().message, file.string());
    auto c = ModelCard::fromJson(*j);
    if (!c)
        return Error(c.error().message, file.string(), c.error().where);
    return c;
}

} // namespace ms::models

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/runs/protocol.h"

namespace ms::runs
{

Json toJson(const StepPoint& p)
{
    Json j = Json::object();
    j.set("type", line::kStep);
    j.set("step", p.step);
    j.set("epoch", p.epoch);
    j.set("loss", p.loss);
    j.set("lr", p.lr);
    j.set("images_per_s", p.imagesPerS);
    return j;
}

StepPoint stepFromJson(const Json& j)
{
    StepPoint p;
    p.step = long(j["step"].integer());
    p.epoch = j["epoch"].number();
    p.loss = j["loss"].number();
    p.lr = j["lr"].number();
    p.imagesPerS = j["images_per_s"].number();
    return p;
}

Json toJson(const EpochPoint& p)
{
    Json j = Json::object();
    j.set("type", line::kEpoch);
    if (!p.phase.empty()) {
        j.set("phase", p.phase);
        j.set("fold", p.fold);
        j.set("split", "train");
    }
    j.set("epoch", p.epoch);
    j.set("step", p.step);
    j.set("train_loss", p.trainLoss);
    if (p.trainAccuracy >= 0)
        j.set("train_accuracy", p.trainAccuracy);
    if (p.valLoss >= 0)
        j.set("val_loss", p.valLoss);
    if (p.valAccuracy >= 0)
        j.set("val_accuracy", p.valAccuracy);
    if (p.valAuc >= 0)
        j.set("val_auc", p.valAuc);
    if (p.valMacroF1 >= 0)
        j.set("val_macro_f1", p.valMacroF1);
    if (!p.val.isNull())
        j.set("val", p.val);
    j.set("lr", p.lr);
    if (p.seconds >= 0)
        j.set("seconds", p.seconds);
    if (p.deviceMemory >= 0)
        j.set("device_memory", p.deviceMemory);
    return j;
}

EpochPoint epochFromJson(const Json& j)
{
    EpochPoint e;
    e.step = long(j["step"].integer());
    e.epoch = int(j["epoch"].integer());
    e.fold = int(j["fold"].integer(0));
    e.phase = j["phase"].string();
    // crossval runs written before 2026-12 named it "loss"
    e.trainLoss = j["train_loss"].number(j["loss"].number());
    e.trainAccuracy = j["train_accuracy"].number(-1);
    e.valLoss = j["val_loss"].number(-1);
    e.valAccuracy = j["val_accuracy"].number(-1);
    e.valAuc = j["val_auc"].number(-1);
    e.valMacroF1 = j["val_macro_f1"].number(-1);
    e.lr = j["lr"].number();
    e.seconds = j["seconds"].number(-1);
    e.deviceMemory = j["device_memory"].integer(-1);
    e.val = j["val"];
    return e;
}

Json toJson(const Event& e)
{
    Json j = e.extra.isObject() ? e.extra : Json::object();
    j.set("type", line::kEvent);
    j.set("event", e.name);
    j.set("step", e.step);
    if (e.epoch >= 0)
        j.set("epoch", e.epoch);
    if (!e.message.empty())
        j.set("message", e.message);
    return j;
}

Event eventFromJson(const Json& j)
{
    Event e;
    e.name = j["event"].string();
    e.message = j["message"].string();
    e.step = long(j["step"].integer());
    e.epoch = int(j["epoch"].integer(-1));
    e.time = j["time"].number();
    for (const auto& [k, v] : j.items())
        if (k != "type" && k != "event" && k != "message" && k != "step" && k != "epoch" && k != "time" && k != "v")
            e.extra.set(k, v);
    return e;
}

} // namespace ms::runs

// SPDX-License-Identifier: GPL-3.0-or-later
// The engine's entry points, in plain types (no LibTorch here): mammoscope-train's commands call these.
// The run folder is the contract with the GUI: config.json, metrics.jsonl (one versioned JSON object a line),
// status.json, log.txt, checkpoints/{last,best}/ (weights as safetensors, optimizer state, state.json, model card).
#pragma once

#include "core/runs/config.h"
#include "core/runs/protocol.h"

#include <string>
#include <vector>

namespace ms::training
{

// The configurations, exit codes and run-folder protocol are defined once, in core/runs.
using runs::BenchConfig;
using runs::CombineConfig;
using runs::CrossvalConfig;
using runs::EvalConfig;
using runs::ExitCode;
using runs::kDataError;
using runs::kError;
using runs::kNotFinite;
using runs::kOk;
using runs::kOutOfMemory;
using runs::kUsage;
using runs::TrainConfig;

// Trains (or, with resume, continues the run in runDir). Returns an ExitCode.
int train(TrainConfig cfg, bool resume);

int evaluate(const EvalConfig& cfg);

// The learning-rate range test: the training configuration's network and data, lr ramped exponentially from
// startLr to endLr over `steps` batches; prints the curve and the suggested rate (steepest descent of the smoothed
// loss). Returns kOk with a suggestion, kError when the loss never fell.
struct LrFindConfig {
    TrainConfig train; // its lr, epochs, schedule and run folder are not used
    double startLr = 1e-7, endLr = 10;
    int steps = 100;
    bool json = false;
};
int lrFind(const LrFindConfig& cfg);

int bench(const BenchConfig& cfg);

// Cross-validation of a lesion-map recipe on whole mammograms (shards of task lesion-map, split "all"): folds by woman,
// stratified by her worst finding; FROC (masses, all lesions), pointing game and image AUCs from held-out folds only,
// pooled, with 95 % bootstrap intervals over women; crossval.json in the run folder. finalModel: also train on every
// image and write a model folder (card.json with the cross-validated figures, model.safetensors).
int crossval(const CrossvalConfig& cfg);
// crossval-combine: the held-out maps of crossval runs made with --save-maps on the same shards and folds, averaged in
// log-odds (as the app averages an ensemble model's networks) and scored as crossval scores one run; crossval.json in
// cfg.runDir with the members' own figures beside; finalModel: their final models joined into one ensemble model.
int crossvalCombine(const CombineConfig& cfg);

int devices(bool json);
// Writes the synthetic (or any loadable) data as shards: for measuring the shard pipeline where no prepare runs, and
// for sampling phantoms once for several runs. lesionPatches: crops per abnormality (synth: data).
int exportShards(const std::string& data, const std::string& task, int size, const std::string& out, int lesionPatches = 4);

// Validates a device string ("cpu", "cuda", "cuda:N"); on failure, the message lists the valid ones.
bool checkDevice(const std::string& device, std::string& message);

} // namespace ms::training

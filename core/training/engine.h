// SPDX-License-Identifier: GPL-3.0-or-later
// The engine's entry points, in plain types (no LibTorch here): mammoscope-train's commands call these.
// The run folder is the contract with the GUI: config.json, metrics.jsonl (one versioned JSON object a line),
// status.json, log.txt, checkpoints/{last,best}/ (weights as safetensors, optimizer state, state.json, model card).
#pragma once

#include <string>
#include <vector>

namespace ms::training
{

// Exit codes of mammoscope-train.
enum ExitCode { kOk = 0, kError = 1, kUsage = 2, kNotFinite = 3, kOutOfMemory = 4, kDataError = 5 };

struct TrainConfig {
    std::string data; // folder of shards, or synth:PATIENTS:SEED[:WxH]
    std::string runDir;
    std::string task = "patches"; // for synth data (shards say their own task)
    int size = 224; // sample size for synth data
    std::string arch = "resnet18";
    std::string mode = "finetune"; // finetune | feature-extraction
    std::string init; // safetensors weights (torchvision-named), optional
    std::string device = "cpu"; // cpu | cuda | cuda:N
    int epochs = 10;
    int batch = 64;
    double lr = 1e-3;
    double backboneLrMult = 1.0; // fine-tuning: the backbone learns at lr * this
    std::string optimizer = "adam"; // adam | sgd
    std::string schedule = "cosine"; // cosine | step | onecycle | constant
    double warmup = 0.0; // epochs of linear warm-up
    double weightDecay = 1e-4;
    std::string augment = "default"; // none | default | comma list of flip,rot90,affine,gamma
    bool classWeights = false;
    int earlyStop = 0; // epochs without improvement before stopping; 0 = off
    unsigned long long seed = 1;
    std::string amp = "none"; // none | bf16 (CUDA)
    bool channelsLast = false;
    int threads = 0; // CPU threads; 0 = all cores
    int logEvery = 10; // steps between step lines
    int limitTrainBatches = 0; // for tests: stop each epoch after this many batches (0 = all)
    int poolMargin = 0; // feature cells left out at each border before pooling (see models::Net::poolMargin)
    int lesionPatches = 4; // synth: data: crops of each abnormality (shards carry what prepare sampled)
};

// Trains (or, with resume, continues the run in runDir). Returns an ExitCode.
int train(TrainConfig cfg, bool resume);

struct EvalConfig {
    std::string runDir;
    std::string split = "test";
    std::string checkpoint = "best"; // best | last
    std::string device = "cpu";
    int batch = 128;
    bool json = false;
    std::string data; // evaluate on other data (e.g. synth:100:99, a set made with another seed); default: the run's
};
int evaluate(const EvalConfig& cfg);

struct BenchConfig {
    std::string device = "cpu";
    std::string arch = "resnet18";
    int batch = 64;
    int size = 224;
    std::string amp = "none";
    bool channelsLast = false;
    std::string source = "synthetic"; // synthetic | folder of shards
    int steps = 30, warmup = 10;
    int threads = 0;
    bool json = false;
    std::string profile; // a Chrome trace of 10 training steps after the timed ones (LibTorch with Kineto only)
};
int bench(const BenchConfig& cfg);

// Cross-validation of a lesion-map recipe on whole mammograms (shards of task lesion-map, split "all"): folds by woman,
// stratified by her worst finding; FROC (masses, all lesions), pointing game and image AUCs from held-out folds only,
// pooled, with 95 % bootstrap intervals over women; crossval.json in the run folder. finalModel: also train on every
// image and write a model folder (card.json with the cross-validated figures, model.safetensors).
struct CrossvalConfig {
    std::string data;
    std::string runDir;
    std::string recipe = "unet";
    std::string device = "cpu";
    int folds = 5;
    int epochs = 60;
    int batch = 16;
    double lr = 2e-3;
    double weightDecay = 1e-4;
    double posWeight = 10; // BCE weight of lesion pixels
    int levels = 5, width = 32; // U-Net
    bool otherBreast = true; // the second channel: the other breast, mirrored
    double rotateDegrees = 15, scaleJitter = 0.15, gammaJitter = 0.3, shift = 0.05;
    unsigned long long seed = 1;
    std::string amp = "none"; // none | bf16
    int threads = 0;
    int bootstrap = 1000;
    int limitImages = 0; // for tests: the first N images only
    std::string finalModel; // folder for a model trained on every image (empty: none)
    std::string finalName, finalNotes; // its card's name and notes
    // Transfer (the seed report's question on real images): start every network from these U-Net weights (a model
    // folder's model.safetensors, e.g. trained on phantoms), the contracting path frozen with freezeEncoder (feature
    // extraction) or not (fine-tuning). epochs 0 with init: no training, the weights themselves scored on every fold
    // (sim-to-real). folds 0: no cross-validation, only the final model (pretraining).
    std::string init;
    bool freezeEncoder = false;
};
int crossval(const CrossvalConfig& cfg);

int devices(bool json);
// Writes the synthetic (or any loadable) data as shards: for measuring the shard pipeline where no prepare runs, and
// for sampling phantoms once for several runs. lesionPatches: crops per abnormality (synth: data).
int exportShards(const std::string& data, const std::string& task, int size, const std::string& out, int lesionPatches = 4);

// Validates a device string ("cpu", "cuda", "cuda:N"); on failure, the message lists the valid ones.
bool checkDevice(const std::string& device, std::string& message);

} // namespace ms::training

// SPDX-License-Identifier: GPL-3.0-or-later
// The typed configurations of mammoscope-train's commands, defined once (#19). Each option is one row of a field table
// (its flag, JSON key, type, range or choices and help); the command line (toArgs/fromArgs), config.json
// (toJson/fromJson) and the usage text are all derived from that table, so the Training panel, the engine and the
// run folder cannot drift apart. Standard library only.
#pragma once

#include "core/common/json.h"

#include <string>
#include <variant>
#include <vector>

namespace ms::runs
{

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
    // Data parallel (core/training/distributed): `batch` is per rank, the global batch is batch x world size.
    int nprocPerNode = 1; // local ranks mammoscope-train starts itself (torchrun and srun start their own)
    std::string distBackend = "auto"; // auto (NCCL on CUDA, Gloo on CPU) | nccl | gloo
    std::string gradSync = "fp32"; // precision of the gradient all-reduce: fp32 | bf16 (NCCL)
    bool syncBn = false; // batch norm with the global batch's statistics (SyncBatchNorm) instead of each rank's
};

struct EvalConfig {
    std::string runDir;
    std::string split = "test";
    std::string checkpoint = "best"; // best | last
    std::string device = "cpu";
    int batch = 128;
    bool json = false;
    std::string data; // evaluate on other data (e.g. synth:100:99, a set made with another seed); default: the run's
};

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
    int nprocPerNode = 1; // data-parallel ranks started on this machine (the figures are the whole group's)
};

// Cross-validation of a lesion-map recipe on whole mammograms (see training::crossval).
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
    // Transfer: start every network from these U-Net weights, the contracting path frozen with freezeEncoder (feature
    // extraction) or not (fine-tuning); epochs 0 with init: the weights scored as they are; folds 0: only the final model.
    std::string init;
    bool freezeEncoder = false;
    // Ensembles and extra data: the folds come from foldSeed (0: the seed), so runs of several seeds share their folds
    // and their held-out maps can be averaged (saveMaps, then crossval-combine); extraData's images join every training
    // set (and the final model's) but are never held out or scored.
    unsigned long long foldSeed = 0;
    std::string extraData;
    bool saveMaps = false;
};

// crossval-combine: the held-out maps of several crossval runs (same data, same folds, --save-maps) averaged in
// log-odds, scored as one ensemble; their final models joined into one ensemble model folder.
struct CombineConfig {
    std::string data; // the shards the members were cross-validated on (lesions, women)
    std::string runDir; // where crossval.json goes
    std::string members; // RUN,RUN,... (two or more)
    int bootstrap = 1000;
    std::string finalModel; // the members' final models as one ensemble (empty: none)
    std::string finalName, finalNotes;
};

// One option of a command.
template <class C> struct Field {
    using Member = std::variant<std::string C::*, int C::*, double C::*, bool C::*, unsigned long long C::*>;
    enum : unsigned {
        kRequired = 1, // fromArgs fails without it
        kNotInJson = 2, // command line only (the run folder's own path)
        kNegated = 4, // a bool written as --no-FLAG (set means false)
    };
    const char* flag; // without the leading "--"
    Member member;
    const char* help;
    double lo = -1e300, hi = 1e300; // numbers: the allowed range, inclusive
    const char* choices = nullptr; // text: "a|b|c"; nullptr: any text
    unsigned flags = 0;
    const char* key = nullptr; // JSON key; nullptr: the flag with '-' as '_'
    const char* metavar = nullptr; // usage: the value's name; nullptr: derived from the type
};

template <class C> const std::vector<Field<C>>& fields();

template <class C> std::string jsonKey(const Field<C>& f);

// The command-line options that differ from a default C (and every required one), in table order: what the GUI
// passes to mammoscope-train. Numbers are written so that they read back exactly.
template <class C> std::vector<std::string> toArgs(const C& c);

// Parses "--flag value", "--flag=value" and bare bool flags into c (starting from c's current values). Strict: an
// unknown option, a missing or malformed value, a number out of range, a text outside its choices, a stray positional
// argument or a missing required option fails with a message naming the option.
template <class C> bool fromArgs(const std::vector<std::string>& args, C& c, std::string& error);

// Every field's range and choices (what fromArgs and fromJson check while reading): for configs built in code.
template <class C> bool validate(const C& c, std::string& error);

// Every field but kNotInJson ones, under its JSON key.
template <class C> Json toJson(const C& c);

// Reads the keys present (absent ones keep c's values); a value of the wrong type or out of range fails, naming the key.
template <class C> bool fromJson(const Json& j, C& c, std::string& error);

// "  --flag VALUE    help (default: X)" lines for the usage text.
template <class C> std::string usage(const std::string& indent = "        ");

// config.json of a run folder as a whole: what every command writes, what the GUI reads.
struct RunConfig {
    std::string command = "train"; // train | crossval
    TrainConfig train; // command train
    CrossvalConfig crossval; // command crossval
    std::string task; // the data's task (shards say theirs)
    std::vector<std::string> classes;
    int sampleWidth = 0, sampleHeight = 0;
    int channels = 0; // crossval: input channels (2 with the other breast)
    Json samples = Json::object(); // split -> count
    std::string dataDescription, deviceName, torchVersion;
    int worldSize = 1; // ranks of a data-parallel run
    int globalBatch = 0; // samples a step over all ranks (batch x world size)
    std::string launcher; // torchrun | slurm | mammoscope-train ("" for one process)
    Json source; // crossval: the shards' source (dataset, task, ...)

    Json toJson() const;
    // Lenient about what is absent (older run folders); fails on a malformed field, naming it.
    static bool fromJson(const Json& j, RunConfig& out, std::string& error);
    // The planned epochs of either command.
    int epochs() const { return command == "crossval" ? crossval.epochs : train.epochs; }
};

} // namespace ms::runs

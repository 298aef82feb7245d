// SPDX-License-Identifier: GPL-3.0-or-later
// mammoscope-train: the headless engine. LibTorch and the standard library only; runs on a CPU or any CUDA GPU.
// Research software, not a medical device.
#include "core/common/cliargs.h"
#include "core/common/strings.h"
#include "core/training/engine.h"

#include <cstdio>
#include <cstring>

using namespace ms;
using namespace ms::cli;

int heatmapBench(int argc, char** argv);

namespace
{

void usage(FILE* f)
{
    std::fprintf(f,
        "usage: mammoscope-train COMMAND [options]\n\n"
        "  train --data SHARDS|synth:PATIENTS:SEED[:WxH] --run-dir RUN [--arch resnet18|resnet34|resnet50|compact]\n"
        "        [--mode finetune|feature-extraction] [--init WEIGHTS.safetensors] [--device cpu|cuda|cuda:N]\n"
        "        [--epochs N] [--batch N] [--lr X] [--backbone-lr-mult X] [--optimizer adam|sgd]\n"
        "        [--schedule cosine|step|onecycle|constant] [--warmup EPOCHS] [--weight-decay X]\n"
        "        [--augment default|none|flip,rot90,affine,gamma] [--class-weights] [--early-stop N] [--seed N]\n"
        "        [--amp none|bf16] [--channels-last] [--threads N] [--task patches|roi|whole] [--size N]\n"
        "        [--log-every N] [--limit-train-batches N] [--pool-margin CELLS] [--lesion-patches N]\n"
        "  train --resume RUN [--device D]       continue a stopped or crashed run where it stopped\n"
        "  eval --run RUN [--split test|val|train] [--checkpoint best|last] [--device D] [--data OTHER] [--json]\n"
        "  bench [--device D] [--arch A] [--batch B] [--size N] [--amp bf16] [--channels-last]\n"
        "        [--source synthetic|SHARDS] [--steps N] [--warmup N] [--json] [--profile TRACE.json]\n"
        "  crossval --data SHARDS --run-dir RUN [--folds 5] [--recipe unet] [--device D] [--epochs 60] [--batch 16]\n"
        "        [--lr 2e-3] [--weight-decay X] [--pos-weight 10] [--levels 5] [--width 32] [--no-other-breast]\n"
        "        [--seed N] [--amp bf16] [--bootstrap 1000] [--final-model DIR [--final-name NAME] [--final-notes TEXT]]\n"
        "        [--init WEIGHTS [--freeze-encoder]]  start from pretrained U-Net weights (fine-tuning; frozen encoder:\n"
        "        feature extraction; --epochs 0: the weights scored as they are); --folds 0: only the final model\n"
        "        cross-validate a lesion-map model on whole mammograms (mammoscope-cli prepare --task lesion-map), folds\n"
        "        by woman; crossval.json: FROC, pointing game, AUCs from held-out folds with 95 %% bootstrap intervals;\n"
        "        on tissue samples (prepare --task tissue): Dice per tissue class and the dense fraction's correlation\n"
        "  devices [--json]\n"
        "  heatmap-bench [--arch A | --model DIR] [--size 3000x5000] [--device D] [--amp bf16] [--channels-last] [--json]\n"
        "        time the app's dense heatmap (core/ml) on a full-size synthetic mammogram\n"
        "  export-shards --data synth:PATIENTS:SEED --out DIR [--task T] [--size N] [--lesion-patches N]\n"
        "                                                 write in-memory data as shards\n\n"
        "The run folder holds config.json, metrics.jsonl, status.json, log.txt and checkpoints/{last,best}.\n"
        "Commands on stdin while training: stop, checkpoint. SIGINT/SIGTERM checkpoint and exit.\n"
        "Exit codes: 0 done or stopped, 1 error, 2 bad arguments, 3 loss not finite, 4 out of memory, 5 data error.\n");
}

bool num(const Args& a, const char* name, double& v)
{
    auto s = a.get(name);
    if (!s)
        return true;
    auto d = parseDouble(*s);
    if (!d) {
        std::fprintf(stderr, "mammoscope-train: --%s needs a number, got '%s'\n", name, s->c_str());
        return false;
    }
    v = *d;
    return true;
}

bool integer(const Args& a, const char* name, int& v)
{
    auto s = a.get(name);
    if (!s)
        return true;
    auto d = parseInt(*s);
    if (!d) {
        std::fprintf(stderr, "mammoscope-train: --%s needs an integer, got '%s'\n", name, s->c_str());
        return false;
    }
    v = int(*d);
    return true;
}

// --lesion-patches of train and export-shards: crops of each abnormality, 1 to 64.
bool lesionPatches(const Args& a, int& v)
{
    if (!integer(a, "lesion-patches", v))
        return false;
    if (v < 1 || v > 64) {
        std::fprintf(stderr, "mammoscope-train: --lesion-patches takes 1 to 64, got %d\n", v);
        return false;
    }
    return true;
}

int cmdTrain(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "class-weights", "channels-last" });
    const std::vector<std::string> known = { "data", "run-dir", "arch", "mode", "init", "device", "epochs", "batch", "lr",
        "backbone-lr-mult", "optimizer", "schedule", "warmup", "weight-decay", "augment", "class-weights", "early-stop", "seed", "amp",
        "channels-last", "threads", "task", "size", "resume", "log-every", "limit-train-batches", "pool-margin", "lesion-patches" };
    if (auto u = a.unknown(known); !u.empty()) {
        std::fprintf(stderr, "mammoscope-train train: %s\n", u.c_str());
        return training::kUsage;
    }
    training::TrainConfig c;
    if (auto r = a.get("resume")) {
        c.runDir = *r;
        c.device = a.get("device", "keep");
        return training::train(c, true);
    }
    if (!a.get("data") || !a.get("run-dir")) {
        std::fprintf(stderr, "mammoscope-train train: --data and --run-dir are required (or --resume RUN)\n");
        return training::kUsage;
    }
    c.data = *a.get("data");
    c.runDir = *a.get("run-dir");
    c.arch = a.get("arch", c.arch);
    c.mode = a.get("mode", c.mode);
    c.init = a.get("init", "");
    c.device = a.get("device", c.device);
    c.optimizer = a.get("optimizer", c.optimizer);
    c.schedule = a.get("schedule", c.schedule);
    c.augment = a.get("augment", c.augment);
    c.amp = a.get("amp", c.amp);
    c.task = a.get("task", c.task);
    c.classWeights = a.flag("class-weights");
    c.channelsLast = a.flag("channels-last");
    int seed = int(c.seed);
    if (!integer(a, "epochs", c.epochs) || !integer(a, "batch", c.batch) || !num(a, "lr", c.lr)
        || !num(a, "backbone-lr-mult", c.backboneLrMult) || !num(a, "warmup", c.warmup) || !num(a, "weight-decay", c.weightDecay)
        || !integer(a, "early-stop", c.earlyStop) || !integer(a, "seed", seed) || !integer(a, "threads", c.threads)
        || !integer(a, "size", c.size) || !integer(a, "log-every", c.logEvery) || !integer(a, "limit-train-batches", c.limitTrainBatches)
        || !integer(a, "pool-margin", c.poolMargin) || !lesionPatches(a, c.lesionPatches))
        return training::kUsage;
    c.seed = (unsigned long long)seed;
    return training::train(c, false);
}

int cmdCrossval(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "no-other-breast", "freeze-encoder" });
    const std::vector<std::string> known = { "data", "run-dir", "folds", "recipe", "device", "epochs", "batch", "lr", "weight-decay",
        "pos-weight", "levels", "width", "no-other-breast", "seed", "amp", "threads", "bootstrap", "limit-images", "final-model",
        "final-name", "final-notes", "rotate", "scale-jitter", "gamma-jitter", "init", "freeze-encoder" };
    if (auto u = a.unknown(known); !u.empty()) {
        std::fprintf(stderr, "mammoscope-train crossval: %s\n", u.c_str());
        return training::kUsage;
    }
    if (!a.get("data") || !a.get("run-dir")) {
        std::fprintf(stderr, "mammoscope-train crossval: --data and --run-dir are required\n");
        return training::kUsage;
    }
    training::CrossvalConfig c;
    c.data = *a.get("data");
    c.runDir = *a.get("run-dir");
    c.recipe = a.get("recipe", c.recipe);
    c.device = a.get("device", c.device);
    c.amp = a.get("amp", c.amp);
    c.otherBreast = !a.flag("no-other-breast");
    c.finalModel = a.get("final-model", "");
    c.finalName = a.get("final-name", "");
    c.finalNotes = a.get("final-notes", "");
    c.init = a.get("init", "");
    c.freezeEncoder = a.flag("freeze-encoder");
    int seed = int(c.seed);
    if (!integer(a, "folds", c.folds) || !integer(a, "epochs", c.epochs) || !integer(a, "batch", c.batch) || !num(a, "lr", c.lr)
        || !num(a, "weight-decay", c.weightDecay) || !num(a, "pos-weight", c.posWeight) || !integer(a, "levels", c.levels)
        || !integer(a, "width", c.width) || !integer(a, "seed", seed) || !integer(a, "threads", c.threads)
        || !integer(a, "bootstrap", c.bootstrap) || !integer(a, "limit-images", c.limitImages) || !num(a, "rotate", c.rotateDegrees)
        || !num(a, "scale-jitter", c.scaleJitter) || !num(a, "gamma-jitter", c.gammaJitter))
        return training::kUsage;
    if (c.amp != "none" && c.amp != "bf16") {
        std::fprintf(stderr, "mammoscope-train crossval: --amp takes none or bf16\n");
        return training::kUsage;
    }
    if (!(c.rotateDegrees >= 0 && c.rotateDegrees <= 180) || !(c.scaleJitter >= 0 && c.scaleJitter < 0.9)
        || !(c.gammaJitter >= 0 && c.gammaJitter <= 2) || seed < 0) {
        std::fprintf(stderr, "mammoscope-train crossval: --rotate 0-180, --scale-jitter 0-0.9, --gamma-jitter 0-2, --seed >= 0\n");
        return training::kUsage;
    }
    c.seed = (unsigned long long)seed;
    return training::crossval(c);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? training::kUsage : 0;
    }
    const std::string cmd = argv[1];
    if (cmd == "train")
        return cmdTrain(argc, argv);
    if (cmd == "eval") {
        Args a = Args::parse(argc, argv, 2, { "json" });
        if (auto u = a.unknown({ "run", "split", "checkpoint", "device", "batch", "json", "data" }); !u.empty() || !a.get("run")) {
            std::fprintf(stderr,
                "usage: mammoscope-train eval --run RUN [--split test] [--checkpoint best|last] [--device D] [--json]\n%s\n", u.c_str());
            return training::kUsage;
        }
        training::EvalConfig e;
        e.runDir = *a.get("run");
        e.split = a.get("split", e.split);
        e.checkpoint = a.get("checkpoint", e.checkpoint);
        e.device = a.get("device", e.device);
        e.data = a.get("data", "");
        e.json = a.flag("json");
        if (!integer(a, "batch", e.batch))
            return training::kUsage;
        return training::evaluate(e);
    }
    if (cmd == "bench") {
        Args a = Args::parse(argc, argv, 2, { "json", "channels-last" });
        if (auto u = a.unknown(
                { "device", "arch", "batch", "size", "amp", "channels-last", "source", "steps", "warmup", "threads", "json", "profile" });
            !u.empty()) {
            std::fprintf(stderr, "mammoscope-train bench: %s\n", u.c_str());
            return training::kUsage;
        }
        training::BenchConfig b;
        b.device = a.get("device", b.device);
        b.arch = a.get("arch", b.arch);
        b.amp = a.get("amp", b.amp);
        b.source = a.get("source", b.source);
        b.profile = a.get("profile", "");
        b.channelsLast = a.flag("channels-last");
        b.json = a.flag("json");
        if (!integer(a, "batch", b.batch) || !integer(a, "size", b.size) || !integer(a, "steps", b.steps) || !integer(a, "warmup", b.warmup)
            || !integer(a, "threads", b.threads))
            return training::kUsage;
        return training::bench(b);
    }
    if (cmd == "export-shards") {
        Args a = Args::parse(argc, argv, 2, {});
        int size = 224, patches = 4;
        if (!a.get("data") || !a.get("out") || !integer(a, "size", size) || !lesionPatches(a, patches)) {
            std::fprintf(stderr,
                "usage: mammoscope-train export-shards --data synth:PATIENTS:SEED --out DIR [--task patches] [--size N] "
                "[--lesion-patches N]\n");
            return training::kUsage;
        }
        return training::exportShards(*a.get("data"), a.get("task", "patches"), size, *a.get("out"), patches);
    }
    if (cmd == "crossval")
        return cmdCrossval(argc, argv);
    if (cmd == "heatmap-bench")
        return heatmapBench(argc, argv);
    if (cmd == "devices") {
        Args a = Args::parse(argc, argv, 2, { "json" });
        return training::devices(a.flag("json"));
    }
    std::fprintf(stderr, "mammoscope-train: unknown command '%s'\n\n", cmd.c_str());
    usage(stderr);
    return training::kUsage;
}

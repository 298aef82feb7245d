// SPDX-License-Identifier: GPL-3.0-or-later
// mammoscope-train: the headless engine. LibTorch and the standard library only; runs on a CPU or any CUDA GPU.
// Research software, not a medical device.
#include "app/common/cliargs.h"
#include "app/mammoscope-train/launcher.h"
#include "core/common/strings.h"
#include "core/runs/launch.h"
#include "core/runs/runfolder.h"
#include "core/runs/runreader.h"
#include "core/training/engine.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

using namespace ms;
using namespace ms::cli;

int heatmapBench(int argc, char** argv);

namespace
{

void usage(FILE* f)
{
    std::fprintf(f,
        "usage: mammoscope-train COMMAND [options]\n\n"
        "  train  train a classifier on patches, ROIs or whole images\n%s"
        "  train --resume RUN [--device D] [--nproc-per-node N]\n"
        "        continue a stopped or crashed run where it stopped (with any number of ranks)\n"
        "  lr-find --data D [training options] [--start-lr 1e-7] [--end-lr 10] [--steps 100] [--json]\n"
        "        learning-rate range test: lr ramped exponentially, one batch a step, smoothed loss; the suggested rate is\n"
        "        where it falls fastest\n"
        "  eval   score a run's checkpoint on a split\n%s"
        "  bench  time training and inference steps\n%s"
        "  crossval  cross-validate a lesion-map model on whole mammograms (mammoscope-cli prepare --task lesion-map), folds\n"
        "        by woman; crossval.json: FROC, pointing game, AUCs from held-out folds with 95 %% bootstrap intervals;\n"
        "        on tissue samples (prepare --task tissue): Dice per tissue class and the dense fraction's correlation.\n"
        "        --init starts from pretrained U-Net weights (fine-tuning; --freeze-encoder: feature extraction; --epochs 0:\n"
        "        the weights scored as they are); --folds 0: only the final model; --save-maps keeps the held-out maps\n"
        "        for crossval-combine; --extra-data adds images to every training set that are never held out\n%s"
        "  crossval-combine  score an ensemble: the held-out maps of crossval runs of one data set and one set of folds\n"
        "        (--save-maps, the same --fold-seed) averaged in log-odds; --final-model joins their final models\n%s"
        "  devices [--json]\n"
        "  heatmap-bench [--arch A | --model DIR] [--size 3000x5000] [--device D] [--amp bf16] [--channels-last] [--json]\n"
        "        time the app's dense heatmap (core/ml) on a full-size synthetic mammogram\n"
        "  export-shards --data synth:PATIENTS:SEED --out DIR [--task T] [--size N] [--lesion-patches N]\n"
        "                                                 write in-memory data as shards\n\n"
        "The run folder holds config.json, metrics.jsonl, status.json, log.txt and checkpoints/{last,best}.\n"
        "Commands on stdin while training: stop, checkpoint. SIGINT/SIGTERM checkpoint and exit.\n"
        "Data parallel: torchrun --nproc-per-node N mammoscope-train train ..., srun mammoscope-train train ..., or\n"
        "mammoscope-train train --nproc-per-node N ... (one rank a GPU; --batch is per rank; NCCL on CUDA, Gloo on CPU).\n"
        "Exit codes: 0 done or stopped, 1 error, 2 bad arguments, 3 loss not finite, 4 out of memory, 5 data error.\n",
        runs::usage<runs::TrainConfig>().c_str(), runs::usage<runs::EvalConfig>().c_str(), runs::usage<runs::BenchConfig>().c_str(),
        runs::usage<runs::CrossvalConfig>().c_str(), runs::usage<runs::CombineConfig>().c_str());
}

std::vector<std::string> rest(int argc, char** argv)
{
    return std::vector<std::string>(argv + 2, argv + argc);
}

// A command's options into its typed configuration (core/runs: the one definition of every flag).
template <class C> bool parse(const char* command, int argc, char** argv, C& c)
{
    std::string error;
    if (runs::fromArgs(rest(argc, argv), c, error))
        return true;
    std::fprintf(
        stderr, "mammoscope-train %s: %s\nusage: mammoscope-train %s\n%s", command, error.c_str(), command, runs::usage<C>().c_str());
    return false;
}

// Rank 0 ended by a signal (killed when the group stopped, or from outside) wrote no end into its run folder, which
// would still say "training": the launcher records the failure, as the rank would have.
void recordRank0Death(const std::vector<std::string>& args, const std::string& how)
{
    std::string dir;
    for (size_t i = 0; i < args.size(); ++i) {
        if ((args[i] == "--run-dir" || args[i] == "--resume") && i + 1 < args.size())
            dir = args[i + 1];
        else if (args[i].rfind("--run-dir=", 0) == 0)
            dir = args[i].substr(10);
    }
    if (dir.empty())
        return;
    const Json st = runs::readStatus(dir);
    const std::string state = st["state"].string();
    if (state.empty() || state == runs::state::kFinished || state == runs::state::kFailed || state == runs::state::kStopped)
        return;
    runs::RunFolder run(dir);
    std::string error;
    if (!run.open(true, error)) {
        std::fprintf(stderr, "mammoscope-train: could not record rank 0's end in %s: %s\n", dir.c_str(), error.c_str());
        return;
    }
    run.fail("rank 0 " + how + " (the data-parallel group was stopped)", int(st["epoch"].integer()), long(st["step"].integer()));
}

// --nproc-per-node N > 1: this process starts N ranks of itself (launcher.cpp) instead of training.
std::optional<int> startRanksIfAsked(const char* command, int argc, char** argv)
{
    int n = 1;
    const auto stripped = launcher::takeNprocPerNode(std::vector<std::string>(argv + 1, argv + argc), n);
    if (n == 0) {
        std::fprintf(stderr, "mammoscope-train %s: --nproc-per-node needs an integer from 1 to 1024\n", command);
        return int(training::kUsage);
    }
    if (n == 1)
        return std::nullopt;
    runs::LaunchEnv env;
    std::string error;
    if (!runs::readLaunchEnv(env, error) || !env.launcher.empty()) {
        std::fprintf(stderr, "mammoscope-train %s: --nproc-per-node %d: %s\n", command, n,
            error.empty() ? ("the ranks were already started by " + env.launcher + " (RANK/WORLD_SIZE or SLURM_PROCID are set)").c_str()
                          : error.c_str());
        return int(training::kUsage);
    }
    std::string rank0KilledBy;
    const int rc = launcher::runLocalRanks(n, stripped, 10, &rank0KilledBy);
    if (!rank0KilledBy.empty())
        recordRank0Death(stripped, rank0KilledBy);
    return rc;
}

int cmdTrain(int argc, char** argv)
{
    if (auto launched = startRanksIfAsked("train", argc, argv))
        return *launched;
    const auto args = rest(argc, argv);
    if (std::find(args.begin(), args.end(), "--resume") != args.end()) {
        // --resume RUN [--device D]: everything else comes from the run's config.json
        training::TrainConfig c;
        c.device = "keep";
        for (size_t i = 0; i < args.size(); ++i) {
            if ((args[i] == "--resume" || args[i] == "--device") && i + 1 < args.size()) {
                (args[i] == "--resume" ? c.runDir : c.device) = args[i + 1];
                ++i;
            } else if (args[i] == "--nproc-per-node" && i + 1 < args.size() && args[i + 1] == "1") {
                ++i; // one rank: this process (more were started above)
            } else {
                std::fprintf(stderr, "mammoscope-train train: with --resume only --device and --nproc-per-node may be given, got '%s'\n",
                    args[i].c_str());
                return training::kUsage;
            }
        }
        if (c.runDir.empty()) {
            std::fprintf(stderr, "mammoscope-train train: --resume needs the run folder\n");
            return training::kUsage;
        }
        return training::train(c, true);
    }
    training::TrainConfig c;
    if (!parse("train", argc, argv, c))
        return training::kUsage;
    return training::train(c, false);
}

// lr-find: its own four options, the rest a training configuration (one definition: core/runs' TrainConfig).
int cmdLrFind(int argc, char** argv)
{
    training::LrFindConfig c;
    std::vector<std::string> trainArgs;
    const auto args = rest(argc, argv);
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--json") {
            c.json = true;
            continue;
        }
        if (a == "--start-lr" || a == "--end-lr" || a == "--steps") {
            const bool integral = a == "--steps";
            const std::string value = i + 1 < args.size() ? args[++i] : std::string();
            const std::optional<double> v = integral ? std::optional<double>() : parseDouble(value);
            const std::optional<long long> n = integral ? parseInt(value) : std::optional<long long>();
            if (!(integral ? n.has_value() : v.has_value())) {
                std::fprintf(stderr, "mammoscope-train lr-find: %s needs %s, got '%s'\n", a.c_str(), integral ? "an integer" : "a number",
                    value.c_str());
                return training::kUsage;
            }
            const double number = v.value_or(0.0);
            if (a == "--start-lr")
                c.startLr = number;
            else if (a == "--end-lr")
                c.endLr = number;
            else
                c.steps = int(std::clamp<long long>(n.value_or(0), -1, 1000000));
            continue;
        }
        trainArgs.push_back(a);
    }
    if (std::find(trainArgs.begin(), trainArgs.end(), "--run-dir") == trainArgs.end()) {
        trainArgs.push_back("--run-dir"); // lr-find writes no run folder
        trainArgs.push_back("-");
    }
    std::string error;
    if (!runs::fromArgs(trainArgs, c.train, error)) {
        std::fprintf(stderr,
            "mammoscope-train lr-find: %s\nusage: mammoscope-train lr-find --data D [training options] [--start-lr 1e-7] [--end-lr 10] "
            "[--steps 100] [--json]\n",
            error.c_str());
        return training::kUsage;
    }
    return training::lrFind(c);
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
    if (cmd == "lr-find")
        return cmdLrFind(argc, argv);
    if (cmd == "eval") {
        training::EvalConfig e;
        return parse("eval", argc, argv, e) ? training::evaluate(e) : int(training::kUsage);
    }
    if (cmd == "bench") {
        if (auto launched = startRanksIfAsked("bench", argc, argv))
            return *launched;
        training::BenchConfig b;
        return parse("bench", argc, argv, b) ? training::bench(b) : int(training::kUsage);
    }
    if (cmd == "crossval") {
        training::CrossvalConfig c;
        return parse("crossval", argc, argv, c) ? training::crossval(c) : int(training::kUsage);
    }
    if (cmd == "crossval-combine") {
        training::CombineConfig c;
        return parse("crossval-combine", argc, argv, c) ? training::crossvalCombine(c) : int(training::kUsage);
    }
    if (cmd == "export-shards") {
        Args a = Args::parse(argc, argv, 2, {});
        const auto size = parseInt(a.get("size", "224")), patches = parseInt(a.get("lesion-patches", "4"));
        if (!a.get("data") || !a.get("out") || !size || *size < 16 || *size > 4096 || !patches || *patches < 1 || *patches > 64
            || !a.unknown({ "data", "out", "task", "size", "lesion-patches" }).empty()) {
            std::fprintf(stderr,
                "usage: mammoscope-train export-shards --data synth:PATIENTS:SEED --out DIR [--task patches] [--size 16-4096] "
                "[--lesion-patches 1-64]\n");
            return training::kUsage;
        }
        return training::exportShards(*a.get("data"), a.get("task", "patches"), int(*size), *a.get("out"), int(*patches));
    }
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

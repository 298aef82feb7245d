// SPDX-License-Identifier: GPL-3.0-or-later
// The training loop: data from shards or the phantom generator, augmentation on the device, feature extraction or
// fine-tuning, bf16 autocast and channels-last on CUDA, a prefetch thread, checkpoints that resume exactly (all
// randomness is derived from the seed, the epoch and the batch index), and the run-folder protocol.
#include "core/common/paths.h"
#include "core/common/sha256.h"
#include "core/common/strings.h"
#include "core/metrics/metrics.h"
#include "core/models/batchnorm.h"
#include "core/models/card.h"
#include "core/models/torchcompat.h"
#include "core/models/weights.h"
#include "core/runs/runfolder.h"
#include "core/runs/runreader.h"
#include "core/sampling/sampling.h"
#include "core/synth/random.h"
#include "core/training/distributed.h"
#include "core/training/engine.h"
#include "core/training/internal.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <iostream>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>

namespace fs = std::filesystem;

namespace ms::training
{

namespace
{

std::atomic<bool> g_stop { false }, g_checkpoint { false };
std::atomic<int> g_signal { 0 };

void onSignal(int sig)
{
    g_signal = sig;
    g_stop = true;
}

// Commands on stdin: "stop", "checkpoint". A closed stdin is not a command.
void startCommandReader()
{
    static std::once_flag once;
    std::call_once(once, [] {
        std::thread([] {
            for (std::string line; std::getline(std::cin, line);) {
                if (line == "stop")
                    g_stop = true;
                else if (line == "checkpoint")
                    g_checkpoint = true;
                else if (line == "kill") // the panel's Kill for an engine it cannot signal (started through SSH)
                    std::raise(SIGKILL);
            }
        }).detach();
    });
}

struct Augment {
    bool flip = false, rot90 = false, affine = false, gamma = false;
};

Augment parseAugment(const std::string& s, std::string& error)
{
    Augment a;
    if (s == "none" || s.empty())
        return a;
    if (s == "default")
        return { true, true, true, true };
    for (const auto& part : split(s, ',')) {
        if (part == "flip")
            a.flip = true;
        else if (part == "rot90")
            a.rot90 = true;
        else if (part == "affine")
            a.affine = true;
        else if (part == "gamma")
            a.gamma = true;
        else
            error = "unknown augmentation '" + part + "' (flip, rot90, affine, gamma, default, none)";
    }
    return a;
}

// Augments a normalised batch on its device; random parameters come from the deterministic Rng.
torch::Tensor augment(torch::Tensor x, const Augment& a, synth::Rng& rng)
{
    const int64_t n = x.size(0);
    const auto dev = x.device();
    auto choose = [&](double p) {
        std::vector<float> m(static_cast<size_t>(n));
        for (auto& v : m)
            v = rng.chance(p) ? 1.f : 0.f;
        return torch::from_blob(m.data(), { n, 1, 1, 1 }, torch::kFloat32).clone().to(dev).to(torch::kBool);
    };
    if (a.flip) {
        x = torch::where(choose(0.5), x.flip({ 3 }), x);
        x = torch::where(choose(0.5), x.flip({ 2 }), x);
    }
    if (a.rot90 && x.size(2) == x.size(3))
        x = torch::where(choose(0.5), x.transpose(2, 3), x); // with the flips: all 8 symmetries of the square
    if (a.affine) {
        std::vector<float> theta(size_t(n) * 6);
        for (int64_t i = 0; i < n; ++i) {
            const double ang = rng.uniform(-0.17, 0.17), sc = rng.uniform(0.9, 1.1);
            const double tx = rng.uniform(-0.05, 0.05), ty = rng.uniform(-0.05, 0.05);
            float* t = &theta[size_t(i) * 6];
            t[0] = float(std::cos(ang) / sc);
            t[1] = float(-std::sin(ang) / sc);
            t[2] = float(tx);
            t[3] = float(std::sin(ang) / sc);
            t[4] = float(std::cos(ang) / sc);
            t[5] = float(ty);
        }
        auto th = torch::from_blob(theta.data(), { n, 2, 3 }, torch::kFloat32).clone().to(dev);
        auto grid = torch::nn::functional::affine_grid(th, x.sizes().vec(), false);
        // Pad with the darkest value (background), in normalised units.
        x = torch::nn::functional::grid_sample(x + 2.0f, grid,
                torch::nn::functional::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false))
            - 2.0f;
    }
    if (a.gamma) {
        std::vector<float> g(static_cast<size_t>(n)), c(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            g[size_t(i)] = float(std::exp(rng.uniform(-0.22, 0.22)));
            c[size_t(i)] = float(rng.uniform(0.85, 1.15));
        }
        auto gt = torch::from_blob(g.data(), { n, 1, 1, 1 }, torch::kFloat32).clone().to(dev);
        auto ct = torch::from_blob(c.data(), { n, 1, 1, 1 }, torch::kFloat32).clone().to(dev);
        auto u = (x * 0.25f + 0.5f).clamp(0.0f, 1.0f); // back to [0,1]
        u = ((u.pow(gt) - 0.5f) * ct + 0.5f).clamp(0.0f, 1.0f);
        x = (u - 0.5f) * 4.0f;
    }
    return x;
}

std::vector<size_t> epochOrder(size_t n, unsigned long long seed, int epoch)
{
    std::vector<size_t> o(n);
    for (size_t i = 0; i < n; ++i)
        o[i] = i;
    synth::Rng rng(synth::hashMix({ seed, uint64_t(epoch), 0x53485546ull }));
    for (size_t i = n; i > 1; --i)
        std::swap(o[i - 1], o[size_t(rng.next() % i)]);
    return o;
}

double lrFactor(const TrainConfig& c, long step, long stepsPerEpoch)
{
    const double total = double(c.epochs) * double(stepsPerEpoch);
    const double warm = c.warmup * double(stepsPerEpoch);
    const double s = double(step);
    if (warm > 0 && s < warm)
        return (s + 1) / warm;
    const double t = total > warm ? (s - warm) / (total - warm) : 1.0;
    if (c.schedule == "cosine")
        return 0.5 * (1 + std::cos(M_PI * std::clamp(t, 0.0, 1.0)));
    if (c.schedule == "step")
        return std::pow(0.1, std::floor(std::clamp(t, 0.0, 0.999) * 3)); // /10 at one and two thirds
    if (c.schedule == "onecycle") {
        const double up = 0.3;
        return t < up ? 0.1 + 0.9 * t / up : 0.5 * (1 + std::cos(M_PI * (t - up) / (1 - up))) * 0.99 + 0.01;
    }
    return 1.0;
}

struct State {
    int epoch = 0; // the epoch in progress (0-based)
    long step = 0; // optimizer steps done
    size_t batchInEpoch = 0; // batches of `epoch` done
    long long samplesInEpoch = -1; // samples of `epoch` done (over all ranks; -1: not known, an older checkpoint)
    double bestMetric = -1;
    int bestEpoch = -1;
    int epochsWithoutImprovement = 0;
    Json toJson() const
    {
        Json j = Json::object();
        j.set("epoch", epoch);
        j.set("step", step);
        j.set("batch_in_epoch", (unsigned long long)batchInEpoch);
        if (samplesInEpoch >= 0)
            j.set("samples_in_epoch", samplesInEpoch);
        j.set("best_metric", bestMetric);
        j.set("best_epoch", bestEpoch);
        j.set("epochs_without_improvement", epochsWithoutImprovement);
        return j;
    }
    static State from(const Json& j)
    {
        State s;
        s.epoch = int(j["epoch"].integer());
        s.step = long(j["step"].integer());
        s.batchInEpoch = size_t(j["batch_in_epoch"].integer());
        s.samplesInEpoch = j["samples_in_epoch"].isNumber() ? j["samples_in_epoch"].integer() : -1;
        s.bestMetric = j["best_metric"].number(-1);
        s.bestEpoch = int(j["best_epoch"].integer(-1));
        s.epochsWithoutImprovement = int(j["epochs_without_improvement"].integer());
        return s;
    }
};

std::string oomAdvice(const TrainConfig& c)
{
    return "the device ran out of memory at batch size " + std::to_string(c.batch) + " (" + c.arch + ", " + std::to_string(c.size)
        + " px); try --batch " + std::to_string(std::max(1, c.batch / 2)) + (c.amp == "bf16" ? "" : " or --amp bf16");
}

bool isOom(const std::exception& e)
{
    const std::string w = e.what();
    return w.find("out of memory") != std::string::npos || w.find("CUDA error: out of memory") != std::string::npos;
}

} // namespace

// ------------------------------------------------------------------------------------------------ checkpoints

namespace
{

Status saveCheckpoint(const fs::path& dir, models::Net& net, torch::optim::Optimizer& opt, const State& st, const models::ModelCard& card)
{
    std::error_code ec;
    fs::path tmp = dir;
    tmp += ".tmp";
    removeTree(tmp);
    fs::create_directories(tmp, ec);
    if (auto s = models::saveSafetensors(tmp / "model.safetensors", models::stateDict(net), { { "arch", net.arch() } }); !s)
        return s;
    try {
        torch::serialize::OutputArchive ar;
        opt.save(ar);
        ar.save_to((tmp / "optimizer.pt").string());
    } catch (const std::exception& e) {
        return Error(std::string("cannot save optimizer state: ") + e.what(), (tmp / "optimizer.pt").string());
    }
    if (auto err = writeFileAtomic(tmp / "state.json", st.toJson().dump(2) + "\n"); !err.empty())
        return Error(err);
    models::ModelCard c = card;
    c.weightsFile = "model.safetensors";
    c.weightsSha256 = sha256File(tmp / "model.safetensors");
    if (auto s = models::writeCard(tmp / "card.json", c); !s)
        return s;
    // Replace the old checkpoint only once the new one is complete.
    fs::path old = dir;
    old += ".old";
    removeTree(old);
    if (fs::exists(dir, ec))
        fs::rename(dir, old, ec);
    fs::rename(tmp, dir, ec);
    if (ec)
        return Error("cannot move checkpoint into place: " + ec.message(), dir.string());
    removeTree(old);
    return {};
}

} // namespace

// ------------------------------------------------------------------------------------------------ the steps of training

namespace
{

// The network of a configuration, on the CPU, initialised from cfg.init when given. `note` says what was loaded.
Result<std::shared_ptr<models::Net>> createNetwork(const TrainConfig& cfg, int classes, std::string& note)
{
    torch::manual_seed(cfg.seed);
    auto net = models::create({ cfg.arch, classes, 1 });
    if (!net)
        return Error("unknown architecture '" + cfg.arch + "'");
    net->poolMargin = cfg.poolMargin;
    if (!cfg.init.empty()) {
        auto w = models::loadSafetensors(cfg.init);
        if (!w)
            return Error("init weights: " + w.error().toString());
        auto rep = models::loadInto(*net, *w);
        if (!rep)
            return Error("init weights: " + rep.error().toString());
        note = "initialised from " + cfg.init + ": " + std::to_string(rep->loaded.size()) + " tensors loaded, "
            + std::to_string(rep->skipped.size()) + " skipped, " + std::to_string(rep->missing.size()) + " left as initialised"
            + (rep->foldedRgb ? " (conv1 folded from RGB to one channel)" : "");
    }
    return net;
}

// AdamW or SGD over two groups: the backbone (lr * backbone multiplier; absent in feature extraction, whose backbone
// is frozen here) and the head. baseLr gets each group's rate.
std::unique_ptr<torch::optim::Optimizer> makeOptimizer(
    const TrainConfig& cfg, models::Net& net, bool featureExtraction, std::vector<double>& baseLr)
{
    if (featureExtraction)
        for (auto& p : net.backboneParameters())
            p.set_requires_grad(false);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    baseLr.clear();
    auto makeOpts = [&](double lr) -> std::unique_ptr<torch::optim::OptimizerOptions> {
        if (cfg.optimizer == "sgd")
            return std::make_unique<torch::optim::SGDOptions>(
                torch::optim::SGDOptions(lr).momentum(0.9).nesterov(true).weight_decay(cfg.weightDecay));
        return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(lr).weight_decay(cfg.weightDecay));
    };
    if (!featureExtraction) {
        groups.emplace_back(net.backboneParameters(), makeOpts(cfg.lr * cfg.backboneLrMult));
        baseLr.push_back(cfg.lr * cfg.backboneLrMult);
    }
    groups.emplace_back(net.headParameters(), makeOpts(cfg.lr));
    baseLr.push_back(cfg.lr);
    if (cfg.optimizer == "sgd")
        return std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(cfg.lr));
    return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(cfg.lr));
}

// Class weights, inverse frequency with mean 1 (undefined when not asked for).
torch::Tensor classWeights(const TrainConfig& cfg, const shards::SampleSet& train, torch::Device dev)
{
    if (!cfg.classWeights)
        return {};
    const auto counts = train.classCounts();
    const int classes = int(train.classes.size());
    std::vector<float> w;
    for (long c : counts)
        w.push_back(c > 0 ? float(double(train.size()) / (double(classes) * double(c))) : 0.f);
    return torch::tensor(w).to(dev);
}

// One optimizer step on a batch (already augmented, on the device): forward (feature extraction: the frozen backbone
// without a graph), cross-entropy, backward, gradient sync, step. Returns the logits (fp32) and the loss.
std::pair<torch::Tensor, torch::Tensor> trainStep(models::Net& net, torch::optim::Optimizer& opt, GradientSync& sync,
    const std::vector<torch::Tensor>& trainable, const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& weights,
    bool featureExtraction, bool bf16)
{
    opt.zero_grad();
    torch::Tensor logits;
    {
        torchcompat::CudaAutocast autocast(bf16);
        if (featureExtraction) {
            torch::Tensor f;
            {
                torch::NoGradGuard ng;
                f = net.features(x);
            }
            logits = net.head()->forward(net.pool(f)); // the same pooling (and margin) as forward()
        } else {
            logits = net.forward(x);
        }
        logits = logits.to(torch::kFloat32);
    }
    auto loss = weights.defined()
        ? torch::nn::functional::cross_entropy(logits, y, torch::nn::functional::CrossEntropyFuncOptions().weight(weights))
        : torch::nn::functional::cross_entropy(logits, y);
    loss.backward();
    sync.afterBackward(trainable);
    if (auto* sgd = dynamic_cast<torch::optim::SGD*>(&opt))
        sgdStep(*sgd);
    else
        opt.step();
    return { logits, loss };
}

// The checks every command that trains makes before it loads anything. Empty when the configuration can train.
std::string configurationProblem(const TrainConfig& cfg)
{
    std::string error;
    if (!models::isArchitecture(cfg.arch)) {
        std::string list;
        for (const auto& a : models::architectures())
            list += (list.empty() ? "" : ", ") + a;
        return "unknown architecture '" + cfg.arch + "'; valid: " + list;
    }
    if (!checkDevice(cfg.device, error))
        return error;
    if (!runs::validate(cfg, error))
        return error;
    parseAugment(cfg.augment, error);
    return error;
}

} // namespace

// ------------------------------------------------------------------------------------------------ train

int train(TrainConfig cfg, bool resume)
{
    g_stop = false;
    g_checkpoint = false;
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    const fs::path runDir = cfg.runDir;
    State st;
    std::string error;
    if (resume) {
        std::error_code ec0;
        if (!fs::exists(runDir / "config.json", ec0)) {
            std::fprintf(stderr, "mammoscope-train: %s is not a run folder (no config.json)\n", runDir.string().c_str());
            return kUsage;
        }
        runs::RunConfig rc;
        if (!runs::readRunConfig(runDir, rc, &error) || rc.command != "train") {
            std::fprintf(stderr, "mammoscope-train: %s\n",
                error.empty() ? (runDir.string() + " is a " + rc.command + " run: it cannot be resumed").c_str() : error.c_str());
            return kUsage;
        }
        const std::string dev = cfg.device;
        cfg = rc.train;
        cfg.runDir = runDir.string();
        if (!dev.empty() && dev != "keep")
            cfg.device = dev;
        // A run stopped before its first checkpoint starts again from scratch; a checkpoint that is there but damaged
        // is an error, never a silent restart.
        std::error_code ec;
        if (fs::is_directory(runDir / "checkpoints" / "last", ec)) {
            std::string s;
            const fs::path sf = runDir / "checkpoints" / "last" / "state.json";
            auto sj = readFile(sf, s) ? Json::parse(s) : Result<Json>(Error("cannot read it"));
            if (!sj || !sj->isObject()) {
                std::fprintf(stderr, "mammoscope-train: %s is damaged (%s): the run cannot resume from it\n", sf.string().c_str(),
                    sj ? "not a JSON object" : sj.error().message.c_str());
                return kDataError;
            }
            const double e = (*sj)["epoch"].number(-1), stp = (*sj)["step"].number(-1), b = (*sj)["batch_in_epoch"].number(-1);
            st = State::from(*sj);
            if (!(e >= 0 && e <= 1e6) || !(stp >= 0 && stp <= 1e12) || !(b >= 0 && b <= 1e9)) {
                std::fprintf(stderr, "mammoscope-train: %s is damaged (epoch %d, step %ld): the run cannot resume from it\n",
                    sf.string().c_str(), st.epoch, st.step);
                return kDataError;
            }
        }
    }
    if (const std::string problem = configurationProblem(cfg); !problem.empty()) {
        std::fprintf(stderr, "mammoscope-train: %s\n", problem.c_str());
        return kUsage;
    }
    const Augment aug = parseAugment(cfg.augment, error);

    // Data parallel: who this process is (torchrun, srun or --nproc-per-node set the environment).
    runs::LaunchEnv launch;
    if (!runs::readLaunchEnv(launch, error)) {
        std::fprintf(stderr, "mammoscope-train: data-parallel launch: %s\n", error.c_str());
        return kUsage;
    }
    if (launch.distributed() && cfg.device.rfind("cuda", 0) == 0)
        cfg.device = "cuda:" + std::to_string(launch.localRank); // one GPU a rank, as torchrun's LOCAL_RANK says
    if (!enoughGpus(launch, cfg.device))
        return kUsage;

    RunFolder run(runDir);
    if (launch.rank > 0)
        run.setReplica(launch.rank);
    if (!run.open(resume, error)) {
        std::fprintf(stderr, "mammoscope-train: %s\n", error.c_str());
        return kError;
    }
    if (resume)
        run.truncateMetricsAfter(st.step);
    setupThreads(cfg.threads);
    const torch::Device dev = parseDevice(cfg.device);
    const bool cuda = dev.is_cuda();
    const bool bf16 = cfg.amp == "bf16" && cuda;
    if (cuda)
        at::globalContext().setBenchmarkCuDNN(true);
    if (launch.rank == 0)
        startCommandReader(); // rank 0 reads the commands; every step the ranks agree on them (below)
    std::unique_ptr<DataParallel> dp;
    if (launch.distributed()) {
        run.status("loading", st.epoch, st.step, "joining " + std::to_string(launch.worldSize) + " ranks");
        dp = DataParallel::join(launch, dev, cfg.distBackend, cfg.gradSync, error);
        if (!dp) {
            run.fail(error, st.epoch, st.step);
            return kError;
        }
    } else if (cfg.gradSync != "fp32" || cfg.distBackend != "auto") {
        run.log("note: --grad-sync and --dist-backend matter only with several ranks; this run has one");
    }
    const int world = launch.worldSize, rank = launch.rank;

    run.status("loading", st.epoch, st.step, "loading data");
    LoadedData data;
    if (!loadData(cfg.data, cfg.task, cfg.size, cfg.threads, data, error, cfg.lesionPatches)) {
        run.fail(error, st.epoch, st.step);
        return kDataError;
    }
    auto& train = data.splits["train"];
    auto& val = data.splits["val"];
    if (train.size() == 0) {
        run.fail("no training samples in " + cfg.data, 0, 0);
        return kDataError;
    }
    const int classes = int(train.classes.size());
    sampling::Task task = sampling::Task::Patches;
    sampling::parseTask(train.task, task);

    std::string note;
    TrainConfig fresh = cfg;
    if (resume)
        fresh.init.clear(); // a resumed run loads its checkpoint below
    auto created = createNetwork(fresh, classes, note);
    if (!created) {
        run.fail(created.error().message, 0, 0);
        return kDataError;
    }
    auto net = *created;
    if (!note.empty())
        run.log(note);
    if (resume) {
        auto w = models::loadSafetensors(runDir / "checkpoints" / "last" / "model.safetensors");
        std::error_code ec;
        if (!w && fs::is_directory(runDir / "checkpoints" / "last", ec)) {
            run.fail("resume: the last checkpoint's weights are damaged: " + w.error().toString(), st.epoch, st.step);
            return kDataError;
        }
        if (!w) {
            run.log("resume: no checkpoint yet; starting from scratch");
            st = State();
        } else if (auto rep = models::loadInto(*net, *w, true); !rep) {
            run.fail("resume: " + rep.error().toString(), 0, 0);
            return kDataError;
        }
    }
    net->to(dev);
    if (cfg.channelsLast)
        models::toChannelsLast(*net);
    const bool fe = cfg.mode == "feature-extraction";
    std::vector<double> baseLr;
    std::unique_ptr<torch::optim::Optimizer> opt = makeOptimizer(cfg, *net, fe, baseLr);
    if (resume && fs::exists(runDir / "checkpoints" / "last" / "optimizer.pt")) {
        try {
            torch::serialize::InputArchive ar;
            ar.load_from((runDir / "checkpoints" / "last" / "optimizer.pt").string(), dev);
            opt->load(ar);
        } catch (const std::exception& e) {
            run.log(std::string("resume: optimizer state not restored (") + e.what() + ")");
        }
    }

    GradientSync single;
    GradientSync& sync = dp ? static_cast<GradientSync&>(*dp) : single;
    std::vector<torch::Tensor> trainable;
    for (auto& p : net->parameters())
        if (p.requires_grad())
            trainable.push_back(p);
    std::vector<torch::Tensor> floatBuffers; // batch-norm running statistics
    for (auto& b : net->buffers())
        if (b.is_floating_point())
            floatBuffers.push_back(b);
    if (dp) {
        // Every replica starts from rank 0's weights (and, on resume, its checkpoint), as DDP does.
        std::vector<torch::Tensor> all = net->parameters();
        all.insert(all.end(), floatBuffers.begin(), floatBuffers.end());
        try {
            dp->broadcast(all);
        } catch (const std::exception& e) {
            run.fail("rank " + std::to_string(rank) + " of " + std::to_string(world)
                    + ": the data-parallel group broke before training (another rank stopped or died?): " + messageOf(e),
                st.epoch, st.step);
            return kError;
        }
        dp->attach(trainable);
        if (cfg.syncBn)
            models::setBatchNormSync([d = dp.get()](torch::Tensor& t) { d->sumInPlace(t); });
        run.log("data parallel: " + std::to_string(world) + " ranks (" + launch.launcher + "), " + dp->backend() + ", "
            + std::to_string(dp->buckets()) + " gradient buckets, " + cfg.gradSync + " all-reduce, global batch "
            + std::to_string(cfg.batch * world) + (cfg.syncBn ? ", synchronised batch norm" : ", batch norm per replica"));
    } else if (cfg.syncBn) {
        run.log("note: --sync-bn matters only with several ranks; this run has one");
    }
    if (cfg.syncBn && fe)
        run.log("note: feature extraction keeps the backbone's batch norm frozen: --sync-bn changes nothing there");
    struct SyncOff { // never left set for a later run in this process
        ~SyncOff() { models::setBatchNormSync({}); }
    } syncOff;

    const torch::Tensor weights = classWeights(cfg, train, dev);

    models::ModelCard card;
    card.name = fs::path(cfg.runDir).filename().string();
    card.architecture = cfg.arch;
    card.task = train.task;
    card.classes = train.classes;
    card.inputWidth = train.width;
    card.inputHeight = train.height;
    Json trainingInfo = runs::toJson(cfg);
    trainingInfo.set("data_description", data.description);
    trainingInfo.set("sample_spacing_mm", data.spacingMm);
    card.training = trainingInfo;
    card.notes = cfg.data.rfind("synth:", 0) == 0 ? "Trained on synthetic phantoms only: it has never seen a real mammogram." : "";

    // config.json (kept on resume, with the device possibly changed).
    {
        runs::RunConfig rc;
        rc.command = "train";
        rc.train = cfg;
        rc.task = train.task;
        rc.classes = train.classes;
        rc.sampleWidth = train.width;
        rc.sampleHeight = train.height;
        for (const auto& [name, set] : data.splits)
            rc.samples.set(name, (unsigned long long)set.size());
        rc.dataDescription = data.description;
        rc.deviceName = deviceName(dev);
        rc.torchVersion = torchcompat::version();
        rc.worldSize = world;
        rc.globalBatch = cfg.batch * world;
        rc.launcher = launch.launcher;
        if (!run.writeConfig(rc)) {
            run.fail(run.error(), st.epoch, st.step);
            return kError;
        }
    }
    // Each rank trains on its shard of every epoch's order (shardOrder); a step is one batch on every rank.
    const size_t shardSize = (train.size() + size_t(world) - 1) / size_t(world);
    const size_t stepsPerEpoch = std::max<size_t>(1,
        cfg.limitTrainBatches > 0 ? std::min<size_t>(size_t(cfg.limitTrainBatches), (shardSize + size_t(cfg.batch) - 1) / size_t(cfg.batch))
                                  : (shardSize + size_t(cfg.batch) - 1) / size_t(cfg.batch));
    const long long globalBatch = (long long)cfg.batch * world;
    if (resume && st.samplesInEpoch >= 0) // a checkpoint of another world size: continue at the same sample
        st.batchInEpoch = size_t(st.samplesInEpoch / globalBatch);
    {
        runs::Event ev;
        ev.name = resume ? runs::event::kResumed : runs::event::kStarted;
        ev.step = st.step;
        ev.epoch = st.epoch;
        ev.extra.set("epochs", cfg.epochs);
        ev.extra.set("steps_per_epoch", (unsigned long long)stepsPerEpoch);
        ev.extra.set("device", deviceName(dev));
        ev.extra.set("train_samples", (unsigned long long)train.size());
        ev.extra.set("val_samples", (unsigned long long)val.size());
        ev.extra.set("world_size", world);
        ev.extra.set("global_batch", globalBatch);
        run.append(ev);
    }
    run.log(std::string(resume ? "resuming" : "training") + " " + cfg.arch + " (" + cfg.mode + ") on " + deviceName(dev) + ", "
        + std::to_string(train.size()) + " training and " + std::to_string(val.size()) + " validation samples, " + data.description);

    auto doCheckpoint = [&](const char* which) -> bool {
        if (rank > 0)
            return true; // rank 0 alone writes the run folder
        st.samplesInEpoch = (long long)st.batchInEpoch * globalBatch;
        auto s = saveCheckpoint(runDir / "checkpoints" / which, *net, *opt, st, card);
        if (!s)
            run.log(std::string("checkpoint failed: ") + s.error().toString());
        return s.ok();
    };
    auto stopAndExit = [&](const std::string& why) {
        doCheckpoint("last");
        runs::Event ev;
        ev.name = runs::event::kStopped;
        ev.step = st.step;
        ev.epoch = st.epoch;
        ev.message = why;
        run.append(ev);
        run.status(runs::state::kStopped, st.epoch, st.step, why);
        run.log("stopped: " + why + "; resume with: mammoscope-train train --resume " + runDir.string());
        return int(kOk);
    };

    bool agreedStop = false, agreedCheckpoint = false; // data parallel: what the ranks agreed at the last log line
    try {
        for (; st.epoch < cfg.epochs; ++st.epoch, st.batchInEpoch = 0) {
            run.status(
                runs::state::kRunning, st.epoch, st.step, "epoch " + std::to_string(st.epoch + 1) + " of " + std::to_string(cfg.epochs));
            net->train();
            if (fe)
                net->eval(); // frozen backbone: batch norm statistics stay as loaded
            Prefetcher pf(train, shardOrder(epochOrder(train.size(), cfg.seed, st.epoch), rank, world), size_t(cfg.batch), st.batchInEpoch,
                stepsPerEpoch, cuda);
            double lossSum = 0, lastLossAvg = 0;
            long seen = 0, correct = 0, sinceLog = 0;
            torch::Tensor lossAcc = torch::zeros({}, torch::TensorOptions().device(dev));
            auto t0 = std::chrono::steady_clock::now();
            long imagesSinceLog = 0;
            size_t b = 0;
            torch::Tensor u8, labels;
            while (pf.next(b, u8, labels)) {
                synth::Rng rng(synth::hashMix({ cfg.seed, uint64_t(st.epoch), uint64_t(b), 0x41554755ull }));
                auto x = toInput(u8, dev);
                auto y = labels.to(dev, true);
                x = augment(x, aug, rng);
                if (cfg.channelsLast)
                    x = x.contiguous(at::MemoryFormat::ChannelsLast);
                for (size_t g = 0; g < opt->param_groups().size(); ++g)
                    opt->param_groups()[g].options().set_lr(baseLr[g] * lrFactor(cfg, st.step, long(stepsPerEpoch)));
                auto [logits, loss] = trainStep(*net, *opt, sync, trainable, x, y, weights, fe, bf16);
                ++st.step;
                st.batchInEpoch = b + 1;
                const long n = long(y.size(0));
                lossAcc += loss.detach() * double(n);
                correct += logits.argmax(1).eq(y).sum().item<long>();
                seen += n;
                imagesSinceLog += n;
                ++sinceLog;
                const bool lastBatch = b + 1 == pf.total();
                if (sinceLog >= cfg.logEvery || lastBatch) {
                    double sum = lossAcc.item<double>(); // one sync per log line
                    if (dp) {
                        // The loss and images of the whole group, and the stop and checkpoint requests (any rank's
                        // signal, rank 0's stdin) agreed at the same step by every rank: one small all-reduce a log line.
                        const auto all
                            = dp->sum({ sum, double(imagesSinceLog), g_stop ? 1.0 : 0.0, g_checkpoint.exchange(false) ? 1.0 : 0.0 });
                        sum = all[0];
                        imagesSinceLog = long(all[1]);
                        agreedStop = agreedStop || all[2] > 0;
                        agreedCheckpoint = all[3] > 0;
                    }
                    if (!std::isfinite(sum)) {
                        const std::string msg = "loss became " + std::string(std::isnan(sum) ? "NaN" : "infinite") + " at step "
                            + std::to_string(st.step) + " (epoch " + std::to_string(st.epoch + 1)
                            + "); the last good checkpoint is checkpoints/last; try a lower --lr";
                        run.fail(msg, st.epoch, st.step);
                        return kNotFinite;
                    }
                    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                    lossSum += sum;
                    const double avg = (sum) / double(std::max<long>(1, imagesSinceLog));
                    lastLossAvg = avg;
                    runs::StepPoint p;
                    p.step = st.step;
                    p.epoch = st.epoch + double(b + 1) / double(pf.total());
                    p.loss = avg;
                    p.lr = baseLr.back() * lrFactor(cfg, st.step - 1, long(stepsPerEpoch));
                    p.imagesPerS = dt > 0 ? double(imagesSinceLog) / dt : 0.0;
                    run.append(p);
                    lossAcc.zero_();
                    imagesSinceLog = 0;
                    sinceLog = 0;
                    t0 = std::chrono::steady_clock::now();
                }
                if (dp ? std::exchange(agreedCheckpoint, false) : g_checkpoint.exchange(false)) {
                    doCheckpoint("last");
                    runs::Event ev;
                    ev.name = runs::event::kCheckpoint;
                    ev.step = st.step;
                    run.append(ev);
                }
                if (dp ? agreedStop : g_stop.load())
                    return stopAndExit(g_signal ? "signal " + std::to_string(int(g_signal)) : "stop requested");
            }
            (void)lastLossAvg;
            if (dp) { // the epoch's figures over every rank
                const auto all = dp->sum({ double(seen), double(correct) });
                seen = long(all[0]);
                correct = long(all[1]);
            }
            // End of epoch: validation, epoch line, checkpoints.
            const double trainLoss = lossSum / double(std::max<long>(1, seen));
            const double trainAcc = double(correct) / double(std::max<long>(1, seen));
            runs::EpochPoint line;
            line.step = st.step;
            line.epoch = st.epoch + 1;
            line.trainLoss = trainLoss;
            line.trainAccuracy = trainAcc;
            double metric = trainAcc;
            if (dp) {
                // Replicas keep rank 0's batch-norm statistics (as DDP's broadcast_buffers), and must agree on weights.
                dp->broadcast(floatBuffers);
                const double drift = dp->maxDifferenceFromRank0(trainable);
                runs::Event ev;
                ev.name = "replicas_checked";
                ev.step = st.step;
                ev.epoch = st.epoch + 1;
                ev.extra.set("max_abs_difference", drift);
                run.append(ev);
                if (!(drift <= 1e-4))
                    run.log("warning: the replicas' weights differ by up to " + std::to_string(drift) + " after epoch "
                        + std::to_string(st.epoch + 1));
            }
            if (val.size() > 0) {
                auto probs = dp ? predictSharded(*net, val, dev, cfg.batch, bf16, cfg.channelsLast, *dp)
                                : predict(*net, val, dev, cfg.batch, bf16, cfg.channelsLast);
                std::vector<int> lab;
                for (const auto& m : val.meta)
                    lab.push_back(m.label);
                auto rep = metrics::evaluate(probs, lab, val.classes, sampling::malignantClasses(task), sampling::benignClasses(task));
                line.valLoss = rep.loss;
                line.valAccuracy = rep.accuracy;
                line.valAuc = rep.malignantAuc;
                line.valMacroF1 = rep.macroF1;
                line.val = rep.toJson();
                metric = std::isfinite(rep.malignantAuc) ? 0.5 * (rep.malignantAuc + rep.accuracy) : rep.accuracy;
            }
            line.lr = baseLr.back() * lrFactor(cfg, st.step - 1, long(stepsPerEpoch));
            line.deviceMemory = (long long)deviceMemoryBytes(dev, true);
            run.append(line);
            run.log("epoch " + std::to_string(st.epoch + 1) + "/" + std::to_string(cfg.epochs) + ": train loss " + std::to_string(trainLoss)
                + ", train acc " + std::to_string(trainAcc)
                + (val.size() ? ", val acc " + std::to_string(line.valAccuracy) + ", val AUC " + std::to_string(line.valAuc)
                              : std::string()));
            const bool improved = metric > st.bestMetric;
            st.epochsWithoutImprovement = improved ? 0 : st.epochsWithoutImprovement + 1;
            const int finishedEpoch = st.epoch;
            ++st.epoch; // the checkpoint says: this epoch is done
            st.batchInEpoch = 0;
            if (improved) {
                st.bestMetric = metric;
                st.bestEpoch = finishedEpoch + 1;
                card.metrics = line.val.isNull() ? Json::object() : line.val;
                doCheckpoint("best");
            }
            doCheckpoint("last");
            --st.epoch; // the for loop advances it
            if (cfg.earlyStop > 0 && st.epochsWithoutImprovement >= cfg.earlyStop) {
                run.log("early stop: no improvement for " + std::to_string(cfg.earlyStop) + " epochs");
                ++st.epoch;
                break;
            }
            if (dp ? agreedStop : g_stop.load()) {
                ++st.epoch;
                return stopAndExit(g_signal ? "signal " + std::to_string(int(g_signal)) : "stop requested");
            }
        }
    } catch (const std::exception& e) {
        const std::string what = messageOf(e);
        const std::string msg = isOom(e) ? oomAdvice(cfg)
            : dp                         ? "rank " + std::to_string(rank) + " of " + std::to_string(world)
                + ": the data-parallel group broke (another rank stopped or died?): " + what
                 : "training failed: " + what;
        run.fail(msg, st.epoch, st.step);
        return isOom(e) ? kOutOfMemory : kError;
    }
    if (const std::string err = run.error(); !err.empty()) {
        run.fail("the run folder could not be written completely: " + err, st.epoch, st.step);
        return kError;
    }
    runs::Event ev;
    ev.name = runs::event::kFinished;
    ev.step = st.step;
    ev.epoch = st.epoch;
    ev.extra.set("best_epoch", st.bestEpoch);
    ev.extra.set("best_metric", st.bestMetric);
    run.append(ev);
    Json extra = Json::object();
    extra.set("best_epoch", st.bestEpoch);
    extra.set("best_metric", st.bestMetric);
    run.status(runs::state::kFinished, st.epoch, st.step, "finished", extra);
    run.log("finished: best epoch " + std::to_string(st.bestEpoch) + "; evaluate with: mammoscope-train eval --run " + runDir.string()
        + " --split test");
    return kOk;
}

// ------------------------------------------------------------------------------------------------ lr-find

int lrFind(const LrFindConfig& lc)
{
    TrainConfig cfg = lc.train;
    if (const std::string problem = configurationProblem(cfg); !problem.empty()) {
        std::fprintf(stderr, "mammoscope-train lr-find: %s\n", problem.c_str());
        return kUsage;
    }
    if (!(lc.startLr > 0 && lc.endLr > lc.startLr && std::isfinite(lc.endLr)) || lc.steps < 10 || lc.steps > 100000) {
        std::fprintf(stderr, "mammoscope-train lr-find: --start-lr must be > 0 and below --end-lr, --steps 10-100000\n");
        return kUsage;
    }
    std::string error;
    const Augment aug = parseAugment(cfg.augment, error);
    setupThreads(cfg.threads);
    const torch::Device dev = parseDevice(cfg.device);
    const bool cuda = dev.is_cuda();
    const bool bf16 = cfg.amp == "bf16" && cuda;
    LoadedData data;
    if (!loadData(cfg.data, cfg.task, cfg.size, cfg.threads, data, error, cfg.lesionPatches)) {
        std::fprintf(stderr, "mammoscope-train lr-find: %s\n", error.c_str());
        return kDataError;
    }
    const auto& train = data.splits["train"];
    if (train.size() == 0) {
        std::fprintf(stderr, "mammoscope-train lr-find: no training samples in %s\n", cfg.data.c_str());
        return kDataError;
    }
    std::string note;
    auto created = createNetwork(cfg, int(train.classes.size()), note);
    if (!created) {
        std::fprintf(stderr, "mammoscope-train lr-find: %s\n", created.error().message.c_str());
        return kDataError;
    }
    auto net = *created;
    net->to(dev);
    if (cfg.channelsLast)
        models::toChannelsLast(*net);
    const bool fe = cfg.mode == "feature-extraction";
    cfg.lr = lc.startLr;
    std::vector<double> baseLr;
    auto opt = makeOptimizer(cfg, *net, fe, baseLr);
    const torch::Tensor weights = classWeights(cfg, train, dev);
    GradientSync sync;
    std::vector<torch::Tensor> trainable;
    for (auto& p : net->parameters())
        if (p.requires_grad())
            trainable.push_back(p);

    // An exponential ramp from startLr to endLr, one batch a step, the loss smoothed as fastai does (EMA 0.98 with
    // bias correction); stops when the smoothed loss exceeds 4 times its best or stops being finite.
    const double beta = 0.98;
    std::vector<double> lrs, losses, smoothed;
    double avg = 0, best = std::numeric_limits<double>::infinity();
    bool diverged = false;
    const auto t0 = std::chrono::steady_clock::now();
    const size_t perEpoch = (train.size() + size_t(cfg.batch) - 1) / size_t(cfg.batch);
    int step = 0;
    try {
        for (int epoch = 0; step < lc.steps && !diverged; ++epoch) {
            net->train();
            if (fe)
                net->eval();
            Prefetcher pf(
                train, epochOrder(train.size(), cfg.seed, epoch), size_t(cfg.batch), 0, std::min(perEpoch, size_t(lc.steps - step)), cuda);
            size_t b = 0;
            torch::Tensor u8, labels;
            while (step < lc.steps && pf.next(b, u8, labels)) {
                const double lr = lc.startLr * std::pow(lc.endLr / lc.startLr, double(step) / double(lc.steps - 1));
                for (size_t g = 0; g < opt->param_groups().size(); ++g)
                    opt->param_groups()[g].options().set_lr(lr * baseLr[g] / lc.startLr);
                synth::Rng rng(synth::hashMix({ cfg.seed, uint64_t(epoch), uint64_t(b), 0x4c52464eull }));
                auto x = augment(toInput(u8, dev), aug, rng);
                if (cfg.channelsLast)
                    x = x.contiguous(at::MemoryFormat::ChannelsLast);
                const double loss
                    = trainStep(*net, *opt, sync, trainable, x, labels.to(dev, true), weights, fe, bf16).second.item<double>();
                ++step;
                if (!std::isfinite(loss)) {
                    diverged = true;
                    break;
                }
                avg = beta * avg + (1 - beta) * loss;
                const double sm = avg / (1 - std::pow(beta, double(step)));
                lrs.push_back(lr);
                losses.push_back(loss);
                smoothed.push_back(sm);
                best = std::min(best, sm);
                if (step > 5 && sm > 4 * best) {
                    diverged = true;
                    break;
                }
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mammoscope-train lr-find: %s\n", isOom(e) ? oomAdvice(cfg).c_str() : e.what());
        return isOom(e) ? kOutOfMemory : kError;
    }
    // The suggestion: where the smoothed loss falls fastest against log(lr) (central differences), among the points
    // before its minimum and past the first tenth (the start is noise); the rate of the minimum divided by 10 beside it.
    const size_t n = smoothed.size();
    size_t minAt = 0;
    for (size_t i = 0; i < n; ++i)
        if (smoothed[i] < smoothed[minAt])
            minAt = i;
    double suggested = -1, steepest = 0;
    for (size_t i = std::max<size_t>(1, n / 10); i + 1 < n && i <= minAt; ++i) {
        const double slope = (smoothed[i + 1] - smoothed[i - 1]) / (std::log10(lrs[i + 1]) - std::log10(lrs[i - 1]));
        if (slope < steepest) {
            steepest = slope;
            suggested = lrs[i];
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Json out = Json::object();
    out.set("steps", int(n));
    out.set("diverged", diverged);
    out.set("start_lr", lc.startLr);
    out.set("end_lr", lc.endLr);
    out.set("suggested_lr", suggested > 0 ? Json(suggested) : Json());
    out.set("min_loss_lr", n ? Json(lrs[minAt]) : Json());
    out.set("min_loss_lr_div10", n ? Json(lrs[minAt] / 10) : Json());
    auto arr = [](const std::vector<double>& v) {
        Json a = Json::array();
        for (double x : v)
            a.push(x);
        return a;
    };
    out.set("lr", arr(lrs));
    out.set("loss", arr(losses));
    out.set("smoothed_loss", arr(smoothed));
    out.set("device", deviceName(dev));
    out.set("seconds", seconds);
    if (lc.json) {
        std::printf("%s\n", out.dump().c_str());
    } else {
        std::printf("lr-find over %zu steps (%s, %s): smoothed loss lowest %.4g at lr %.3g; steepest descent at lr %s%s; %.1f s\n", n,
            cfg.arch.c_str(), deviceName(dev).c_str(), n ? smoothed[minAt] : 0.0, n ? lrs[minAt] : 0.0,
            suggested > 0 ? std::to_string(suggested).c_str() : "(none: the loss never fell)", diverged ? ", stopped on divergence" : "",
            seconds);
    }
    return suggested > 0 ? kOk : kError;
}

} // namespace ms::training

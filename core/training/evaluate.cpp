// SPDX-License-Identifier: GPL-3.0-or-later
// eval (a run's checkpoint on a split: metrics and a predictions file), bench (training and inference images/s),
// devices (what this machine can train on).
#include "core/common/paths.h"
#include "core/metrics/metrics.h"
#include "core/models/torchcompat.h"
#include "core/models/weights.h"
#include "core/sampling/sampling.h"
#include "core/training/distributed.h"
#include "core/training/engine.h"
#include "core/training/internal.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;

namespace ms::training
{

int evaluate(const EvalConfig& cfg)
{
    const fs::path run = cfg.runDir;
    if (cfg.batch < 1 || cfg.batch > 65536) {
        std::fprintf(stderr, "mammoscope-train eval: --batch takes 1-65536, got %d\n", cfg.batch);
        return kUsage;
    }
    std::string text, error;
    if (!readFile(run / "config.json", text)) {
        std::fprintf(stderr, "mammoscope-train eval: %s is not a run folder (no config.json)\n", run.string().c_str());
        return kUsage;
    }
    auto conf = Json::parse(text);
    if (!conf) {
        std::fprintf(stderr, "mammoscope-train eval: config.json: %s\n", conf.error().message.c_str());
        return kUsage;
    }
    const Json& t = (*conf)["train"];
    if (cfg.split != "train" && cfg.split != "val" && cfg.split != "test") {
        std::fprintf(stderr, "mammoscope-train eval: --split must be train, val or test\n");
        return kUsage;
    }
    if (!checkDevice(cfg.device, error)) {
        std::fprintf(stderr, "mammoscope-train eval: %s\n", error.c_str());
        return kUsage;
    }
    setupThreads(int(t["threads"].integer(0)));
    LoadedData data;
    const std::string source = cfg.data.empty() ? t["data"].string() : cfg.data;
    if (!loadData(source, t["task"].string(), int(t["size"].integer(224)), 0, data, error, int(t["lesion_patches"].integer(4)))) {
        std::fprintf(stderr, "mammoscope-train eval: %s\n", error.c_str());
        return kDataError;
    }
    const auto& set = data.splits[cfg.split];
    if (set.size() == 0) {
        std::fprintf(stderr, "mammoscope-train eval: the %s split has no samples\n", cfg.split.c_str());
        return kDataError;
    }
    const fs::path ck = run / "checkpoints" / cfg.checkpoint / "model.safetensors";
    auto w = models::loadSafetensors(ck);
    if (!w) {
        std::fprintf(stderr, "mammoscope-train eval: %s\n", w.error().toString().c_str());
        return kDataError;
    }
    auto net = models::create({ t["arch"].string(), int(set.classes.size()), 1 });
    if (net)
        net->poolMargin = int(t["pool_margin"].integer(0));
    if (!net) {
        std::fprintf(stderr, "mammoscope-train eval: unknown architecture '%s' in config.json\n", t["arch"].string().c_str());
        return kUsage;
    }
    if (auto rep = models::loadInto(*net, *w, true); !rep) {
        std::fprintf(stderr, "mammoscope-train eval: %s: %s\n", ck.string().c_str(), rep.error().message.c_str());
        return kDataError;
    }
    const torch::Device dev = parseDevice(cfg.device);
    net->to(dev);
    const bool bf16 = t["amp"].string() == "bf16" && dev.is_cuda();
    auto probs = predict(*net, set, dev, cfg.batch, bf16, false);
    std::vector<int> labels;
    for (const auto& m : set.meta)
        labels.push_back(m.label);
    sampling::Task task = sampling::Task::Patches;
    sampling::parseTask(set.task, task);
    auto rep = metrics::evaluate(probs, labels, set.classes, sampling::malignantClasses(task), sampling::benignClasses(task));

    // Predictions file for the GUI's gallery: sample id, patient, image, abnormality, label, predicted, probabilities.
    const fs::path predFile = run / ("predictions-" + cfg.split + (cfg.data.empty() ? std::string() : "-other") + ".csv");
    {
        std::ofstream f(predFile);
        f << "id,patient,image,abnormality,x,y,label,predicted";
        for (const auto& c : set.classes)
            f << ",p_" << c;
        f << "\n";
        const size_t C = set.classes.size();
        for (size_t i = 0; i < set.size(); ++i) {
            const auto& m = set.meta[i];
            const float* p = &probs[i * C];
            const size_t pred = size_t(std::max_element(p, p + C) - p);
            f << m.id << ',' << m.patient << ',' << m.image << ',' << m.abnormality << ',' << m.x << ',' << m.y << ','
              << set.classes[size_t(m.label)] << ',' << set.classes[pred];
            for (size_t c = 0; c < C; ++c)
                f << ',' << p[c];
            f << "\n";
        }
    }
    Json out = rep.toJson();
    out.set("split", cfg.split);
    out.set("data", source);
    out.set("checkpoint", cfg.checkpoint);
    out.set("run", run.string());
    out.set("predictions", predFile.string());
    // Also a line in the run's metrics, for the GUI.
    {
        Json line = out;
        line.set("type", runs::line::kEval);
        line.set("v", runs::kProtocolVersion);
        std::ofstream m(run / "metrics.jsonl", std::ios::app);
        m << line.dump() << "\n";
    }
    if (cfg.json) {
        std::printf("%s\n", out.dump(2).c_str());
    } else {
        std::printf("%s split, %s checkpoint: %zu samples, accuracy %.4f, malignant-vs-benign AUC %.4f, macro F1 %.4f\n", cfg.split.c_str(),
            cfg.checkpoint.c_str(), rep.samples, rep.accuracy, rep.malignantAuc, rep.macroF1);
        for (const auto& c : rep.classes)
            std::printf(
                "  %-26s P %.3f  R %.3f  F1 %.3f  AUC %.3f  (n=%ld)\n", c.name.c_str(), c.precision, c.recall, c.f1, c.auc, c.support);
        std::printf("predictions: %s\n", predFile.string().c_str());
    }
    return kOk;
}

int bench(const BenchConfig& cfg)
{
    std::string error;
    if (!models::isArchitecture(cfg.arch)) {
        std::fprintf(stderr, "mammoscope-train bench: unknown architecture '%s'\n", cfg.arch.c_str());
        return kUsage;
    }
    if (!checkDevice(cfg.device, error)) {
        std::fprintf(stderr, "mammoscope-train bench: %s\n", error.c_str());
        return kUsage;
    }
    // Data parallel (--nproc-per-node, torchrun, srun): every rank times its steps with the gradients all-reduced,
    // rank 0 reports the group's images/s.
    runs::LaunchEnv launch;
    if (!runs::readLaunchEnv(launch, error)) {
        std::fprintf(stderr, "mammoscope-train bench: data-parallel launch: %s\n", error.c_str());
        return kUsage;
    }
    std::string device = cfg.device;
    if (launch.distributed() && device.rfind("cuda", 0) == 0)
        device = "cuda:" + std::to_string(launch.localRank);
    if (!enoughGpus(launch, device))
        return kUsage;
    if (launch.distributed() && !cfg.profile.empty()) {
        std::fprintf(stderr, "mammoscope-train bench: --profile traces one process; leave out --nproc-per-node\n");
        return kUsage;
    }
    setupThreads(cfg.threads);
    const torch::Device dev = parseDevice(device);
    const bool bf16 = cfg.amp == "bf16" && dev.is_cuda();
    if (dev.is_cuda())
        at::globalContext().setBenchmarkCuDNN(true);
    shards::SampleSet set;
    int size = cfg.size, classes = 5;
    const bool fromShards = cfg.source != "synthetic";
    if (fromShards) {
        auto s = shards::loadSplit(cfg.source, "train");
        if (!s) {
            std::fprintf(stderr, "mammoscope-train bench: %s\n", s.error().toString().c_str());
            return kDataError;
        }
        set = std::move(*s);
        size = set.width;
        classes = int(set.classes.size());
        if (set.size() < size_t(cfg.batch)) {
            std::fprintf(
                stderr, "mammoscope-train bench: %s has %zu training samples, fewer than one batch\n", cfg.source.c_str(), set.size());
            return kDataError;
        }
    }
    torch::manual_seed(1);
    auto net = models::create({ cfg.arch, classes, 1 });
    net->to(dev);
    if (cfg.channelsLast)
        models::toChannelsLast(*net);
    torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
    std::unique_ptr<DataParallel> dp;
    const std::vector<torch::Tensor> params = net->parameters();
    if (launch.distributed()) {
        dp = DataParallel::join(launch, dev, "auto", "fp32", error);
        if (!dp) {
            std::fprintf(stderr, "mammoscope-train bench: %s\n", error.c_str());
            return kError;
        }
        dp->broadcast(params);
        dp->attach(params);
    }
    const int world = launch.worldSize;
    // The slowest rank's seconds (the group moves at its pace); one process: its own.
    auto groupSeconds = [&](double mine) {
        if (!dp)
            return mine;
        double worst = 0;
        for (const auto& v : dp->gather({ float(mine) }))
            worst = std::max(worst, v.empty() ? 0.0 : double(v[0]));
        return worst;
    };
    auto barrier = [&] {
        if (dp)
            (void)dp->sum({ 0.0 });
    };
    auto synthetic = torch::randn({ cfg.batch, 1, size, size }, torch::TensorOptions().device(dev));
    auto labels = torch::randint(0, classes, { cfg.batch }, torch::TensorOptions().device(dev).dtype(torch::kInt64));
    std::vector<size_t> order(set.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    // From shards: the training loop's own pipeline (prefetch thread, pinned memory, copy and conversion on the device).
    std::unique_ptr<Prefetcher> pf;
    auto batchInput = [&]() {
        if (!fromShards)
            return synthetic;
        size_t idx = 0;
        torch::Tensor u8, lab;
        if (!pf || !pf->next(idx, u8, lab)) {
            pf.reset();
            pf = std::make_unique<Prefetcher>(set, order, size_t(cfg.batch), 0, order.size() / size_t(cfg.batch), dev.is_cuda());
            pf->next(idx, u8, lab);
        }
        return toInput(u8, dev);
    };
    auto trainStep = [&] {
        auto x = batchInput();
        if (cfg.channelsLast)
            x = x.contiguous(at::MemoryFormat::ChannelsLast);
        opt.zero_grad();
        torch::Tensor logits;
        {
            torchcompat::CudaAutocast autocast(bf16);
            logits = net->forward(x).to(torch::kFloat32);
        }
        auto loss = torch::nn::functional::cross_entropy(logits, labels);
        loss.backward();
        if (dp)
            dp->afterBackward(params);
        sgdStep(opt);
    };
    using clock = std::chrono::steady_clock;
    Json out = Json::object();
    try {
        net->train();
        for (int i = 0; i < cfg.warmup; ++i)
            trainStep();
        synchronize(dev);
        barrier();
        auto t0 = clock::now();
        for (int i = 0; i < cfg.steps; ++i)
            trainStep();
        synchronize(dev);
        const double trainS = groupSeconds(std::chrono::duration<double>(clock::now() - t0).count());
        if (!cfg.profile.empty()) {
            std::string perr;
            if (!torchcompat::startProfiler(perr)) {
                std::fprintf(stderr, "mammoscope-train bench: cannot profile: %s\n", perr.c_str());
                return kUsage;
            }
            for (int i = 0; i < 10; ++i)
                trainStep();
            synchronize(dev);
            if (!torchcompat::stopProfiler(cfg.profile, perr)) {
                std::fprintf(stderr, "mammoscope-train bench: cannot write the profile %s: %s\n", cfg.profile.c_str(), perr.c_str());
                return kError;
            }
            out.set("profile", cfg.profile);
        }
        net->eval();
        torch::NoGradGuard ng;
        auto infer = [&] {
            auto x = batchInput();
            if (cfg.channelsLast)
                x = x.contiguous(at::MemoryFormat::ChannelsLast);
            torchcompat::CudaAutocast autocast(bf16);
            return net->forward(x);
        };
        for (int i = 0; i < cfg.warmup; ++i)
            infer();
        synchronize(dev);
        barrier();
        t0 = clock::now();
        for (int i = 0; i < cfg.steps; ++i)
            infer();
        synchronize(dev);
        const double inferS = groupSeconds(std::chrono::duration<double>(clock::now() - t0).count());
        out.set("engine", "mammoscope-train");
        out.set("torch", torchcompat::version());
        out.set("device", deviceName(dev));
        out.set("arch", cfg.arch);
        out.set("batch", cfg.batch);
        out.set("size", size);
        out.set("amp", bf16 ? "bf16" : "none");
        out.set("channels_last", cfg.channelsLast);
        out.set("source", fromShards ? cfg.source : std::string("synthetic"));
        out.set("world_size", world);
        out.set("train_images_per_s", double(world) * cfg.batch * cfg.steps / trainS);
        out.set("infer_images_per_s", double(world) * cfg.batch * cfg.steps / inferS);
        out.set("device_memory", (long long)deviceMemoryBytes(dev, false));
    } catch (const std::exception& e) {
        const std::string w = e.what();
        std::fprintf(stderr, "mammoscope-train bench: %s\n",
            w.find("out of memory") != std::string::npos
                ? ("out of memory at batch " + std::to_string(cfg.batch) + "; try --batch " + std::to_string(cfg.batch / 2)).c_str()
                : w.c_str());
        return w.find("out of memory") != std::string::npos ? kOutOfMemory : kError;
    }
    if (launch.rank > 0)
        return kOk; // rank 0 reports the group
    if (cfg.json)
        std::printf("%s\n", out.dump().c_str());
    else
        std::printf("%s%s %s batch %d %s%s: train %.1f images/s, inference %.1f images/s\n", out["device"].string().c_str(),
            world > 1 ? (" x " + std::to_string(world) + " ranks").c_str() : "", cfg.arch.c_str(), cfg.batch, bf16 ? "bf16" : "fp32",
            cfg.channelsLast ? " channels_last" : "", out["train_images_per_s"].number(), out["infer_images_per_s"].number());
    return kOk;
}

int exportShards(const std::string& data, const std::string& task, int size, const std::string& out, int lesionPatches)
{
    LoadedData d;
    std::string error;
    if (!loadData(data, task, size, 0, d, error, lesionPatches)) {
        std::fprintf(stderr, "mammoscope-train export-shards: %s\n", error.c_str());
        return kDataError;
    }
    shards::Manifest m;
    for (auto& [name, set] : d.splits) {
        auto files = shards::writeShards(out, name, set);
        if (!files) {
            std::fprintf(stderr, "mammoscope-train export-shards: %s\n", files.error().toString().c_str());
            return kError;
        }
        m.task = set.task;
        m.classes = set.classes;
        m.width = set.width;
        m.height = set.height;
        m.splits.emplace_back(name, *files);
        m.counts.emplace_back(name, long(set.size()));
    }
    Json src = Json::object();
    src.set("data", data);
    if (data.rfind("synth:", 0) == 0)
        src.set("lesion_patches", lesionPatches);
    if (d.spacingMm > 0) // models trained from these shards record their pixel size (for dense maps on other images)
        src.set("spacing_mm", d.spacingMm);
    m.source = src;
    if (auto st = shards::writeManifest(out, m); !st) {
        std::fprintf(stderr, "mammoscope-train export-shards: %s\n", st.error().toString().c_str());
        return kError;
    }
    std::printf("%s\n", m.toJson().dump().c_str());
    return kOk;
}

int devices(bool json)
{
    Json arr = Json::array();
    {
        Json c = Json::object();
        c.set("id", "cpu");
        setupThreads(0);
        c.set("name", deviceName(torch::Device(torch::kCPU)));
        c.set("threads", int(std::thread::hardware_concurrency()));
        long long mem = 0;
        std::ifstream f("/proc/meminfo");
        std::string k;
        long long v;
        while (f >> k >> v) {
            if (k == "MemTotal:") {
                mem = v * 1024;
                break;
            }
            f.ignore(256, '\n');
        }
        c.set("memory", mem);
        arr.push(c);
    }
    const int n = int(torch::cuda::device_count());
    for (int i = 0; i < n; ++i) {
        Json c = Json::object();
        c.set("id", "cuda:" + std::to_string(i));
        c.set("name", deviceName(torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(i))));
        c.set("memory", (long long)deviceTotalMemory(i));
        arr.push(c);
    }
    if (json) {
        Json o = Json::object();
        o.set("torch", torchcompat::version());
        o.set("devices", arr);
        std::printf("%s\n", o.dump(2).c_str());
    } else {
        for (const auto& d : arr.elements())
            std::printf("%-8s %s%s\n", d["id"].string().c_str(), d["name"].string().c_str(),
                d["memory"].integer() ? (", " + std::to_string(d["memory"].integer() >> 20) + " MiB").c_str() : "");
    }
    return kOk;
}

} // namespace ms::training

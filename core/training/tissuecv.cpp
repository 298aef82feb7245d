// SPDX-License-Identifier: GPL-3.0-or-later
// crossval on tissue samples (mammoscope-cli prepare --task tissue): k-fold cross-validation of a 4-class U-Net
// (background, fatty, fibroglandular, pectoral muscle) on the "train" split, folds by woman; Dice per class and the
// fibroglandular fraction's correlation with the labels' from held-out folds only, with 95 % bootstrap intervals over
// women. With --final-model: a network trained on the whole "train" split, scored on the "test" split the source
// keeps apart, written as a model folder for the app (core/ml Model::tissueMap).
#include "core/common/paths.h"
#include "core/metrics/metrics.h"
#include "core/models/card.h"
#include "core/models/torchcompat.h"
#include "core/models/unet.h"
#include "core/runs/runfolder.h"
#include "core/sampling/tissue.h"
#include "core/training/engine.h"
#include "core/training/internal.h"
#include "core/training/unetcommon.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>
#include <random>
#include <set>

namespace fs = std::filesystem;

namespace ms::training
{

namespace
{

using sampling::kTissueClasses;

struct TissueData {
    shards::SampleSet set;
    torch::Tensor images, classes; // N x H x W uint8 on the device
    void upload(const torch::Device& dev)
    {
        const int64_t n = int64_t(set.size()), H = set.height, W = set.width;
        auto all = torch::from_blob(set.pixels.data(), { n, 2, H, W }, torch::kUInt8);
        images = all.select(1, 0).contiguous().to(dev);
        classes = all.select(1, 1).contiguous().clamp_max(kTissueClasses - 1).to(dev);
    }
    void batch(const std::vector<size_t>& idx, const torch::Device& dev, torch::Tensor& x, torch::Tensor& y) const
    {
        std::vector<int64_t> rows(idx.begin(), idx.end());
        auto r = torch::from_blob(rows.data(), { int64_t(rows.size()) }, torch::kInt64).clone().to(dev);
        x = images.index_select(0, r).unsqueeze(1).to(torch::kFloat).div_(255.f);
        y = classes.index_select(0, r).unsqueeze(1).to(torch::kFloat);
    }
};

// Cross-entropy plus the soft Dice of each class present in the batch (the pectoral muscle and dense tissue are small
// next to the fatty tissue and the background: Dice keeps them from being traded away).
torch::Tensor tissueLoss(const torch::Tensor& logits, const torch::Tensor& y)
{
    namespace F = torch::nn::functional;
    auto target = y.squeeze(1).to(torch::kLong);
    auto lf = logits.to(torch::kFloat);
    auto ce = F::cross_entropy(lf, target);
    auto p = torch::softmax(lf, 1);
    auto oneHot = F::one_hot(target, kTissueClasses).permute({ 0, 3, 1, 2 }).to(torch::kFloat);
    auto inter = (p * oneHot).sum({ 0, 2, 3 });
    auto denom = p.sum({ 0, 2, 3 }) + oneHot.sum({ 0, 2, 3 });
    auto present = (oneHot.sum({ 0, 2, 3 }) > 0).to(torch::kFloat);
    auto dice = 1 - (2 * inter + 1) / (denom + 1);
    return ce + (dice * present).sum() / present.sum().clamp_min(1);
}

models::UNet trainTissue(const CrossvalConfig& c, const TissueData& data, const std::vector<size_t>& train, const torch::Device& dev,
    int fold, RunFolder& run, bool& failed)
{
    torch::manual_seed(c.seed * 1000003ull + uint64_t(fold + 1));
    models::UNetSpec spec;
    spec.inChannels = 1;
    spec.levels = c.levels;
    spec.width = c.width;
    spec.outChannels = kTissueClasses;
    models::UNet net(spec);
    net->to(dev);
    torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(c.lr).weight_decay(c.weightDecay));
    const bool bf16 = c.amp == "bf16" && dev.is_cuda();
    std::mt19937_64 rng(c.seed * 7919ull + uint64_t(fold));
    PairAugment aug;
    aug.rotateDegrees = c.rotateDegrees;
    aug.scaleJitter = c.scaleJitter;
    aug.gammaJitter = c.gammaJitter;
    aug.shift = c.shift;
    aug.flipUpDown = false; // the pectoral muscle is at the top of an MLO view
    aug.nearestTarget = true;
    const long stepsPerEpoch = long((train.size() + size_t(c.batch) - 1) / size_t(c.batch));
    const long total = stepsPerEpoch * c.epochs;
    long step = 0;
    failed = false;
    for (int epoch = 1; epoch <= c.epochs; ++epoch) {
        net->train();
        std::vector<size_t> order = train;
        std::shuffle(order.begin(), order.end(), rng);
        torch::Tensor lossSum;
        long n = 0;
        const double t0 = nowSeconds();
        for (size_t b = 0; b < order.size(); b += size_t(c.batch)) {
            std::vector<size_t> part(order.begin() + long(b), order.begin() + long(std::min(order.size(), b + size_t(c.batch))));
            if (part.size() < 2 && order.size() > 1)
                continue; // batch norm needs two samples
            torch::Tensor x, y;
            data.batch(part, dev, x, y);
            augmentPair(x, y, rng, aug);
            for (auto& g : opt.param_groups())
                static_cast<torch::optim::AdamWOptions&>(g.options()).lr(oneCycle(c.lr, step, total));
            torch::Tensor loss;
            {
                torchcompat::CudaAutocast ac(bf16);
                loss = tissueLoss(net->forward(normaliseUnit(x)), y);
            }
            opt.zero_grad();
            loss.backward();
            opt.step();
            auto l = loss.detach().to(torch::kFloat) * double(part.size());
            lossSum = lossSum.defined() ? lossSum + l : l;
            n += long(part.size());
            ++step;
        }
        const double sum = lossSum.defined() ? lossSum.item<double>() : 0;
        if (!std::isfinite(sum)) {
            run.fail("fold " + std::to_string(fold + 1) + ": the loss is not finite at epoch " + std::to_string(epoch), epoch, step);
            failed = true;
            return net;
        }
        const double loss = n > 0 ? sum / double(n) : 0;
        emitFoldEpoch(run, fold, epoch, c.epochs, step, loss, oneCycle(c.lr, step, total), nowSeconds() - t0, 20);
    }
    return net;
}

// Class maps (canvas pixels) of the given samples, averaged with nothing: the tissue has a side (no flip test-time).
std::vector<Gray8> predictTissue(
    models::UNet& net, const TissueData& data, const std::vector<size_t>& idx, const torch::Device& dev, bool bf16, int batch)
{
    torch::NoGradGuard ng;
    net->eval();
    std::vector<Gray8> out;
    for (size_t b = 0; b < idx.size(); b += size_t(batch)) {
        std::vector<size_t> part(idx.begin() + long(b), idx.begin() + long(std::min(idx.size(), b + size_t(batch))));
        torch::Tensor x, y;
        data.batch(part, dev, x, y);
        torch::Tensor cls;
        {
            torchcompat::CudaAutocast ac(bf16);
            cls = net->forward(normaliseUnit(x)).to(torch::kFloat).argmax(1).to(torch::kUInt8).to(torch::kCPU).contiguous();
        }
        for (size_t k = 0; k < part.size(); ++k) {
            Gray8 g(data.set.width, data.set.height);
            std::memcpy(g.pixels.data(), cls[int64_t(k)].data_ptr<uint8_t>(), g.pixels.size());
            sampling::keepLargestBreast(g);
            out.push_back(std::move(g));
        }
    }
    return out;
}

Gray8 truthOf(const shards::SampleSet& set, size_t i)
{
    Gray8 g(set.width, set.height);
    std::memcpy(g.pixels.data(), set.sample(i) + size_t(set.width) * size_t(set.height), g.pixels.size());
    for (auto& v : g.pixels)
        v = std::min<uint8_t>(v, kTissueClasses - 1);
    return g;
}

struct Scored {
    sampling::TissueDice dice;
    double predictedDense = -1, trueDense = -1;
};

double pearsonOf(const std::vector<Scored>& s, const std::vector<size_t>& pick)
{
    std::vector<double> a, b;
    for (size_t i : pick)
        if (s[i].predictedDense >= 0 && s[i].trueDense >= 0) {
            a.push_back(s[i].predictedDense);
            b.push_back(s[i].trueDense);
        }
    return metrics::pearson(a, b);
}

// Mean Dice of one class (-1: breast) over the picked images that have it in either map.
double meanDice(const std::vector<Scored>& s, const std::vector<size_t>& pick, int cls)
{
    double sum = 0;
    long n = 0;
    for (size_t i : pick) {
        const double d = cls < 0 ? s[i].dice.breast : s[i].dice.perClass[cls];
        if (d >= 0) {
            sum += d;
            ++n;
        }
    }
    return n > 0 ? sum / double(n) : std::nan("");
}

Json figuresOf(const std::vector<Scored>& s, int rounds, unsigned long long seed)
{
    std::vector<size_t> all(s.size());
    std::iota(all.begin(), all.end(), size_t(0));
    auto withCi = [&](const std::function<double(const std::vector<size_t>&)>& stat) {
        Json j = Json::object();
        const double v = stat(all);
        j.set("value", std::isfinite(v) ? Json(v) : Json());
        j.set("ci95", percentileInterval(s.size(), rounds, seed, stat));
        return j;
    };
    Json out = Json::object();
    out.set("images", long(s.size()));
    out.set("dice_breast", withCi([&](const std::vector<size_t>& p) { return meanDice(s, p, -1); }));
    for (int c = 0; c < kTissueClasses; ++c)
        out.set(std::string("dice_") + sampling::tissueName(c), withCi([&, c](const std::vector<size_t>& p) { return meanDice(s, p, c); }));
    out.set("dense_fraction_correlation", withCi([&](const std::vector<size_t>& p) { return pearsonOf(s, p); }));
    return out;
}

std::vector<Scored> score(const shards::SampleSet& set, const std::vector<size_t>& idx, const std::vector<Gray8>& maps)
{
    std::vector<Scored> out;
    for (size_t k = 0; k < idx.size(); ++k) {
        const Gray8 truth = truthOf(set, idx[k]);
        Scored s;
        s.dice = sampling::tissueDice(maps[k], truth);
        s.predictedDense = sampling::tissueStats(maps[k]).denseFraction();
        s.trueDense = sampling::tissueStats(truth).denseFraction();
        out.push_back(s);
    }
    return out;
}

} // namespace

int crossvalTissue(const CrossvalConfig& c, const shards::Manifest& man)
{
    if (!c.init.empty() || c.freezeEncoder || c.folds < 2) {
        std::fprintf(stderr, "mammoscope-train crossval: tissue models train from scratch (no --init, --freeze-encoder) with 2-20 folds\n");
        return kUsage;
    }
    auto loaded = shards::loadSplit(c.data, "train");
    if (!loaded) {
        std::fprintf(stderr, "mammoscope-train crossval: %s\n", loaded.error().toString().c_str());
        return kDataError;
    }
    auto test = shards::loadSplit(c.data, "test");
    if (!test) {
        std::fprintf(stderr, "mammoscope-train crossval: %s\n", test.error().toString().c_str());
        return kDataError;
    }
    TissueData data;
    data.set = std::move(*loaded);
    shards::SampleSet& set = data.set;
    if (set.channels != 2 || (test->size() && (test->channels != 2 || test->width != set.width || test->height != set.height))) {
        std::fprintf(
            stderr, "mammoscope-train crossval: %s: tissue samples have 2 channels (the image, its classes) of one size\n", c.data.c_str());
        return kDataError;
    }
    if (c.limitImages > 0 && set.size() > size_t(c.limitImages)) {
        set.meta.resize(size_t(c.limitImages));
        set.pixels.resize(size_t(c.limitImages) * set.sampleBytes());
    }
    const int mult = 1 << (c.levels - 1);
    if (set.width % mult != 0 || set.height % mult != 0) {
        std::fprintf(stderr, "mammoscope-train crossval: samples of %dx%d; a U-Net of %d levels needs sides that are multiples of %d\n",
            set.width, set.height, c.levels, mult);
        return kDataError;
    }
    // folds by woman, seeded (the tissue sets have no finding to stratify by)
    std::vector<std::string> women;
    for (const auto& m : set.meta)
        women.push_back(m.patient);
    std::sort(women.begin(), women.end());
    women.erase(std::unique(women.begin(), women.end()), women.end());
    if (women.size() < size_t(c.folds)) {
        std::fprintf(stderr, "mammoscope-train crossval: %zu women cannot make %d folds\n", women.size(), c.folds);
        return kDataError;
    }
    std::mt19937_64 frng(c.seed);
    std::shuffle(women.begin(), women.end(), frng);
    std::map<std::string, int> foldOf;
    for (size_t k = 0; k < women.size(); ++k)
        foldOf[women[k]] = int(k % size_t(c.folds));
    const torch::Device dev = parseDevice(c.device);
    std::string msg;
    RunFolder run(c.runDir);
    if (!run.open(false, msg)) {
        std::fprintf(stderr, "mammoscope-train crossval: %s\n", msg.c_str());
        return kError;
    }
    const runs::RunConfig runConfig = crossvalRunConfig(c, man.source, "tissue", 1, deviceName(dev));
    const Json cfg = runs::toJson(c); // crossval.json and the card: the options as given
    if (!run.writeConfig(runConfig)) {
        std::fprintf(stderr, "mammoscope-train crossval: %s\n", run.error().c_str());
        return kError;
    }
    run.status(runs::state::kRunning, 0, 0, "cross-validating");
    run.log("crossval (tissue): " + std::to_string(set.size()) + " images of " + std::to_string(women.size()) + " women, "
        + std::to_string(c.folds) + " folds, " + std::to_string(test->size()) + " test images kept apart, device " + deviceName(dev));
    try {
        data.upload(dev);
    } catch (const std::exception& e) {
        run.fail(std::string("cannot put the images on the device: ") + e.what(), 0, 0);
        return kOutOfMemory;
    }
    if (dev.is_cuda())
        at::globalContext().setBenchmarkCuDNN(true);
    const bool bf16 = c.amp == "bf16" && dev.is_cuda();
    const double tStart = nowSeconds();
    std::vector<Scored> heldOut(set.size()), trained;
    Json folds = Json::array();
    for (int k = 0; k < c.folds; ++k) {
        std::vector<size_t> tr, te;
        for (size_t i = 0; i < set.size(); ++i)
            (foldOf[set.meta[i].patient] == k ? te : tr).push_back(i);
        bool failed = false;
        const double t0 = nowSeconds();
        auto net = trainTissue(c, data, tr, dev, k, run, failed);
        if (failed)
            return kNotFinite;
        const auto te_s = score(set, te, predictTissue(net, data, te, dev, bf16, c.batch));
        for (size_t j = 0; j < te.size(); ++j)
            heldOut[te[j]] = te_s[j];
        const auto tr_s = score(set, tr, predictTissue(net, data, tr, dev, bf16, c.batch));
        trained.insert(trained.end(), tr_s.begin(), tr_s.end());
        Json fj = figuresOf(te_s, 0, c.seed);
        fj.set("fold", k + 1);
        fj.set("images_trained", long(tr.size()));
        fj.set("seconds", nowSeconds() - t0);
        folds.push(fj);
        Json e = Json::object();
        e.set("type", "eval");
        e.set("phase", "fold");
        e.set("fold", k + 1);
        e.set("epoch", c.epochs);
        e.set("split", "held_out");
        e.set("dice_breast", fj["dice_breast"]["value"]);
        e.set("dice_pectoral", fj["dice_pectoral"]["value"]);
        e.set("dice_fibroglandular", fj["dice_fibroglandular"]["value"]);
        run.append(e);
        run.status(runs::state::kRunning, c.epochs, 0, "fold " + std::to_string(k + 1) + " of " + std::to_string(c.folds) + " done");
    }
    Json result = Json::object();
    result.set("version", 1);
    result.set("task", "tissue");
    result.set("command", cfg);
    result.set("held_out", figuresOf(heldOut, c.bootstrap, c.seed));
    result.set("train", figuresOf(trained, 0, c.seed));
    result.set("folds", folds);
    result.set("notes",
        "Dice per image on the model's canvas (the image scaled to fill its height, chest wall left), averaged over the "
        "images that have the class in either map; breast: anything not background. Dense fraction: fibroglandular / "
        "(fatty + fibroglandular) pixels; its Pearson correlation with the labels'. Held-out figures pool the folds (each "
        "image scored by the network that did not see it); intervals: 95 % percentile bootstrap over images.");
    if (!c.finalModel.empty()) {
        std::vector<size_t> every(set.size());
        std::iota(every.begin(), every.end(), size_t(0));
        bool failed = false;
        auto net = trainTissue(c, data, every, dev, -1, run, failed);
        if (failed)
            return kNotFinite;
        if (test->size()) {
            TissueData td;
            td.set = *test;
            td.upload(dev);
            std::vector<size_t> ti(td.set.size());
            std::iota(ti.begin(), ti.end(), size_t(0));
            result.set("test", figuresOf(score(td.set, ti, predictTissue(net, td, ti, dev, bf16, c.batch)), c.bootstrap, c.seed));
        }
        models::ModelCard card;
        card.name = c.finalName.empty() ? "tissue U-Net" : c.finalName;
        card.task = "tissue";
        for (int k = 0; k < kTissueClasses; ++k)
            card.classes.push_back(sampling::tissueName(k));
        card.inputChannels = 1;
        card.inputWidth = set.width;
        card.inputHeight = set.height;
        Json tj = Json::object();
        tj.set("data", man.source);
        tj.set("images", long(set.size()));
        tj.set("levels", c.levels);
        tj.set("width", c.width);
        tj.set("recipe", cfg);
        tj.set("label_values", "64 background, 128 fatty, 192 fibroglandular, 255 pectoral muscle");
        tj.set("weights_precision", "float32 (a tissue map's classes can turn on small differences: kept as trained)");
        card.training = tj;
        Json mj = Json::object();
        mj.set("crossval", result["held_out"]);
        if (test->size())
            mj.set("test", result["test"]);
        card.metrics = mj;
        card.notes = c.finalNotes;
        if (auto err = writeUNetModel(c.finalModel, net, card, false); !err.empty()) {
            run.fail(err, c.epochs, 0);
            return kError;
        }
        result.set("final_model", c.finalModel);
    }
    result.set("seconds", nowSeconds() - tStart);
    if (auto err = writeFileAtomic(fs::path(c.runDir) / "crossval.json", result.dump(2)); !err.empty()) {
        run.fail(err, c.epochs, 0);
        return kError;
    }
    runs::Event done;
    done.name = runs::event::kFinished;
    done.epoch = c.epochs;
    done.extra.set("held_out", result["held_out"]);
    run.append(done);
    run.status(runs::state::kFinished, c.epochs, 0, "cross-validation finished");
    return kOk;
}

} // namespace ms::training

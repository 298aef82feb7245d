// SPDX-License-Identifier: GPL-3.0-or-later
// crossval: k-fold cross-validation of a lesion-map recipe on whole real mammograms, folds by woman (both breasts of
// one woman in one fold), stratified by her worst finding; every figure from held-out folds only, pooled over the
// folds, with 95 % bootstrap intervals over women. Optionally a final model trained on every image, shipped with the
// cross-validated figures in its card.
#include "core/common/paths.h"
#include "core/common/sha256.h"
#include "core/metrics/heatmap.h"
#include "core/metrics/metrics.h"
#include "core/models/card.h"
#include "core/models/torchcompat.h"
#include "core/models/unet.h"
#include "core/models/weights.h"
#include "core/runs/runfolder.h"
#include "core/sampling/lesionmap.h"
#include "core/synth/random.h"
#include "core/training/engine.h"
#include "core/training/internal.h"
#include "core/training/lesionfigures.h"
#include "core/training/unetcommon.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>

namespace fs = std::filesystem;

namespace ms::training
{

namespace
{

// The disk targets of a sample: 1 inside any lesion circle (at least 2 sample pixels across), 0 elsewhere.
std::vector<uint8_t> diskTarget(const shards::SampleMeta& m, int w, int h)
{
    std::vector<uint8_t> t(size_t(w) * size_t(h), 0);
    for (const auto& l : m.lesions) {
        const double r = std::max(2.0, double(l.r));
        const int x0 = std::max(0, int(std::floor(l.x - r))), x1 = std::min(w - 1, int(std::ceil(l.x + r)));
        const int y0 = std::max(0, int(std::floor(l.y - r))), y1 = std::min(h - 1, int(std::ceil(l.y + r)));
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x)
                if ((x + 0.5 - l.x) * (x + 0.5 - l.x) + (y + 0.5 - l.y) * (y + 0.5 - l.y) <= r * r)
                    t[size_t(y) * size_t(w) + size_t(x)] = 1;
    }
    return t;
}

// Folds by woman, stratified by her worst finding (normal < benign < malignant), seeded.
// Only the first `scored` images take part (extra training data after them gets fold -1: always trained on).
std::vector<int> assignFolds(
    const shards::SampleSet& set, size_t scored, int folds, unsigned long long seed, std::vector<std::vector<std::string>>& women)
{
    std::map<std::string, int> worst;
    for (size_t i = 0; i < scored; ++i) {
        const auto& m = set.meta[i];
        worst[m.patient] = std::max(worst.count(m.patient) ? worst[m.patient] : 0, m.label);
    }
    std::map<int, std::vector<std::string>> byClass;
    for (const auto& [w, c] : worst)
        byClass[c].push_back(w);
    std::mt19937_64 rng(seed);
    std::map<std::string, int> foldOf;
    int next = 0;
    for (auto& [c, list] : byClass) {
        std::shuffle(list.begin(), list.end(), rng);
        for (const auto& w : list) {
            foldOf[w] = next;
            next = (next + 1) % folds;
        }
    }
    women.assign(size_t(folds), {});
    for (const auto& [w, f] : foldOf)
        women[size_t(f)].push_back(w);
    std::vector<int> out(set.size(), -1);
    for (size_t i = 0; i < scored; ++i)
        out[i] = foldOf[set.meta[i].patient];
    return out;
}

// What a batch is made of: the samples and their disk targets, on the device once (a few tens of MB for a real set),
// and per sample the row of the other breast (or itself: sampling::twoChannels's rule, no asymmetry to see).
struct Data {
    shards::SampleSet set;
    std::vector<std::vector<uint8_t>> targets;
    std::vector<size_t> partnerRow;
    int channels = 2;
    torch::Tensor images, masks, partners; // N x H x W uint8, N x H x W uint8, N int64 (on the device)
    void upload(const torch::Device& dev)
    {
        const int64_t n = int64_t(set.size()), H = set.height, W = set.width;
        images = torch::from_blob(set.pixels.data(), { n, H, W }, torch::kUInt8).to(dev);
        auto m = torch::empty({ n, H, W }, torch::kUInt8);
        for (int64_t i = 0; i < n; ++i)
            std::memcpy(static_cast<uint8_t*>(m.data_ptr()) + i * H * W, targets[size_t(i)].data(), size_t(H * W));
        masks = m.to(dev);
        std::vector<int64_t> p(partnerRow.begin(), partnerRow.end());
        partners = torch::from_blob(p.data(), { n }, torch::kInt64).clone().to(dev);
    }
};

// A batch on the device: input in [0, 1], N x channels x H x W, and targets N x 1 x H x W.
void makeBatch(const Data& data, const std::vector<size_t>& idx, const torch::Device& dev, torch::Tensor& x, torch::Tensor& y)
{
    std::vector<int64_t> rows(idx.begin(), idx.end());
    auto r = torch::from_blob(rows.data(), { int64_t(rows.size()) }, torch::kInt64).clone().to(dev);
    auto img = data.images.index_select(0, r).unsqueeze(1);
    if (data.channels > 1)
        img = torch::cat({ img, data.images.index_select(0, data.partners.index_select(0, r)).unsqueeze(1) }, 1);
    x = img.to(torch::kFloat).div_(255.f);
    y = data.masks.index_select(0, r).unsqueeze(1).to(torch::kFloat);
}

torch::Tensor lossOf(const torch::Tensor& logits, const torch::Tensor& y, double posWeight)
{
    namespace F = torch::nn::functional;
    auto pw = torch::full({ 1 }, posWeight, logits.options().dtype(torch::kFloat));
    auto bce
        = F::binary_cross_entropy_with_logits(logits.to(torch::kFloat), y, F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(pw));
    auto p = torch::sigmoid(logits.to(torch::kFloat));
    auto inter = (p * y).sum({ 1, 2, 3 });
    auto denom = p.sum({ 1, 2, 3 }) + y.sum({ 1, 2, 3 });
    // soft Dice over the images that have lesions (on a normal image Dice says nothing the BCE does not)
    auto has = (y.sum({ 1, 2, 3 }) > 0).to(torch::kFloat);
    auto dice = 1 - (2 * inter + 1) / (denom + 1);
    auto diceMean = (dice * has).sum() / has.sum().clamp_min(1);
    return bce + diceMean;
}

// Held-out maps (log-odds, sample pixels), averaged with the up-down flip.
std::vector<std::vector<float>> predictMaps(
    models::UNet& net, const Data& data, const std::vector<size_t>& idx, const torch::Device& dev, bool bf16, int batch)
{
    torch::NoGradGuard ng;
    net->eval();
    std::vector<std::vector<float>> out(idx.size());
    for (size_t b = 0; b < idx.size(); b += size_t(batch)) {
        std::vector<size_t> part(idx.begin() + long(b), idx.begin() + long(std::min(idx.size(), b + size_t(batch))));
        torch::Tensor x, y;
        makeBatch(data, part, dev, x, y);
        torch::Tensor logits;
        {
            torchcompat::CudaAutocast ac(bf16);
            std::vector<models::UNet> one { net };
            logits = models::ensembleLogits(one, normaliseUnit(x), true);
        }
        logits = logits.to(torch::kCPU).contiguous();
        for (size_t k = 0; k < part.size(); ++k) {
            auto t = logits[int64_t(k)][0];
            out[b + k].assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
        }
    }
    return out;
}

struct FoldResult {
    std::vector<std::vector<float>> heldOutMaps;
    std::vector<size_t> heldOut;
    double trainLoss = 0;
};

// Pretrained weights for a U-Net: every tensor of the network, each of its shape (a network of other levels, width or
// channels is refused, not half-loaded).
bool loadUNetInit(models::UNet& net, const std::string& file, std::string& why)
{
    auto w = models::loadSafetensors(file);
    if (!w) {
        why = file + ": " + w.error().message;
        return false;
    }
    auto rep = models::loadInto(*net, *w, true);
    if (!rep)
        why = file + ": " + rep.error().message;
    else if (!rep->missing.empty())
        why = file + ": the weights lack " + rep->missing[0] + " of this U-Net (other levels or width?)";
    else if (!rep->skipped.empty())
        why = file + ": " + rep->skipped[0] + " does not fit this U-Net (other levels, width or channels?)";
    return why.empty();
}

// Trains one network on `train` and returns it; emits an epoch line per epoch.
models::UNet trainOne(const CrossvalConfig& c, const Data& data, const std::vector<size_t>& train, const torch::Device& dev, int fold,
    RunFolder& run, double& lastLoss, bool& failed)
{
    torch::manual_seed(c.seed * 1000003ull + uint64_t(fold + 1));
    models::UNetSpec spec;
    spec.inChannels = data.channels;
    spec.levels = c.levels;
    spec.width = c.width;
    models::UNet net(spec);
    failed = false;
    if (!c.init.empty()) {
        std::string why;
        if (!loadUNetInit(net, c.init, why)) {
            run.fail(why, 0, 0);
            failed = true;
            return net;
        }
    }
    net->to(dev);
    if (c.freezeEncoder)
        for (auto& p : net->encoderParameters())
            p.set_requires_grad(false);
    std::vector<torch::Tensor> trainable;
    for (auto& p : net->parameters())
        if (p.requires_grad())
            trainable.push_back(p);
    torch::optim::AdamW opt(trainable, torch::optim::AdamWOptions(c.lr).weight_decay(c.weightDecay));
    const bool bf16 = c.amp == "bf16" && dev.is_cuda();
    std::mt19937_64 rng(c.seed * 7919ull + uint64_t(fold));
    PairAugment aug;
    aug.rotateDegrees = c.rotateDegrees;
    aug.scaleJitter = c.scaleJitter;
    aug.gammaJitter = c.gammaJitter;
    aug.shift = c.shift;
    const long stepsPerEpoch = long((train.size() + size_t(c.batch) - 1) / size_t(c.batch));
    const long total = stepsPerEpoch * c.epochs;
    long step = 0;
    for (int epoch = 1; epoch <= c.epochs; ++epoch) {
        net->train();
        if (c.freezeEncoder)
            net->encoderEval();
        std::vector<size_t> order = train;
        std::shuffle(order.begin(), order.end(), rng);
        double sum = 0;
        long n = 0;
        torch::Tensor lossSum;
        const double t0 = nowSeconds();
        for (size_t b = 0; b < order.size(); b += size_t(c.batch)) {
            std::vector<size_t> part(order.begin() + long(b), order.begin() + long(std::min(order.size(), b + size_t(c.batch))));
            if (part.size() < 2 && order.size() > 1)
                continue; // batch norm needs two samples
            torch::Tensor x, y;
            makeBatch(data, part, dev, x, y);
            augmentPair(x, y, rng, aug);
            for (auto& g : opt.param_groups())
                static_cast<torch::optim::AdamWOptions&>(g.options()).lr(oneCycle(c.lr, step, total));
            torch::Tensor loss;
            {
                torchcompat::CudaAutocast ac(bf16);
                loss = lossOf(net->forward(normaliseUnit(x)), y, c.posWeight);
            }
            opt.zero_grad();
            loss.backward();
            opt.step();
            // summed on the device, read once an epoch (a read every step waits for the GPU)
            lossSum = lossSum.defined() ? lossSum + loss.detach().to(torch::kFloat) * double(part.size())
                                        : loss.detach().to(torch::kFloat) * double(part.size());
            n += long(part.size());
            ++step;
        }
        sum = lossSum.defined() ? lossSum.item<double>() : 0;
        lossSum = torch::Tensor();
        if (!std::isfinite(sum)) {
            run.fail("fold " + std::to_string(fold + 1) + ": the loss is not finite at epoch " + std::to_string(epoch), epoch, step);
            failed = true;
            return net;
        }
        lastLoss = n > 0 ? sum / double(n) : 0;
        emitFoldEpoch(run, fold, epoch, c.epochs, step, lastLoss, oneCycle(c.lr, step, total), nowSeconds() - t0, 10);
    }
    return net;
}

} // namespace

namespace
{
int crossvalImpl(const CrossvalConfig& cIn);
}

int crossval(const CrossvalConfig& cfg)
{
    // LibTorch reports out-of-memory and shape errors as exceptions: a message and an exit code, never an abort
    try {
        return crossvalImpl(cfg);
    } catch (const std::exception& e) {
        const std::string what = e.what();
        std::fprintf(stderr, "mammoscope-train crossval: %s\n", what.substr(0, what.find('\n')).c_str());
        return what.find("out of memory") != std::string::npos ? kOutOfMemory : kError;
    }
}

namespace
{

int crossvalImpl(const CrossvalConfig& cIn)
{
    CrossvalConfig c = cIn;
    std::string why;
    if (!runs::validate(c, why)) {
        std::fprintf(stderr, "mammoscope-train crossval: %s\n", why.c_str());
        return kUsage;
    }
    if ((c.folds < 2 || c.folds > 20) && !(c.folds == 0 && !c.finalModel.empty())) {
        std::fprintf(stderr, "mammoscope-train crossval: --folds takes 2 to 20 (0: only the --final-model), got %d\n", c.folds);
        return kUsage;
    }
    if (c.freezeEncoder && c.init.empty()) {
        std::fprintf(stderr, "mammoscope-train crossval: --freeze-encoder needs --init (the weights it keeps)\n");
        return kUsage;
    }
    if ((c.epochs < 1 && !(c.epochs == 0 && !c.init.empty())) || c.epochs > 100000 || c.batch < 1 || c.batch > 4096
        || !(c.lr > 0 && c.lr < 10) || c.bootstrap < 0 || c.bootstrap > 100000 || !(c.posWeight > 0 && c.posWeight < 1e6)) {
        std::fprintf(stderr,
            "mammoscope-train crossval: --epochs 1-100000 (0 with --init: score the weights as they are), --batch 1-4096, --lr in (0, 10), "
            "--bootstrap 0-100000\n");
        return kUsage;
    }
    models::UNetSpec probe;
    probe.levels = c.levels;
    probe.width = c.width;
    if (!models::validUNetSpec(probe, why)) {
        std::fprintf(stderr, "mammoscope-train crossval: the U-Net's %s is out of range\n", why.c_str());
        return kUsage;
    }
    if (c.recipe != "unet") {
        std::fprintf(stderr, "mammoscope-train crossval: unknown recipe '%s' (known: unet)\n", c.recipe.c_str());
        return kUsage;
    }
    std::string msg;
    if (!checkDevice(c.device, msg)) {
        std::fprintf(stderr, "mammoscope-train crossval: %s\n", msg.c_str());
        return kUsage;
    }
    setupThreads(c.threads);
    auto man = shards::readManifest(c.data);
    if (!man) {
        std::fprintf(stderr, "mammoscope-train crossval: %s\n", man.error().toString().c_str());
        return kDataError;
    }
    if (man->task == "tissue") {
        if (c.foldSeed != 0 || !c.extraData.empty() || c.saveMaps) {
            std::fprintf(stderr, "mammoscope-train crossval: --fold-seed, --extra-data and --save-maps are for lesion-map shards\n");
            return kUsage;
        }
        return crossvalTissue(c, *man);
    }
    if (man->task != "lesion-map") {
        std::fprintf(stderr,
            "mammoscope-train crossval: %s holds '%s' samples; crossval needs whole mammograms with their lesions "
            "(mammoscope-cli prepare DATASET --task lesion-map --out DIR) or tissue maps (--task tissue)\n",
            c.data.c_str(), man->task.c_str());
        return kDataError;
    }
    auto loaded = shards::loadSplit(c.data, "all");
    if (!loaded) {
        std::fprintf(stderr, "mammoscope-train crossval: %s\n", loaded.error().toString().c_str());
        return kDataError;
    }
    Data data;
    data.set = std::move(*loaded);
    shards::SampleSet& set = data.set;
    if (set.channels != 1) {
        std::fprintf(
            stderr, "mammoscope-train crossval: %s has %d-channel samples; lesion-map shards have one\n", c.data.c_str(), set.channels);
        return kDataError;
    }
    if (c.limitImages > 0 && set.size() > size_t(c.limitImages)) {
        set.meta.resize(size_t(c.limitImages));
        set.pixels.resize(size_t(c.limitImages) * set.sampleBytes());
    }
    const size_t nMain = set.size(); // the images that are held out and scored; extra training data follows them
    if (!c.extraData.empty()) {
        if (auto err = appendExtraData(c.extraData, set, man->source); !err.empty()) {
            std::fprintf(stderr, "mammoscope-train crossval: --extra-data %s\n", err.c_str());
            return kDataError;
        }
    }
    models::UNet sizeCheck(probe);
    if (set.width % sizeCheck->sizeMultiple() != 0 || set.height % sizeCheck->sizeMultiple() != 0) {
        std::fprintf(stderr, "mammoscope-train crossval: samples of %dx%d; a U-Net of %d levels needs sides that are multiples of %d\n",
            set.width, set.height, c.levels, sizeCheck->sizeMultiple());
        return kDataError;
    }
    std::set<std::string> womenSet;
    for (size_t i = 0; i < nMain; ++i)
        womenSet.insert(set.meta[i].patient);
    if (womenSet.size() < size_t(c.folds)) {
        std::fprintf(stderr, "mammoscope-train crossval: %zu women cannot make %d folds\n", womenSet.size(), c.folds);
        return kDataError;
    }
    const int channels = c.otherBreast ? 2 : 1;
    data.channels = channels;
    if (!c.init.empty()) {
        models::UNetSpec spec = probe;
        spec.inChannels = channels;
        models::UNet check(spec);
        if (!loadUNetInit(check, c.init, why)) {
            std::fprintf(stderr, "mammoscope-train crossval: %s\n", why.c_str());
            return kDataError;
        }
    }
    {
        std::map<std::string, size_t> row;
        for (size_t i = 0; i < set.size(); ++i)
            row[set.meta[i].id] = i;
        data.partnerRow.resize(set.size());
        for (size_t i = 0; i < set.size(); ++i) {
            auto it = row.find(set.meta[i].partner);
            data.partnerRow[i] = set.meta[i].partner.empty() || it == row.end() ? i : it->second;
        }
    }
    const torch::Device dev = parseDevice(c.device);

    RunFolder run(c.runDir);
    if (!run.open(false, msg)) {
        std::fprintf(stderr, "mammoscope-train crossval: %s\n", msg.c_str());
        return kError;
    }
    const runs::RunConfig runConfig = crossvalRunConfig(c, man->source, "lesion-map", channels, deviceName(dev));
    const Json cfg = runs::toJson(c); // crossval.json and the card: the options as given
    if (!run.writeConfig(runConfig)) {
        std::fprintf(stderr, "mammoscope-train crossval: %s\n", run.error().c_str());
        return kError;
    }
    run.status(runs::state::kRunning, 0, 0, "cross-validating");
    run.log("crossval: " + std::to_string(nMain) + " images of " + std::to_string(womenSet.size()) + " women, " + std::to_string(c.folds)
        + " folds, " + std::to_string(channels) + " channel(s), device " + deviceName(dev)
        + (nMain < set.size() ? ", " + std::to_string(set.size() - nMain) + " extra training images" : std::string()));

    data.targets.resize(set.size());
    for (size_t i = 0; i < set.size(); ++i)
        data.targets[i] = diskTarget(set.meta[i], set.width, set.height);
    try {
        data.upload(dev);
    } catch (const std::exception& e) {
        run.fail(std::string("cannot put the images on the device: ") + e.what(), 0, 0);
        return kOutOfMemory;
    }
    if (dev.is_cuda())
        at::globalContext().setBenchmarkCuDNN(true);
    std::vector<std::vector<std::string>> women;
    const unsigned long long foldSeed = c.foldSeed ? c.foldSeed : c.seed;
    const std::vector<int> fold = c.folds > 0 ? assignFolds(set, nMain, c.folds, foldSeed, women) : std::vector<int>(set.size(), -1);

    std::vector<ImageMarks> heldOut(nMain), trainMarksAll;
    std::vector<std::vector<float>> heldOutMaps(c.saveMaps ? nMain : 0);
    Json folds = Json::array();
    const bool bf16 = c.amp == "bf16" && dev.is_cuda();
    const double tStart = nowSeconds();
    for (int k = 0; k < c.folds; ++k) {
        std::vector<size_t> tr, te;
        for (size_t i = 0; i < set.size(); ++i)
            (fold[i] == k ? te : tr).push_back(i);
        double loss = 0;
        bool failed = false;
        const double t0 = nowSeconds();
        auto net = trainOne(c, data, tr, dev, k, run, loss, failed);
        if (failed)
            return kNotFinite;
        const auto maps = predictMaps(net, data, te, dev, bf16, c.batch);
        std::vector<const ImageMarks*> foldMarks;
        for (size_t j = 0; j < te.size(); ++j) {
            heldOut[te[j]] = marksOf(set, te[j], maps[j]);
            foldMarks.push_back(&heldOut[te[j]]);
            if (c.saveMaps)
                heldOutMaps[te[j]] = maps[j];
        }
        // the same figures on the fold's own training images (not the extra data): overfitting shows as the gap
        std::vector<size_t> trScored;
        for (size_t i : tr)
            if (i < nMain)
                trScored.push_back(i);
        const auto trainMaps = predictMaps(net, data, trScored, dev, bf16, c.batch);
        std::vector<ImageMarks> trainMarks;
        for (size_t j = 0; j < trScored.size(); ++j)
            trainMarks.push_back(marksOf(set, trScored[j], trainMaps[j]));
        std::vector<const ImageMarks*> trainPtrs;
        for (const auto& m : trainMarks)
            trainPtrs.push_back(&m);
        trainMarksAll.insert(trainMarksAll.end(), trainMarks.begin(), trainMarks.end());
        const Figures fh = figuresOf(foldMarks), ft = figuresOf(trainPtrs);
        Json fj = Json::object();
        fj.set("fold", k + 1);
        fj.set("women", long(women[size_t(k)].size()));
        fj.set("images_held_out", long(te.size()));
        fj.set("images_trained", long(trScored.size()));
        if (tr.size() > trScored.size())
            fj.set("extra_images_trained", long(tr.size() - trScored.size()));
        fj.set("final_train_loss", loss);
        fj.set("seconds", nowSeconds() - t0);
        for (auto [name, f] : { std::pair<const char*, const Figures*> { "held_out", &fh }, { "train", &ft } }) {
            Json x = Json::object();
            x.set("froc_masses", frocJson(f->frocMasses));
            x.set("froc_all", frocJson(f->frocAll));
            x.set("pointing_game", numberOrNull(f->pointing));
            x.set("auc_abnormal_vs_normal", numberOrNull(f->aucAbnormal));
            x.set("auc_malignant_vs_rest", numberOrNull(f->aucMalignant));
            fj.set(name, x);
        }
        Json w = Json::array();
        for (const auto& s : women[size_t(k)])
            w.push(s);
        fj.set("held_out_women", w);
        folds.push(fj);
        Json e = Json::object();
        e.set("type", "eval");
        e.set("phase", "fold");
        e.set("fold", k + 1);
        e.set("epoch", c.epochs);
        e.set("split", "held_out");
        e.set("froc_masses_1fp", numberOrNull(fh.frocMasses[2]));
        e.set("froc_all_1fp", numberOrNull(fh.frocAll[2]));
        e.set("pointing_game", numberOrNull(fh.pointing));
        e.set("auc", numberOrNull(fh.aucAbnormal));
        e.set("train_froc_masses_1fp", numberOrNull(ft.frocMasses[2]));
        e.set("train_auc", numberOrNull(ft.aucAbnormal));
        run.append(e);
        run.status(runs::state::kRunning, c.epochs, 0, "fold " + std::to_string(k + 1) + " of " + std::to_string(c.folds) + " done");
    }

    Json result = Json::object();
    result.set("version", 1);
    result.set("command", cfg);
    if (c.folds > 0) {
        result.set("held_out", figuresWithIntervals(heldOut, c.bootstrap, foldSeed));
        result.set("train", figuresWithIntervals(trainMarksAll, 0, foldSeed));
        result.set("operating_point", operatingPoint(heldOut, 1.0));
    }
    result.set("folds", folds);
    result.set("fold_seed", Json(double(foldSeed)));
    if (nMain < set.size())
        result.set("extra_images", long(set.size() - nMain));
    result.set("seconds", nowSeconds() - tStart);
    if (c.saveMaps && c.folds > 0) {
        if (auto err = writeHeldOutMaps(c.runDir, set, nMain, fold, c.folds, foldSeed, man->source, heldOutMaps); !err.empty()) {
            run.fail(err, c.epochs, 0);
            return kError;
        }
    }
    result.set("notes",
        "Every held-out figure is pooled over the folds' held-out images (each image scored by the one network that did "
        "not see its woman). FROC: a candidate is a peak of the map (log-odds >= -6, prominence 2); it finds a lesion when "
        "its peak lies in the lesion's circle (at least 2 sample pixels); each lesion counts once. Mass FROC: CIRC, SPIC, "
        "MISC lesions; candidates on other lesions are neither hits nor false positives. False positives per image over "
        "all images, normal ones included. Intervals: 95 % percentile bootstrap over women. 'train' pools each fold's "
        "figures on its own training images (no interval).");

    if (!c.finalModel.empty()) {
        std::vector<size_t> every(set.size());
        std::iota(every.begin(), every.end(), size_t(0));
        double loss = 0;
        bool failed = false;
        auto net = trainOne(c, data, every, dev, -1, run, loss, failed);
        if (failed)
            return kNotFinite;
        models::ModelCard card;
        card.name = c.finalName.empty() ? "lesion-map U-Net" : c.finalName;
        card.task = "lesion-map";
        card.classes = { "lesion" };
        card.inputChannels = channels;
        card.inputWidth = set.width;
        card.inputHeight = set.height;
        Json tj = Json::object();
        tj.set("data", man->source);
        tj.set("images", long(nMain));
        tj.set("women", long(womenSet.size()));
        if (nMain < set.size()) {
            tj.set("extra_images", long(set.size() - nMain));
            tj.set("extra_data", c.extraData);
        }
        tj.set("spacing_mm", man->source["spacing_mm"].number(0.8));
        tj.set("levels", c.levels);
        tj.set("width", c.width);
        tj.set("recipe", cfg);
        card.training = tj;
        Json mj = Json::object();
        mj.set("crossval", result["held_out"]);
        mj.set("operating_point", result["operating_point"]);
        card.metrics = mj;
        card.notes = c.finalNotes;
        if (auto err = writeUNetModel(c.finalModel, net, card, true); !err.empty()) {
            run.fail(err, c.epochs, 0);
            return kError;
        }
        result.set("final_model", c.finalModel);
    }
    if (auto err = writeFileAtomic(fs::path(c.runDir) / "crossval.json", result.dump(2)); !err.empty()) {
        run.fail(err, c.epochs, 0);
        return kError;
    }
    runs::Event done;
    done.name = runs::event::kFinished;
    done.epoch = c.epochs;
    done.extra.set("held_out", result["held_out"]);
    done.extra.set("operating_point", result["operating_point"]);
    run.append(done);
    run.status(runs::state::kFinished, c.epochs, 0, "cross-validation finished");
    return kOk;
}

} // namespace

} // namespace ms::training

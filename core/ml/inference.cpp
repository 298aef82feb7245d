// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/ml/inference.h"

#include "core/common/sha256.h"
#include "core/image/resample.h"
#include "core/image/window.h"
#include "core/metrics/heatmap.h"
#include "core/models/card.h"
#include "core/models/nets.h"
#include "core/models/torchcompat.h"
#include "core/models/unet.h"
#include "core/models/weights.h"
#include "core/sampling/lesionmap.h"
#include "core/sampling/sampling.h"

#include <torch/script.h>
#include <torch/torch.h>
#ifdef MS_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

namespace fs = std::filesystem;

namespace ms::ml
{

std::vector<DeviceInfo> devices()
{
    std::vector<DeviceInfo> out;
    out.push_back({ "cpu", "CPU", 0 });
    if (torch::cuda::is_available())
        for (int i = 0; i < int(torch::cuda::device_count()); ++i)
            out.push_back({ "cuda:" + std::to_string(i), "CUDA device " + std::to_string(i), 0 });
    return out;
}

namespace
{
// Debian's LibTorch 1.13 starts with one intra-op thread whatever the machine has: inference would use one core.
void useAllCores()
{
    static std::once_flag once;
    std::call_once(once, [] {
        const unsigned hw = std::thread::hardware_concurrency();
        if (hw > 1 && at::get_num_threads() < int(hw))
            at::set_num_threads(int(hw));
    });
}
} // namespace

struct Model::Impl {
    ModelInfo info;
    std::shared_ptr<models::Net> net;
    models::UNet unet { nullptr }; // a lesion-map model instead of a classifier (the first network of an ensemble)
    std::vector<models::UNet> members; // every network of the lesion-map or tissue model (one, or an ensemble's)
    bool tissue = false; // the U-Net paints tissue classes (task 'tissue'), not lesions
    sampling::MapOptions mapOptions;
    std::unique_ptr<torch::jit::Module> script; // a TorchScript model instead of one of ours (inference only)
    // The network's class logits for a batch of normalised inputs, whichever kind of model it is.
    torch::Tensor forward(const torch::Tensor& x)
    {
        if (script)
            return script->forward({ x }).toTensor();
        return net->forward(x);
    }
    torch::Device device { torch::kCPU };
    bool bf16 = false, channelsLast = false;
    int tile = -1; // CPU dense maps: tile size in model-input pixels; 0 the whole image; -1 the architecture's default
    int tileSize() const
    {
        if (tile >= 0 || !net)
            return std::max(0, tile);
        // Measured on two cores (heatmap-bench --tile): the compact CNN is memory-bound on a whole mammogram (its first
        // feature maps are gigabytes) and eight times faster in tiles of 256 px (3064x4664: 20 s whole, 2.5 s tiled);
        // ResNet-18 is faster in tiles of 512 px with their 256 px of context (2048x2048: 7.0 s whole, 4.0 s tiled).
        return net->arch() == "compact" ? 256 : std::max<int>(512, int(2 * halo()));
    }
    // Image rows and columns around a tile that its cells depend on, rounded up to the output stride.
    int64_t halo() const
    {
        const int os = net->outputStride();
        return (net->receptiveField() / 2 + os + os - 1) / os * os;
    }
    // The network's feature map of a normalised 1 x C x H x W input, tile by tile: each tile computed with the receptive
    // field's worth of image around it (rounded up to the output stride, so tiles keep the whole image's sampling grid)
    // and only its own cells kept, so the result is the whole image's. Tiles run channels-last.
    torch::Tensor tiledFeatures(const torch::Tensor& x, int tilePx, const Progress& progress)
    {
        const int os = net->outputStride();
        const int64_t H = x.size(2), W = x.size(3);
        tilePx = std::max(os, tilePx / os * os);
        const int64_t halo = this->halo();
        // n pixels in about equal spans of at most tilePx (multiples of the stride but the last)
        auto spans = [&](int64_t n) {
            const int64_t count = std::max<int64_t>(1, (n + tilePx - 1) / tilePx);
            const int64_t len = std::max<int64_t>(os, (n / count + os - 1) / os * os);
            std::vector<std::pair<int64_t, int64_t>> v;
            for (int64_t a = 0; a < n; a += len)
                v.emplace_back(a, std::min(n, a + len));
            // a last span shorter than one cell cannot stand alone: it joins the one before
            if (v.size() > 1 && v.back().second - v.back().first < os) {
                v[v.size() - 2].second = n;
                v.pop_back();
            }
            return v;
        };
        const auto ys = spans(H), xs = spans(W);
        const size_t total = ys.size() * xs.size();
        size_t done = 0;
        std::vector<torch::Tensor> rows;
        for (size_t i = 0; i < ys.size(); ++i) {
            const bool lastY = i + 1 == ys.size();
            const auto [y0, y1] = ys[i];
            const int64_t ya = std::max<int64_t>(0, y0 - halo), yb = lastY ? H : std::min(H, y1 + halo);
            std::vector<torch::Tensor> cols;
            for (size_t j = 0; j < xs.size(); ++j) {
                const bool lastX = j + 1 == xs.size();
                const auto [x0, x1] = xs[j];
                const int64_t xa = std::max<int64_t>(0, x0 - halo), xb = lastX ? W : std::min(W, x1 + halo);
                auto f = net->features(x.slice(2, ya, yb).slice(3, xa, xb).contiguous(at::MemoryFormat::ChannelsLast));
                // the tile's cells: the last tile of a row or column keeps every cell to the end (the whole image's
                // arithmetic at its far edge), the others their own span
                const int64_t r0 = (y0 - ya) / os, c0 = (x0 - xa) / os;
                const int64_t rn = lastY ? f.size(2) - r0 : (y1 - y0) / os, cn = lastX ? f.size(3) - c0 : (x1 - x0) / os;
                cols.push_back(f.slice(2, r0, r0 + rn).slice(3, c0, c0 + cn));
                if (progress)
                    progress(double(++done) / double(total));
            }
            rows.push_back(cols.size() == 1 ? cols[0] : torch::cat(cols, 3));
        }
        return rows.size() == 1 ? rows[0] : torch::cat(rows, 2);
    }
    // An 8-bit model view as the network's input: on the device, normalised, channels-last when the model runs so.
    torch::Tensor input(const Gray8& g) const
    {
        auto x = models::normaliseInput(
            torch::from_blob(const_cast<uint8_t*>(g.pixels.data()), { 1, 1, g.height, g.width }, torch::kUInt8).to(device));
        return channelsLast ? x.contiguous(at::MemoryFormat::ChannelsLast) : x;
    }
};

namespace
{
Result<torch::Device> parseDevice(const std::string& device)
{
    if (device.rfind("cuda", 0) == 0) {
        if (!torch::cuda::is_available())
            return Error("CUDA is not available to this LibTorch (Debian's is CPU-only)", device);
        const int idx = device.size() > 5 ? std::atoi(device.c_str() + 5) : 0;
        if (idx < 0 || idx >= int(torch::cuda::device_count()))
            return Error("no CUDA device " + std::to_string(idx), device);
        return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(idx));
    }
    if (device != "cpu")
        return Error("unknown device '" + device + "' (cpu, cuda, cuda:N)", device);
    return torch::Device(torch::kCPU);
}
} // namespace

Result<std::unique_ptr<Model>> Model::untrained(const std::string& arch, int sampleSize, const std::string& device)
{
    useAllCores();
    if (!models::isArchitecture(arch))
        return Error("unknown architecture '" + arch + "'");
    auto dev = parseDevice(device);
    if (!dev)
        return dev.error();
    std::unique_ptr<Model> m(new Model());
    m->d->net = models::create({ arch, 5, 1 });
    m->d->net->to(*dev);
    m->d->net->eval();
    if (dev->is_cpu())
        models::foldBatchNorm(*m->d->net);
    m->d->device = *dev;
    ModelInfo& i = m->d->info;
    i.name = "untrained " + arch;
    i.arch = arch;
    i.task = "patches";
    i.classes = sampling::classNames(sampling::Task::Patches);
    i.sampleSize = sampleSize;
    i.outputStride = m->d->net->outputStride();
    return m;
}

void Model::setFast(bool bf16, bool channelsLast)
{
    d->bf16 = bf16 && d->device.is_cuda();
    d->channelsLast = channelsLast && d->device.is_cuda();
    if (d->channelsLast && d->net)
        models::toChannelsLast(*d->net);
}

Model::Model() : d(std::make_unique<Impl>())
{
}

Model::~Model() = default;

const ModelInfo& Model::info() const
{
    return d->info;
}

std::string Model::deviceName() const
{
    return d->device.is_cuda() ? "cuda:" + std::to_string(int(d->device.index())) : "cpu";
}

Result<std::unique_ptr<Model>> Model::loadTorchScript(
    const std::filesystem::path& dir, const models::ModelCard& card, const std::string& device)
{
    if (card.task != "patches" && card.task != "roi" && card.task != "whole")
        return Error("unknown task '" + card.task + "' in the model card (patches, roi or whole)", (dir / "card.json").string());
    if (card.classes.empty())
        return Error("the model card lists no classes", (dir / "card.json").string());
    auto devr = parseDevice(device);
    if (!devr)
        return devr.error();
    const fs::path wfile = dir / (card.weightsFile.empty() ? std::string("model.pt") : card.weightsFile);
    if (!fs::exists(wfile))
        return Error("the TorchScript file named by the model card is missing", wfile.string());
    if (!card.weightsSha256.empty() && sha256File(wfile) != card.weightsSha256)
        return Error("the TorchScript file does not match the model card's sha256 (changed or corrupt)", wfile.string());
    std::unique_ptr<Model> m(new Model());
    try {
        m->d->script = std::make_unique<torch::jit::Module>(torch::jit::load(wfile.string(), *devr));
        m->d->script->eval();
        // One input of the card's size must give one row of class logits.
        torch::NoGradGuard ng;
        auto out = m->d->script->forward({ torch::zeros({ 1, card.inputChannels, card.inputHeight, card.inputWidth }, *devr) }).toTensor();
        if (out.dim() != 2 || out.size(0) != 1 || out.size(1) != long(card.classes.size())) {
            std::string shape;
            for (long k = 0; k < out.dim(); ++k)
                shape += (k ? "x" : "") + std::to_string(out.size(k));
            return Error("the TorchScript model answers a " + std::to_string(card.inputWidth) + "x" + std::to_string(card.inputHeight)
                    + " input with a tensor of shape " + shape + "; the card says 1x" + std::to_string(card.classes.size())
                    + " (its classes)",
                wfile.string());
        }
    } catch (const std::exception& e) {
        std::string what = e.what();
        what = what.substr(0, what.find('\n'));
        return Error("not a TorchScript model LibTorch can run: " + what, wfile.string());
    }
    m->d->device = *devr;
    ModelInfo& i = m->d->info;
    i.dir = dir.string();
    i.name = card.name;
    i.arch = "torchscript";
    i.task = card.task;
    i.classes = card.classes;
    i.sampleSize = card.inputWidth;
    i.inputWidth = card.inputWidth;
    i.inputHeight = card.inputHeight;
    i.spacingMm = card.training["sample_spacing_mm"].number(0);
    i.outputStride = 16; // the sliding window's default step (denseMap)
    i.notes = card.notes;
    i.weightsSha256 = card.weightsSha256;
    i.card = card.toJson();
    return m;
}

Result<std::unique_ptr<Model>> Model::load(const std::string& dirIn, const std::string& device)
{
    useAllCores();
    fs::path dir = dirIn;
    // A run folder: its best checkpoint.
    if (!fs::exists(dir / "card.json") && fs::exists(dir / "checkpoints" / "best" / "card.json"))
        dir = dir / "checkpoints" / "best";
    auto card = models::readCard(dir / "card.json");
    if (!card)
        return Error("not a usable model folder (card.json): " + card.error().message,
            card.error().file.empty() ? dir.string() : card.error().file, card.error().where);
    if (card->architecture == "torchscript")
        return loadTorchScript(dir, *card, device);
    if (card->task == "lesion-map" || card->task == "tissue")
        return loadLesionMap(dir, *card, device);
    if (!models::isArchitecture(card->architecture))
        return Error("unknown architecture '" + card->architecture + "' in the model card", (dir / "card.json").string());
    if (card->task != "patches" && card->task != "roi" && card->task != "whole")
        return Error("unknown task '" + card->task + "' in the model card (patches, roi or whole)", (dir / "card.json").string());
    auto devr = parseDevice(device);
    if (!devr)
        return devr.error();
    const torch::Device dev = *devr;
    try {
        auto net = models::create({ card->architecture, int(card->classes.size()), card->inputChannels });
        const fs::path wfile = dir / (card->weightsFile.empty() ? std::string("model.safetensors") : card->weightsFile);
        if (!card->weightsSha256.empty() && sha256File(wfile) != card->weightsSha256)
            return Error("the weights do not match the model card's sha256 (changed or corrupt)", wfile.string());
        auto w = models::loadSafetensors(wfile);
        if (!w)
            return Error(w.error().message, wfile.string());
        if (auto rep = models::loadInto(*net, *w, true); !rep)
            return Error(rep.error().message, wfile.string());
        net->to(dev);
        net->eval();
        for (auto& p : net->parameters()) // inference only: Grad-CAM's graph starts at the feature map, never in the weights
            p.set_requires_grad(false);
        if (dev.is_cpu())
            models::foldBatchNorm(*net); // the same function in eval mode, without LibTorch's slow channels-last CPU batch norm
        std::unique_ptr<Model> m(new Model());
        m->d->net = net;
        m->d->device = dev;
        ModelInfo& i = m->d->info;
        i.dir = dir.string();
        i.name = card->name;
        i.arch = card->architecture;
        i.task = card->task;
        i.classes = card->classes;
        i.sampleSize = card->inputWidth;
        i.inputWidth = card->inputWidth;
        i.inputHeight = card->inputHeight;
        i.spacingMm = card->training["sample_spacing_mm"].number(0);
        i.outputStride = net->outputStride();
        i.poolMargin = int(card->training["pool_margin"].integer(0));
        net->poolMargin = i.poolMargin;
        i.notes = card->notes;
        i.weightsSha256 = card->weightsSha256;
        i.card = card->toJson();
        return m;
    } catch (const std::exception& e) {
        // LibTorch's own checks (a shape the weights and the network disagree on, ...): a message, never an abort
        const std::string what = e.what();
        return Error("cannot build the model from its card and weights: " + what.substr(0, what.find('\n')), dir.string());
    }
}

namespace
{
} // namespace

namespace
{

using Clock = std::chrono::steady_clock;

// What every dense map gets after the network: background outside the breast (the model never saw air or the image
// border in training, so what it says there means nothing; the breast as core/sampling finds it, Otsu on the stored
// values, tested at each cell's centre), its geometry in the caller's image pixels, the image's score and timings.
// Means of windows of k cells along one axis of a feature map, one per start (ascending, each window inside the map):
// runs of starts one stride apart are one strided average pooling, the others (the windows shifted inside at the
// image's edges) a mean each.
torch::Tensor windowMeans(const torch::Tensor& f, int64_t axis, const std::vector<int64_t>& starts, int64_t k)
{
    namespace F = torch::nn::functional;
    std::vector<torch::Tensor> parts;
    size_t i = 0;
    while (i < starts.size()) {
        size_t j = i + 1;
        const int64_t step = j < starts.size() ? starts[j] - starts[i] : 0;
        if (step > 0)
            while (j < starts.size() && starts[j] - starts[j - 1] == step)
                ++j;
        const auto n = int64_t(j - i);
        auto span = f.narrow(axis, starts[i], (n - 1) * std::max<int64_t>(step, 1) + k);
        if (n == 1) {
            parts.push_back(span.mean(axis, true));
        } else {
            const std::vector<int64_t> kernel = axis == 2 ? std::vector<int64_t> { k, 1 } : std::vector<int64_t> { 1, k };
            const std::vector<int64_t> stride = axis == 2 ? std::vector<int64_t> { step, 1 } : std::vector<int64_t> { 1, step };
            parts.push_back(F::avg_pool2d(span, F::AvgPool2dFuncOptions(kernel).stride(stride)));
        }
        i = j;
    }
    return parts.size() == 1 ? parts[0] : torch::cat(parts, axis);
}

// The means of the k x k windows of a 1 x C x H x W feature map at the given row and column starts: 1 x C x rows x cols.
// On the CPU a plain loop over rows then columns (LibTorch 1.13's CPU average pooling took most of a second on a
// mammogram's feature map; this takes milliseconds); elsewhere strided pooling.
torch::Tensor windowMeans2d(
    const torch::Tensor& fIn, const std::vector<int64_t>& rowStarts, const std::vector<int64_t>& colStarts, int64_t k)
{
    if (!fIn.device().is_cpu())
        return windowMeans(windowMeans(fIn, 2, rowStarts, k), 3, colStarts, k);
    const auto f = fIn.to(torch::kFloat32).contiguous();
    const int64_t C = f.size(1), W = f.size(3);
    const auto R = int64_t(rowStarts.size()), Q = int64_t(colStarts.size());
    auto out = torch::empty({ 1, C, R, Q }, torch::TensorOptions().dtype(torch::kFloat32));
    const float* src = f.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    const float inv = 1.f / float(k * k);
    at::parallel_for(0, C, 1, [&](int64_t c0, int64_t c1) {
        std::vector<float> rowSum(static_cast<size_t>(W));
        for (int64_t c = c0; c < c1; ++c) {
            const float* plane = src + c * f.size(2) * W;
            for (int64_t r = 0; r < R; ++r) {
                std::fill(rowSum.begin(), rowSum.end(), 0.f);
                for (int64_t y = rowStarts[size_t(r)]; y < rowStarts[size_t(r)] + k; ++y) {
                    const float* line = plane + y * W;
                    for (int64_t x = 0; x < W; ++x)
                        rowSum[size_t(x)] += line[x];
                }
                float* o = dst + (c * R + r) * Q;
                for (int64_t q = 0; q < Q; ++q) {
                    float sum = 0.f;
                    for (int64_t x = colStarts[size_t(q)]; x < colStarts[size_t(q)] + k; ++x)
                        sum += rowSum[size_t(x)];
                    o[q] = sum * inv;
                }
            }
        }
    });
    return out;
}

void finishMap(Heatmap& h, const Image16& imageIn, const Image16& img, int cellPx, int windowPx, double scale, const ModelInfo& info,
    Clock::time_point t0, Clock::time_point tPre, Clock::time_point tNet)
{
    h.classNames = info.classes;
    const uint16_t otsu = otsuThreshold(img);
    const bool mono1 = img.photometric == Photometric::Monochrome1;
    const int bg = std::max(0, h.backgroundClass());
    const size_t plane = size_t(h.width) * size_t(h.height);
    for (int cy = 0; cy < h.height; ++cy)
        for (int cx = 0; cx < h.width; ++cx) {
            const int px = std::min(img.width - 1, int((cx + 0.5) * cellPx)), py = std::min(img.height - 1, int((cy + 0.5) * cellPx));
            if ((img.at(px, py) > otsu) != mono1)
                continue;
            for (int c = 0; c < h.classes; ++c)
                h.prob[size_t(c) * plane + size_t(cy) * size_t(h.width) + size_t(cx)] = c == bg ? 1.f : 0.f;
        }
    h.stride = double(cellPx) / scale;
    h.window = double(windowPx) / scale;
    h.imageWidth = imageIn.width;
    h.imageHeight = imageIn.height;
    h.imageSpacingMm = imageIn.spacingY;
    for (float v : h.malignancy(info.malignantClasses()))
        h.score = std::max(h.score, double(v));
    const auto t1 = Clock::now();
    h.milliseconds = std::chrono::duration<double, std::milli>(t1 - t0).count();
    h.preprocessMs = std::chrono::duration<double, std::milli>(tPre - t0).count();
    h.networkMs = std::chrono::duration<double, std::milli>(tNet - tPre).count();
}

} // namespace

Result<std::unique_ptr<Model>> Model::loadLesionMap(const fs::path& dir, const models::ModelCard& card, const std::string& device)
{
    const std::string cardFile = (dir / "card.json").string();
    const bool tissue = card.task == "tissue";
    if (card.architecture != "unet")
        return Error("a " + card.task + " model must be a 'unet', this card says '" + card.architecture + "'", cardFile);
    if (tissue && (card.classes.size() != size_t(sampling::kTissueClasses) || card.inputChannels != 1))
        return Error("a tissue model has one input channel and the classes background, fatty, fibroglandular, pectoral", cardFile);
    models::UNetSpec spec;
    spec.inChannels = card.inputChannels;
    spec.outChannels = tissue ? sampling::kTissueClasses : 1;
    spec.levels = int(card.training["levels"].integer(5));
    spec.width = int(card.training["width"].integer(32));
    std::string why;
    if (!models::validUNetSpec(spec, why))
        return Error("the model card's " + why + " is out of range", cardFile);
    const int mult = 1 << (spec.levels - 1);
    if (card.inputWidth < mult || card.inputHeight < mult || card.inputWidth > 4096 || card.inputHeight > 4096
        || card.inputWidth % mult != 0 || card.inputHeight % mult != 0)
        return Error("the model card's input size " + std::to_string(card.inputWidth) + "x" + std::to_string(card.inputHeight)
                + " is not a multiple of " + std::to_string(mult) + " up to 4096",
            cardFile);
    // tissue models see the image scaled to fill their canvas, whatever its pixel size
    const double mm = tissue ? 0 : card.training["spacing_mm"].number(0);
    if (!tissue && !(mm >= 0.05 && mm <= 5))
        return Error("the model card's spacing_mm must be 0.05-5", cardFile);
    auto devr = parseDevice(device);
    if (!devr)
        return devr.error();
    const fs::path wfile = dir / (card.weightsFile.empty() ? std::string("model.safetensors") : card.weightsFile);
    if (!card.weightsSha256.empty() && sha256File(wfile) != card.weightsSha256)
        return Error("the weights do not match the model card's sha256 (changed or corrupt)", wfile.string());
    auto w = models::loadSafetensors(wfile);
    if (!w)
        return Error(w.error().message, wfile.string());
    // an ensemble: several networks of this spec in one file (training.members), their log-odds averaged
    const long long count = card.training["members"].integer(1);
    if (count < 1 || count > models::kMaxEnsemble)
        return Error("the model card's training.members must be 1-" + std::to_string(models::kMaxEnsemble), cardFile);
    std::vector<models::TensorMap> parts;
    if (!models::splitEnsemble(*w, int(count), parts, why))
        return Error(why, wfile.string());
    try {
        std::vector<models::UNet> nets;
        for (const auto& part : parts) {
            models::UNet net(spec);
            auto rep = models::loadInto(*net, part, true);
            if (!rep)
                return Error(rep.error().message, wfile.string());
            if (!rep->missing.empty())
                return Error(
                    "the weights lack " + std::to_string(rep->missing.size()) + " tensor(s) of the network, e.g. " + rep->missing[0],
                    wfile.string());
            net->to(*devr);
            net->eval();
            for (auto& p : net->parameters())
                p.set_requires_grad(false);
            nets.push_back(net);
        }
        std::unique_ptr<Model> m(new Model());
        m->d->unet = nets[0];
        m->d->members = nets;
        m->d->tissue = tissue;
        m->d->device = *devr;
        m->d->mapOptions.targetMm = mm;
        m->d->mapOptions.width = card.inputWidth;
        m->d->mapOptions.height = card.inputHeight;
        ModelInfo& i = m->d->info;
        i.dir = dir.string();
        i.name = card.name;
        i.arch = card.architecture;
        i.task = card.task;
        i.classes = tissue ? card.classes : std::vector<std::string> { "BACKGROUND", "LESION" };
        i.inputWidth = card.inputWidth;
        i.inputHeight = card.inputHeight;
        i.spacingMm = mm;
        i.notes = card.notes;
        i.weightsSha256 = card.weightsSha256;
        i.card = card.toJson();
        return m;
    } catch (const std::exception& e) {
        return Error(std::string("cannot build the ") + card.task + " network: " + e.what(), wfile.string());
    }
}

bool Model::isLesionMap() const
{
    return bool(d->unet) && !d->tissue;
}

bool Model::isTissue() const
{
    return bool(d->unet) && d->tissue;
}

Result<TissueMap> Model::tissueMap(const Image16& image)
{
    const auto t0 = std::chrono::steady_clock::now();
    if (!isTissue())
        return Error("this model does not paint tissue maps (task '" + d->info.task + "')");
    if (image.empty())
        return Error("empty image");
    sampling::MapGeometry g;
    const Gray8 s = sampling::mapSample(image, 0, d->mapOptions, &g);
    try {
        torch::Tensor logits;
        {
            torch::NoGradGuard ng;
            torchcompat::CudaAutocast ac(d->bf16);
            // no flip: the pectoral muscle is at the top
            logits = models::ensembleLogits(d->members, d->input(s), false).to(torch::kCPU).contiguous();
        }
        const auto tNet = std::chrono::steady_clock::now();
        const float* L = logits.data_ptr<float>();
        const size_t plane = size_t(s.width) * size_t(s.height);
        constexpr int C = sampling::kTissueClasses;
        TissueMap t;
        t.classes = Gray8(image.width, image.height, sampling::TissueBackground);
        // each image pixel: the class whose logit, bilinear on the canvas's pixel centres, is the highest (off the
        // canvas: background)
        at::parallel_for(0, image.height, 16, [&](int64_t y0, int64_t y1) {
            for (int64_t y = y0; y < y1; ++y)
                for (int x = 0; x < image.width; ++x) {
                    double sx = 0, sy = 0;
                    g.toSample(x + 0.5, double(y) + 0.5, sx, sy);
                    const double fx = std::clamp(sx - 0.5, 0.0, double(s.width - 1)), fy = std::clamp(sy - 0.5, 0.0, double(s.height - 1));
                    if (sx < 0 || sy < 0 || sx > s.width || sy > s.height)
                        continue;
                    const int x0 = int(fx), yy0 = int(fy), x1 = std::min(s.width - 1, x0 + 1), yy1 = std::min(s.height - 1, yy0 + 1);
                    const double ax = fx - x0, ay = fy - yy0;
                    int best = 0;
                    double bestV = -1e30;
                    for (int c = 0; c < C; ++c) {
                        const float* P = L + size_t(c) * plane;
                        auto at = [&](int u, int v) { return double(P[size_t(v) * size_t(s.width) + size_t(u)]); };
                        const double v
                            = (1 - ay) * ((1 - ax) * at(x0, yy0) + ax * at(x1, yy0)) + ay * ((1 - ax) * at(x0, yy1) + ax * at(x1, yy1));
                        if (v > bestV) {
                            bestV = v;
                            best = c;
                        }
                    }
                    t.classes.at(x, int(y)) = uint8_t(best);
                }
        });
        sampling::keepLargestBreast(t.classes);
        t.stats = sampling::tissueStats(t.classes);
        const auto t1 = std::chrono::steady_clock::now();
        t.milliseconds = std::chrono::duration<double, std::milli>(t1 - t0).count();
        t.networkMs = std::chrono::duration<double, std::milli>(tNet - t0).count();
        return t;
    } catch (const std::exception& e) {
        return Error(std::string("inference failed: ") + e.what());
    }
}

Result<Heatmap> Model::lesionMap(const Image16& image, const Image16* otherBreast, const Gray8* tissue, const Progress& progress)
{
    const auto t0 = std::chrono::steady_clock::now();
    if (!isLesionMap())
        return Error("this model does not paint lesion maps (task '" + d->info.task + "')");
    if (image.empty())
        return Error("empty image");
    // An image without a pixel size fills the canvas's height (a mammogram's height is about the 20 cm the canvas holds).
    const double mm = sampling::pixelSizeMm(image, 0);
    if (mm > 0 && !sampling::plausiblePixelMm(mm))
        return Error("the image's pixel size (" + std::to_string(mm) + " mm) is not one a mammogram has (0.01-2 mm): the header is wrong");
    sampling::MapGeometry g;
    const Gray8 s = sampling::mapSample(image, mm, d->mapOptions, &g);
    Gray8 partner;
    if (otherBreast && !otherBreast->empty())
        partner = sampling::mapSample(*otherBreast, sampling::pixelSizeMm(*otherBreast, 0), d->mapOptions);
    const int channels = d->unet->spec().inChannels;
    std::vector<uint8_t> px = channels >= 2 ? sampling::twoChannels(s, partner.empty() ? nullptr : &partner) : s.pixels;
    const auto tPre = std::chrono::steady_clock::now();
    try {
        torch::NoGradGuard ng;
        auto x = models::normaliseInput(
            torch::from_blob(px.data(), { 1, int64_t(std::min(channels, 2)), s.height, s.width }, torch::kUInt8).to(d->device));
        if (channels > 2)
            return Error("lesion-map models take 1 or 2 channels");
        torch::Tensor logits;
        {
            torchcompat::CudaAutocast ac(d->bf16);
            // as cross-validated; the passes are most of the time: they make the progress
            logits = models::ensembleLogits(d->members, x, true, [&](int done, int total) {
                if (progress)
                    progress(0.05 + 0.9 * done / total);
            });
        }
        logits = logits.to(torch::kCPU).contiguous();
        const auto tNet = std::chrono::steady_clock::now();
        const float* L = logits.data_ptr<float>();
        // Back on the image: a grid of the model's pixel size aligned with the image; each cell takes the canvas's
        // log-odds at its centre (bilinear), cells off the canvas or outside the breast say background.
        Heatmap h;
        h.classes = 2;
        h.paintsLesions = true;
        h.classNames = d->info.classes;
        const double stride = 1.0 / g.scale; // image pixels per cell
        h.width = std::max(1, int(std::ceil(image.width / stride)));
        h.height = std::max(1, int(std::ceil(image.height / stride)));
        h.stride = stride;
        h.window = stride;
        h.imageWidth = image.width;
        h.imageHeight = image.height;
        h.imageSpacingMm = image.spacingY;
        const size_t plane = size_t(h.width) * size_t(h.height);
        h.prob.assign(2 * plane, 0.f);
        // the breast: the tissue map's when one of this image is given, else Otsu's threshold
        const bool useTissue = tissue && tissue->width == image.width && tissue->height == image.height;
        const uint16_t otsu = useTissue ? 0 : otsuThreshold(image);
        const bool mono1 = image.photometric == Photometric::Monochrome1;
        auto canvasAt = [&](double cx, double cy) {
            // bilinear on pixel centres; off the canvas: strongly background
            const double fx = cx - 0.5, fy = cy - 0.5;
            if (fx < 0 || fy < 0 || fx > s.width - 1 || fy > s.height - 1)
                return -20.f;
            const int x0 = int(fx), y0 = int(fy), x1 = std::min(s.width - 1, x0 + 1), y1 = std::min(s.height - 1, y0 + 1);
            const double ax = fx - x0, ay = fy - y0;
            auto at = [&](int u, int v) { return double(L[size_t(v) * size_t(s.width) + size_t(u)]); };
            return float((1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x1, y0)) + ay * ((1 - ax) * at(x0, y1) + ax * at(x1, y1)));
        };
        for (int cy = 0; cy < h.height; ++cy)
            for (int cx = 0; cx < h.width; ++cx) {
                const double ix = (cx + 0.5) * stride, iy = (cy + 0.5) * stride;
                const int px0 = std::min(image.width - 1, int(ix)), py0 = std::min(image.height - 1, int(iy));
                float logit = -20.f; // outside the breast: background
                const bool inBreast = useTissue ? tissue->at(px0, py0) != sampling::TissueBackground : (image.at(px0, py0) > otsu) != mono1;
                if (inBreast) {
                    double sx = 0, sy = 0;
                    g.toSample(ix, iy, sx, sy);
                    logit = canvasAt(sx, sy);
                }
                // both sides from the logit itself: 1 - p saturates to 0 in float where the logit is still ordered, and
                // the maps' peaks are found on log-odds taken from the two (Heatmap::logOdds)
                const size_t k = size_t(cy) * size_t(h.width) + size_t(cx);
                h.prob[k] = metrics::sigmoid(-logit);
                h.prob[plane + k] = metrics::sigmoid(logit);
                h.score = std::max(h.score, double(h.prob[plane + k]));
            }
        const auto t1 = std::chrono::steady_clock::now();
        h.milliseconds = std::chrono::duration<double, std::milli>(t1 - t0).count();
        h.preprocessMs = std::chrono::duration<double, std::milli>(tPre - t0).count();
        h.networkMs = std::chrono::duration<double, std::milli>(tNet - tPre).count();
        return h;
    } catch (const std::exception& e) {
        return Error(std::string("inference failed: ") + e.what());
    }
}

void Model::setTileSize(int px)
{
    d->tile = std::max(0, px);
}

int Model::tileSize() const
{
    return d->tileSize();
}

Result<Heatmap> Model::denseMap(const Image16& imageIn, double cellStridePx, const Progress& progress)
{
    const auto t0 = std::chrono::steady_clock::now();
    if (imageIn.empty())
        return Error("empty image");
    if (d->unet && d->tissue)
        return Error("a tissue model paints tissue classes (tissueMap), not suspicion");
    if (d->unet)
        return lesionMap(imageIn, nullptr);
    if (d->info.task != "patches")
        return Error(
            "dense heatmaps need a patch classifier (task 'patches'); this model's task is '" + d->info.task + "': use its Grad-CAM");
    // Resample to the pixel size the model learned at.
    double scale = 1.0;
    if (d->info.spacingMm > 0 && imageIn.spacingY > 0)
        scale = imageIn.spacingY / d->info.spacingMm;
    const Image16* img = &imageIn;
    Image16 resized;
    if (std::abs(scale - 1.0) > 0.02) {
        resized
            = resize(imageIn, std::max(1, int(std::lround(imageIn.width * scale))), std::max(1, int(std::lround(imageIn.height * scale))));
        img = &resized;
    }
    const int patch = d->info.sampleSize, os = d->info.outputStride;
    if (img->width < patch || img->height < patch)
        return Error("the image (" + std::to_string(img->width) + "x" + std::to_string(img->height)
            + " px at the model's scale) is smaller than "
              "one patch of "
            + std::to_string(patch) + " px");
    const Gray8 g = sampling::toModelInput8(*img);
    const auto tPre = std::chrono::steady_clock::now();
    if (d->script)
        return slidingMap(imageIn, *img, g, scale, cellStridePx, t0, tPre, progress);
    try {
        torch::NoGradGuard ng;
        std::optional<torchcompat::CudaAutocast> autocast(std::in_place, d->bf16);
        const int tile = d->device.is_cpu() ? d->tileSize() : 0;
        const bool tiled = tile > 0 && (g.width > tile || g.height > tile);
        // the tiles are nearly all of the time; the windows, the head and the breast mask after them are the rest
        auto f = tiled ? d->tiledFeatures(d->input(g), tile,
                     [&](double done) {
                         if (progress)
                             progress(0.95 * done);
                     })
                       : d->net->features(d->input(g));
        // One training patch is `patch / os` feature cells: pooling that window and applying the head is what the
        // classifier does to a patch (global average pooling, then the linear head).
        // With a pool margin the classifier pooled only the inner cells of its patch: so do the windows here.
        const int k = std::max(1, patch / os - 2 * d->info.poolMargin);
        const double wanted = cellStridePx > 0 ? cellStridePx * scale : 16.0; // model-input pixels per cell
        int s = std::max(1, std::min(k, int(std::lround(wanted / os))));
        if ((k - s) % 2 != 0)
            s = s > 1 ? s - 1 : s + 1; // k - s even: the windows centre exactly on the cells (below)
        // Padding (k - s) / 2 cells, not counted in the average: window i then covers feature cells
        // [i*s - pad, i*s - pad + k), so its centre falls at image pixel (i + 0.5) * s * os — cell i of the map covers
        // [i * stride, (i + 1) * stride) and the patch it stands for is centred on it.
        const int pad = std::min((k - s) / 2, k / 2);
        const int m = d->info.poolMargin;
        torch::Tensor pooled;
        if (f.size(2) >= k + 2 * m && f.size(3) >= k + 2 * m) {
            // Near the image's edges a window is shifted inside, as training patches were (they never reach past the
            // image): every window is a whole one, and none takes the margin cells along the image's edge, whose
            // features see the convolutions' zero padding (a pooling margin kept them out of training too). Windows
            // clipped at the edge instead were most of the false positives of a ResNet-18 map on normal images.
            auto starts = [&](int64_t cells) {
                const int64_t out = (cells + 2 * pad - k) / s + 1;
                std::vector<int64_t> v(size_t(std::max<int64_t>(0, out)));
                for (int64_t i = 0; i < out; ++i)
                    v[size_t(i)] = std::clamp<int64_t>(i * s - pad, m, cells - m - k);
                return v;
            };
            // The k x k mean as a mean over k rows, then over k columns (the same number: every window is whole), each
            // computed only at the windows' starts: k + k additions per window instead of k * k at every cell.
            pooled = windowMeans2d(f, starts(f.size(2)), starts(f.size(3)), k).to(f.scalar_type());
        } else {
            pooled = torch::nn::functional::avg_pool2d(
                f, torch::nn::functional::AvgPool2dFuncOptions({ k, k }).stride({ s, s }).padding({ pad, pad }).count_include_pad(false));
        }
        auto logits = d->net->denseLogits(pooled);
        autocast.reset();
        auto p = torch::softmax(logits.to(torch::kFloat32), 1).to(torch::kCPU).contiguous(); // waits for the device
        const auto tNet = std::chrono::steady_clock::now();
        Heatmap h;
        h.classes = int(p.size(1));
        h.height = int(p.size(2));
        h.width = int(p.size(3));
        h.prob.assign(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
        finishMap(h, imageIn, *img, s * os, k * os, scale, d->info, t0, tPre, tNet);
        return h;
    } catch (const std::exception& e) {
        return Error(std::string("inference failed: ") + e.what());
    }
}

namespace
{

// The network's input for a whole image: resized to the input size for 'whole' models, resampled to the model's pixel
// size otherwise. Returns the 8-bit image and the scale factors (input pixels per image pixel) on both axes.
Gray8 classifierInput(const Image16& img, const ModelInfo& info, double& sx, double& sy)
{
    const Gray8 g8 = sampling::toModelInput8(img);
    if (info.task == "whole" && info.inputWidth > 0 && info.inputHeight > 0) {
        sx = double(info.inputWidth) / img.width;
        sy = double(info.inputHeight) / img.height;
        return resizeGray(g8, info.inputWidth, info.inputHeight);
    }
    sx = sy = 1.0;
    if (info.spacingMm > 0 && img.spacingY > 0 && std::abs(img.spacingY / info.spacingMm - 1.0) > 0.02) {
        sx = sy = img.spacingY / info.spacingMm;
        return resizeGray(g8, std::max(1, int(std::lround(img.width * sx))), std::max(1, int(std::lround(img.height * sy))));
    }
    return g8;
}

} // namespace

long long Model::peakMemoryBytes(bool reset)
{
#ifdef MS_WITH_CUDA
    if (d->device.is_cuda()) {
        auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(d->device.index());
        const long long peak = stats.allocated_bytes[0].peak; // index 0: the aggregate over pools
        if (reset)
            c10::cuda::CUDACachingAllocator::resetPeakStats(d->device.index());
        return peak;
    }
#endif
    (void)reset;
    return 0;
}

Result<Heatmap> Model::slidingMap(const Image16& imageIn, const Image16& img, const Gray8& g, double scale, double cellStridePx,
    std::chrono::steady_clock::time_point t0, std::chrono::steady_clock::time_point tPre, const Progress& progress)
{
    // A TorchScript model is opaque (no feature map to pool): the patch classifier slides over the image, one patch
    // centred on each cell, in batches. Slower than our models' fully convolutional map, the same meaning.
    const int patch = d->info.sampleSize;
    const int cell = std::max(4, int(std::lround(cellStridePx > 0 ? cellStridePx * scale : 16.0)));
    const int W = (g.width + cell - 1) / cell, H = (g.height + cell - 1) / cell;
    const int classes = int(d->info.classes.size());
    Heatmap h;
    h.width = W;
    h.height = H;
    h.classes = classes;
    h.prob.assign(size_t(classes) * size_t(W) * size_t(H), 0.f);
    try {
        torch::NoGradGuard ng;
        const int batchSize = 128;
        std::vector<std::pair<int, int>> cells;
        for (int cy = 0; cy < H; ++cy)
            for (int cx = 0; cx < W; ++cx)
                cells.emplace_back(cx, cy);
        for (size_t b0 = 0; b0 < cells.size(); b0 += batchSize) {
            const size_t n = std::min(cells.size() - b0, size_t(batchSize));
            auto batch = torch::zeros({ long(n), 1, patch, patch }, torch::kUInt8);
            for (size_t k = 0; k < n; ++k) {
                const auto [cx, cy] = cells[b0 + k];
                const int x0 = int((cx + 0.5) * cell) - patch / 2, y0 = int((cy + 0.5) * cell) - patch / 2;
                uint8_t* dst = batch[long(k)].data_ptr<uint8_t>();
                for (int y = 0; y < patch; ++y) {
                    const int sy = y0 + y;
                    if (sy < 0 || sy >= g.height)
                        continue;
                    for (int x = 0; x < patch; ++x) {
                        const int sx = x0 + x;
                        if (sx >= 0 && sx < g.width)
                            dst[size_t(y) * size_t(patch) + size_t(x)] = g.pixels[size_t(sy) * size_t(g.width) + size_t(sx)];
                    }
                }
            }
            auto p = torch::softmax(d->forward(models::normaliseInput(batch.to(d->device))).to(torch::kFloat32), 1)
                         .to(torch::kCPU)
                         .contiguous();
            const float* pp = p.data_ptr<float>();
            for (size_t k = 0; k < n; ++k) {
                const auto [cx, cy] = cells[b0 + k];
                for (int c = 0; c < classes; ++c)
                    h.prob[(size_t(c) * size_t(H) + size_t(cy)) * size_t(W) + size_t(cx)] = pp[k * size_t(classes) + size_t(c)];
            }
            if (progress)
                progress(double(b0 + n) / double(cells.size()));
        }
    } catch (const std::exception& e) {
        std::string what = e.what();
        return Error("inference failed: " + what.substr(0, what.find('\n')));
    }
    finishMap(h, imageIn, img, cell, patch, scale, d->info, t0, tPre, std::chrono::steady_clock::now());
    return h;
}

Result<std::vector<float>> Model::predict(const Image16& image)
{
    if (d->unet)
        return Error("a " + d->info.task + " model paints its map directly; it has no class answer or Grad-CAM");
    if (image.empty())
        return Error("empty image");
    double sx = 1, sy = 1;
    const Gray8 g = classifierInput(image, d->info, sx, sy);
    try {
        torch::NoGradGuard ng;
        torch::Tensor logits;
        {
            torchcompat::CudaAutocast autocast(d->bf16);
            logits = d->forward(d->input(g));
        }
        auto p = torch::softmax(logits.to(torch::kFloat32), 1).to(torch::kCPU).contiguous();
        return std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    } catch (const std::exception& e) {
        return Error(std::string("inference failed: ") + e.what());
    }
}

Result<GradCam> Model::gradCam(const Image16& image, int targetClass)
{
    if (d->unet)
        return Error("a " + d->info.task + " model paints its map directly; it has no class answer or Grad-CAM");
    const auto t0 = std::chrono::steady_clock::now();
    if (image.empty())
        return Error("empty image");
    if (d->script)
        return Error("Grad-CAM needs one of MammoScope's own models: a TorchScript file's layers are opaque (its dense map and "
                     "predictions work)");
    const int classes = int(d->info.classes.size());
    if (targetClass >= classes)
        return Error("class " + std::to_string(targetClass) + " does not exist (the model has " + std::to_string(classes) + ")");
    double sx = 1, sy = 1;
    const Gray8 g = classifierInput(image, d->info, sx, sy);
    const int os = std::max(1, d->info.outputStride);
    if (g.width < os || g.height < os)
        return Error("the image is too small for the network (" + std::to_string(g.width) + "x" + std::to_string(g.height) + " px)");
    try {
        torch::Tensor f;
        {
            // The backbone without a graph.
            torch::NoGradGuard ng;
            torchcompat::CudaAutocast autocast(d->bf16);
            f = d->net->features(d->input(g));
        }
        // The graph starts here: the classifier's pooling and head, in fp32.
        f = f.detach().to(torch::kFloat32).contiguous().requires_grad_(true);
        auto pooled = d->net->pool(f);
        auto& head = d->net->head();
        auto logits = torch::linear(pooled, head->weight.to(torch::kFloat32), head->bias.to(torch::kFloat32));
        auto probs = torch::softmax(logits.detach(), 1).to(torch::kCPU).contiguous();
        GradCam out;
        out.probabilities.assign(probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
        out.targetClass = targetClass >= 0
            ? targetClass
            : int(std::max_element(out.probabilities.begin(), out.probabilities.end()) - out.probabilities.begin());
        out.className = size_t(out.targetClass) < d->info.classes.size() ? d->info.classes[size_t(out.targetClass)] : std::string();
        auto grads = torch::autograd::grad({ logits.select(1, out.targetClass).sum() }, { f }, {}, false, false, true);
        torch::Tensor cam;
        {
            torch::NoGradGuard ng;
            auto gr = grads[0].defined() ? grads[0] : torch::zeros_like(f);
            auto w = gr.mean({ 2, 3 }, true); // one weight per channel: its gradient averaged over the map
            cam = torch::relu((w * f.detach()).sum(1)).squeeze(0);
            const float mx = cam.max().item<float>();
            if (mx > 0)
                cam = cam / mx;
            cam = cam.to(torch::kCPU).contiguous();
        }
        out.height = int(cam.size(0));
        out.width = int(cam.size(1));
        out.cam.assign(cam.data_ptr<float>(), cam.data_ptr<float>() + cam.numel());
        out.stride = double(g.width) / out.width / sx;
        out.strideY = double(g.height) / out.height / sy;
        out.imageWidth = image.width;
        out.imageHeight = image.height;
        out.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        return out;
    } catch (const std::exception& e) {
        return Error(std::string("Grad-CAM failed: ") + e.what());
    }
}

Result<std::vector<float>> Model::classify(const std::vector<const uint8_t*>& patches)
{
    if (d->unet)
        return Error("a " + d->info.task + " model paints its map directly; it has no class answer or Grad-CAM");
    const int n = d->info.sampleSize;
    if (patches.empty())
        return std::vector<float> {};
    try {
        torch::NoGradGuard ng;
        auto batch = torch::empty({ long(patches.size()), 1, n, n }, torch::kUInt8);
        for (size_t i = 0; i < patches.size(); ++i)
            std::memcpy(batch[long(i)].data_ptr<uint8_t>(), patches[i], size_t(n) * size_t(n));
        auto p
            = torch::softmax(d->forward(models::normaliseInput(batch.to(d->device))).to(torch::kFloat32), 1).to(torch::kCPU).contiguous();
        return std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    } catch (const std::exception& e) {
        return Error(std::string("inference failed: ") + e.what());
    }
}

} // namespace ms::ml

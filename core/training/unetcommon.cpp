// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/training/unetcommon.h"

#include "core/common/sha256.h"
#include "core/models/torchcompat.h"
#include "core/models/weights.h"
#include "core/training/engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ms::training
{

namespace
{
constexpr double kPi = 3.14159265358979323846;
}

torch::Tensor normaliseUnit(const torch::Tensor& x01)
{
    return (x01 - 0.5f) / 0.25f;
}

double oneCycle(double lr, long step, long total)
{
    const double f = total > 0 ? double(step) / double(total) : 1.0;
    const double warm = 0.3;
    if (f < warm) {
        const double t = f / warm;
        return lr / 25 + (lr - lr / 25) * (1 - std::cos(kPi * t)) / 2;
    }
    const double t = (f - warm) / (1 - warm);
    return lr / 1e4 + (lr - lr / 1e4) * (1 + std::cos(kPi * t)) / 2;
}

void augmentPair(torch::Tensor& x, torch::Tensor& y, std::mt19937_64& rng, const PairAugment& a)
{
    const int64_t n = x.size(0);
    std::uniform_real_distribution<double> u(-1, 1);
    std::vector<float> th(static_cast<size_t>(n) * 6), ga(static_cast<size_t>(n));
    for (int64_t k = 0; k < n; ++k) {
        const double ang = u(rng) * a.rotateDegrees * kPi / 180.0;
        const double s = 1.0 + u(rng) * a.scaleJitter;
        const double flip = a.flipUpDown && u(rng) < 0 ? -1.0 : 1.0;
        float* t = th.data() + 6 * k;
        t[0] = float(std::cos(ang) / s);
        t[1] = float(-std::sin(ang) / s * flip);
        t[2] = float(u(rng) * a.shift);
        t[3] = float(std::sin(ang) / s);
        t[4] = float(std::cos(ang) / s * flip);
        t[5] = float(u(rng) * a.shift);
        ga[size_t(k)] = float(std::exp(u(rng) * std::log(1.0 + a.gammaJitter)));
    }
    auto theta = torch::from_blob(th.data(), { n, 2, 3 }, torch::kFloat).clone().to(x.device());
    auto gamma = torch::from_blob(ga.data(), { n, 1, 1, 1 }, torch::kFloat).clone();
    namespace F = torch::nn::functional;
    auto grid = F::affine_grid(theta, x.sizes(), false);
    x = F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
    if (a.nearestTarget) {
        y = F::grid_sample(y, grid, F::GridSampleFuncOptions().mode(torch::kNearest).padding_mode(torch::kZeros).align_corners(false));
    } else {
        y = F::grid_sample(y, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
        y = (y > 0.5f).to(torch::kFloat);
    }
    x = x.clamp(0, 1).pow(gamma.to(x.device()));
}

runs::RunConfig crossvalRunConfig(
    const CrossvalConfig& c, const Json& source, const std::string& task, int channels, const std::string& deviceName)
{
    runs::RunConfig r;
    r.command = "crossval";
    r.crossval = c;
    r.source = source;
    r.task = task;
    r.channels = channels;
    r.deviceName = deviceName;
    r.torchVersion = torchcompat::version();
    return r;
}

void emitFoldEpoch(RunFolder& run, int fold, int epoch, int epochs, long step, double loss, double lr, double seconds, int logEvery)
{
    runs::EpochPoint e;
    e.phase = fold >= 0 ? "fold" : "final";
    e.fold = fold + 1;
    e.epoch = epoch;
    e.step = step;
    e.trainLoss = loss;
    e.lr = lr;
    e.seconds = seconds;
    run.append(e);
    if (epoch == 1 || epoch % logEvery == 0 || epoch == epochs) {
        char line[160];
        std::snprintf(line, sizeof line, "%s %d epoch %d/%d: loss %.4f, %.2f s", fold >= 0 ? "fold" : "final model", fold + 1, epoch,
            epochs, loss, seconds);
        run.log(line);
    }
}

Json percentileInterval(size_t units, int rounds, unsigned long long seed, const std::function<double(const std::vector<size_t>&)>& stat)
{
    std::vector<double> v;
    if (units > 0) {
        std::mt19937_64 rng(seed);
        std::uniform_int_distribution<size_t> pick(0, units - 1);
        std::vector<size_t> sample(units);
        for (int r = 0; r < rounds; ++r) {
            for (auto& s : sample)
                s = pick(rng);
            const double x = stat(sample);
            if (std::isfinite(x))
                v.push_back(x);
        }
    }
    return percentileCi(std::move(v));
}

Json percentileCi(std::vector<double> v)
{
    Json j = Json::array();
    if (v.size() < 20) {
        j.push(Json());
        j.push(Json());
        return j;
    }
    std::sort(v.begin(), v.end());
    j.push(v[size_t(0.025 * double(v.size() - 1))]);
    j.push(v[size_t(0.975 * double(v.size() - 1))]);
    return j;
}

std::string writeUNetModel(const std::filesystem::path& dir, models::UNet& net, models::ModelCard card, bool half)
{
    std::vector<models::UNet> one { net };
    return writeUNetModel(dir, one, std::move(card), half);
}

std::string writeUNetModel(const std::filesystem::path& dir, std::vector<models::UNet>& nets, models::ModelCard card, bool half)
{
    for (auto& n : nets)
        n->to(torch::kCPU);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        return dir.string() + ": " + ec.message();
    const auto weights = dir / "model.safetensors";
    auto tensors = models::ensembleState(nets);
    for (auto& [name, t] : tensors)
        if (half && t.is_floating_point())
            t = t.to(torch::kHalf);
    if (auto st = models::saveSafetensors(weights, tensors); !st)
        return st.error().toString();
    card.architecture = "unet";
    card.weightsFile = "model.safetensors";
    card.weightsSha256 = sha256File(weights);
    if (nets.size() > 1) {
        Json t = card.training.isObject() ? card.training : Json::object();
        t.set("members", long(nets.size()));
        card.training = t;
    }
    if (auto st = models::writeCard(dir / "card.json", card); !st)
        return st.error().toString();
    return "";
}

} // namespace ms::training

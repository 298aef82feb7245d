// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/models/unet.h"
#include "core/models/weights.h"

namespace ms::models
{

namespace nn = torch::nn;

DoubleConvImpl::DoubleConvImpl(int in, int out)
{
    m_seq = register_module("seq",
        nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)), nn::BatchNorm2d(out), nn::ReLU(true),
            nn::Conv2d(nn::Conv2dOptions(out, out, 3).padding(1).bias(false)), nn::BatchNorm2d(out), nn::ReLU(true)));
}

torch::Tensor DoubleConvImpl::forward(const torch::Tensor& x)
{
    return m_seq->forward(x);
}

UNetImpl::UNetImpl(const UNetSpec& spec) : m_spec(spec)
{
    m_down = register_module("down", nn::ModuleList());
    m_up = register_module("up", nn::ModuleList());
    m_upConv = register_module("up_conv", nn::ModuleList());
    int in = spec.inChannels;
    for (int l = 0; l < spec.levels; ++l) {
        const int c = spec.width << l;
        m_down->push_back(DoubleConv(in, c));
        in = c;
    }
    for (int l = spec.levels - 2; l >= 0; --l) {
        const int c = spec.width << l;
        m_up->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(c * 2, c, 2).stride(2)));
        m_upConv->push_back(DoubleConv(c * 2, c));
    }
    m_out = register_module("out", nn::Conv2d(nn::Conv2dOptions(spec.width, spec.outChannels, 1)));
    // A prior on a lesion output: lesions cover ~1 % of a mammogram, so start near that (Lin et al.'s focal-loss prior)
    // instead of 0.5, which would spend the first epochs painting everything. Class outputs start even.
    torch::NoGradGuard ng;
    m_out->bias.fill_(spec.outChannels == 1 ? -4.6 : 0.0);
}

torch::Tensor UNetImpl::forward(torch::Tensor x)
{
    std::vector<torch::Tensor> skips;
    for (size_t l = 0; l < m_down->size(); ++l) {
        if (l > 0)
            x = torch::max_pool2d(x, 2);
        x = m_down[l]->as<DoubleConv>()->forward(x);
        skips.push_back(x);
    }
    for (size_t k = 0; k < m_up->size(); ++k) {
        x = m_up[k]->as<nn::ConvTranspose2d>()->forward(x);
        x = torch::cat({ x, skips[skips.size() - 2 - k] }, 1);
        x = m_upConv[k]->as<DoubleConv>()->forward(x);
    }
    return m_out->forward(x);
}

std::vector<torch::Tensor> UNetImpl::encoderParameters()
{
    return m_down->parameters();
}

void UNetImpl::encoderEval()
{
    m_down->eval();
}

bool validUNetSpec(const UNetSpec& s, std::string& why)
{
    if (s.inChannels < 1 || s.inChannels > 4)
        why = "input channels " + std::to_string(s.inChannels) + " (1-4)";
    else if (s.levels < 2 || s.levels > 7)
        why = "levels " + std::to_string(s.levels) + " (2-7)";
    else if (s.width < 4 || s.width > 128)
        why = "width " + std::to_string(s.width) + " (4-128)";
    else if (s.outChannels < 1 || s.outChannels > 16)
        why = "outputs " + std::to_string(s.outChannels) + " (1-16)";
    else
        return true;
    return false;
}

} // namespace ms::models

namespace ms::models
{

torch::Tensor ensembleLogits(
    std::vector<UNet>& nets, const torch::Tensor& x, bool flipTta, const std::function<void(int done, int total)>& step)
{
    torch::Tensor sum;
    const int total = int(nets.size()) * (flipTta ? 2 : 1);
    int done = 0;
    auto stepped = [&] {
        if (step)
            step(++done, total);
    };
    for (auto& net : nets) {
        auto l = net->forward(x).to(torch::kFloat32);
        stepped();
        if (flipTta) {
            l = (l + net->forward(x.flip({ 2 })).to(torch::kFloat32).flip({ 2 })) / 2;
            stepped();
        }
        sum = sum.defined() ? sum + l : l;
    }
    return nets.size() > 1 ? sum / double(nets.size()) : sum;
}

std::map<std::string, torch::Tensor> ensembleState(std::vector<UNet>& nets)
{
    if (nets.size() == 1)
        return stateDict(*nets[0]);
    std::map<std::string, torch::Tensor> all;
    for (size_t k = 0; k < nets.size(); ++k)
        for (auto& [name, t] : stateDict(*nets[k]))
            all[std::to_string(k) + "." + name] = t;
    return all;
}

bool splitEnsemble(
    const std::map<std::string, torch::Tensor>& all, int members, std::vector<std::map<std::string, torch::Tensor>>& out, std::string& why)
{
    out.clear();
    if (members < 1 || members > kMaxEnsemble) {
        why = "an ensemble of " + std::to_string(members) + " networks (1-" + std::to_string(kMaxEnsemble) + ")";
        return false;
    }
    if (members == 1) {
        out.push_back(all);
        return true;
    }
    out.resize(size_t(members));
    for (const auto& [name, t] : all) {
        const auto dot = name.find('.');
        int k = -1;
        // "K." with K written without leading zeros ("00.a" would land on network 0 beside "0.a")
        if (dot != std::string::npos && dot > 0 && dot <= 2 && name.find_first_not_of("0123456789") == dot && !(dot > 1 && name[0] == '0'))
            k = std::stoi(name.substr(0, dot));
        if (k < 0 || k >= members) {
            why = "the tensor '" + name + "' belongs to none of the " + std::to_string(members) + " networks of the ensemble";
            return false;
        }
        out[size_t(k)][name.substr(dot + 1)] = t;
    }
    for (int k = 0; k < members; ++k)
        if (out[size_t(k)].empty()) {
            why = "network " + std::to_string(k) + " of the ensemble has no tensors";
            return false;
        }
    return true;
}

} // namespace ms::models

// SPDX-License-Identifier: GPL-3.0-or-later
// Engine-internal (includes LibTorch). A U-Net that paints where lesions are on a whole mammogram (Ronneberger et al.
// 2015, with batch norm): `levels` resolutions, `width` channels at the first, doubled at each next; 3x3 convolutions
// (batch norm, ReLU) twice per level, max pooling down, transposed convolutions up, skip connections; one logit per
// pixel at the input's resolution (or one per class). Input N x channels x H x W with H and W multiples of 2^(levels-1).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ms::models
{

struct UNetSpec {
    int inChannels = 2; // the mammogram, the other breast mirrored onto it
    int levels = 5;
    int width = 32;
    int outChannels = 1; // 1: a lesion logit per pixel; more: one logit per class (tissue segmentation)
};

class DoubleConvImpl : public torch::nn::Module
{
public:
    DoubleConvImpl(int in, int out);
    torch::Tensor forward(const torch::Tensor& x);

private:
    torch::nn::Sequential m_seq;
};
TORCH_MODULE(DoubleConv);

class UNetImpl : public torch::nn::Module
{
public:
    explicit UNetImpl(const UNetSpec& spec);
    // Logits N x outChannels x H x W.
    torch::Tensor forward(torch::Tensor x);
    const UNetSpec& spec() const { return m_spec; }
    // The contracting path (what feature extraction keeps frozen): its parameters, and batch norm in inference mode
    // there (call after train(): frozen statistics stay those of the pretraining).
    std::vector<torch::Tensor> encoderParameters();
    void encoderEval();
    // The factor the input's sides must be a multiple of.
    int sizeMultiple() const { return 1 << (m_spec.levels - 1); }

private:
    UNetSpec m_spec;
    torch::nn::ModuleList m_down, m_up, m_upConv;
    torch::nn::Conv2d m_out { nullptr };
};
TORCH_MODULE(UNet);

// Lesion-map log-odds of an ensemble (one network or several of one spec): each network's logits averaged with
// those of the up-down flipped input flipped back (when flipTta), then averaged over the networks; float32,
// N x outChannels x H x W. One definition for cross-validation and the app: the figures are those of what the app shows.
// step: called after each forward pass with how many of how many are done (for progress).
torch::Tensor ensembleLogits(
    std::vector<UNet>& nets, const torch::Tensor& x, bool flipTta, const std::function<void(int done, int total)>& step = {});

// An ensemble's weights in one file: each network's tensors under "K." (K = 0, 1, ...); one network keeps its own
// names. splitEnsemble takes them apart again (an error names a network whose tensors are missing).
std::map<std::string, torch::Tensor> ensembleState(std::vector<UNet>& nets);
bool splitEnsemble(
    const std::map<std::string, torch::Tensor>& all, int members, std::vector<std::map<std::string, torch::Tensor>>& out, std::string& why);
constexpr int kMaxEnsemble = 16;

// Validates a spec read from a model card or a command line (channels 1-4, levels 2-7, width 4-128, outputs 1-16).
bool validUNetSpec(const UNetSpec& s, std::string& why);

} // namespace ms::models

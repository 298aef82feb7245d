// SPDX-License-Identifier: GPL-3.0-or-later
// Engine-internal (includes LibTorch). Networks with torchvision's parameter names, so torchvision weights load one to
// one (conv1, bn1, layer1.0.conv1, ..., fc), plus a compact CNN for CPU training in minutes.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace ms::models
{

// Every network: features (the last convolutional map), then a linear head. The head can also run on every location
// of the map (a 1x1 convolution with the same weights), which is how dense heatmaps are made.
class Net : public torch::nn::Module
{
public:
    virtual torch::Tensor features(torch::Tensor x) = 0;
    virtual torch::nn::Linear& head() = 0;
    virtual int featureChannels() const = 0;
    virtual std::string arch() const = 0;
    virtual int outputStride() const = 0;
    // Input pixels one feature cell depends on, along each axis (the theoretical receptive field: ResNet-18 435, the
    // compact CNN 38). A tile with this much of the image around it computes the same features as the whole image.
    virtual int receptiveField() const = 0;
    torch::Tensor forward(torch::Tensor x); // head(pool(features(x)))
    // What the classifier sees of a feature map: the average of its cells (without the pooling margin), N x channels.
    torch::Tensor pool(const torch::Tensor& featureMap) const;
    // Feature cells left out at each border before global pooling. Cells near a patch's border see the zero padding
    // of the convolutions, which a dense map over a whole mammogram never sees; a model trained without them is the
    // same function in both places (core/ml pools windows of the inner cells).
    int poolMargin = 0;
    // Class logits at every location of the feature map: N x classes x h x w.
    torch::Tensor denseLogits(torch::Tensor featureMap);
    // Parameters of the backbone (everything but the head).
    std::vector<torch::Tensor> backboneParameters();
    std::vector<torch::Tensor> headParameters();
};

// For inference: every batch norm that follows a convolution (torchvision's pairs convK/bnK and downsample.0/.1) is
// folded into it (weights scaled, a bias added from the running statistics) and then skipped in eval mode. The network
// computes the same function in eval mode with one pass over memory less per layer; on the CPU, LibTorch 1.13's batch
// norm on channels-last tensors was most of a tiled dense map's time. Not for training (the folded layers stay folded).
// Returns how many pairs were folded.
int foldBatchNorm(torch::nn::Module& net);

struct NetSpec {
    std::string arch = "resnet18"; // resnet18, resnet34, resnet50, compact
    int classes = 5;
    int inChannels = 1;
};

// uint8 samples (any shape) -> the networks' float input: (x / 255 - 0.5) / 0.25, the mean and std every model card
// states. Training, evaluation and inference all call this one function.
torch::Tensor normaliseInput(const torch::Tensor& u8);

// Known architectures, for messages listing the valid ones.
const std::vector<std::string>& architectures();
bool isArchitecture(const std::string& a);
std::shared_ptr<Net> create(const NetSpec& spec);

// Converts parameters of 4-D weights to channels-last (there is no Module::to(memory_format) in C++).
void toChannelsLast(torch::nn::Module& m);

} // namespace ms::models

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/models/nets.h"

#include "core/models/batchnorm.h"
#include "core/models/torchcompat.h"

#include <map>
#include <string>

namespace ms::models
{

namespace nn = torch::nn;

torch::Tensor normaliseInput(const torch::Tensor& u8)
{
    return (u8.to(torch::kFloat32) * (1.0f / 255.0f) - 0.5f) * 4.0f;
}

torch::Tensor Net::pool(const torch::Tensor& featureMap) const
{
    auto f = featureMap;
    const int m = poolMargin;
    if (m > 0 && f.size(2) > 2 * m && f.size(3) > 2 * m)
        f = f.narrow(2, m, f.size(2) - 2 * m).narrow(3, m, f.size(3) - 2 * m);
    return torch::adaptive_avg_pool2d(f, { 1, 1 }).flatten(1);
}

torch::Tensor Net::forward(torch::Tensor x)
{
    return head()->forward(pool(features(x)));
}

torch::Tensor Net::denseLogits(torch::Tensor fmap)
{
    auto& h = head();
    auto w = h->weight.view({ h->weight.size(0), h->weight.size(1), 1, 1 });
    return torch::conv2d(fmap, w.to(fmap.dtype()), h->bias.to(fmap.dtype()));
}

std::vector<torch::Tensor> Net::headParameters()
{
    return head()->parameters();
}

std::vector<torch::Tensor> Net::backboneParameters()
{
    std::vector<torch::Tensor> out;
    auto headParams = headParameters();
    for (auto& p : parameters()) {
        bool inHead = false;
        for (auto& h : headParams)
            inHead = inHead || p.is_same(h);
        if (!inHead)
            out.push_back(p);
    }
    return out;
}

namespace
{

nn::Conv2d conv(int in, int out, int k, int stride, int pad)
{
    return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false));
}

struct BlockBase : nn::Module {
    virtual torch::Tensor forward(torch::Tensor x) = 0;
};

struct BasicBlock : BlockBase {
    nn::Conv2d conv1 { nullptr }, conv2 { nullptr };
    BatchNorm2d bn1 { nullptr }, bn2 { nullptr };
    nn::Sequential downsample { nullptr };
    static constexpr int expansion = 1;
    BasicBlock(int in, int planes, int stride)
    {
        conv1 = register_module("conv1", conv(in, planes, 3, stride, 1));
        bn1 = register_module("bn1", BatchNorm2d(planes));
        conv2 = register_module("conv2", conv(planes, planes, 3, 1, 1));
        bn2 = register_module("bn2", BatchNorm2d(planes));
        if (stride != 1 || in != planes)
            downsample = register_module("downsample", nn::Sequential(conv(in, planes, 1, stride, 0), BatchNorm2d(planes)));
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        // In-place ReLU and residual add, as torchvision does: less memory traffic.
        auto y = bn1(conv1(x)).relu_();
        y = bn2(conv2(y));
        y += downsample ? downsample->forward(x) : x;
        return y.relu_();
    }
};

struct Bottleneck : BlockBase {
    nn::Conv2d conv1 { nullptr }, conv2 { nullptr }, conv3 { nullptr };
    BatchNorm2d bn1 { nullptr }, bn2 { nullptr }, bn3 { nullptr };
    nn::Sequential downsample { nullptr };
    static constexpr int expansion = 4;
    Bottleneck(int in, int planes, int stride)
    {
        conv1 = register_module("conv1", conv(in, planes, 1, 1, 0));
        bn1 = register_module("bn1", BatchNorm2d(planes));
        conv2 = register_module("conv2", conv(planes, planes, 3, stride, 1));
        bn2 = register_module("bn2", BatchNorm2d(planes));
        conv3 = register_module("conv3", conv(planes, planes * 4, 1, 1, 0));
        bn3 = register_module("bn3", BatchNorm2d(planes * 4));
        if (stride != 1 || in != planes * 4)
            downsample = register_module("downsample", nn::Sequential(conv(in, planes * 4, 1, stride, 0), BatchNorm2d(planes * 4)));
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        auto y = bn1(conv1(x)).relu_();
        y = bn2(conv2(y)).relu_();
        y = bn3(conv3(y));
        y += downsample ? downsample->forward(x) : x;
        return y.relu_();
    }
};

// A stage: blocks registered as "0", "1", ... like torchvision's nn.Sequential.
struct Stage : nn::Module {
    std::vector<std::shared_ptr<BlockBase>> blocks;
    torch::Tensor forward(torch::Tensor x)
    {
        for (auto& b : blocks)
            x = b->forward(x);
        return x;
    }
};

template <class Block> class ResNet : public Net
{
public:
    ResNet(std::vector<int> layers, int classes, int inChannels, std::string name) : m_name(std::move(name))
    {
        conv1 = register_module("conv1", conv(inChannels, 64, 7, 2, 3));
        bn1 = register_module("bn1", BatchNorm2d(64));
        int in = 64;
        const int planes[4] = { 64, 128, 256, 512 };
        // receptive field: conv1 (7x7, stride 2), the max pool (3x3, stride 2), then each block's 3x3 convolutions (two
        // in a basic block, the first one strided; one, strided, in a bottleneck)
        int jump = 4;
        m_rf = 1 + 6 * 1 + 2 * 2;
        for (int s = 0; s < 4; ++s) {
            auto stage = std::make_shared<Stage>();
            for (int b = 0; b < layers[size_t(s)]; ++b) {
                const int stride = b == 0 && s > 0 ? 2 : 1;
                m_rf += 2 * jump;
                jump *= stride;
                if (Block::expansion == 1)
                    m_rf += 2 * jump;
                auto blk = std::make_shared<Block>(in, planes[s], stride);
                stage->register_module(std::to_string(b), blk);
                stage->blocks.push_back(blk);
                in = planes[s] * Block::expansion;
            }
            stages[s] = register_module("layer" + std::to_string(s + 1), stage);
        }
        m_channels = in;
        fc = register_module("fc", nn::Linear(in, classes));
        for (auto& m : modules(false)) {
            if (auto* c = m->as<nn::Conv2dImpl>())
                nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
        }
    }
    torch::Tensor features(torch::Tensor x) override
    {
        x = bn1(conv1(x)).relu_();
        x = torch::max_pool2d(x, 3, 2, 1);
        for (auto& s : stages)
            x = s->forward(x);
        return x;
    }
    nn::Linear& head() override { return fc; }
    int featureChannels() const override { return m_channels; }
    std::string arch() const override { return m_name; }
    int outputStride() const override { return 32; }
    int receptiveField() const override { return m_rf; }

private:
    int m_rf = 0;
    nn::Conv2d conv1 { nullptr };
    BatchNorm2d bn1 { nullptr };
    std::shared_ptr<Stage> stages[4];
    nn::Linear fc { nullptr };
    int m_channels = 512;
    std::string m_name;
};

// Four conv-BN-ReLU-pool stages (16, 32, 64, 128 channels) and a linear head: trains in minutes on 2 CPU cores.
class CompactNet : public Net
{
public:
    CompactNet(int classes, int inChannels)
    {
        const int ch[5] = { inChannels, 24, 48, 96, 160 };
        for (int i = 0; i < 4; ++i) {
            convs[i] = register_module(
                "conv" + std::to_string(i + 1), nn::Conv2d(nn::Conv2dOptions(ch[i], ch[i + 1], 3).padding(1).bias(false)));
            bns[i] = register_module("bn" + std::to_string(i + 1), BatchNorm2d(ch[i + 1]));
        }
        fc = register_module("fc", nn::Linear(ch[4], classes));
    }
    torch::Tensor features(torch::Tensor x) override
    {
        for (int i = 0; i < 4; ++i) {
            x = bns[i](convs[i](x)).relu_();
            if (i < 3)
                x = torch::max_pool2d(x, 2, 2);
        }
        return x;
    }
    nn::Linear& head() override { return fc; }
    int featureChannels() const override { return 160; }
    std::string arch() const override { return "compact"; }
    int outputStride() const override { return 8; }
    // 3x3 convolutions at jumps 1, 2, 4, 8 with 2x2 pools between them
    int receptiveField() const override { return 38; }

private:
    nn::Conv2d convs[4] = { nn::Conv2d { nullptr }, nn::Conv2d { nullptr }, nn::Conv2d { nullptr }, nn::Conv2d { nullptr } };
    BatchNorm2d bns[4] = { BatchNorm2d { nullptr }, BatchNorm2d { nullptr }, BatchNorm2d { nullptr }, BatchNorm2d { nullptr } };
    nn::Linear fc { nullptr };
};

} // namespace

const std::vector<std::string>& architectures()
{
    static const std::vector<std::string> a { "resnet18", "resnet34", "resnet50", "compact" };
    return a;
}

bool isArchitecture(const std::string& a)
{
    for (const auto& x : architectures())
        if (x == a)
            return true;
    return false;
}

std::shared_ptr<Net> create(const NetSpec& s)
{
    if (s.arch == "resnet18")
        return std::make_shared<ResNet<BasicBlock>>(std::vector<int> { 2, 2, 2, 2 }, s.classes, s.inChannels, s.arch);
    if (s.arch == "resnet34")
        return std::make_shared<ResNet<BasicBlock>>(std::vector<int> { 3, 4, 6, 3 }, s.classes, s.inChannels, s.arch);
    if (s.arch == "resnet50")
        return std::make_shared<ResNet<Bottleneck>>(std::vector<int> { 3, 4, 6, 3 }, s.classes, s.inChannels, s.arch);
    if (s.arch == "compact")
        return std::make_shared<CompactNet>(s.classes, s.inChannels);
    return nullptr;
}

int foldBatchNorm(torch::nn::Module& net)
{
    torch::NoGradGuard ng;
    std::map<std::string, std::shared_ptr<torch::nn::Module>> byName;
    for (const auto& item : net.named_modules("", false))
        byName[item.key()] = item.value();
    auto convFor = [&](const std::string& bnName) -> std::shared_ptr<torch::nn::Module> {
        // "...bnK" follows "...convK"; "...downsample.1" follows "...downsample.0"
        const auto dot = bnName.rfind('.');
        const std::string prefix = dot == std::string::npos ? std::string() : bnName.substr(0, dot + 1);
        const std::string last = bnName.substr(prefix.size());
        std::string conv;
        if (last.rfind("bn", 0) == 0)
            conv = prefix + "conv" + last.substr(2);
        else if (last == "1" && prefix.size() > 11 && prefix.compare(prefix.size() - 11, 11, "downsample.") == 0)
            conv = prefix + "0";
        const auto it = byName.find(conv);
        return it == byName.end() ? nullptr : it->second;
    };
    int n = 0;
    for (const auto& [name, m] : byName) {
        auto* bn = m->as<BatchNorm2dImpl>();
        if (!bn || bn->folded)
            continue;
        auto cm = convFor(name);
        auto* conv = cm ? cm->as<torch::nn::Conv2dImpl>() : nullptr;
        if (!conv || conv->weight.size(0) != bn->numFeatures)
            continue;
        const auto scale = bn->weight / (bn->running_var + bn->eps).sqrt();
        auto shift = bn->bias - bn->running_mean * scale;
        if (conv->bias.defined())
            shift = shift + conv->bias * scale;
        conv->weight.mul_(scale.view({ -1, 1, 1, 1 }).to(conv->weight.scalar_type()));
        // the convolution's forward adds its `bias` member; the registered parameter stays as it was
        conv->bias = shift.to(conv->weight.scalar_type()).contiguous();
        bn->folded = true;
        ++n;
    }
    return n;
}

void toChannelsLast(torch::nn::Module& m)
{
    torch::NoGradGuard ng;
    // Explicit channels-last strides, as PyTorch's Module.to(memory_format=...) gives. contiguous(ChannelsLast) is not
    // enough: a weight with one input channel (conv1 on grey images) or a 1x1 kernel already counts as contiguous
    // in that format and is returned with its NCHW strides, so cuDNN runs the stem and the first 1x1 convolutions in
    // NCHW, and their batch norms fall back to the slow NCHW kernels (a quarter of a ResNet-18 training step on an
    // H200, measured with `bench --profile`).
    for (auto& p : m.parameters())
        if (p.dim() == 4 && p.suggest_memory_format() != at::MemoryFormat::ChannelsLast) {
            auto cl = torch::empty_like(p.data(), p.options(), at::MemoryFormat::ChannelsLast);
            cl.copy_(p.data());
            p.set_data(cl);
        }
}

} // namespace ms::models

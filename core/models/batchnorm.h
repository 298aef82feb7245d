// SPDX-License-Identifier: GPL-3.0-or-later
// Engine-internal (LibTorch). The networks' batch norm: torch::nn::BatchNorm2d (same parameters and buffers, so
// torchvision weights and our checkpoints load unchanged) that can normalise with the statistics of the whole global
// batch of a data-parallel run (synchronised batch norm, as PyTorch's SyncBatchNorm): mean and variance summed over the
// ranks in forward, the gradient's two reductions summed in backward. Off by default (each replica normalises with its
// own batch, as PyTorch DDP does without SyncBatchNorm).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <ostream>

namespace ms::models
{

// Sums a tensor over the data-parallel ranks, in place; every rank calls it in the same order (a c10d all-reduce).
using AllReduceSum = std::function<void(torch::Tensor&)>;

// While set, batch-norm layers in training mode use the global batch's statistics; an empty function turns it off.
// Set once before training (not thread-safe against running forwards).
void setBatchNormSync(AllReduceSum sum);
bool batchNormSynced();

// torch::nn::BatchNorm2d's function, parameters and buffers (weight, bias, running_mean, running_var,
// num_batches_tracked: eps 1e-5, momentum 0.1), written out because LibTorch's class cannot be derived from portably.
class BatchNorm2dImpl : public torch::nn::Cloneable<BatchNorm2dImpl>
{
public:
    explicit BatchNorm2dImpl(int64_t features);
    void reset() override;
    torch::Tensor forward(const torch::Tensor& x);
    void pretty_print(std::ostream& stream) const override;

    int64_t numFeatures;
    double eps = 1e-5, momentum = 0.1;
    torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
    // Folded into the convolution before it (foldBatchNorm, inference only): in eval mode the layer passes its input on.
    bool folded = false;
};
TORCH_MODULE(BatchNorm2d);

} // namespace ms::models

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/models/batchnorm.h"

#include <utility>
#include <vector>

namespace ms::models
{

namespace
{

AllReduceSum& syncFunction()
{
    static AllReduceSum f;
    return f;
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The dimensions a channel's statistics run over (all but 1), and the shape that broadcasts a per-channel vector.
std::vector<int64_t> statDims(const torch::Tensor& x)
{
    std::vector<int64_t> d { 0 };
    for (int64_t i = 2; i < x.dim(); ++i)
        d.push_back(i);
    return d;
}
std::vector<int64_t> channelShape(const torch::Tensor& x)
{
    std::vector<int64_t> s(size_t(x.dim()), 1);
    s[1] = x.size(1);
    return s;
}

// y = xhat * weight + bias with xhat = (x - mean) / sqrt(var + eps), mean and (biased) var per channel over the
// samples of every rank. Backward, per channel with sums over every rank and N values:
// dx = weight * invstd * (dy - sum(dy) / N - xhat * sum(dy * xhat) / N); the weight's and bias's gradients come from
// this rank's dy alone (the data-parallel all-reduce averages them with the other parameters'), as PyTorch's
// SyncBatchNorm. Statistics in fp32 (fp64 for the sums that cross ranks), the output in x's type.
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
        torch::Tensor runningMean, torch::Tensor runningVar, double momentum, double eps)
    {
        const int64_t c = x.size(1);
        const auto dims = statDims(x);
        const auto shape = channelShape(x);
        const auto xf = x.to(torch::kFloat32);
        auto stats = torch::cat({ xf.sum(dims).to(torch::kFloat64), xf.square().sum(dims).to(torch::kFloat64),
            torch::full(
                { 1 }, double(x.numel() / std::max<int64_t>(1, c)), torch::TensorOptions().dtype(torch::kFloat64).device(x.device())) });
        syncFunction()(stats);
        const double n = stats[2 * c].item<double>();
        const auto mean = stats.narrow(0, 0, c) / n;
        const auto var = (stats.narrow(0, c, c) / n - mean.square()).clamp_min(0.0);
        if (runningMean.defined() && runningVar.defined()) {
            runningMean.mul_(1.0 - momentum).add_(mean.to(runningMean.scalar_type()), momentum);
            runningVar.mul_(1.0 - momentum).add_((var * (n / std::max(1.0, n - 1.0))).to(runningVar.scalar_type()), momentum);
        }
        const auto invstd = (var + eps).rsqrt().to(torch::kFloat32);
        const auto xhat = (xf - mean.to(torch::kFloat32).view(shape)) * invstd.view(shape);
        const auto w = weight.to(torch::kFloat32);
        ctx->save_for_backward({ xhat, w, invstd });
        ctx->saved_data["n"] = n;
        ctx->saved_data["dtype"] = int64_t(x.scalar_type());
        return (xhat * w.view(shape) + bias.to(torch::kFloat32).view(shape)).to(x.scalar_type());
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const auto& xhat = saved[0];
        const auto& w = saved[1];
        const auto& invstd = saved[2];
        const double n = ctx->saved_data["n"].toDouble();
        const auto type = static_cast<c10::ScalarType>(ctx->saved_data["dtype"].toInt());
        const int64_t c = xhat.size(1);
        const auto dims = statDims(xhat);
        const auto shape = channelShape(xhat);
        const auto dy = grads[0].to(torch::kFloat32);
        const auto sumDy = dy.sum(dims);
        const auto sumDyXhat = (dy * xhat).sum(dims);
        auto global = torch::cat({ sumDy, sumDyXhat }).to(torch::kFloat64);
        syncFunction()(global);
        const auto meanDy = (global.narrow(0, 0, c) / n).to(torch::kFloat32);
        const auto meanDyXhat = (global.narrow(0, c, c) / n).to(torch::kFloat32);
        const auto dx = (w * invstd).view(shape) * (dy - meanDy.view(shape) - xhat * meanDyXhat.view(shape));
        return { dx.to(type), sumDyXhat, sumDy, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor() };
    }
};

} // namespace

void setBatchNormSync(AllReduceSum sum)
{
    syncFunction() = std::move(sum);
}

bool batchNormSynced()
{
    return bool(syncFunction());
}

BatchNorm2dImpl::BatchNorm2dImpl(int64_t features) : numFeatures(features)
{
    reset();
}

void BatchNorm2dImpl::reset()
{
    // The registration order and names of torch::nn::BatchNorm2d.
    weight = register_parameter("weight", torch::ones({ numFeatures }));
    bias = register_parameter("bias", torch::zeros({ numFeatures }));
    running_mean = register_buffer("running_mean", torch::zeros({ numFeatures }));
    running_var = register_buffer("running_var", torch::ones({ numFeatures }));
    num_batches_tracked = register_buffer("num_batches_tracked", torch::tensor(0, torch::kLong));
}

torch::Tensor BatchNorm2dImpl::forward(const torch::Tensor& x)
{
    TORCH_CHECK(x.dim() == 4, "batch norm: expected a 4-D input, got ", x.dim(), "-D");
    if (!is_training() && folded)
        return x;
    if (!is_training())
        return torch::batch_norm(x, weight, bias, running_mean, running_var, false, momentum, eps, at::globalContext().userEnabledCuDNN());
    {
        torch::NoGradGuard ng;
        num_batches_tracked.add_(1);
    }
    if (!syncFunction())
        return torch::batch_norm(x, weight, bias, running_mean, running_var, true, momentum, eps, at::globalContext().userEnabledCuDNN());
    return SyncBatchNormFunction::apply(x, weight, bias, running_mean, running_var, momentum, eps);
}

void BatchNorm2dImpl::pretty_print(std::ostream& stream) const
{
    stream << "BatchNorm2d(" << numFeatures << ", eps=" << eps << ", momentum=" << momentum << ")";
}

} // namespace ms::models

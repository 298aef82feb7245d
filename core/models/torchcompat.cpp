// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/models/torchcompat.h"

#include <ATen/autocast_mode.h>

// The Kineto profiler (CPU ops and CUDA kernels to a Chrome trace) where LibTorch ships it: PyTorch 2.x wheels do,
// Debian's 1.13 is not asked.
#if TORCH_VERSION_MAJOR >= 2 && __has_include(<torch/csrc/autograd/profiler_kineto.h>)
#include <torch/csrc/autograd/profiler_kineto.h>
#define MS_HAVE_KINETO 1
#endif

namespace ms::torchcompat
{

namespace
{
void setCudaAutocast(bool enabled)
{
#if TORCH_VERSION_MAJOR >= 2 && TORCH_VERSION_MINOR >= 4 || TORCH_VERSION_MAJOR >= 3
    at::autocast::set_autocast_enabled(at::kCUDA, enabled);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
#else
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
#endif
}
} // namespace

CudaAutocast::CudaAutocast(bool enabled) : m_enabled(enabled)
{
    if (m_enabled)
        setCudaAutocast(true);
}

CudaAutocast::~CudaAutocast()
{
    if (m_enabled) {
        setCudaAutocast(false);
        at::autocast::clear_cache();
    }
}

#ifdef MS_HAVE_KINETO
namespace
{
const std::set<torch::profiler::impl::ActivityType>& activities()
{
    static const std::set<torch::profiler::impl::ActivityType> a { torch::profiler::impl::ActivityType::CPU,
        torch::profiler::impl::ActivityType::CUDA };
    return a;
}
} // namespace
#endif

bool startProfiler(std::string& error)
{
#ifdef MS_HAVE_KINETO
    try {
        torch::profiler::impl::ProfilerConfig config(torch::profiler::impl::ProfilerState::KINETO);
        torch::autograd::profiler::prepareProfiler(config, activities());
        torch::autograd::profiler::enableProfiler(config, activities());
        return true;
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
#else
    error = "this LibTorch (" TORCH_VERSION ") has no Kineto profiler";
    return false;
#endif
}

bool stopProfiler(const std::string& tracePath, std::string& error)
{
#ifdef MS_HAVE_KINETO
    try {
        auto result = torch::autograd::profiler::disableProfiler();
        if (!result) {
            error = "the profiler returned no result";
            return false;
        }
        result->save(tracePath);
        return true;
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
#else
    (void)tracePath;
    error = "this LibTorch (" TORCH_VERSION ") has no Kineto profiler";
    return false;
#endif
}

std::string version()
{
    return TORCH_VERSION;
}

} // namespace ms::torchcompat

// SPDX-License-Identifier: GPL-3.0-or-later
// Engine-internal: what differs between LibTorch 1.13 (Debian, CPU) and 2.x (the GPU node), in one place.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

#include <string>

namespace ms::torchcompat
{

#if TORCH_VERSION_MAJOR >= 2
constexpr bool kTorch2 = true;
#else
constexpr bool kTorch2 = false;
#endif

// bf16 autocast on CUDA for the current thread while the scope lives; at its end (an exception included) autocast is
// off again and its cache of cast weights dropped. Does nothing when constructed with false.
class CudaAutocast
{
public:
    explicit CudaAutocast(bool enabled);
    ~CudaAutocast();
    CudaAutocast(const CudaAutocast&) = delete;
    CudaAutocast& operator=(const CudaAutocast&) = delete;

private:
    bool m_enabled;
};
std::string version();

// Kineto profiling of CPU ops and CUDA kernels, saved as a Chrome trace (chrome://tracing, Perfetto). False with a
// reason where this LibTorch has no profiler (Debian's 1.13 build).
bool startProfiler(std::string& error);
bool stopProfiler(const std::string& tracePath, std::string& error);

} // namespace ms::torchcompat

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

// bf16 autocast on CUDA for the current thread's scope.
void setCudaAutocast(bool enabled);
void clearAutocastCache();
std::string version();

// Kineto profiling of CPU ops and CUDA kernels, saved as a Chrome trace (chrome://tracing, Perfetto). False with a
// reason where this LibTorch has no profiler (Debian's 1.13 build).
bool startProfiler(std::string& error);
bool stopProfiler(const std::string& tracePath, std::string& error);

} // namespace ms::torchcompat

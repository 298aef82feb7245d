// SPDX-License-Identifier: GPL-3.0-or-later
#include "models/torchcompat.h"

#include <ATen/autocast_mode.h>

namespace ms::torchcompat
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

void clearAutocastCache()
{
    at::autocast::clear_cache();
}

std::string version()
{
    return TORCH_VERSION;
}

} // namespace ms::torchcompat

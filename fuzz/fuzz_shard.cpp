// SPDX-License-Identifier: GPL-3.0-or-later
// Training shards (MSSHARD1 files) and their manifest's JSON.
#include "common.h"
#include "core/shards/shards.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto p = ms::fuzz::writeInput("input.mss", data, size);
    (void)ms::shards::readShard(p);
    if (auto j = ms::Json::parse(std::string_view(reinterpret_cast<const char*>(data), size)))
        (void)ms::shards::Manifest::fromJson(*j);
    return 0;
}

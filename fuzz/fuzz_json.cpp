// SPDX-License-Identifier: GPL-3.0-or-later
// The JSON parser behind model cards, manifests, run folders, status files and caches.
#include "core/common/json.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto j = ms::Json::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    if (j) {
        const std::string s = j->dump();
        auto again = ms::Json::parse(s);
        if (!again || again->dump() != s)
            __builtin_trap(); // what we write we must read back the same
    }
    return 0;
}

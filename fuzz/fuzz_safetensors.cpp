// SPDX-License-Identifier: GPL-3.0-or-later
// Weights files (safetensors: an 8-byte header length, a JSON header of names, dtypes, shapes and offsets, the data)
// as every model load reads them: lying lengths, shapes and offsets are an error, never a read outside the file. The
// names are then split as an ensemble model's are ("K." prefixes): what a split accepts keeps every tensor once.
#include "common.h"
#include "core/models/unet.h"
#include "core/models/weights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto w = ms::models::loadSafetensors(ms::fuzz::writeInput("model.safetensors", data, size));
    if (!w)
        return 0;
    for (int members = 1; members <= 3; ++members) {
        std::vector<ms::models::TensorMap> parts;
        std::string why;
        if (!ms::models::splitEnsemble(*w, members, parts, why))
            continue;
        size_t n = 0;
        for (const auto& p : parts)
            n += p.size();
        if (parts.size() != size_t(members) || n != w->size())
            __builtin_trap();
    }
    return 0;
}

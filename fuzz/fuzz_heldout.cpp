// SPDX-License-Identifier: GPL-3.0-or-later
// crossval-combine's members: a run folder's heldout-maps.json (written by crossval --save-maps, but a run folder is
// outside data: copied, edited, damaged) checked against the shards before any map is read. Whatever the text, the
// check answers; what it accepts names every image of the shards once, in order, with a fold in range.
#include "common.h"
#include "core/common/json.h"
#include "core/training/lesionfigures.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto j = ms::Json::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!j)
        return 0;
    ms::shards::SampleSet set;
    set.task = "lesion-map";
    set.width = 4;
    set.height = 4;
    for (const char* id : { "mdb001", "mdb002", "extra:a" }) {
        ms::shards::SampleMeta m;
        m.id = id;
        set.meta.push_back(m);
    }
    set.pixels.assign(set.size() * set.sampleBytes(), 0);
    if (ms::training::heldOutIndexProblem(*j, set).empty()) {
        const auto& ids = (*j)["ids"].elements();
        const auto& fold = (*j)["fold"].elements();
        const long long folds = (*j)["folds"].integer(0);
        if (ids.size() != set.size() || fold.size() != set.size())
            __builtin_trap();
        for (size_t i = 0; i < set.size(); ++i)
            if (ids[i].string() != set.meta[i].id || fold[i].integer(-1) < 0 || fold[i].integer(-1) >= folds)
                __builtin_trap();
    }
    return 0;
}

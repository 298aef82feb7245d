// SPDX-License-Identifier: GPL-3.0-or-later
// ROI strings from the annotation store (RleMask::fromString) and what is done with an accepted one, the ROI
// resolver's stroke removal included.
#include "core/image/components.h"
#include "core/image/mask.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto m = ms::RleMask::fromString(std::string(reinterpret_cast<const char*>(data), size));
    if (m && long(m->width()) * long(m->height()) <= (1l << 22)) {
        (void)m->area();
        (void)m->boundingBox();
        (void)m->toGray(255);
        (void)ms::RleMask::fromString(m->toString());
        // the resolver's stroke removal (mask files are outside data): what it keeps is inside what it was given
        long long removed = 0;
        const ms::RleMask kept = ms::withoutStrokes(*m, &removed);
        if (kept.width() != m->width() || kept.height() != m->height() || kept.area() + removed != m->area())
            __builtin_trap();
    }
    return 0;
}

// SPDX-License-Identifier: GPL-3.0-or-later
// ROI strings from the annotation store (RleMask::fromString) and what is done with an accepted one.
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
    }
    return 0;
}

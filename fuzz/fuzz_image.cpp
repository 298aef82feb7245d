// SPDX-License-Identifier: GPL-3.0-or-later
// Image files (PNG, JPEG, PGM, TIFF, BMP) as datasets, masks and tissue label maps give them.
#include "common.h"
#include "core/imageio/imageio.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // the format is decided by the content; the name only has to be an image's
    const auto p = ms::fuzz::writeInput("input.png", data, size);
    (void)ms::imageio::readSize(p);
    (void)ms::imageio::read(p);
    return 0;
}

// SPDX-License-Identifier: GPL-3.0-or-later
// mini-MIAS's Info.txt (and the bare table re-releases ship) as the dataset reader reads it.
#include "common.h"
#include "core/common/progress.h"
#include "core/dataset/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    (void)ms::fuzz::writeInput("Info.txt", data, size);
    ms::Progress none;
    (void)ms::dataset::readMias(ms::fuzz::scratchDir(), none);
    return 0;
}

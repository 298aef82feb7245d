// SPDX-License-Identifier: GPL-3.0-or-later
// Weights files (safetensors: an 8-byte header length, a JSON header of names, dtypes, shapes and offsets, the data)
// as every model load reads them: lying lengths, shapes and offsets are an error, never a read outside the file.
#include "common.h"
#include "core/models/weights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    (void)ms::models::loadSafetensors(ms::fuzz::writeInput("model.safetensors", data, size));
    return 0;
}

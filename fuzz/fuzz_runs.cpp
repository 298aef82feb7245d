// SPDX-License-Identifier: GPL-3.0-or-later
// A run folder's metrics.jsonl as the GUI follows it (RunReader), written by an engine elsewhere.
#include "common.h"
#include "core/runs/runreader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    (void)ms::fuzz::writeInput("metrics.jsonl", data, size);
    (void)ms::fuzz::writeInput("config.json", data, size);
    ms::runs::RunReader r(ms::fuzz::scratchDir());
    (void)r.poll();
    (void)ms::runs::readConfig(ms::fuzz::scratchDir());
    (void)ms::runs::readCrossval(ms::fuzz::scratchDir());
    return 0;
}

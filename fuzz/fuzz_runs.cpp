// SPDX-License-Identifier: GPL-3.0-or-later
// A run folder as the GUI follows it (RunReader: metrics.jsonl, the typed config.json), written by an engine
// elsewhere; and the same bytes as a command line for the typed configurations (fromArgs, one option per line).
#include "common.h"
#include "core/runs/config.h"
#include "core/runs/runreader.h"

#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    (void)ms::fuzz::writeInput("metrics.jsonl", data, size);
    (void)ms::fuzz::writeInput("config.json", data, size);
    ms::runs::RunReader r(ms::fuzz::scratchDir());
    (void)r.poll();
    (void)r.runConfig().epochs();
    ms::runs::RunConfig rc;
    std::string error;
    (void)ms::runs::readRunConfig(ms::fuzz::scratchDir(), rc, &error);
    (void)ms::runs::readCrossval(ms::fuzz::scratchDir());
    std::vector<std::string> args;
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    for (std::string line; std::getline(in, line) && args.size() < 256;)
        args.push_back(line);
    ms::runs::TrainConfig t;
    if (ms::runs::fromArgs(args, t, error)) {
        // what parsed is valid, and survives the trip to the command line and back
        if (!ms::runs::validate(t, error))
            __builtin_trap();
        ms::runs::TrainConfig back;
        if (!ms::runs::fromArgs(ms::runs::toArgs(t), back, error) || ms::runs::toJson(back).dump() != ms::runs::toJson(t).dump())
            __builtin_trap();
    }
    ms::runs::CrossvalConfig c;
    (void)ms::runs::fromArgs(args, c, error);
    return 0;
}

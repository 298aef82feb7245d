// SPDX-License-Identifier: GPL-3.0-or-later
// A run folder as the GUI follows it (RunReader: metrics.jsonl, the typed config.json), written by an engine
// elsewhere; and the same bytes as a command line for the typed configurations (fromArgs, one option per line).
#include "common.h"
#include "core/runs/config.h"
#include "core/runs/launch.h"
#include "core/runs/remote.h"
#include "core/runs/runreader.h"
#include "core/runs/slurm.h"

#include <map>
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

    std::map<std::string, std::string> env;
    for (const auto& line : args) {
        if (const size_t eq = line.find('='); eq != std::string::npos)
            env[line.substr(0, eq)] = line.substr(eq + 1);
        std::string hostError;
        const std::string host = ms::runs::firstSlurmHost(line, hostError);
        if (host.empty() == hostError.empty()) // a host or an error, never both or neither
            __builtin_trap();
    }
    // SSH options and hosts typed in the Training panel: what splits must quote back to the same words, and a
    // command is only ever built for a host that cannot pass for an option.
    for (const auto& line : args) {
        std::vector<std::string> words, again;
        std::string splitError;
        if (ms::runs::splitShellWords(line, words, splitError)) {
            std::string joined;
            for (const auto& w : words)
                joined += (joined.empty() ? "" : " ") + ms::runs::shellQuote(w);
            if (!ms::runs::splitShellWords(joined, again, splitError) || again != words)
                __builtin_trap();
        } else if (splitError.empty()) {
            __builtin_trap();
        }
        ms::runs::SshTarget target;
        target.host = line;
        target.options = line;
        std::string sshError;
        const auto cmd = ms::runs::sshCommand(target, words, sshError);
        if (cmd.empty() == sshError.empty() || (!cmd.empty() && (line.empty() || line.front() == '-')))
            __builtin_trap();
    }
    // What sbatch, squeue and scontrol answer, and job fields typed in the panel: parsed without a crash; a script is
    // only written for fields that cannot break out of their line.
    for (const auto& line : args) {
        long long id = 0;
        std::string slurmError;
        if (ms::runs::parseSbatchJobId(line, id, slurmError) && id < 0)
            __builtin_trap();
        ms::runs::SlurmJobState st;
        (void)ms::runs::parseSqueueLine(line, st);
        (void)ms::runs::parseScontrolJob(line, st);
        ms::runs::SlurmJob job;
        job.name = line;
        job.partition = line;
        job.timeLimit = line;
        const std::string script = ms::runs::sbatchScript(job, { line }, slurmError);
        if (!script.empty() && (line.find('\n') != std::string::npos || line.find(' ') != std::string::npos))
            __builtin_trap();
    }
    ms::runs::LaunchEnv launch;
    const bool ok = ms::runs::readLaunchEnv(
        [&](const char* name) -> const char* {
            auto it = env.find(name);
            return it == env.end() ? nullptr : it->second.c_str();
        },
        launch, error);
    if (ok
        && !(launch.rank >= 0 && launch.rank < launch.worldSize && launch.masterPort > 0 && launch.masterPort < 65536
            && !launch.masterAddr.empty()))
        __builtin_trap();
    return 0;
}

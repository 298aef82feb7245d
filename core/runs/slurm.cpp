// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/runs/slurm.h"

#include "core/common/strings.h"
#include "core/runs/remote.h"

#include <algorithm>
#include <cctype>

namespace ms::runs
{

namespace
{

bool plainName(std::string_view s)
{
    return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

bool digits(std::string_view s, size_t maxLen)
{
    return !s.empty() && s.size() <= maxLen && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Up to three ':'-separated groups of digits, the first up to `firstDigits` long, the others two.
bool colonGroups(std::string_view s, size_t firstDigits)
{
    size_t groups = 0, start = 0;
    for (;;) {
        const size_t colon = s.find(':', start);
        const std::string_view part = s.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
        if (!digits(part, groups == 0 ? firstDigits : 2) || ++groups > 3)
            return false;
        if (colon == std::string_view::npos)
            return true;
        start = colon + 1;
    }
}

// SLURM's --time forms: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
bool timeLimit(std::string_view s)
{
    const size_t dash = s.find('-');
    if (dash == std::string_view::npos)
        return colonGroups(s, 6);
    return digits(s.substr(0, dash), 4) && colonGroups(s.substr(dash + 1), 2);
}

// The value of `Key=` in a line of blank-separated Key=Value words ("" when absent).
std::string valueOf(std::string_view line, std::string_view key)
{
    size_t pos = 0;
    while (pos < line.size()) {
        while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\n'))
            ++pos;
        size_t end = pos;
        while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\n')
            ++end;
        const std::string_view word = line.substr(pos, end - pos);
        if (word.size() > key.size() && word.substr(0, key.size()) == key && word[key.size()] == '=')
            return std::string(word.substr(key.size() + 1));
        pos = end;
    }
    return {};
}

bool stateWord(std::string_view s)
{
    return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; });
}

} // namespace

std::string slurmJobProblem(const SlurmJob& job)
{
    if (!plainName(job.name))
        return "the SLURM job name '" + job.name + "' may only hold letters, digits, '.', '_' and '-'";
    if (!job.partition.empty() && !plainName(job.partition))
        return "the SLURM partition '" + job.partition + "' may only hold letters, digits, '.', '_' and '-'";
    if (job.nodes < 1 || job.nodes > 4096)
        return "SLURM nodes must be from 1 to 4096";
    if (job.tasksPerNode < 1 || job.tasksPerNode > 1024)
        return "ranks a node must be from 1 to 1024";
    if (job.gpusPerNode < 0 || job.gpusPerNode > 64)
        return "GPUs a node must be from 0 to 64";
    if (job.cpusPerTask < 0 || job.cpusPerTask > 4096)
        return "CPUs a rank must be from 0 (SLURM's default) to 4096";
    if (!job.timeLimit.empty() && !timeLimit(job.timeLimit))
        return "the time limit '" + job.timeLimit + "' is none of SLURM's forms (minutes, HH:MM:SS, D-HH:MM:SS, ...)";
    if (job.engine.empty() || job.engine.find_first_of(std::string("\n\r\0", 3)) != std::string::npos)
        return "the engine's path on the cluster is empty or holds a line break";
    return {};
}

std::string sbatchScript(const SlurmJob& job, const std::vector<std::string>& engineArgs, std::string& error)
{
    if (const std::string p = slurmJobProblem(job); !p.empty()) {
        error = p;
        return {};
    }
    std::string s = "#!/bin/bash\n";
    s += "# Written by MammoScope's Training panel. One data-parallel rank a task: srun starts them; mammoscope-train\n"
         "# reads SLURM_PROCID, SLURM_LOCALID, SLURM_NTASKS and rank 0's host (the first of SLURM_JOB_NODELIST).\n"
         "# scancel --signal=TERM makes every rank write a checkpoint and stop at the same step.\n";
    s += "#SBATCH --job-name=" + job.name + "\n";
    if (!job.partition.empty())
        s += "#SBATCH --partition=" + job.partition + "\n";
    s += "#SBATCH --nodes=" + std::to_string(job.nodes) + "\n";
    s += "#SBATCH --ntasks-per-node=" + std::to_string(job.tasksPerNode) + "\n";
    if (job.gpusPerNode > 0)
        s += "#SBATCH --gpus-per-node=" + std::to_string(job.gpusPerNode) + "\n";
    if (job.cpusPerTask > 0)
        s += "#SBATCH --cpus-per-task=" + std::to_string(job.cpusPerTask) + "\n";
    if (!job.timeLimit.empty())
        s += "#SBATCH --time=" + job.timeLimit + "\n";
    const std::string line = shellCommandLine(job.engine, engineArgs, error);
    if (line.empty())
        return {};
    s += "exec srun --kill-on-bad-exit=1 " + line + "\n";
    return s;
}

bool parseSbatchJobId(std::string_view output, long long& id, std::string& error)
{
    const std::string t(trim(output));
    const std::string number = t.substr(0, t.find(';'));
    if (!digits(number, 18) || t.find('\n') != std::string::npos) {
        error = "sbatch did not answer with a job id: '" + t.substr(0, 200) + "'";
        return false;
    }
    id = std::stoll(number);
    return true;
}

bool SlurmJobState::ended() const
{
    static const char* const running[] = { "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING",
        "SIGNALING", "STAGE_OUT", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "STOPPED" };
    return !state.empty() && std::none_of(std::begin(running), std::end(running), [&](const char* s) { return state == s; });
}

bool parseSqueueLine(std::string_view output, SlurmJobState& out)
{
    const std::string t(trim(output));
    if (t.empty() || t.find('\n') != std::string::npos)
        return false;
    const size_t bar = t.find('|');
    const std::string state = t.substr(0, bar);
    if (!stateWord(state))
        return false;
    out.state = state;
    out.reason = bar == std::string::npos ? std::string() : t.substr(bar + 1, 200);
    if (out.reason == "None")
        out.reason.clear();
    return true;
}

bool parseScontrolJob(std::string_view output, SlurmJobState& out)
{
    const std::string state = valueOf(output, "JobState");
    if (!stateWord(state))
        return false;
    out.state = state;
    out.reason = valueOf(output, "Reason").substr(0, 200);
    if (out.reason == "None")
        out.reason.clear();
    const std::string exit = valueOf(output, "ExitCode");
    const size_t colon = exit.find(':');
    if (colon != std::string::npos && digits(exit.substr(0, colon), 3) && digits(exit.substr(colon + 1), 3)) {
        out.exitCode = std::stoi(exit.substr(0, colon));
        out.signal = std::stoi(exit.substr(colon + 1));
    }
    return true;
}

} // namespace ms::runs

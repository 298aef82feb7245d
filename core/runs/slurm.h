// SPDX-License-Identifier: GPL-3.0-or-later
// Training on a SLURM cluster: the job script the Training panel shows before it submits it with sbatch, and the
// readers of what sbatch, squeue and scontrol answer. The ranks are srun's tasks; mammoscope-train reads SLURM's
// environment (launch.h). Nothing here runs a command. Standard library only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ms::runs
{

struct SlurmJob {
    std::string name = "mammoscope"; // --job-name
    std::string partition; // "" the cluster's default
    int nodes = 1;
    int tasksPerNode = 1; // ranks a node
    int gpusPerNode = 0; // 0: a CPU job
    int cpusPerTask = 0; // 0: SLURM's default
    std::string timeLimit; // "" none; minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS
    std::string engine = "mammoscope-train"; // the engine's path on the compute nodes
};

// "" when the job can be written as a script, else why not (names and partitions of letters, digits, . _ -;
// counts in range; a time limit in one of SLURM's forms).
std::string slurmJobProblem(const SlurmJob& job);

// The batch script: #SBATCH lines for the resources, then `exec srun --kill-on-bad-exit=1 ENGINE ARGS...` with every
// word quoted. The output file and working directory go on sbatch's command line (paths may hold blanks).
std::string sbatchScript(const SlurmJob& job, const std::vector<std::string>& engineArgs, std::string& error);

// sbatch --parsable prints "JOBID" or "JOBID;CLUSTER". false with `error` for anything else.
bool parseSbatchJobId(std::string_view output, long long& id, std::string& error);

struct SlurmJobState {
    std::string state; // PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, ...
    std::string reason; // why it pends (squeue's %r), or ""
    int exitCode = -1; // the batch script's exit code when it ended (scontrol's ExitCode=code:signal)
    int signal = 0;
    bool ended() const; // a state a job does not leave
};

// `squeue -h -j ID -o %T|%r` -> state and reason; false for empty output (the job is no longer queued) or garbage.
bool parseSqueueLine(std::string_view output, SlurmJobState& out);
// `scontrol show job -o ID` (one line of Key=Value words) -> JobState, Reason and ExitCode; false when absent.
bool parseScontrolJob(std::string_view output, SlurmJobState& out);

} // namespace ms::runs

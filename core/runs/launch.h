// SPDX-License-Identifier: GPL-3.0-or-later
// Who this process is in a data-parallel run, read from the environment the way clusters start PyTorch jobs: torchrun
// (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT; `mammoscope-train --nproc-per-node`
// sets the same), else SLURM's srun (SLURM_PROCID, SLURM_LOCALID, SLURM_NTASKS, the first host of
// SLURM_JOB_NODELIST). Standard library only.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace ms::runs
{

struct LaunchEnv {
    int rank = 0, localRank = 0, worldSize = 1, localWorldSize = 1;
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    std::string launcher; // "" (one process), "torchrun", "slurm" or "mammoscope-train"
    bool distributed() const { return worldSize > 1; }
};

// getenv(name) is nullptr for an unset variable. false with `error` naming the variable and its value when one is
// malformed or inconsistent (RANK 3 of WORLD_SIZE 2, a port out of range, ...). Nothing set: one process.
bool readLaunchEnv(const std::function<const char*(const char*)>& getenv, LaunchEnv& out, std::string& error);
bool readLaunchEnv(LaunchEnv& out, std::string& error); // the process's own environment

// The first host of a SLURM host list ("gpu[07-09,12],cpu1" -> "gpu07"); "" with `error` when it is malformed.
std::string firstSlurmHost(std::string_view nodelist, std::string& error);

// A TCP port nobody listens on right now on 127.0.0.1 (bound to port 0, read back, closed): for a local rendezvous
// (rank 0's TCPStore binds it a moment later) and for tests that start servers; 0 when none could be had.
int freeLoopbackPort();

} // namespace ms::runs

// SPDX-License-Identifier: GPL-3.0-or-later
// `mammoscope-train train --nproc-per-node N`: starts N local ranks of this program, as torchrun does, for people
// without torchrun or SLURM.
#pragma once

#include <string>
#include <vector>

namespace ms::launcher
{

// Runs `args` (argv without the program, --nproc-per-node removed) as ranks 0..n-1 of one group on this machine:
// RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT in their environment.
// Lines on stdin go to rank 0 (stop, checkpoint: the ranks agree on them each step); SIGINT and SIGTERM go to every
// rank. When a rank fails or dies, the others get SIGTERM, then SIGKILL after `graceSeconds`. Returns 0 when every
// rank succeeded, else the first failed rank's exit code (1 for a rank killed by a signal). `rank0KilledBy`, when
// given, gets how rank 0 ended if a signal ended it ("was killed by signal 9 (Killed)"), else "": then rank 0 could
// not record its own end in the run folder.
int runLocalRanks(int n, const std::vector<std::string>& args, int graceSeconds = 10, std::string* rank0KilledBy = nullptr);

// args without "--nproc-per-node N" / "--nproc-per-node=N"; `n` gets N (1 when absent, 0 when malformed).
std::vector<std::string> takeNprocPerNode(const std::vector<std::string>& args, int& n);

} // namespace ms::launcher

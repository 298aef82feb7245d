// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/runs/launch.h"

#include "core/common/strings.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cstdlib>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ms::runs
{

namespace
{

// A whole non-negative integer in [lo, hi]; false with `error` naming the variable.
bool readInt(
    const std::function<const char*(const char*)>& getenv, const char* name, long long lo, long long hi, int& out, std::string& error)
{
    const char* v = getenv(name);
    if (!v) {
        error = std::string(name) + " is not set";
        return false;
    }
    const auto n = parseInt(v);
    if (!n || *n < lo || *n > hi) {
        error = std::string(name) + "='" + v + "' is not an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
        return false;
    }
    out = int(*n);
    return true;
}

constexpr long long kMaxRanks = 1 << 20;

} // namespace

std::string firstSlurmHost(std::string_view list, std::string& error)
{
    // Hosts are separated by commas outside brackets; a bracket holds ranges ("01-04") or single numbers, comma
    // separated; the first host takes the start of the first range of every bracket (zero padding kept).
    std::string host;
    size_t i = 0;
    while (i < list.size() && list[i] != ',') {
        const char c = list[i];
        if (c == ']') {
            error = "SLURM host list '" + std::string(list) + "': ']' without '['";
            return {};
        }
        if (c != '[') {
            if (c == ' ' || c == '\t' || c == '\n') {
                error = "SLURM host list '" + std::string(list) + "': white space in a host name";
                return {};
            }
            host += c;
            ++i;
            continue;
        }
        const size_t close = list.find(']', i);
        if (close == std::string_view::npos) {
            error = "SLURM host list '" + std::string(list) + "': '[' without ']'";
            return {};
        }
        const std::string_view inner = list.substr(i + 1, close - i - 1);
        const std::string_view first = inner.substr(0, inner.find_first_of(",-"));
        if (first.empty() || first.find_first_not_of("0123456789") != std::string_view::npos) {
            error = "SLURM host list '" + std::string(list) + "': '[" + std::string(inner) + "]' is not a list of numbers";
            return {};
        }
        host += first;
        i = close + 1;
    }
    if (host.empty())
        error = "SLURM host list '" + std::string(list) + "' names no host";
    return host;
}

bool readLaunchEnv(const std::function<const char*(const char*)>& getenv, LaunchEnv& out, std::string& error)
{
    out = LaunchEnv();
    const bool torchrun = getenv("WORLD_SIZE") != nullptr || getenv("RANK") != nullptr;
    const bool slurm = !torchrun && getenv("SLURM_PROCID") != nullptr && getenv("SLURM_NTASKS") != nullptr;
    if (!torchrun && !slurm)
        return true;
    if (torchrun) {
        if (!readInt(getenv, "WORLD_SIZE", 1, kMaxRanks, out.worldSize, error) || !readInt(getenv, "RANK", 0, kMaxRanks, out.rank, error))
            return false;
        const char* mine = getenv("MS_LAUNCHER");
        out.launcher = mine && std::string(mine) == "mammoscope-train" ? "mammoscope-train" : "torchrun";
        out.localRank = out.rank;
        out.localWorldSize = out.worldSize;
        if (getenv("LOCAL_RANK") && !readInt(getenv, "LOCAL_RANK", 0, kMaxRanks, out.localRank, error))
            return false;
        if (getenv("LOCAL_WORLD_SIZE") && !readInt(getenv, "LOCAL_WORLD_SIZE", 1, kMaxRanks, out.localWorldSize, error))
            return false;
        if (out.worldSize > 1 || getenv("MASTER_ADDR")) {
            const char* addr = getenv("MASTER_ADDR");
            if (!addr || !*addr) {
                error = "MASTER_ADDR is not set (torchrun sets it; or start the ranks with mammoscope-train --nproc-per-node)";
                return false;
            }
            out.masterAddr = addr;
            if (!readInt(getenv, "MASTER_PORT", 1, 65535, out.masterPort, error))
                return false;
        }
    } else {
        out.launcher = "slurm";
        if (!readInt(getenv, "SLURM_NTASKS", 1, kMaxRanks, out.worldSize, error)
            || !readInt(getenv, "SLURM_PROCID", 0, kMaxRanks, out.rank, error))
            return false;
        out.localRank = 0;
        if (getenv("SLURM_LOCALID") && !readInt(getenv, "SLURM_LOCALID", 0, kMaxRanks, out.localRank, error))
            return false;
        out.localWorldSize = out.worldSize;
        if (const char* perNode = getenv("SLURM_NTASKS_PER_NODE"); perNode && parseInt(perNode))
            out.localWorldSize = int(std::max<long long>(1, std::min<long long>(kMaxRanks, *parseInt(perNode))));
        if (const char* addr = getenv("MASTER_ADDR"); addr && *addr) {
            out.masterAddr = addr;
        } else {
            const char* nodes = getenv("SLURM_JOB_NODELIST");
            if (!nodes)
                nodes = getenv("SLURM_NODELIST");
            if (!nodes) {
                error = "SLURM_JOB_NODELIST is not set: cannot tell which host rank 0 is on (set MASTER_ADDR)";
                return false;
            }
            out.masterAddr = firstSlurmHost(nodes, error);
            if (out.masterAddr.empty())
                return false;
        }
        if (getenv("MASTER_PORT")) {
            if (!readInt(getenv, "MASTER_PORT", 1, 65535, out.masterPort, error))
                return false;
        } else if (const char* job = getenv("SLURM_JOB_ID"); job && parseInt(job) && *parseInt(job) >= 0) {
            out.masterPort = int(15000 + *parseInt(job) % 10000); // one port per job, the same on every rank
        }
    }
    if (out.rank >= out.worldSize) {
        error = "rank " + std::to_string(out.rank) + " is not below the world size " + std::to_string(out.worldSize);
        return false;
    }
    if (out.localRank >= out.localWorldSize && out.localWorldSize > 1) {
        error = "local rank " + std::to_string(out.localRank) + " is not below the local world size " + std::to_string(out.localWorldSize);
        return false;
    }
    return true;
}

bool readLaunchEnv(LaunchEnv& out, std::string& error)
{
    return readLaunchEnv([](const char* name) { return static_cast<const char*>(std::getenv(name)); }, out, error);
}

int freeLoopbackPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    sockaddr_in a {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

} // namespace ms::runs

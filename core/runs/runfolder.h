// SPDX-License-Identifier: GPL-3.0-or-later
// Writing a run folder (the engine's side of core/runs): metrics.jsonl and stdout get the same JSON lines;
// status.json and config.json are replaced atomically; log.txt and stderr get the human-readable lines. A write
// that fails is reported (error() keeps the first failure), never ignored. Standard library only.
#pragma once

#include "core/common/json.h"
#include "core/runs/config.h"
#include "core/runs/protocol.h"

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>

namespace ms::runs
{

class RunFolder
{
public:
    explicit RunFolder(std::filesystem::path dir);
    const std::filesystem::path& dir() const { return m_dir; }
    bool open(bool append, std::string& error);

    // One JSON line ("type": step | epoch | event | eval), stamped with the protocol version and time. false when
    // it could not be written (error() says why).
    bool append(Json line);
    bool append(const StepPoint& p) { return append(toJson(p)); }
    bool append(const EpochPoint& p) { return append(toJson(p)); }
    bool append(const Event& e) { return append(toJson(e)); }
    void log(const std::string& text);
    bool status(const std::string& state, int epoch, long step, const std::string& message, const Json& extra = Json());
    bool writeConfig(const RunConfig& config);
    // A failure: logged, an "event": "failed" line with the message, and status "failed".
    void fail(const std::string& message, int epoch, long step);
    // Keeps only metrics lines whose step is <= `step` (resuming from a checkpoint taken there).
    bool truncateMetricsAfter(long step);
    // The first write that failed ("" while every write succeeded).
    std::string error() const;
    bool echoStdout = true;
    // A data-parallel rank other than 0: writes nothing (rank 0 alone writes the run folder); log() and fail() go to
    // stderr as "[rank N] ...".
    void setReplica(int rank) { m_replicaRank = rank; }
    bool isReplica() const { return m_replicaRank > 0; }

private:
    bool noteError(const std::string& what);

    std::filesystem::path m_dir;
    std::ofstream m_metrics, m_log;
    mutable std::mutex m_mutex;
    std::string m_error;
    int m_replicaRank = 0;
};

double nowSeconds();

} // namespace ms::runs

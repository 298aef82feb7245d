// SPDX-License-Identifier: GPL-3.0-or-later
// Writing a run folder: metrics.jsonl and stdout get the same JSON lines; status.json is replaced atomically;
// log.txt and stderr get the human-readable lines.
#pragma once

#include "core/common/json.h"

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>

namespace ms::training
{

constexpr int kProtocolVersion = 1;

class RunFolder
{
public:
    explicit RunFolder(std::filesystem::path dir);
    const std::filesystem::path& dir() const { return m_dir; }
    bool open(bool append, std::string& error);

    // One JSON line ("type": step | epoch | event | eval), stamped with the protocol version and time.
    void emit(Json line);
    void log(const std::string& text);
    void status(const std::string& state, int epoch, long step, const std::string& message, const Json& extra = Json());
    // A failure: logged, an "event": "failed" line with the message, and status "failed".
    void fail(const std::string& message, int epoch, long step);
    // Keeps only metrics lines whose step is <= `step` (resuming from a checkpoint taken there).
    void truncateMetricsAfter(long step);
    bool echoStdout = true;

private:
    std::filesystem::path m_dir;
    std::ofstream m_metrics, m_log;
    std::mutex m_mutex;
};

double nowSeconds();

} // namespace ms::training

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/runs/runfolder.h"

#include "core/common/paths.h"

#include <chrono>
#include <cstdio>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ms::runs
{

double nowSeconds()
{
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

RunFolder::RunFolder(fs::path dir) : m_dir(std::move(dir))
{
}

bool RunFolder::open(bool append, std::string& error)
{
    if (isReplica())
        return true;
    std::error_code ec;
    fs::create_directories(m_dir / "checkpoints", ec);
    if (ec) {
        error = "cannot create run folder " + m_dir.string() + ": " + ec.message();
        return false;
    }
    const auto mode = append ? std::ios::app : std::ios::trunc;
    m_metrics.open(m_dir / "metrics.jsonl", std::ios::out | mode);
    m_log.open(m_dir / "log.txt", std::ios::out | mode);
    if (!m_metrics || !m_log) {
        error = "cannot write in run folder " + m_dir.string();
        return false;
    }
    return true;
}

bool RunFolder::noteError(const std::string& what)
{
    // the caller holds m_mutex
    if (m_error.empty()) {
        m_error = what;
        std::fprintf(stderr, "mammoscope-train: %s\n", what.c_str());
    }
    return false;
}

std::string RunFolder::error() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_error;
}

bool RunFolder::append(Json line)
{
    if (isReplica())
        return true;
    line.set("v", kProtocolVersion);
    line.set("time", nowSeconds());
    const std::string s = line.dump();
    std::lock_guard<std::mutex> lock(m_mutex);
    m_metrics << s << '\n';
    m_metrics.flush();
    if (echoStdout) {
        std::fputs(s.c_str(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    }
    if (!m_metrics)
        return noteError("cannot write " + (m_dir / "metrics.jsonl").string() + " (disk full?)");
    return true;
}

void RunFolder::log(const std::string& text)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    if (isReplica()) {
        std::fprintf(stderr, "[rank %d] %s\n", m_replicaRank, text.c_str());
        return;
    }
    m_log << text << '\n';
    m_log.flush();
    std::fprintf(stderr, "%s\n", text.c_str());
    if (!m_log)
        noteError("cannot write " + (m_dir / "log.txt").string() + " (disk full?)");
}

bool RunFolder::status(const std::string& state, int epoch, long step, const std::string& message, const Json& extra)
{
    if (isReplica())
        return true;
    Json s = extra.isObject() ? extra : Json::object();
    s.set("v", kProtocolVersion);
    s.set("state", state);
    s.set("epoch", epoch);
    s.set("step", step);
    s.set("message", message);
    s.set("pid", long(getpid()));
    s.set("updated", nowSeconds());
    if (auto err = writeFileAtomic(m_dir / "status.json", s.dump(2) + "\n"); !err.empty()) {
        std::lock_guard<std::mutex> lock(m_mutex);
        return noteError(err);
    }
    return true;
}

bool RunFolder::writeConfig(const RunConfig& config)
{
    if (isReplica())
        return true;
    if (auto err = writeFileAtomic(m_dir / "config.json", config.toJson().dump(2) + "\n"); !err.empty()) {
        std::lock_guard<std::mutex> lock(m_mutex);
        return noteError(err);
    }
    return true;
}

void RunFolder::fail(const std::string& message, int epoch, long step)
{
    log(message);
    Event ev;
    ev.name = event::kFailed;
    ev.step = step;
    ev.epoch = epoch;
    ev.message = message;
    append(ev);
    status(state::kFailed, epoch, step, message);
}

bool RunFolder::truncateMetricsAfter(long step)
{
    if (isReplica())
        return true;
    std::lock_guard<std::mutex> lock(m_mutex);
    m_metrics.close();
    std::string text, kept;
    readFile(m_dir / "metrics.jsonl", text);
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        auto j = Json::parse(line);
        if (!j)
            continue; // a line cut by a crash
        const Json* st = j->find("step");
        if (st && st->integer() > step)
            continue;
        kept += line + "\n";
    }
    const std::string err = writeFileAtomic(m_dir / "metrics.jsonl", kept);
    m_metrics.open(m_dir / "metrics.jsonl", std::ios::out | std::ios::app);
    if (!err.empty())
        return noteError(err);
    return bool(m_metrics) || noteError("cannot reopen " + (m_dir / "metrics.jsonl").string());
}

} // namespace ms::runs

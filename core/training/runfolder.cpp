// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/training/runfolder.h"

#include "core/common/paths.h"

#include <chrono>
#include <cstdio>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ms::training
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

void RunFolder::emit(Json line)
{
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
}

void RunFolder::log(const std::string& text)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    m_log << text << '\n';
    m_log.flush();
    std::fprintf(stderr, "%s\n", text.c_str());
}

void RunFolder::status(const std::string& state, int epoch, long step, const std::string& message, const Json& extra)
{
    Json s = extra.isObject() ? extra : Json::object();
    s.set("v", kProtocolVersion);
    s.set("state", state);
    s.set("epoch", epoch);
    s.set("step", step);
    s.set("message", message);
    s.set("pid", long(getpid()));
    s.set("updated", nowSeconds());
    (void)writeFileAtomic(m_dir / "status.json", s.dump(2) + "\n");
}

void RunFolder::fail(const std::string& message, int epoch, long step)
{
    log(message);
    Json ev = Json::object();
    ev.set("type", "event");
    ev.set("event", "failed");
    ev.set("step", step);
    ev.set("epoch", epoch);
    ev.set("message", message);
    emit(ev);
    status("failed", epoch, step, message);
}

void RunFolder::truncateMetricsAfter(long step)
{
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
    (void)writeFileAtomic(m_dir / "metrics.jsonl", kept);
    m_metrics.open(m_dir / "metrics.jsonl", std::ios::out | std::ios::app);
}

} // namespace ms::training

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/runs/runreader.h"

#include "core/common/paths.h"

#include <algorithm>
#include <fstream>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace ms::runs
{

namespace
{
Json readJsonFile(const fs::path& file)
{
    std::string s;
    if (readFile(file, s))
        if (auto j = Json::parse(s))
            return *j;
    return Json();
}
} // namespace

Json readStatus(const fs::path& dir)
{
    return readJsonFile(dir / "status.json");
}

bool readRunConfig(const fs::path& dir, RunConfig& out, std::string* error)
{
    out = RunConfig();
    std::string text, why;
    if (!readFile(dir / "config.json", text))
        why = (dir / "config.json").string() + ": cannot read it";
    else if (auto j = Json::parse(text); !j)
        why = (dir / "config.json").string() + ": " + j.error().message;
    else if (RunConfig::fromJson(*j, out, why))
        return true;
    else
        why = (dir / "config.json").string() + ": " + why;
    if (error)
        *error = why;
    return false;
}

Json readCrossval(const fs::path& dir)
{
    return readJsonFile(dir / "crossval.json");
}

RunReader::RunReader(fs::path dir) : m_dir(std::move(dir))
{
}

void RunReader::clearSeries()
{
    m_steps.clear();
    m_epochs.clear();
    m_events.clear();
    m_evals.clear();
    m_pending.clear();
    m_offset = 0;
    ++m_generation;
}

int RunReader::poll()
{
    if (Json st = readStatus(m_dir); !st.isNull())
        m_status = std::move(st);
    if (m_config.isNull()) {
        m_config = readJsonFile(m_dir / "config.json");
        if (!m_config.isNull()) {
            m_runConfigError.clear();
            if (!RunConfig::fromJson(m_config, m_runConfig, m_runConfigError))
                m_runConfig = RunConfig();
        }
    }

    const fs::path metrics = m_dir / "metrics.jsonl";
    std::error_code ec;
    // Not a regular file (a folder of that name, a socket): nothing to read. file_size on a folder returned
    // (uintmax_t)-1 and the read below asked for that many bytes (#18 item 4).
    uint64_t size = fs::is_regular_file(metrics, ec) ? fs::file_size(metrics, ec) : 0;
    if (ec)
        size = 0;
    struct stat st {
    };
    const uint64_t inode = ::stat(metrics.c_str(), &st) == 0 ? uint64_t(st.st_ino) : 0;
    if (size < m_offset || (m_inode && inode != m_inode))
        clearSeries(); // rewritten (a resume drops lines after its checkpoint): read it again from the start
    m_inode = inode;
    if (size == m_offset)
        return 0;
    std::ifstream f(metrics, std::ios::binary);
    if (!f)
        return 0;
    f.seekg(std::streamoff(m_offset));
    // at most 64 MiB a poll: a huge file is read over several polls, never in one allocation
    std::string chunk(size_t(std::min<uint64_t>(size - m_offset, uint64_t(64) << 20)), '\0');
    f.read(chunk.data(), std::streamsize(chunk.size()));
    chunk.resize(size_t(f.gcount()));
    m_offset += chunk.size();
    m_pending += chunk;
    int parsed = 0;
    size_t start = 0;
    for (size_t nl; (nl = m_pending.find('\n', start)) != std::string::npos; start = nl + 1) {
        parseLine(m_pending.substr(start, nl - start));
        ++parsed;
    }
    m_pending.erase(0, start);
    return parsed;
}

void RunReader::parseLine(const std::string& line)
{
    if (line.empty())
        return;
    auto j = Json::parse(line);
    if (!j || !j->isObject()) {
        ++m_malformed;
        return;
    }
    if ((*j)["v"].integer() != kProtocolVersion) {
        ++m_unknownVersion;
        return;
    }
    const std::string type = (*j)["type"].string();
    if (type == line::kStep) {
        m_steps.push_back(stepFromJson(*j));
    } else if (type == line::kEpoch) {
        m_epochs.push_back(epochFromJson(*j));
    } else if (type == line::kEvent) {
        m_events.push_back(eventFromJson(*j));
    } else if (type == line::kEval) {
        m_evals.push_back(*j);
    } else {
        ++m_malformed;
    }
}

} // namespace ms::runs

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

Json readConfig(const fs::path& dir)
{
    return readJsonFile(dir / "config.json");
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
    if (m_config.isNull())
        m_config = readConfig(m_dir);

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
    if ((*j)["v"].integer() != 1) {
        ++m_unknownVersion;
        return;
    }
    const std::string type = (*j)["type"].string();
    if (type == "step") {
        StepPoint p;
        p.step = long((*j)["step"].integer());
        p.epoch = (*j)["epoch"].number();
        p.loss = (*j)["loss"].number();
        p.lr = (*j)["lr"].number();
        p.imagesPerS = (*j)["images_per_s"].number();
        m_steps.push_back(p);
    } else if (type == "epoch") {
        EpochPoint e;
        e.step = long((*j)["step"].integer());
        e.epoch = int((*j)["epoch"].integer());
        e.fold = int((*j)["fold"].integer(0));
        // crossval runs written before 2026-12 named it "loss"
        e.trainLoss = (*j)["train_loss"].number((*j)["loss"].number());
        e.trainAccuracy = (*j)["train_accuracy"].number();
        e.valLoss = (*j)["val_loss"].number(-1);
        e.valAccuracy = (*j)["val_accuracy"].number(-1);
        e.valAuc = (*j)["val_auc"].number(-1);
        e.lr = (*j)["lr"].number();
        e.deviceMemory = (*j)["device_memory"].integer();
        e.val = (*j)["val"];
        m_epochs.push_back(e);
    } else if (type == "event") {
        Event e;
        e.name = (*j)["event"].string();
        e.message = (*j)["message"].string();
        e.step = long((*j)["step"].integer());
        e.time = (*j)["time"].number();
        m_events.push_back(e);
    } else if (type == "eval") {
        m_evals.push_back(*j);
    } else {
        ++m_malformed;
    }
}

} // namespace ms::runs

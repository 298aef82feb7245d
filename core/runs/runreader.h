// SPDX-License-Identifier: GPL-3.0-or-later
// Follows a run folder (docs/shards.md): reads metrics.jsonl incrementally (only the bytes appended since the last
// poll; a last line without its newline waits for the next poll; malformed lines are counted and skipped, never
// fatal), status.json and config.json. Works for runs started by the GUI or by an engine started elsewhere.
#pragma once

#include "core/common/json.h"
#include "core/runs/config.h"
#include "core/runs/protocol.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ms::runs
{

// status.json or config.json alone, without reading metrics.jsonl (cheap enough for buttons and menus); null Json
// when absent or unreadable.
Json readStatus(const std::filesystem::path& dir);
// config.json typed; a default RunConfig (and false) when absent or malformed, `error` saying why.
bool readRunConfig(const std::filesystem::path& dir, RunConfig& out, std::string* error = nullptr);
// crossval.json of a cross-validation run (mammoscope-train crossval): its pooled figures; null when absent.
Json readCrossval(const std::filesystem::path& dir);

class RunReader
{
public:
    explicit RunReader(std::filesystem::path dir);
    const std::filesystem::path& dir() const { return m_dir; }

    // Reads what was appended since the last call; returns the number of new lines parsed.
    int poll();

    const std::vector<StepPoint>& steps() const { return m_steps; }
    const std::vector<EpochPoint>& epochs() const { return m_epochs; }
    const std::vector<Event>& events() const { return m_events; }
    const std::vector<Json>& evals() const { return m_evals; }
    const Json& status() const { return m_status; }
    // config.json typed (default values until it was read; runConfigError() says why it could not be).
    const RunConfig& runConfig() const { return m_runConfig; }
    const std::string& runConfigError() const { return m_runConfigError; }
    bool hasRunConfig() const { return !m_config.isNull() && m_runConfigError.empty(); }
    std::string state() const { return m_status["state"].string(); }
    int malformedLines() const { return m_malformed; }
    // Incremented each time the file was rewritten and read again from the start (followers must drop what they
    // drew: the lines after a resume's checkpoint are gone).
    int generation() const { return m_generation; }
    int unknownVersionLines() const { return m_unknownVersion; }

private:
    void parseLine(const std::string& line);
    void clearSeries();

    std::filesystem::path m_dir;
    uint64_t m_offset = 0;
    uint64_t m_inode = 0; // a new file (the engine rewrites it atomically on resume) is read from the start
    std::string m_pending; // a line still missing its newline
    std::vector<StepPoint> m_steps;
    std::vector<EpochPoint> m_epochs;
    std::vector<Event> m_events;
    std::vector<Json> m_evals;
    Json m_status, m_config;
    RunConfig m_runConfig;
    std::string m_runConfigError;
    int m_malformed = 0, m_unknownVersion = 0;
    int m_generation = 0;
};

} // namespace ms::runs

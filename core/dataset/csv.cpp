// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dataset/csv.h"

#include "core/common/paths.h"
#include "core/common/strings.h"

namespace ms
{

std::string CsvTable::normalise(std::string_view name)
{
    std::string s = toLower(trim(name));
    for (char& c : s)
        if (c == '_')
            c = ' ';
    return s;
}

int CsvTable::column(std::string_view name) const
{
    const std::string n = normalise(name);
    for (size_t i = 0; i < header.size(); ++i)
        if (normalise(header[i]) == n)
            return int(i);
    return -1;
}

Result<CsvTable> parseCsv(std::string_view t, const std::string& file)
{
    CsvTable table;
    size_t i = 0;
    if (t.substr(0, 3) == "\xEF\xBB\xBF")
        i = 3;
    int line = 1;
    std::vector<CsvRecord> records;
    CsvRecord rec;
    rec.line = 1;
    std::string cell;
    bool anyInRecord = false;
    while (i < t.size()) {
        char c = t[i];
        if (c == '"' && cell.empty()) {
            const int startLine = line;
            ++i;
            bool closed = false;
            while (i < t.size()) {
                char d = t[i++];
                if (d == '"') {
                    if (i < t.size() && t[i] == '"') {
                        cell += '"';
                        ++i;
                    } else {
                        closed = true;
                        break;
                    }
                } else {
                    if (d == '\n')
                        ++line;
                    if (d == '\r' && i < t.size() && t[i] == '\n')
                        continue; // keep embedded newlines as \n
                    cell += d;
                }
            }
            if (!closed)
                return Error("quoted cell is never closed", file, "line " + std::to_string(startLine));
            anyInRecord = true;
            continue;
        }
        if (c == ',') {
            rec.cells.push_back(std::move(cell));
            cell.clear();
            anyInRecord = true;
            ++i;
            continue;
        }
        if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < t.size() && t[i + 1] == '\n')
                ++i;
            ++i;
            if (anyInRecord || !cell.empty()) {
                rec.cells.push_back(std::move(cell));
                records.push_back(std::move(rec));
            }
            cell.clear();
            rec = CsvRecord();
            ++line;
            rec.line = line;
            anyInRecord = false;
            continue;
        }
        cell += c;
        anyInRecord = true;
        ++i;
    }
    if (anyInRecord || !cell.empty()) {
        rec.cells.push_back(std::move(cell));
        records.push_back(std::move(rec));
    }
    if (records.empty())
        return Error("file is empty (no header row)", file);
    table.header = std::move(records.front().cells);
    records.erase(records.begin());
    table.rows = std::move(records);
    return table;
}

Result<CsvTable> readCsv(const std::filesystem::path& path)
{
    std::string text;
    if (!readFile(path, text))
        return Error("cannot read file", path.string());
    return parseCsv(text, path.string());
}

std::string csvLine(const std::vector<std::string>& cells, bool crlf)
{
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
        if (i)
            out += ',';
        const std::string& c = cells[i];
        if (c.find_first_of(",\"\r\n") != std::string::npos) {
            out += '"';
            for (char ch : c) {
                if (ch == '"')
                    out += '"';
                out += ch;
            }
            out += '"';
        } else {
            out += c;
        }
    }
    out += crlf ? "\r\n" : "\n";
    return out;
}

} // namespace ms

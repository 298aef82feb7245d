// SPDX-License-Identifier: GPL-3.0-or-later
// RFC 4180 CSV: quoted cells with embedded separators, quotes and newlines (CBIS-DDSM puts a newline inside a quoted
// path cell in every row), CRLF or LF, an optional UTF-8 BOM. Each record remembers the line it started on.
#pragma once

#include "core/common/result.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ms
{

struct CsvRecord {
    int line = 0; // 1-based line where the record starts
    std::vector<std::string> cells;
};

struct CsvTable {
    std::vector<std::string> header;
    std::vector<CsvRecord> rows;
    // Column index by name, compared after normalising (lower case, '_' -> ' ', trimmed); -1 when absent.
    int column(std::string_view name) const;
    static std::string normalise(std::string_view name);
};

// Parses text. A quote left open at the end is an error naming the line where the cell began.
Result<CsvTable> parseCsv(std::string_view text, const std::string& fileNameForErrors = {});
Result<CsvTable> readCsv(const std::filesystem::path& path);

// Writes one CSV line (with CRLF when crlf is set), quoting cells that need it.
std::string csvLine(const std::vector<std::string>& cells, bool crlf = true);

} // namespace ms

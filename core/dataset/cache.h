// SPDX-License-Identifier: GPL-3.0-or-later
// The index cache: an SQLite file beside the user's settings (never inside a dataset) holding DICOM header facts
// per file (keyed by path, size and modification time) and whole indexed datasets keyed by a fingerprint of their
// files, so reopening an unchanged dataset costs a directory walk and one read.
#pragma once

#include "core/common/result.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

struct sqlite3;

namespace ms::dataset
{

struct FileFacts {
    bool ok = false;
    std::string error; // why the header could not be read
    std::string seriesUid, studyUid, sopClassUid, sopInstanceUid, patientId, laterality, view, seriesDescription;
    int rows = 0, columns = 0;
};

class HeaderCache
{
public:
    static Result<std::unique_ptr<HeaderCache>> open(const std::filesystem::path& file);
    ~HeaderCache();
    HeaderCache(const HeaderCache&) = delete;
    HeaderCache& operator=(const HeaderCache&) = delete;

    std::optional<FileFacts> get(const std::string& path, uint64_t size, int64_t mtime);
    void put(const std::string& path, uint64_t size, int64_t mtime, const FileFacts& f);
    std::optional<std::string> getDataset(const std::string& root, const std::string& fingerprint);
    void putDataset(const std::string& root, const std::string& fingerprint, const std::string& payload);
    void begin();
    void commit();

private:
    HeaderCache() = default;
    sqlite3* m_db = nullptr;
};

// Reads the facts of a DICOM file through the cache (cache may be null).
FileFacts dicomFacts(const std::filesystem::path& p, HeaderCache* cache);

} // namespace ms::dataset

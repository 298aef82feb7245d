// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dataset/cache.h"
#include "core/common/sqlite.h"

#include "core/dicom/dicom.h"

#include <sqlite3.h>

#include <chrono>

namespace fs = std::filesystem;

namespace ms::dataset
{

namespace
{

using sqlite::Stmt;

constexpr int kSchemaVersion = 3; // 3: the SOP Instance UID (SEGs name their image by it)

} // namespace

Result<std::unique_ptr<HeaderCache>> HeaderCache::open(const fs::path& file)
{
    std::error_code ec;
    if (file.has_parent_path())
        fs::create_directories(file.parent_path(), ec);
    std::unique_ptr<HeaderCache> c(new HeaderCache);
    if (sqlite3_open(file.c_str(), &c->m_db) != SQLITE_OK)
        return Error(std::string("cannot open index cache: ") + sqlite3_errmsg(c->m_db), file.string());
    sqlite3_busy_timeout(c->m_db, 3000);
    sqlite3_exec(c->m_db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr, nullptr);
    int version = 0;
    {
        Stmt st(c->m_db, "PRAGMA user_version");
        if (sqlite3_step(st.s) == SQLITE_ROW)
            version = sqlite3_column_int(st.s, 0);
    }
    if (version != kSchemaVersion) {
        // A cache: on a schema change it is simply rebuilt.
        const char* sql = "DROP TABLE IF EXISTS headers; DROP TABLE IF EXISTS datasets;"
                          "CREATE TABLE headers(path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, ok INTEGER, error TEXT,"
                          " series TEXT, study TEXT, sop_class TEXT, patient TEXT, laterality TEXT, view TEXT, description TEXT,"
                          " rows INTEGER, columns INTEGER, sop_instance TEXT);"
                          "CREATE TABLE datasets(root TEXT PRIMARY KEY, fingerprint TEXT, payload BLOB, written INTEGER);";
        char* err = nullptr;
        if (sqlite3_exec(c->m_db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            std::string m = err ? err : "unknown error";
            sqlite3_free(err);
            return Error("cannot create index cache tables: " + m, file.string());
        }
        sqlite3_exec(c->m_db, ("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str(), nullptr, nullptr, nullptr);
    }
    return c;
}

HeaderCache::~HeaderCache()
{
    if (m_db)
        sqlite3_close(m_db);
}

std::optional<FileFacts> HeaderCache::get(const std::string& path, uint64_t size, int64_t mtime)
{
    Stmt st(m_db,
        "SELECT ok,error,series,study,sop_class,patient,laterality,view,description,rows,columns,sop_instance FROM headers"
        " WHERE path=?1 AND size=?2 AND mtime=?3");
    st.text(1, path);
    st.i64(2, int64_t(size));
    st.i64(3, mtime);
    if (sqlite3_step(st.s) != SQLITE_ROW)
        return std::nullopt;
    FileFacts f;
    f.ok = sqlite3_column_int(st.s, 0) != 0;
    f.error = st.col(1);
    f.seriesUid = st.col(2);
    f.studyUid = st.col(3);
    f.sopClassUid = st.col(4);
    f.patientId = st.col(5);
    f.laterality = st.col(6);
    f.view = st.col(7);
    f.seriesDescription = st.col(8);
    f.rows = sqlite3_column_int(st.s, 9);
    f.columns = sqlite3_column_int(st.s, 10);
    f.sopInstanceUid = st.col(11);
    return f;
}

void HeaderCache::put(const std::string& path, uint64_t size, int64_t mtime, const FileFacts& f)
{
    Stmt st(m_db, "INSERT OR REPLACE INTO headers VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)");
    st.text(1, path);
    st.i64(2, int64_t(size));
    st.i64(3, mtime);
    st.i64(4, f.ok ? 1 : 0);
    st.text(5, f.error);
    st.text(6, f.seriesUid);
    st.text(7, f.studyUid);
    st.text(8, f.sopClassUid);
    st.text(9, f.patientId);
    st.text(10, f.laterality);
    st.text(11, f.view);
    st.text(12, f.seriesDescription);
    st.i64(13, f.rows);
    st.i64(14, f.columns);
    st.text(15, f.sopInstanceUid);
    sqlite3_step(st.s);
}

std::optional<std::string> HeaderCache::getDataset(const std::string& root, const std::string& fingerprint)
{
    Stmt st(m_db, "SELECT payload FROM datasets WHERE root=?1 AND fingerprint=?2");
    st.text(1, root);
    st.text(2, fingerprint);
    if (sqlite3_step(st.s) != SQLITE_ROW)
        return std::nullopt;
    const void* b = sqlite3_column_blob(st.s, 0);
    int n = sqlite3_column_bytes(st.s, 0);
    return std::string(static_cast<const char*>(b), size_t(n));
}

void HeaderCache::putDataset(const std::string& root, const std::string& fingerprint, const std::string& payload)
{
    Stmt st(m_db, "INSERT OR REPLACE INTO datasets VALUES(?1,?2,?3,?4)");
    st.text(1, root);
    st.text(2, fingerprint);
    sqlite3_bind_blob(st.s, 3, payload.data(), int(payload.size()), SQLITE_TRANSIENT);
    st.i64(4, std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    sqlite3_step(st.s);
}

void HeaderCache::begin()
{
    sqlite3_exec(m_db, "BEGIN", nullptr, nullptr, nullptr);
}
void HeaderCache::commit()
{
    sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr);
}

FileFacts dicomFacts(const fs::path& p, HeaderCache* cache)
{
    std::error_code ec;
    uint64_t size = fs::file_size(p, ec);
    int64_t mtime = ec ? 0 : int64_t(fs::last_write_time(p, ec).time_since_epoch().count());
    if (cache) {
        if (auto f = cache->get(p.string(), size, mtime))
            return *f;
    }
    FileFacts f;
    auto h = dicom::readHeader(p);
    if (h) {
        f.ok = true;
        f.seriesUid = h->seriesUid;
        f.studyUid = h->studyUid;
        f.sopClassUid = h->sopClassUid;
        f.sopInstanceUid = h->sopInstanceUid;
        f.patientId = h->patientId;
        f.laterality = h->laterality;
        f.view = h->view;
        f.seriesDescription = h->seriesDescription;
        f.rows = h->rows;
        f.columns = h->columns;
    } else {
        f.error = h.error().message;
    }
    if (cache)
        cache->put(p.string(), size, mtime, f);
    return f;
}

} // namespace ms::dataset

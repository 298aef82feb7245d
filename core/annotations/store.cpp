// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/annotations/store.h"
#include "core/common/sqlite.h"

#include "core/annotations/vocabulary.h"
#include "core/common/paths.h"
#include "core/common/sha256.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <set>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ms::annotations
{

std::string sourceName(Source s)
{
    switch (s) {
    case Source::Human:
        return "human";
    case Source::Model:
        return "model";
    case Source::Import:
        return "import";
    }
    return "human";
}

const std::vector<std::string>& attributeFieldNames()
{
    static const std::vector<std::string> v = [] {
        std::vector<std::string> out;
        for (const auto& f : attributeFields())
            out.push_back(f.name);
        return out;
    }();
    return v;
}

bool isImageField(const std::string& field)
{
    return field == "review" || field == "review_comment";
}

std::optional<std::string> Snapshot::get(const std::string& item, const std::string& field) const
{
    auto it = items.find(item);
    if (it == items.end())
        return std::nullopt;
    auto f = it->second.find(field);
    if (f == it->second.end())
        return std::nullopt;
    return f->second;
}

namespace
{

using sqlite::Stmt;

// Schema history. Each step moves the store from version i to i + 1 inside one transaction.
const char* const kMigrations[] = {
    // 0 -> 1: the first schema
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE attributes(item TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(item, field));"
    "CREATE TABLE rois(item TEXT PRIMARY KEY, rle TEXT NOT NULL);"
    "CREATE TABLE added(item TEXT PRIMARY KEY, image TEXT NOT NULL);"
    "CREATE TABLE deleted(item TEXT PRIMARY KEY);"
    "CREATE TABLE reviews(image TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(image, field));"
    "CREATE TABLE audit(id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, user TEXT NOT NULL, item TEXT NOT NULL,"
    " field TEXT NOT NULL, old_value TEXT NOT NULL, new_value TEXT NOT NULL, old_is_original INTEGER NOT NULL,"
    " new_is_original INTEGER NOT NULL, source TEXT NOT NULL);",
    // 1 -> 2: audit rows remember the app session that wrote them (to group a curation session); lookups by item
    "ALTER TABLE audit ADD COLUMN session TEXT;"
    "CREATE INDEX audit_item ON audit(item, field, id);",
};
constexpr int kVersion = int(sizeof(kMigrations) / sizeof(kMigrations[0]));

// Which table a field lives in.
enum class Table { Attributes, Rois, Added, Deleted, Reviews };
Table tableOf(const std::string& field)
{
    if (field == "roi")
        return Table::Rois;
    if (field == "added")
        return Table::Added;
    if (field == "deleted")
        return Table::Deleted;
    if (isImageField(field))
        return Table::Reviews;
    return Table::Attributes;
}

std::string nowIso()
{
    using namespace std::chrono;
    auto t = system_clock::now();
    std::time_t tt = system_clock::to_time_t(t);
    std::tm tm {};
    gmtime_r(&tt, &tm);
    char buf[96];
    auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count() % 1000;
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
        tm.tm_min, tm.tm_sec, int(ms));
    return buf;
}

std::string defaultUser()
{
    if (const char* u = std::getenv("USER"); u && *u)
        return u;
    return "curator";
}

std::string newSession()
{
    std::random_device rd;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
    return nowIso() + "-" + buf;
}

} // namespace

fs::path Store::defaultPath(const std::string& datasetRoot)
{
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(datasetRoot, ec);
    if (ec)
        canon = datasetRoot;
    std::string name = canon.filename().string();
    if (name.empty())
        name = "dataset";
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
            c = '_';
    return appDataDir() / "annotations" / (name + "-" + sha256Hex(canon.string()).substr(0, 12) + ".sqlite");
}

int Store::currentSchemaVersion()
{
    return kVersion;
}

Status Store::exec(const char* sql) const
{
    char* err = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string m = err ? err : sqlite3_errmsg(m_db);
        sqlite3_free(err);
        return Error(m, m_path.string());
    }
    return {};
}

Error Store::sqlError(const std::string& what) const
{
    const int code = sqlite3_errcode(m_db);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return Error(what + ": another MammoScope is writing to this annotation store and did not let go within "
                + "the wait time; the change was not saved. Close the other window or try again.",
            m_path.string());
    if (code == SQLITE_READONLY)
        return Error(what + ": the annotation store is read-only; the change was not saved", m_path.string());
    if (code == SQLITE_FULL)
        return Error(what + ": the disk is full; the change was not saved", m_path.string());
    return Error(what + ": " + sqlite3_errmsg(m_db), m_path.string());
}

Status Store::createAtVersion(const fs::path& file, int version)
{
    std::error_code ec;
    if (file.has_parent_path())
        fs::create_directories(file.parent_path(), ec);
    sqlite3* db = nullptr;
    if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) {
        sqlite3_close(db);
        return Error("cannot create annotation store", file.string());
    }
    std::string sql = "BEGIN;";
    for (int v = 0; v < version && v < kVersion; ++v)
        sql += kMigrations[v];
    sql += "PRAGMA user_version=" + std::to_string(version) + "; COMMIT;";
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string m = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    if (rc != SQLITE_OK)
        return Error("cannot create annotation store: " + m, file.string());
    return {};
}

Result<std::unique_ptr<Store>> Store::open(const fs::path& file, const Options& opt)
{
    std::error_code ec;
    const bool exists = fs::exists(file, ec);
    if (!exists && opt.readOnly)
        return Error("no annotation store at this path", file.string());
    if (!exists && file.has_parent_path())
        fs::create_directories(file.parent_path(), ec);
    std::unique_ptr<Store> s(new Store);
    s->m_path = file;
    s->m_user = defaultUser();
    s->m_session = newSession();
    // Read-only when asked, or when we may not write the file or its folder (the WAL files live beside it).
    if (opt.readOnly)
        s->m_readOnlyReason = "opened read-only";
    else if (exists && ::access(file.c_str(), W_OK) != 0)
        s->m_readOnlyReason = "the file is read-only";
    else if (::access(file.has_parent_path() ? file.parent_path().c_str() : ".", W_OK) != 0)
        s->m_readOnlyReason = "its folder is read-only";
    const int flags = s->writable() ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(file.c_str(), &s->m_db, flags, nullptr) != SQLITE_OK)
        return Error(std::string("cannot open annotation store: ") + sqlite3_errmsg(s->m_db), file.string());
    sqlite3_busy_timeout(s->m_db, std::max(0, opt.busyTimeoutMs));
    if (s->writable()) {
        // WAL: readers never block the writer; synchronous=FULL: a committed change survives a power cut too.
        const char* pragmas = opt.synchronousFull ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                                  : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
        if (auto st = s->exec(pragmas); !st)
            return Error("cannot open annotation store: " + st.error().message, file.string());
    }
    {
        Stmt st(s->m_db, "PRAGMA user_version");
        if (st.rc != SQLITE_OK || sqlite3_step(st.s) != SQLITE_ROW)
            return Error(std::string("not an SQLite annotation store (") + sqlite3_errmsg(s->m_db) + ")", file.string());
        s->m_version = int(st.colInt(0));
    }
    if (s->m_version > kVersion)
        return Error("the annotation store was written by a newer MammoScope (schema " + std::to_string(s->m_version)
                + ", this one knows up to " + std::to_string(kVersion) + "); it was not changed",
            file.string());
    if (s->m_version < kVersion) {
        if (!s->writable())
            return Error("the annotation store needs an upgrade (schema " + std::to_string(s->m_version) + " to " + std::to_string(kVersion)
                    + ") but " + s->m_readOnlyReason,
                file.string());
        if (auto st = s->exec("BEGIN IMMEDIATE"); !st)
            return s->sqlError("cannot upgrade the annotation store");
        // Re-read under the lock: another instance may have migrated meanwhile.
        {
            Stmt st(s->m_db, "PRAGMA user_version");
            sqlite3_step(st.s);
            s->m_version = int(st.colInt(0));
        }
        for (int v = s->m_version; v < kVersion; ++v)
            if (auto st = s->exec(kMigrations[v]); !st) {
                (void)s->exec("ROLLBACK");
                return Error(
                    "cannot upgrade the annotation store from schema " + std::to_string(v) + ": " + st.error().message, file.string());
            }
        std::string sql = "PRAGMA user_version=" + std::to_string(kVersion);
        if (auto st = s->exec(sql.c_str()); !st) {
            (void)s->exec("ROLLBACK");
            return st.error();
        }
        if (auto st = s->exec("COMMIT"); !st) {
            (void)s->exec("ROLLBACK");
            return s->sqlError("cannot upgrade the annotation store");
        }
        s->m_version = kVersion;
    }
    // The dataset this store belongs to.
    if (!opt.datasetRoot.empty()) {
        std::string recorded;
        {
            Stmt st(s->m_db, "SELECT value FROM meta WHERE key='dataset'");
            if (sqlite3_step(st.s) == SQLITE_ROW)
                recorded = st.col(0);
        }
        std::error_code ec2;
        std::string canon = fs::weakly_canonical(opt.datasetRoot, ec2).string();
        if (recorded.empty() && s->writable()) {
            Stmt st(s->m_db, "INSERT OR REPLACE INTO meta(key, value) VALUES('dataset', ?1)");
            st.text(1, canon);
            if (sqlite3_step(st.s) != SQLITE_DONE)
                return s->sqlError("cannot write to the annotation store");
        } else if (!recorded.empty() && recorded != canon) {
            // A dataset folder that moved: the store follows it when the old folder is gone.
            if (fs::exists(recorded, ec2) || !s->writable())
                return Error("this annotation store belongs to the dataset " + recorded + ", not " + canon, file.string());
            Stmt st(s->m_db, "UPDATE meta SET value=?1 WHERE key='dataset'");
            st.text(1, canon);
            if (sqlite3_step(st.s) != SQLITE_DONE)
                return s->sqlError("cannot write to the annotation store");
            s->m_adoptedFrom = recorded;
        }
    }
    s->changedElsewhere();
    return s;
}

Store::~Store()
{
    if (m_db)
        sqlite3_close(m_db);
}

std::optional<std::string> Store::value(const std::string& item, const std::string& field) const
{
    const char* sql = nullptr;
    switch (tableOf(field)) {
    case Table::Attributes:
        sql = "SELECT value FROM attributes WHERE item=?1 AND field=?2";
        break;
    case Table::Rois:
        sql = "SELECT rle FROM rois WHERE item=?1 AND ?2=?2";
        break;
    case Table::Added:
        sql = "SELECT image FROM added WHERE item=?1 AND ?2=?2";
        break;
    case Table::Deleted:
        sql = "SELECT '1' FROM deleted WHERE item=?1 AND ?2=?2";
        break;
    case Table::Reviews:
        sql = "SELECT value FROM reviews WHERE image=?1 AND field=?2";
        break;
    }
    Stmt q(m_db, sql);
    q.text(1, item);
    q.text(2, field);
    if (sqlite3_step(q.s) == SQLITE_ROW)
        return q.col(0);
    return std::nullopt;
}

Result<Snapshot> Store::readSnapshot() const
{
    Snapshot s;
    const char* sql = "SELECT item, field, value FROM attributes"
                      " UNION ALL SELECT item, 'roi', rle FROM rois"
                      " UNION ALL SELECT item, 'added', image FROM added"
                      " UNION ALL SELECT item, 'deleted', '1' FROM deleted"
                      " UNION ALL SELECT image, field, value FROM reviews";
    Stmt q(m_db, sql);
    if (q.rc != SQLITE_OK)
        return sqlError("cannot read the annotation store; it is damaged (run curate --verify)");
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(q.s)) == SQLITE_ROW)
        s.items[q.col(0)][q.col(1)] = q.col(2);
    if (rc != SQLITE_DONE)
        return sqlError("cannot read the annotation store; it is damaged (run curate --verify)");
    for (const auto& [item, fields] : s.items)
        for (const auto& [field, value] : fields)
            if (auto v = validate(field, value); !v)
                return Error("stored value of " + item + " " + field + " is invalid: " + v.error().message, m_path.string());
    return s;
}

Snapshot Store::snapshot() const
{
    auto s = readSnapshot();
    return s ? std::move(*s) : Snapshot {};
}

bool Store::changedElsewhere()
{
    Stmt q(m_db, "PRAGMA data_version");
    long long v = sqlite3_step(q.s) == SQLITE_ROW ? q.colInt(0) : -1;
    bool changed = m_dataVersion >= 0 && v != m_dataVersion;
    m_dataVersion = v;
    return changed;
}

Status Store::apply(const std::vector<Change>& changes, Source source)
{
    if (!writable())
        return Error("the annotation store cannot be written (" + m_readOnlyReason + "); the change was not saved", m_path.string());
    for (const auto& c : changes) {
        if (c.item.empty())
            return Error("a change names no item");
        if (c.value)
            if (auto v = validate(c.field, *c.value); !v)
                return v.error();
    }
    // BEGIN IMMEDIATE takes the write lock now (waiting up to the busy timeout), so a busy store fails here, before
    // anything was written, rather than half way.
    if (sqlite3_exec(m_db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
        return sqlError("cannot save the change");
    auto fail = [&](const std::string& what) {
        Error e = sqlError(what);
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        return e;
    };
    const std::string time = nowIso();
    for (const auto& c : changes) {
        std::optional<std::string> old = value(c.item, c.field);
        if (old == c.value)
            continue;
        const Table t = tableOf(c.field);
        const char* sql = nullptr;
        if (c.value) {
            switch (t) {
            case Table::Attributes:
                sql = "INSERT OR REPLACE INTO attributes(item, field, value) VALUES(?1, ?2, ?3)";
                break;
            case Table::Rois:
                sql = "INSERT OR REPLACE INTO rois(item, rle) VALUES(?1, ?3)";
                break;
            case Table::Added:
                sql = "INSERT OR REPLACE INTO added(item, image) VALUES(?1, ?3)";
                break;
            case Table::Deleted:
                sql = "INSERT OR REPLACE INTO deleted(item) VALUES(?1)";
                break;
            case Table::Reviews:
                sql = "INSERT OR REPLACE INTO reviews(image, field, value) VALUES(?1, ?2, ?3)";
                break;
            }
        } else {
            switch (t) {
            case Table::Attributes:
                sql = "DELETE FROM attributes WHERE item=?1 AND field=?2";
                break;
            case Table::Rois:
                sql = "DELETE FROM rois WHERE item=?1";
                break;
            case Table::Added:
                sql = "DELETE FROM added WHERE item=?1";
                break;
            case Table::Deleted:
                sql = "DELETE FROM deleted WHERE item=?1";
                break;
            case Table::Reviews:
                sql = "DELETE FROM reviews WHERE image=?1 AND field=?2";
                break;
            }
        }
        {
            Stmt q(m_db, sql);
            q.text(1, c.item);
            if (sqlite3_bind_parameter_count(q.s) >= 2)
                q.text(2, c.field);
            if (c.value && sqlite3_bind_parameter_count(q.s) >= 3)
                q.text(3, *c.value);
            if (q.rc != SQLITE_OK || sqlite3_step(q.s) != SQLITE_DONE)
                return fail("cannot save the change to " + c.item + " " + c.field);
        }
        if (crashPointForTest)
            crashPointForTest();
        Stmt a(m_db,
            "INSERT INTO audit(time, user, session, item, field, old_value, new_value, old_is_original, new_is_original, source)"
            " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
        a.text(1, time);
        a.text(2, m_user);
        a.text(3, m_session);
        a.text(4, c.item);
        a.text(5, c.field);
        a.text(6, old ? *old : c.original);
        a.text(7, c.value ? *c.value : c.original);
        a.i64(8, old ? 0 : 1);
        a.i64(9, c.value ? 0 : 1);
        a.text(10, sourceName(source));
        if (sqlite3_step(a.s) != SQLITE_DONE)
            return fail("cannot write the audit log");
    }
    if (sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
        return fail("cannot save the change");
    changedElsewhere(); // our own commit is not "elsewhere"
    return {};
}

void (*Store::crashPointForTest)() = nullptr;

std::vector<AuditEntry> Store::audit(const std::string& item, size_t limit) const
{
    std::string sql = "SELECT id, time, user, COALESCE(session, ''), item, field, old_value, new_value, old_is_original,"
                      " new_is_original, source FROM audit";
    if (!item.empty())
        sql += " WHERE item=?1";
    sql += " ORDER BY id";
    if (limit > 0)
        sql = "SELECT * FROM (" + sql + " DESC LIMIT " + std::to_string(limit) + ") ORDER BY id";
    Stmt q(m_db, sql.c_str());
    if (!item.empty())
        q.text(1, item);
    std::vector<AuditEntry> out;
    while (sqlite3_step(q.s) == SQLITE_ROW) {
        AuditEntry e;
        e.id = q.colInt(0);
        e.time = q.col(1);
        e.user = q.col(2);
        e.session = q.col(3);
        e.item = q.col(4);
        e.field = q.col(5);
        e.oldValue = q.col(6);
        e.newValue = q.col(7);
        e.oldIsOriginal = q.colInt(8) != 0;
        e.newIsOriginal = q.colInt(9) != 0;
        e.source = q.col(10);
        out.push_back(std::move(e));
    }
    return out;
}

long long Store::auditCount() const
{
    Stmt q(m_db, "SELECT COUNT(*) FROM audit");
    return sqlite3_step(q.s) == SQLITE_ROW ? q.colInt(0) : 0;
}

Status Store::verify() const
{
    {
        Stmt q(m_db, "PRAGMA integrity_check");
        std::string r;
        while (sqlite3_step(q.s) == SQLITE_ROW)
            r += (r.empty() ? "" : "; ") + q.col(0);
        if (r != "ok")
            return Error("SQLite integrity check failed: " + r, m_path.string());
    }
    // Every stored value readable and valid for its field.
    auto read = readSnapshot();
    if (!read)
        return read.error();
    const Snapshot& s = *read;
    // The audit replayed: the last row of each (item, field) gives its state, and each row's old state is the
    // previous row's new state.
    std::map<std::pair<std::string, std::string>, std::pair<bool, std::string>> last; // -> (isOriginal, value)
    for (const auto& e : audit()) {
        auto key = std::make_pair(e.item, e.field);
        auto it = last.find(key);
        if (it != last.end()) {
            const bool same = it->second.first == e.oldIsOriginal && (e.oldIsOriginal || it->second.second == e.oldValue);
            if (!same)
                return Error("audit row " + std::to_string(e.id) + " (" + e.item + " " + e.field
                        + ") does not start where the previous change of that field ended",
                    m_path.string());
        } else if (!e.oldIsOriginal) {
            return Error("audit row " + std::to_string(e.id) + " changes an override that was never audited", m_path.string());
        }
        last[key] = { e.newIsOriginal, e.newValue };
    }
    std::set<std::pair<std::string, std::string>> stored;
    for (const auto& [item, fields] : s.items)
        for (const auto& [field, value] : fields) {
            stored.insert({ item, field });
            auto it = last.find({ item, field });
            if (it == last.end() || it->second.first || it->second.second != value)
                return Error("the audit log does not account for the stored value of " + item + " " + field, m_path.string());
        }
    for (const auto& [key, state] : last)
        if (!state.first && !stored.count(key))
            return Error("the audit log says " + key.first + " " + key.second + " is overridden, the store has no value", m_path.string());
    return {};
}

} // namespace ms::annotations

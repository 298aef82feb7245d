// SPDX-License-Identifier: GPL-3.0-or-later
// One prepared SQLite statement, finalized when it goes (the annotation store and the index cache share it). Header
// only: core/common itself does not link SQLite, its includers do.
#pragma once

#include <sqlite3.h>

#include <string>

namespace ms::sqlite
{

struct Stmt {
    sqlite3_stmt* s = nullptr;
    int rc = SQLITE_OK; // of the prepare: a statement that did not prepare steps to SQLITE_MISUSE
    Stmt(sqlite3* db, const char* sql) { rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
    ~Stmt() { sqlite3_finalize(s); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    void text(int i, const std::string& v) { sqlite3_bind_text(s, i, v.c_str(), int(v.size()), SQLITE_TRANSIENT); }
    void i64(int i, long long v) { sqlite3_bind_int64(s, i, v); }
    std::string col(int i) const
    {
        auto* t = sqlite3_column_text(s, i);
        return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(s, i))) : std::string();
    }
    long long colInt(int i) const { return sqlite3_column_int64(s, i); }
};

} // namespace ms::sqlite

// SPDX-License-Identifier: GPL-3.0-or-later
// The annotation store: a curator's corrections to a dataset, kept in SQLite (WAL) outside the dataset folder.
// The dataset's files are never written; the store holds only what differs from them:
//   attributes   per-abnormality overrides (pathology, assessment, type, mass shape/margins, calc type/distribution,
//                subtlety, density), with the CBIS-DDSM spellings
//   rois         ROI masks as run-length encoding (core/image/mask.h), replacing the mask file or circle
//   added        abnormalities a curator added (the item key names the image and a new abnormality number)
//   deleted      abnormalities removed from the effective dataset
//   reviews      per-image review status (unreviewed / reviewed / corrected / flagged) and a comment
//   audit        append-only: time, user, session, item, field, old value, new value, source (human / model / import)
// Every change is one transaction that updates the state and appends its audit row, so a crash (kill -9) after a
// change returns loses nothing and a crash inside one leaves the store as it was. Undo is a change like any other
// (it restores the previous value and is audited).
//
// Items and fields: an abnormality is "<image key>#<abnormality number>" (abnormalityKey()), an image is its key.
// Fields are the names in fieldNames(); "roi" holds RleMask::toString(), "added" the image key, "deleted" "1",
// "review" one of reviewStatusName(), "review_comment" free text.
#pragma once

#include "core/common/result.h"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace ms::annotations
{

enum class Source { Human, Model, Import };
std::string sourceName(Source s); // "human", "model", "import"

// One change: set an override (value) or drop it (nullopt: back to the dataset's own value). `original` is the
// dataset's value, written to the audit when the old or new state is "no override".
struct Change {
    std::string item, field;
    std::optional<std::string> value;
    std::string original;
};

struct AuditEntry {
    long long id = 0;
    std::string time; // ISO 8601 UTC
    std::string user, session, item, field;
    std::string oldValue, newValue;
    bool oldIsOriginal = false, newIsOriginal = false;
    std::string source;
};

// All overrides: item -> field -> value.
struct Snapshot {
    std::map<std::string, std::map<std::string, std::string>> items;
    std::optional<std::string> get(const std::string& item, const std::string& field) const;
    bool operator==(const Snapshot&) const = default;
};

class Store
{
public:
    struct Options {
        // Recorded in the store; a store for another dataset is refused, unless that dataset's folder is gone (moved):
        // then the store follows the new folder (adoptedFrom() tells).
        std::string datasetRoot;
        bool readOnly = false;
        int busyTimeoutMs = 3000; // how long a write waits for another instance holding the lock
        // FULL: a committed change survives a power cut (fsync per change). NORMAL keeps it through a crash of the
        // process (kill -9) but not of the machine; for bulk scripts and tests.
        bool synchronousFull = true;
    };

    // <app data>/annotations/<folder name>-<hash of the dataset path>.sqlite: outside the dataset, beside the other
    // files MammoScope keeps for it, and not in the cache folder (these are a curator's work, not a cache).
    static std::filesystem::path defaultPath(const std::string& datasetRoot);
    static Result<std::unique_ptr<Store>> open(const std::filesystem::path& file, const Options& opt);
    // For tests of migrations: creates an empty store at an older schema version.
    static Status createAtVersion(const std::filesystem::path& file, int version);
    static int currentSchemaVersion();

    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    int schemaVersion() const { return m_version; }
    // False when the file or its folder is read-only, or the store was opened read-only: readOnlyReason() says why.
    bool writable() const { return m_readOnlyReason.empty(); }
    const std::string& readOnlyReason() const { return m_readOnlyReason; }

    void setUser(std::string user) { m_user = std::move(user); }
    const std::string& user() const { return m_user; }
    const std::string& session() const { return m_session; }
    // Non-empty when the store was made for a dataset folder that no longer exists and now follows `datasetRoot`.
    const std::string& adoptedFrom() const { return m_adoptedFrom; }

    std::optional<std::string> value(const std::string& item, const std::string& field) const;
    // Every override, read and checked: an SQLite error while reading (a damaged file) or a stored value that is not
    // valid for its field is an error naming the store (export, prepare and curate use this: a damaged store must not
    // pass for one without corrections).
    Result<Snapshot> readSnapshot() const;
    // The same for views that already read it once: what could be read (empty when nothing could).
    Snapshot snapshot() const;
    // True when another connection (another MammoScope) changed the store since the last call.
    bool changedElsewhere();

    // Applies the changes in one transaction with their audit rows. A change to the value already stored is
    // skipped (no audit row). Fails with a message when the store is read-only, locked by another instance beyond
    // the busy timeout, or the value is not valid for its field (validate()).
    Status apply(const std::vector<Change>& changes, Source source = Source::Human);
    Status set(const Change& c, Source source = Source::Human) { return apply({ c }, source); }

    // Audit rows, oldest first; of one item when `item` is given; the last `limit` rows when limit > 0.
    std::vector<AuditEntry> audit(const std::string& item = {}, size_t limit = 0) const;
    long long auditCount() const;

    // SQLite's integrity check, the table invariants (reviews only with known statuses, ...), and the audit's
    // completeness: the last audit row of every item and field gives its current state.
    Status verify() const;

    // Fault injection for the crash test: when set, apply() calls it after each change's data row and before that
    // change's audit row (the test kills the process there). Null in the product.
    static void (*crashPointForTest)();

private:
    Store() = default;
    Status exec(const char* sql) const;
    Error sqlError(const std::string& what) const;

    sqlite3* m_db = nullptr;
    std::filesystem::path m_path;
    int m_version = 0;
    long long m_dataVersion = -1;
    std::string m_readOnlyReason, m_user, m_session, m_adoptedFrom;
};

// Field names, in the order the editors show them.
const std::vector<std::string>& attributeFieldNames(); // pathology, assessment, type, mass_shape, ..., density
bool isImageField(const std::string& field); // review, review_comment

} // namespace ms::annotations

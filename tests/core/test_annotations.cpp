// SPDX-License-Identifier: GPL-3.0-or-later
// The annotation store, the effective dataset and the exports: round trips, validation, migrations, locking between
// two instances, crashes (kill -9) after and during a change, 10,000 random edits with undo/redo, export -> re-index
// equality, and the dataset folder left byte-identical.
#include "core/annotations/effective.h"
#include "core/annotations/export.h"
#include "core/annotations/store.h"
#include "core/annotations/vocabulary.h"
#include "core/common/json.h"
#include "core/common/paths.h"
#include "core/common/sha256.h"
#include "core/common/strings.h"
#include "core/dataset/csv.h"
#include "core/dataset/loader.h"
#include "core/synthio/synthio.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <fstream>
#include <random>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ms;
using namespace ms::annotations;
namespace fs = std::filesystem;

namespace
{

const fs::path kData = MS_REALDATA_DIR;

std::unique_ptr<Store> openStore(const fs::path& file, const std::string& root = {}, int busyMs = 3000, bool full = true)
{
    Store::Options o;
    o.datasetRoot = root;
    o.busyTimeoutMs = busyMs;
    o.synchronousFull = full;
    auto s = Store::open(file, o);
    if (!s)
        qWarning("%s", s.error().toString().c_str());
    return s ? std::move(*s) : nullptr;
}

dataset::Dataset openDataset(const fs::path& root)
{
    dataset::OpenOptions o;
    o.useCache = false;
    auto ds = dataset::open(root, o);
    if (!ds)
        qFatal("%s", ds.error().toString().c_str());
    return std::move(*ds);
}

// sha256 of every file under a folder, by relative path.
std::map<std::string, std::string> folderHashes(const fs::path& root)
{
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file())
            out[fs::relative(e.path(), root).string()] = sha256File(e.path());
    return out;
}

const dataset::Abnormality* byKey(const dataset::Dataset& ds, const std::string& key)
{
    for (const auto& a : ds.abnormalities)
        if (a.key == key)
            return &a;
    return nullptr;
}

// Effective keys for a re-indexed dataset (the reader leaves Abnormality::key empty).
dataset::Dataset keyed(const dataset::Dataset& ds)
{
    return effective(ds, {});
}

} // namespace

class TestAnnotations : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_root; // a small synthetic CBIS-DDSM set
    fs::path dir() const { return fs::path(m_tmp.path().toStdString()); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_root = dir() / "cbis";
        synthio::WriteOptions o;
        o.patients = 6;
        o.synth.seed = 21;
        o.synth.width = 256;
        o.synth.height = 416;
        auto r = synthio::writeDataset(m_root, o);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        QVERIFY(r->abnormalities >= 4);
    }

    void validation_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("message");
        QTest::newRow("pathology ok") << "pathology"
                                      << "MALIGNANT" << true << "";
        QTest::newRow("pathology maybe") << "pathology"
                                         << "maybe" << false << "Pathology 'maybe' is not one of";
        QTest::newRow("assessment 7") << "assessment"
                                      << "7" << false << "not a BI-RADS category (0-5)";
        QTest::newRow("assessment 0") << "assessment"
                                      << "0" << true << "";
        QTest::newRow("assessment text") << "assessment"
                                         << "four" << false << "not a BI-RADS category";
        QTest::newRow("subtlety 0") << "subtlety"
                                    << "0" << false << "out of range (1-5)";
        QTest::newRow("density 4") << "density"
                                   << "4" << true << "";
        QTest::newRow("density 5") << "density"
                                   << "5" << false << "out of range (1-4)";
        QTest::newRow("compound shape") << "mass_shape"
                                        << "LOBULATED-IRREGULAR" << true << "";
        QTest::newRow("bad compound") << "mass_shape"
                                      << "LOBULATED-FUZZY" << false << "several joined with '-'";
        QTest::newRow("calc type") << "calc_type"
                                   << "PLEOMORPHIC" << true << "";
        QTest::newRow("type") << "type"
                              << "calcification" << true << "";
        QTest::newRow("type asymmetry") << "type"
                                        << "asymmetry" << false << "not one of mass, calcification";
        QTest::newRow("review") << "review"
                                << "flagged" << true << "";
        QTest::newRow("review done") << "review"
                                     << "done" << false << "review status 'done'";
        QTest::newRow("roi with a negative run") << "roi"
                                                 << "4 4 0 -1 17" << false << "invalid RLE mask";
        QTest::newRow("roi ok") << "roi"
                                << "4 4 0 5 11" << true << "";
        QTest::newRow("roi empty") << "roi"
                                   << "4 4 16" << false << "at least one pixel";
        QTest::newRow("roi bad") << "roi"
                                 << "4 4 3" << false << "ROI mask";
        QTest::newRow("roi ok") << "roi"
                                << "4 4 5 2 9" << true << "";
        QTest::newRow("unknown field") << "colour"
                                       << "red" << false << "unknown field 'colour'";
    }
    void validation()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(bool, ok);
        QFETCH(QString, message);
        Status st = validate(field.toStdString(), value.toStdString());
        QCOMPARE(st.ok(), ok);
        if (!ok)
            QVERIFY2(QString::fromStdString(st.error().message).contains(message), st.error().message.c_str());
    }

    void storeRoundTrip()
    {
        const fs::path file = dir() / "roundtrip.sqlite";
        RleMask roi = RleMask::ellipse(64, 48, 30, 20, 8, 5);
        {
            auto s = openStore(file, m_root.string());
            QVERIFY(s);
            QVERIFY(s->writable());
            QCOMPARE(s->schemaVersion(), Store::currentSchemaVersion());
            s->setUser("alice");
            QVERIFY(s->set({ "IMG#1", "pathology", std::string("MALIGNANT"), "BENIGN" }).ok());
            QVERIFY(s->set({ "IMG#1", "roi", roi.toString(), "" }).ok());
            QVERIFY(s->set({ "IMG#2", "deleted", std::string("1"), "" }).ok());
            QVERIFY(s->set({ "IMG#3", "added", std::string("IMG"), "" }).ok());
            QVERIFY(s->set({ "IMG", "review", std::string("corrected"), "unreviewed" }).ok());
            QVERIFY(s->set({ "IMG", "review_comment", std::string("mask was the crop"), "" }).ok());
            // the same value again: no change, no audit row
            QVERIFY(s->set({ "IMG#1", "pathology", std::string("MALIGNANT"), "BENIGN" }).ok());
            // invalid: refused, nothing written
            Status bad = s->set({ "IMG#1", "assessment", std::string("7"), "4" });
            QVERIFY(!bad.ok());
            QVERIFY(QString::fromStdString(bad.error().message).contains("BI-RADS"));
            QCOMPARE(s->auditCount(), 6LL);
        }
        auto s = openStore(file, m_root.string());
        QVERIFY(s);
        QCOMPARE(*s->value("IMG#1", "pathology"), std::string("MALIGNANT"));
        QCOMPARE(*s->value("IMG#1", "roi"), roi.toString());
        QCOMPARE(*s->value("IMG#2", "deleted"), std::string("1"));
        QCOMPARE(*s->value("IMG#3", "added"), std::string("IMG"));
        QCOMPARE(*s->value("IMG", "review"), std::string("corrected"));
        QVERIFY(!s->value("IMG#1", "assessment"));
        auto audit = s->audit();
        QCOMPARE(audit.size(), size_t(6));
        QCOMPARE(audit[0].user, std::string("alice"));
        QCOMPARE(audit[0].oldValue, std::string("BENIGN"));
        QVERIFY(audit[0].oldIsOriginal);
        QCOMPARE(audit[0].newValue, std::string("MALIGNANT"));
        QCOMPARE(audit[0].source, std::string("human"));
        QVERIFY(!audit[0].session.empty());
        QCOMPARE(s->audit("IMG#1").size(), size_t(2));
        // back to the dataset's value: the override goes, the audit says so
        QVERIFY(s->set({ "IMG#1", "pathology", std::nullopt, "BENIGN" }, Source::Model).ok());
        QVERIFY(!s->value("IMG#1", "pathology"));
        auto last = s->audit({}, 1);
        QCOMPARE(last.size(), size_t(1));
        QVERIFY(last[0].newIsOriginal);
        QCOMPARE(last[0].newValue, std::string("BENIGN"));
        QCOMPARE(last[0].source, std::string("model"));
        QVERIFY2(s->verify().ok(), s->verify().ok() ? "" : s->verify().error().message.c_str());
        // the store belongs to its dataset
        Store::Options o;
        o.datasetRoot = (dir() / "elsewhere").string();
        auto other = Store::open(file, o);
        QVERIFY(!other.ok());
        QVERIFY(QString::fromStdString(other.error().message).contains("belongs to the dataset"));
    }

    // A dataset folder that moved: its store (named with MAMMOSCOPE_ANNOTATIONS or --store) follows it; a store of a
    // dataset that still exists is refused for another.
    void storeFollowsAMovedDataset()
    {
        const fs::path a = dir() / "moved-a", b = dir() / "moved-b", file = dir() / "moved.sqlite";
        fs::create_directories(a);
        {
            auto s = openStore(file, a.string());
            QVERIFY(s && s->set({ "X#1", "pathology", std::string("BENIGN"), "MALIGNANT" }).ok());
        }
        fs::create_directories(b);
        Store::Options o;
        o.datasetRoot = b.string();
        auto refused = Store::open(file, o);
        QVERIFY(!refused.ok()); // a still exists
        fs::remove_all(b);
        fs::rename(a, b);
        auto s = Store::open(file, o);
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().message.c_str());
        QCOMPARE((*s)->adoptedFrom(), fs::weakly_canonical(dir()).string() + "/moved-a");
        QCOMPARE(*(*s)->value("X#1", "pathology"), std::string("BENIGN"));
        QVERIFY((*s)->verify().ok());
    }

    void defaultPathIsOutsideTheDataset()
    {
        fs::path p = Store::defaultPath(m_root.string());
        QVERIFY(p.string().rfind(appDataDir().string(), 0) == 0);
        QVERIFY(p.string().find(m_root.string()) == std::string::npos);
        QCOMPARE(Store::defaultPath(m_root.string() + "/"), p);
    }

    void migrationFromSchema1()
    {
        const fs::path file = dir() / "v1.sqlite";
        QVERIFY(Store::createAtVersion(file, 1).ok());
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(file.c_str(), &db), SQLITE_OK);
        const char* sql = "INSERT INTO attributes VALUES('A#1', 'pathology', 'MALIGNANT');"
                          "INSERT INTO audit(time, user, item, field, old_value, new_value, old_is_original, new_is_original, source)"
                          " VALUES('2026-01-01T00:00:00.000Z', 'bob', 'A#1', 'pathology', 'BENIGN', 'MALIGNANT', 1, 0, 'human');";
        QCOMPARE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
        auto s = openStore(file);
        QVERIFY(s);
        QCOMPARE(s->schemaVersion(), 2);
        QCOMPARE(*s->value("A#1", "pathology"), std::string("MALIGNANT"));
        auto audit = s->audit();
        QCOMPARE(audit.size(), size_t(1));
        QCOMPARE(audit[0].user, std::string("bob"));
        QVERIFY(audit[0].session.empty()); // written before sessions were recorded
        QVERIFY(s->set({ "A#1", "subtlety", std::string("3"), "2" }).ok());
        QVERIFY(!s->audit().back().session.empty());
        QVERIFY(s->verify().ok());
    }

    void newerSchemaRefused()
    {
        const fs::path file = dir() / "future.sqlite";
        QVERIFY(Store::createAtVersion(file, 2).ok());
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(file.c_str(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "PRAGMA user_version=9", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
        auto s = Store::open(file, {});
        QVERIFY(!s.ok());
        QVERIFY(QString::fromStdString(s.error().message).contains("newer MammoScope"));
        // not a database at all
        const fs::path junk = dir() / "junk.sqlite";
        QVERIFY(writeFileAtomic(junk, std::string(4096, 'x')).empty());
        auto j = Store::open(junk, {});
        QVERIFY(!j.ok());
        QCOMPARE(QString::fromStdString(j.error().file), QString::fromStdString(junk.string()));
    }

    void readOnlyStore()
    {
        const fs::path file = dir() / "ro.sqlite";
        {
            auto s = openStore(file);
            QVERIFY(s && s->set({ "A#1", "pathology", std::string("BENIGN"), "MALIGNANT" }).ok());
        }
        Store::Options o;
        o.readOnly = true;
        auto s = Store::open(file, o);
        QVERIFY(s.ok());
        QVERIFY(!(*s)->writable());
        QCOMPARE(*(*s)->value("A#1", "pathology"), std::string("BENIGN"));
        Status st = (*s)->set({ "A#1", "pathology", std::string("MALIGNANT"), "MALIGNANT" });
        QVERIFY(!st.ok());
        QVERIFY(QString::fromStdString(st.error().message).contains("cannot be written"));
        QVERIFY(QString::fromStdString(st.error().message).contains("not saved"));
    }

    // Two MammoScope instances on one store: SQLite's locking keeps it whole; a writer that cannot get the lock in
    // time is told so and writes nothing; each instance sees the other's changes.
    void twoInstancesOneStore()
    {
        const fs::path file = dir() / "shared.sqlite";
        auto a = openStore(file, {}, 3000);
        auto b = openStore(file, {}, 200);
        QVERIFY(a && b);
        QVERIFY(a->set({ "A#1", "pathology", std::string("BENIGN"), "MALIGNANT" }).ok());
        QVERIFY(b->changedElsewhere());
        QCOMPARE(*b->value("A#1", "pathology"), std::string("BENIGN"));
        QVERIFY(!b->changedElsewhere());

        sqlite3* holder = nullptr; // a third connection holds the write lock, as a long write of another app would
        QCOMPARE(sqlite3_open(file.c_str(), &holder), SQLITE_OK);
        QCOMPARE(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
        Status st = b->set({ "A#1", "subtlety", std::string("4"), "3" });
        QVERIFY(!st.ok());
        QVERIFY2(QString::fromStdString(st.error().message).contains("another MammoScope"), st.error().message.c_str());
        QCOMPARE(QString::fromStdString(st.error().file), QString::fromStdString(file.string()));
        QCOMPARE(sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(holder);
        QVERIFY(!b->value("A#1", "subtlety"));
        QVERIFY(b->set({ "A#1", "subtlety", std::string("4"), "3" }).ok());
        QVERIFY(a->changedElsewhere());
        QCOMPARE(*a->value("A#1", "subtlety"), std::string("4"));
        // interleaved writes from both
        for (int i = 0; i < 50; ++i) {
            Store& s = i % 2 ? *a : *b;
            QVERIFY(s.set({ "A#" + std::to_string(i % 5 + 2), "subtlety", std::to_string(i % 5 + 1), "1" }).ok());
        }
        QVERIFY(a->verify().ok());
        QCOMPARE(a->snapshot(), b->snapshot());
    }

    // kill -9 right after a change was committed loses nothing; a process killed inside a change leaves the store as
    // it was before that change, and it opens clean.
    void killNineAfterAndDuringAChange()
    {
        const fs::path file = dir() / "crash.sqlite";
        {
            auto s = openStore(file);
            QVERIFY(s && s->set({ "A#1", "pathology", std::string("BENIGN"), "MALIGNANT" }).ok());
        }
        pid_t pid = fork();
        QVERIFY(pid >= 0);
        if (pid == 0) {
            auto s = openStore(file);
            if (s && s->set({ "A#1", "assessment", std::string("2"), "4" }).ok())
                ::kill(::getpid(), SIGKILL); // no close, no checkpoint
            ::_exit(3);
        }
        int status = 0;
        QCOMPARE(::waitpid(pid, &status, 0), pid);
        QVERIFY(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        // Killed inside apply(), between the first change's data row and its audit row: the whole change (both its
        // rows, and the second change) is lost, not half of it.
        pid = fork();
        QVERIFY(pid >= 0);
        if (pid == 0) {
            auto s = openStore(file);
            if (s) {
                Store::crashPointForTest = [] { ::kill(::getpid(), SIGKILL); };
                (void)s->apply({ { "A#9", "pathology", std::string("MALIGNANT"), "" },
                    { "A#9", "roi", RleMask::ellipse(8, 8, 4, 4, 2, 2).toString(), "" } });
            }
            ::_exit(3); // not reached when the hook is called
        }
        QCOMPARE(::waitpid(pid, &status, 0), pid);
        QVERIFY(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        auto s = openStore(file);
        QVERIFY(s);
        QCOMPARE(*s->value("A#1", "pathology"), std::string("BENIGN"));
        QCOMPARE(*s->value("A#1", "assessment"), std::string("2"));
        QVERIFY(!s->value("A#9", "pathology"));
        QVERIFY(!s->value("A#9", "roi"));
        QVERIFY2(s->verify().ok(), s->verify().ok() ? "" : s->verify().error().message.c_str());
        QCOMPARE(s->auditCount(), 2LL);
    }

    // 10,000 random edits (attributes, ROIs, deletions, reviews), each undone or redone at random as the GUI's undo
    // stack does (an undo is the change back to the previous value). Then: the store passes its checks, the audit
    // has one row per effective change, and undoing everything returns the empty store.
    void tenThousandRandomEditsWithUndo()
    {
        const fs::path file = dir() / "random.sqlite";
        auto s = openStore(file, {}, 3000, false);
        QVERIFY(s);
        std::mt19937 rng(7);
        struct Step {
            Change forward, backward;
        };
        std::vector<Step> done, undone;
        const std::vector<std::string> fields { "pathology", "assessment", "subtlety", "roi", "deleted", "review", "mass_shape" };
        auto randomValue = [&](const std::string& f) -> std::optional<std::string> {
            if (rng() % 6 == 0)
                return std::nullopt;
            switch (f[0]) {
            case 'p':
                return std::vector<std::string> { "MALIGNANT", "BENIGN", "BENIGN_WITHOUT_CALLBACK" }[rng() % 3];
            case 'a':
                return std::to_string(rng() % 6);
            case 's':
                return std::to_string(1 + rng() % 5);
            case 'r':
                if (f == "review")
                    return reviewStatuses()[rng() % 4];
                return RleMask::ellipse(40, 30, 5 + rng() % 30, 5 + rng() % 20, 2 + rng() % 6, 2 + rng() % 6).toString();
            case 'd':
                return std::string("1");
            default:
                return std::string(rng() % 2 ? "OVAL" : "IRREGULAR-LOBULATED");
            }
        };
        long long effective = 0;
        for (int i = 0; i < 10000; ++i) {
            const int op = int(rng() % 10);
            if (op < 2 && !done.empty()) { // undo
                Step st = done.back();
                done.pop_back();
                QVERIFY(s->apply({ st.backward }).ok());
                ++effective;
                undone.push_back(st);
            } else if (op < 3 && !undone.empty()) { // redo
                Step st = undone.back();
                undone.pop_back();
                QVERIFY(s->apply({ st.forward }).ok());
                ++effective;
                done.push_back(st);
            } else {
                const std::string f = fields[rng() % fields.size()];
                const std::string item = f == "review" ? "IMG" + std::to_string(rng() % 20) : "IMG" + std::to_string(rng() % 20) + "#1";
                auto before = s->value(item, f);
                auto after = randomValue(f);
                if (before == after)
                    continue;
                Step st { { item, f, after, "orig" }, { item, f, before, "orig" } };
                QVERIFY(s->apply({ st.forward }).ok());
                ++effective;
                done.push_back(st);
                undone.clear();
            }
        }
        QVERIFY2(s->verify().ok(), s->verify().ok() ? "" : s->verify().error().message.c_str());
        QCOMPARE(s->auditCount(), effective);
        const Snapshot end = s->snapshot();
        // undo all -> empty; redo all -> the same end state; undo all again -> empty
        std::vector<Step> stack = done;
        for (auto it = stack.rbegin(); it != stack.rend(); ++it)
            QVERIFY(s->apply({ it->backward }).ok());
        QVERIFY(s->snapshot().items.empty());
        for (const auto& st : stack)
            QVERIFY(s->apply({ st.forward }).ok());
        QCOMPARE(s->snapshot(), end);
        for (auto it = stack.rbegin(); it != stack.rend(); ++it)
            QVERIFY(s->apply({ it->backward }).ok());
        QVERIFY(s->snapshot().items.empty());
        QVERIFY(s->verify().ok());
        qInfo("10,000 random operations: %lld changes audited; %lld audit rows after undo all / redo all / undo all; checks pass",
            effective, s->auditCount());
    }

    void effectiveDataset()
    {
        dataset::Dataset ds = openDataset(m_root);
        dataset::Dataset eff0 = effective(ds, {});
        QCOMPARE(eff0.abnormalities.size(), ds.abnormalities.size());
        const auto& a0 = eff0.abnormalities[0];
        const auto& im0 = eff0.images[size_t(a0.image)];
        QCOMPARE(a0.key, abnormalityKey(im0.key, a0.number));
        std::string ik;
        int n = 0;
        QVERIFY(parseAbnormalityKey(a0.key, ik, n));
        QCOMPARE(ik, im0.key);
        QCOMPARE(n, a0.number);

        Snapshot s;
        const std::string newPath = a0.pathology == "MALIGNANT" ? "BENIGN" : "MALIGNANT";
        s.items[a0.key]["pathology"] = newPath;
        s.items[a0.key]["assessment"] = "5";
        const auto& a1 = eff0.abnormalities[1];
        s.items[a1.key]["deleted"] = "1";
        const int next = nextAbnormalityNumber(eff0, s, im0.index);
        QVERIFY(next > a0.number);
        const std::string addedKey = abnormalityKey(im0.key, next);
        s.items[addedKey]["added"] = im0.key;
        s.items[addedKey]["type"] = "calcification";
        s.items[addedKey]["pathology"] = "BENIGN";
        s.items[addedKey]["calc_type"] = "PUNCTATE";
        s.items[addedKey]["roi"] = RleMask::ellipse(256, 416, 100, 200, 10, 12).toString();
        s.items[im0.key]["review"] = "corrected";
        s.items["Nonexistent_IMAGE#2"]["added"] = "Nonexistent_IMAGE";

        dataset::Dataset eff = effective(ds, s);
        QCOMPARE(eff.abnormalities.size(), ds.abnormalities.size()); // one deleted, one added
        QVERIFY(!byKey(eff, a1.key));
        const auto* c = byKey(eff, a0.key);
        QVERIFY(c);
        QCOMPARE(c->pathology, newPath);
        QCOMPARE(c->assessment, 5);
        QCOMPARE(c->corrected.size(), size_t(2));
        bool sawOriginal = false;
        for (const auto& [f, orig] : c->corrected)
            if (f == "pathology")
                sawOriginal = orig == a0.pathology;
        QVERIFY(sawOriginal);
        for (const auto& [col, v] : c->attributes) // the CSV columns follow the correction
            if (col == "pathology")
                QCOMPARE(v, newPath);
        const auto* added = byKey(eff, addedKey);
        QVERIFY(added);
        QVERIFY(added->added);
        QCOMPARE(added->type, std::string("calcification"));
        QCOMPARE(added->calcType, std::string("PUNCTATE"));
        QCOMPARE(added->image, im0.index);
        QCOMPARE(eff.images[size_t(im0.index)].review, std::string("corrected"));
        const auto& list = eff.images[size_t(im0.index)].abnormalities;
        QVERIFY(std::find(list.begin(), list.end(), added->index) != list.end());
        bool problem = false;
        for (const auto& p : eff.problems)
            problem = problem || p.message.find("Nonexistent_IMAGE") != std::string::npos;
        QVERIFY(problem);
        auto m = roiMask(*added, 256, 416);
        QVERIFY(m.ok());
        QCOMPARE(m->toString(), s.items[addedKey]["roi"]);
        auto p = reviewProgress(eff);
        QCOMPARE(p.total, int(eff.images.size()));
        QCOMPARE(p.corrected, 1);
        QCOMPARE(p.unreviewed, p.total - 1);
    }

    // A curation session (a store with corrections of every kind) exported as CBIS-DDSM, indexed again: the index
    // gives the corrected values and ROIs. The dataset folder's files are byte-identical before and after.
    void exportCbisReindexes()
    {
        const auto before = folderHashes(m_root);
        dataset::Dataset ds = openDataset(m_root);
        auto store = openStore(dir() / "session.sqlite", m_root.string());
        QVERIFY(store);
        dataset::Dataset eff = effective(ds, {});
        const dataset::Abnormality a = eff.abnormalities[0]; // copies: eff is replaced below
        const dataset::Abnormality b = eff.abnormalities[1];
        const dataset::Image im = eff.images[size_t(a.image)];
        auto fullMask = roiMask(a, 0, 0);
        QVERIFY(fullMask.ok());
        const int W = fullMask->width(), H = fullMask->height();
        const RleMask newRoi = RleMask::ellipse(W, H, W * 0.4, H * 0.5, 14, 18);
        const std::string addedKey = abnormalityKey(im.key, nextAbnormalityNumber(eff, {}, im.index));
        std::vector<Change> ch {
            { a.key, "pathology", std::string(a.pathology == "BENIGN" ? "MALIGNANT" : "BENIGN"), a.pathology },
            { a.key, "subtlety", std::string("1"), fieldValue(a, "subtlety") },
            { a.key, "roi", newRoi.toString(), "" },
            { b.key, "deleted", std::string("1"), "" },
            { addedKey, "added", im.key, "" },
            { addedKey, "type", std::string("mass"), "" },
            { addedKey, "pathology", std::string("MALIGNANT"), "" },
            { addedKey, "mass_shape", std::string("IRREGULAR"), "" },
            { addedKey, "mass_margins", std::string("SPICULATED"), "" },
            { addedKey, "assessment", std::string("5"), "" },
            { addedKey, "subtlety", std::string("4"), "" },
            { addedKey, "roi", RleMask::ellipse(W, H, W * 0.6, H * 0.3, 9, 9).toString(), "" },
            { im.key, "review", std::string("corrected"), "unreviewed" },
        };
        QVERIFY(store->apply(ch).ok());
        eff = effective(ds, store->snapshot());

        const fs::path out = dir() / "export-cbis";
        auto r = exportDataset(eff, store.get(), out, { ExportFormat::Cbis, FileMode::Link });
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        QVERIFY2(r->problems.empty(), r->problems.empty() ? "" : r->problems[0].message.c_str());
        QCOMPARE(r->masksWritten, 2);
        QCOMPARE(r->abnormalities, int(eff.abnormalities.size()));
        QVERIFY(fs::exists(out / "audit.csv"));
        QVERIFY(fs::exists(out / "mammoscope-export.json"));

        dataset::Dataset re = keyed(openDataset(out));
        QCOMPARE(re.format, dataset::Format::CbisDdsm);
        QCOMPARE(re.images.size(), eff.images.size());
        QCOMPARE(re.abnormalities.size(), eff.abnormalities.size());
        QVERIFY(re.missingFiles.empty());
        for (const auto& e : eff.abnormalities) {
            const auto* x = byKey(re, e.key);
            QVERIFY2(x, e.key.c_str());
            for (const auto& f : attributeFieldNames())
                QCOMPARE(fieldValue(*x, f), fieldValue(e, f));
            QCOMPARE(x->split, e.split);
            QVERIFY2(!x->maskPath.empty() && !x->cropPath.empty(), e.key.c_str());
            auto m1 = roiMask(e, W, H), m2 = roiMask(*x, W, H);
            QVERIFY(m1.ok() && m2.ok());
            if (e.image == a.image)
                QCOMPARE(m2->toString(), m1->toString());
        }
        QVERIFY(!byKey(re, b.key));
        // the corrected CSV keeps the source's columns and spellings
        auto src = readCsv(fs::path(a.sourceFile));
        auto dst = readCsv(out / fs::path(a.sourceFile).filename());
        QVERIFY(src.ok() && dst.ok());
        QCOMPARE(dst->header, src->header);
        // the audit CSV has every change
        auto audit = readCsv(out / "audit.csv");
        QVERIFY(audit.ok());
        QCOMPARE(long(audit->rows.size()), long(store->auditCount()));

        // re-exporting into the same folder is allowed; into a foreign non-empty folder or the dataset is not
        QVERIFY(exportDataset(eff, store.get(), out, {}).ok());
        const fs::path foreign = dir() / "foreign";
        fs::create_directories(foreign);
        QVERIFY(writeFileAtomic(foreign / "notes.txt", "mine").empty());
        auto f = exportDataset(eff, store.get(), foreign, {});
        QVERIFY(!f.ok());
        QVERIFY(QString::fromStdString(f.error().message).contains("not empty"));
        auto in = exportDataset(eff, store.get(), m_root / "exported", {});
        QVERIFY(!in.ok());
        QVERIFY(QString::fromStdString(in.error().message).contains("never writes into a dataset"));
        QVERIFY(!fs::exists(m_root / "exported"));

        QVERIFY(folderHashes(m_root) == before);
    }

    // A damaged store (a value written past the checks, or damaged pages) is an error everywhere it is read: verify,
    // the checked snapshot, export. Never an export that silently lacks the corrections.
    void damagedStoreIsNeverExportedWithoutItsCorrections_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::newRow("negative run in a stored ROI") << "roi";
        QTest::newRow("unknown review status") << "review";
        QTest::newRow("pages overwritten") << "pages";
    }
    void damagedStoreIsNeverExportedWithoutItsCorrections()
    {
        QFETCH(QString, damage);
        dataset::Dataset ds = openDataset(m_root);
        const fs::path file = dir() / ("damaged-" + damage.toStdString() + ".sqlite");
        const dataset::Dataset keyedDs = effective(ds, {}); // keys are given by the effective view
        const dataset::Abnormality a = keyedDs.abnormalities[0];
        const dataset::Image im = keyedDs.images[size_t(a.image)];
        {
            auto store = openStore(file, m_root.string());
            QVERIFY(store);
            auto full = roiMask(a, 0, 0);
            QVERIFY(full.ok());
            std::vector<Change> ch { { a.key, "pathology", std::string(a.pathology == "BENIGN" ? "MALIGNANT" : "BENIGN"), a.pathology },
                { a.key, "roi", RleMask::ellipse(full->width(), full->height(), 40, 40, 10, 12).toString(), "" },
                { im.key, "review", std::string("corrected"), "unreviewed" } };
            for (int i = 0; i < 300; ++i) // enough rows to fill several pages
                ch.push_back({ a.key, "subtlety", std::to_string(1 + i % 5), fieldValue(a, "subtlety") });
            for (const auto& c : ch) {
                auto st = store->set(c);
                QVERIFY2(st.ok(), st.ok() ? "" : st.error().toString().c_str());
            }
            QVERIFY(store->verify().ok());
            QVERIFY(store->readSnapshot().ok());
        }
        if (damage == "pages") {
            // Every page after the first (schema and header stay) overwritten with noise.
            std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
            f.seekg(0, std::ios::end);
            const long size = long(f.tellg());
            QVERIFY(size > 4 * 4096);
            uint64_t x = 0x9E3779B97F4A7C15ull;
            for (long at = 4096; at < size; ++at) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                f.seekp(at);
                f.put(char(x));
            }
        } else {
            sqlite3* db = nullptr;
            QCOMPARE(sqlite3_open(file.c_str(), &db), SQLITE_OK);
            const char* sql = damage == "roi" ? "UPDATE rois SET rle = '4 4 0 -1 17'" : "UPDATE reviews SET value = 'sort of'";
            QCOMPARE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
            QCOMPARE(sqlite3_changes(db), 1);
            sqlite3_close(db);
        }
        Store::Options so;
        so.datasetRoot = m_root.string();
        so.readOnly = true;
        auto store = Store::open(file, so);
        if (!store) { // damaged beyond opening: that is an error too
            QVERIFY(!store.error().message.empty());
            qInfo("refused at opening: %s", store.error().toString().c_str());
            return;
        }
        auto snap = (*store)->readSnapshot();
        QVERIFY(!snap.ok());
        QCOMPARE(QString::fromStdString(snap.error().file), QString::fromStdString(file.string()));
        QVERIFY(!(*store)->verify().ok());
        const fs::path out = dir() / ("export-" + damage.toStdString());
        auto r = exportDataset(effective(ds, {}), store->get(), out, { ExportFormat::Cbis, FileMode::Link });
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.find("nothing was exported") != std::string::npos, r.error().message.c_str());
        QVERIFY(!fs::exists(out / "mammoscope-export.json"));
    }

    // Paths in the dataset model (from a crafted CSV, or a store's added ROI) that are absolute, step out with "..", or
    // lead through a symbolic link out of the export folder: nothing is written, removed or overwritten outside it, and
    // each such file is a problem naming it. (The dataset readers drop such paths too; this is the export's own guard.)
    void exportStaysInItsFolder()
    {
        dataset::Dataset ds = openDataset(m_root);
        auto store = openStore(dir() / "escape.sqlite", m_root.string());
        QVERIFY(store);
        dataset::Dataset eff = effective(ds, {});
        const fs::path outside = dir() / "outside";
        fs::create_directories(outside);
        const fs::path victim = outside / "victim.dcm", victimMask = outside / "victim-mask.dcm";
        QVERIFY(writeFileAtomic(victim, "precious").empty());
        QVERIFY(writeFileAtomic(victimMask, "precious too").empty());
        // a corrected ROI (written anew as DICOM) whose CSV paths point outside: absolute and "..".
        const dataset::Abnormality a = eff.abnormalities[0];
        auto fullMask = roiMask(a, 0, 0);
        QVERIFY(fullMask.ok());
        const int W = fullMask->width(), H = fullMask->height();
        QVERIFY(store->apply({ { a.key, "roi", RleMask::ellipse(W, H, W * 0.5, H * 0.5, 12, 12).toString(), "" } }).ok());
        eff = effective(ds, store->snapshot());
        eff.abnormalities[0].maskCsvPath = victimMask.string();
        eff.abnormalities[0].cropCsvPath = "../outside/victim.dcm";
        // an unchanged ROI linked to "../../..": would create a file outside
        eff.abnormalities[1].maskCsvPath = "../escaped/created.dcm";
        // a full mammogram whose CSV path is absolute
        eff.images[size_t(eff.abnormalities[1].image)].csvPath = (outside / "full.dcm").string();

        const fs::path out = dir() / "export-escape";
        auto r = exportDataset(eff, store.get(), out, { ExportFormat::Cbis, FileMode::Copy });
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        std::string victimText, maskText;
        QVERIFY(readFile(victim, victimText) && readFile(victimMask, maskText));
        QCOMPARE(victimText, std::string("precious"));
        QCOMPARE(maskText, std::string("precious too"));
        QVERIFY(!fs::exists(dir() / "escaped"));
        QVERIFY(!fs::exists(outside / "full.dcm"));
        QCOMPARE(std::distance(fs::directory_iterator(outside), fs::directory_iterator()), 2L);
        auto problemAbout = [&](const std::string& file, const std::string& text) {
            for (const auto& p : r->problems)
                if (p.file == file && p.message.find(text) != std::string::npos)
                    return true;
            return false;
        };
        QVERIFY(problemAbout(victimMask.string(), "absolute"));
        QVERIFY(problemAbout("../escaped/created.dcm", "steps out"));
        QVERIFY(problemAbout((outside / "full.dcm").string(), "absolute"));

        // a folder inside an earlier export replaced by a symbolic link out of it: not written through
        const dataset::Image& im = eff.images[size_t(eff.abnormalities[2].image)];
        const fs::path linkDir = out / fs::path(im.csvPath).begin()->string();
        ms::removeTree(linkDir);
        fs::create_directory_symlink(outside, linkDir);
        auto again = exportDataset(eff, store.get(), out, { ExportFormat::Cbis, FileMode::Copy });
        QVERIFY(again.ok());
        QCOMPARE(std::distance(fs::directory_iterator(outside), fs::directory_iterator()), 2L);
        bool linkProblem = false;
        for (const auto& p : again->problems)
            linkProblem |= p.message.find("resolves outside the export folder") != std::string::npos;
        QVERIFY(linkProblem);
    }

    void exportCocoAndMasks()
    {
        dataset::Dataset ds = openDataset(m_root);
        auto store = openStore(dir() / "coco.sqlite", m_root.string());
        dataset::Dataset eff = effective(ds, {});
        const dataset::Abnormality a = eff.abnormalities[0];
        auto m0 = roiMask(a, 0, 0);
        QVERIFY(m0.ok());
        const RleMask roi = RleMask::ellipse(m0->width(), m0->height(), 120, 150, 20, 11);
        QVERIFY(store->set({ a.key, "roi", roi.toString(), "" }).ok());
        QVERIFY(store->set({ a.key, "pathology", std::string("MALIGNANT"), a.pathology }).ok());
        eff = effective(ds, store->snapshot());

        const fs::path coco = dir() / "export-coco";
        auto r = exportDataset(eff, store.get(), coco, { ExportFormat::Coco, FileMode::Link });
        QVERIFY(r.ok());
        std::string text;
        QVERIFY(readFile(coco / "annotations.json", text));
        auto j = Json::parse(text);
        QVERIFY(j.ok());
        QCOMPARE(long((*j)["images"].size()), long(eff.images.size()));
        QCOMPARE(long((*j)["annotations"].size()), long(eff.abnormalities.size()));
        bool found = false;
        for (const auto& ann : (*j)["annotations"].elements()) {
            QVERIFY(ann["segmentation"].size() >= 1);
            QVERIFY(ann["segmentation"].elements()[0].size() >= 6);
            if (ann["attributes"]["key"].string() != a.key)
                continue;
            found = true;
            Rect b = roi.boundingBox();
            QCOMPARE(ann["bbox"].elements()[0].integer(), (long long)b.x);
            QCOMPARE(ann["bbox"].elements()[2].integer(), (long long)b.w);
            QCOMPARE(ann["area"].integer(), (long long)roi.area());
            QCOMPARE(QString::fromStdString(ann["attributes"]["pathology"].string()), QStringLiteral("MALIGNANT"));
            QVERIFY(ann["attributes"]["roi_corrected"].boolean());
            // every polygon point lies on the mask
            for (const auto& poly : ann["segmentation"].elements())
                for (size_t k = 0; k + 1 < poly.size(); k += 2)
                    QVERIFY(roi.contains(int(poly.elements()[k].integer()), int(poly.elements()[k + 1].integer())));
        }
        QVERIFY(found);

        const fs::path masks = dir() / "export-masks";
        auto rm = exportDataset(eff, store.get(), masks, { ExportFormat::Masks, FileMode::Link });
        QVERIFY(rm.ok());
        auto csv = readCsv(masks / "masks.csv");
        QVERIFY(csv.ok());
        QCOMPARE(long(csv->rows.size()), long(eff.abnormalities.size()));
        const int cKey = csv->column("key"), cFile = csv->column("mask_file");
        for (const auto& row : csv->rows)
            if (row.cells[size_t(cKey)] == a.key) {
                auto png = dataset::loadMask(masks / row.cells[size_t(cFile)]);
                QVERIFY(png.ok());
                QVERIFY(RleMask::fromGray(*png) == roi);
            }
    }

    // The whole CBIS-DDSM description (3,103 images, 3,568 abnormalities) with 1,000 corrections: the effective
    // dataset is rebuilt after every GUI edit, so its cost is printed.
    void effectiveOnTheRealCsvs()
    {
        dataset::Dataset ds = openDataset(kData / "cbis-ddsm-csv");
        QCOMPARE(ds.abnormalities.size(), size_t(3568));
        dataset::Dataset keyedDs = effective(ds, {});
        Snapshot s;
        std::mt19937 rng(3);
        for (int i = 0; i < 1000; ++i) {
            const auto& a = keyedDs.abnormalities[rng() % keyedDs.abnormalities.size()];
            s.items[a.key]["pathology"] = "MALIGNANT";
            if (i % 10 == 0)
                s.items[a.key]["deleted"] = "1";
        }
        QElapsedTimer t;
        t.start();
        const int n = 5;
        size_t count = 0;
        for (int k = 0; k < n; ++k)
            count = effective(ds, s).abnormalities.size();
        const double ms = t.nsecsElapsed() / 1e6 / n;
        size_t deleted = 0;
        for (const auto& [item, fields] : s.items)
            deleted += fields.count("deleted");
        QCOMPARE(count, ds.abnormalities.size() - deleted);
        qInfo("effective dataset of the real CBIS-DDSM CSVs with %zu corrected items: %.1f ms", s.items.size(), ms);
    }

    void cbisExportNeedsCbisSource()
    {
        dataset::Dataset mias = openDataset(kData / "mias");
        QCOMPARE(mias.format, dataset::Format::MiniMias);
        auto r = exportDataset(effective(mias, {}), nullptr, dir() / "mias-cbis", { ExportFormat::Cbis, FileMode::Link });
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.error().message).contains("export it as coco or masks"));
        // masks from mini-MIAS circles work
        auto m = exportDataset(effective(mias, {}), nullptr, dir() / "mias-masks", { ExportFormat::Masks, FileMode::Link });
        QVERIFY2(m.ok(), m.ok() ? "" : m.error().toString().c_str());
        QVERIFY(m->masksWritten > 0);
    }
};

QTEST_GUILESS_MAIN(TestAnnotations)
#include "test_annotations.moc"

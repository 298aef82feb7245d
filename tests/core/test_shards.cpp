// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/common/paths.h"
#include "core/shards/shards.h"
#include "core/shards/stamp.h"

#include <QtTest>

#include <filesystem>
#include <fstream>

using namespace ms;
namespace fs = std::filesystem;

namespace
{

shards::SampleSet makeSet(int n)
{
    shards::SampleSet s;
    s.task = "roi";
    s.classes = { "BENIGN", "MALIGNANT" };
    s.width = 8;
    s.height = 6;
    std::vector<uint8_t> px(48);
    for (int i = 0; i < n; ++i) {
        for (size_t k = 0; k < px.size(); ++k)
            px[k] = uint8_t(i * 7 + int(k));
        shards::SampleMeta m;
        m.id = "s" + std::to_string(i);
        m.patient = "P_" + std::to_string(i % 3);
        m.image = "img" + std::to_string(i);
        m.label = i % 2;
        m.x = i;
        m.y = 2 * i;
        s.add(m, px.data());
    }
    return s;
}

} // namespace

class TestShards : public QObject
{
    Q_OBJECT
private slots:
    void crcKnownValue() { QCOMPARE(shards::crc32("123456789", 9), 0xCBF43926u); }

    void roundTripAcrossShards()
    {
        QTemporaryDir d;
        const fs::path dir = d.path().toStdString();
        auto set = makeSet(25);
        auto files = shards::writeShards(dir, "train", set, 10);
        QVERIFY(files.ok());
        QCOMPARE(files->size(), size_t(3));
        shards::Manifest m;
        m.task = set.task;
        m.classes = set.classes;
        m.width = 8;
        m.height = 6;
        m.splits = { { "train", *files } };
        m.counts = { { "train", 25 } };
        QVERIFY(shards::writeManifest(dir, m).ok());
        auto back = shards::loadSplit(dir, "train");
        QVERIFY2(back.ok(), back.ok() ? "" : back.error().toString().c_str());
        QCOMPARE(back->size(), size_t(25));
        QCOMPARE(back->pixels, set.pixels);
        QCOMPARE(QString::fromStdString(back->meta[13].id), QStringLiteral("s13"));
        QCOMPARE(back->meta[13].y, 26);
        QCOMPARE(back->classCounts(), (std::vector<long> { 13, 12 }));
        auto none = shards::loadSplit(dir, "test");
        QVERIFY(none.ok());
        QCOMPARE(none->size(), size_t(0));
    }

    // Lesion-map records carry their lesions, ground truth and geometry through a shard; absurd circles are refused.
    void lesionMapMetaRoundTrip()
    {
        QTemporaryDir d;
        const fs::path dir = d.path().toStdString();
        shards::SampleSet s;
        s.task = "lesion-map";
        s.classes = { "normal", "benign", "malignant" };
        s.width = 4;
        s.height = 4;
        std::vector<uint8_t> px(16, 7);
        shards::SampleMeta m;
        m.id = "mdb001";
        m.patient = "mdb001";
        m.label = 1;
        m.abnormal = true;
        m.partner = "mdb002";
        m.geometry[0] = 0.25;
        m.geometry[1] = 1;
        m.geometry[3] = -3.5;
        m.lesions.push_back({ 1.5f, 2.25f, 12.f, "CIRC", false });
        m.lesions.push_back({ 3.f, 1.f, 0.5f, "CALC", true });
        s.add(m, px.data());
        shards::SampleMeta normal;
        normal.id = normal.patient = "mdb003";
        s.add(normal, px.data());
        auto files = shards::writeShards(dir, "all", s);
        QVERIFY(files.ok());
        auto back = shards::readShard(dir / files->front());
        QVERIFY2(back.ok(), back.ok() ? "" : back.error().toString().c_str());
        const auto& b = back->meta[0];
        QVERIFY(b.abnormal);
        QCOMPARE(QString::fromStdString(b.partner), QStringLiteral("mdb002"));
        QCOMPARE(b.geometry[0], 0.25);
        QCOMPARE(b.geometry[1], 1.0);
        QCOMPARE(b.geometry[3], -3.5);
        QCOMPARE(b.lesions.size(), size_t(2));
        QCOMPARE(b.lesions[0].y, 2.25f);
        QCOMPARE(QString::fromStdString(b.lesions[1].kind), QStringLiteral("CALC"));
        QVERIFY(b.lesions[1].malignant && !b.lesions[0].malignant);
        QVERIFY(!back->meta[1].abnormal && back->meta[1].lesions.empty());
        QCOMPARE(back->meta[1].geometry[0], 1.0);

        shards::SampleSet bad = s;
        bad.meta[0].lesions[0].r = -4;
        auto bf = shards::writeShards(dir, "bad", bad);
        QVERIFY(bf.ok());
        auto br = shards::readShard(dir / bf->front());
        QVERIFY(!br.ok());
        QVERIFY(br.error().message.find("lesion circle with bad coordinates") != std::string::npos);
    }

    // The Training panel reuses prepared shards only while what they were made from is unchanged: each field, a
    // missing dataset.json and a damaged stamp make them stale.
    void preparedFromStamp()
    {
        QTemporaryDir d;
        const fs::path dir = d.path().toStdString();
        shards::PreparedFrom p;
        p.dataset = "/data/cbis";
        p.task = "patches";
        p.size = 224;
        p.images = 3103;
        p.abnormalities = 3568;
        p.annotations = "/data/cbis/.mammoscope/annotations.sqlite";
        p.annotationRows = 12;
        QVERIFY(shards::writePreparedFrom(dir, p).empty());
        QVERIFY(!shards::preparedFromCurrent(dir, p)); // no dataset.json: no shards
        QVERIFY(writeFileAtomic(dir / "dataset.json", "{}").empty());
        QVERIFY(shards::preparedFromCurrent(dir, p));
        auto changed = [&](auto edit) {
            shards::PreparedFrom q = p;
            edit(q);
            return !shards::preparedFromCurrent(dir, q);
        };
        QVERIFY(changed([](auto& q) { q.dataset = "/data/other"; }));
        QVERIFY(changed([](auto& q) { q.task = "roi"; }));
        QVERIFY(changed([](auto& q) { q.size = 96; }));
        QVERIFY(changed([](auto& q) { q.images = 3102; }));
        QVERIFY(changed([](auto& q) { q.abnormalities = 3569; }));
        QVERIFY(changed([](auto& q) { q.annotations.clear(); }));
        QVERIFY(changed([](auto& q) { q.annotationRows = 13; }));
        QVERIFY(writeFileAtomic(dir / shards::kPreparedFromFile, "{\"dataset\": ").empty());
        QVERIFY(!shards::preparedFromCurrent(dir, p));
        QVERIFY(!shards::writePreparedFrom(dir / "missing" / "deeper", p).empty());
    }
    void damageIsNamed()
    {
        QTemporaryDir d;
        const fs::path dir = d.path().toStdString();
        auto files = shards::writeShards(dir, "val", makeSet(5));
        QVERIFY(files.ok());
        const fs::path f = dir / files->front();
        std::string bytes;
        QVERIFY(readFile(f, bytes));
        // Flip one pixel byte of the third record.
        std::string bad = bytes;
        const size_t at = bytes.size() - 2 * (48 + 4) - 10;
        bad[at] = char(bad[at] ^ 0x5A);
        QVERIFY(writeFileAtomic(f, bad).empty());
        auto r = shards::readShard(f);
        QVERIFY(!r.ok());
        QCOMPARE(QString::fromStdString(r.error().file), QString::fromStdString(f.string()));
        QVERIFY(r.error().message.find("checksum mismatch in record") != std::string::npos);
        // Truncated.
        QVERIFY(writeFileAtomic(f, bytes.substr(0, bytes.size() - 30)).empty());
        auto t = shards::readShard(f);
        QVERIFY(!t.ok());
        QVERIFY(t.error().message.find("truncated") != std::string::npos);
        // Not a shard.
        QVERIFY(writeFileAtomic(f, "hello world, not a shard").empty());
        auto n = shards::readShard(f);
        QVERIFY(!n.ok());
        QVERIFY(n.error().message.find("bad magic") != std::string::npos);
        // No manifest.
        auto m = shards::loadSplit(dir, "val");
        QVERIFY(!m.ok());
        QVERIFY(m.error().message.find("dataset.json") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestShards)
#include "test_shards.moc"

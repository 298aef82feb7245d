// SPDX-License-Identifier: GPL-3.0-or-later
// Following a run folder as it grows: partial and malformed lines, rewrites on resume.
#include "core/runs/runreader.h"

#include <QtTest>

#include <cstdio>
#include <fstream>

using namespace ms;

namespace
{

void append(const std::string& file, const std::string& text)
{
    std::ofstream f(file, std::ios::app | std::ios::binary);
    f << text;
}

} // namespace

class TestRunReader : public QObject
{
    Q_OBJECT
private slots:
    void followsAGrowingRun()
    {
        QTemporaryDir d;
        const std::string dir = d.path().toStdString(), m = dir + "/metrics.jsonl";
        runs::RunReader r(dir);
        QCOMPARE(r.poll(), 0); // nothing yet: not an error
        append(m,
            R"({"type":"event","event":"started","step":0,"v":1,"time":1})"
            "\n");
        append(m,
            R"({"type":"step","step":10,"epoch":0.5,"loss":1.5,"lr":0.001,"images_per_s":900,"v":1,"time":2})"
            "\n");
        append(m, R"({"type":"step","step":20,"epoch":1.0,"loss":1.2,"lr":0.0)"); // cut mid-line
        QCOMPARE(r.poll(), 2);
        QCOMPARE(r.steps().size(), size_t(1));
        append(m,
            R"(009,"images_per_s":950,"v":1,"time":3})"
            "\n");
        QCOMPARE(r.poll(), 1);
        QCOMPARE(r.steps().size(), size_t(2));
        QCOMPARE(r.steps()[1].lr, 0.0009);
        append(m, "garbage that is not JSON\n");
        append(m,
            R"({"type":"step","step":30,"v":2})"
            "\n"); // a future protocol version: skipped, counted
        append(m,
            R"({"type":"epoch","step":20,"epoch":1,"train_loss":1.3,"train_accuracy":0.6,"val_loss":1.1,"val_accuracy":0.7,)"
            R"("val_auc":0.8,"val":{"confusion":[[1,0],[0,1]]},"lr":0.0009,"device_memory":123,"v":1,"time":4})"
            "\n");
        QCOMPARE(r.poll(), 3);
        QCOMPARE(r.malformedLines(), 1);
        QCOMPARE(r.unknownVersionLines(), 1);
        QCOMPARE(r.epochs().size(), size_t(1));
        QCOMPARE(r.epochs()[0].valAuc, 0.8);
        QCOMPARE(r.epochs()[0].val["confusion"].size(), size_t(2));
        QCOMPARE(QString::fromStdString(r.events()[0].name), QStringLiteral("started"));
        // status.json appears.
        append(dir + "/status.json", R"({"v":1,"state":"running","epoch":1,"step":20})");
        r.poll();
        QCOMPARE(QString::fromStdString(r.state()), QStringLiteral("running"));
    }
    // A run folder whose metrics.jsonl is a folder (#18 item 4: --open-run aborted asking for 2^64 bytes): nothing is
    // read, the status still is.
    void metricsThatIsAFolder()
    {
        QTemporaryDir d;
        const std::string dir = d.path().toStdString();
        QVERIFY(QDir().mkpath(QString::fromStdString(dir + "/metrics.jsonl")));
        append(dir + "/status.json", R"({"v":1,"state":"running","epoch":1,"step":20})");
        runs::RunReader r(dir);
        QCOMPARE(r.poll(), 0);
        QCOMPARE(r.steps().size(), size_t(0));
        QCOMPARE(QString::fromStdString(r.state()), QStringLiteral("running"));
    }
    void rewrittenFileIsReadAgain()
    {
        QTemporaryDir d;
        const std::string dir = d.path().toStdString(), m = dir + "/metrics.jsonl";
        runs::RunReader r(dir);
        for (int s = 1; s <= 5; ++s)
            append(m,
                R"({"type":"step","step":)" + std::to_string(s)
                    + R"(,"loss":1,"v":1})"
                      "\n");
        r.poll();
        QCOMPARE(r.steps().size(), size_t(5));
        const int gen = r.generation();
        // A resume keeps the lines up to its checkpoint (step 2) and appends from there.
        std::ofstream(m, std::ios::trunc) << R"({"type":"step","step":1,"loss":1,"v":1})"
                                             "\n"
                                             R"({"type":"step","step":2,"loss":1,"v":1})"
                                             "\n";
        r.poll();
        QCOMPARE(r.steps().size(), size_t(2));
        QCOMPARE(r.steps().back().step, 2L);
        QCOMPARE(r.generation(), gen + 1); // followers learn that what they drew is gone
        // Replaced atomically by a longer file (rename): still read from its start.
        {
            std::ofstream t(m + ".tmp", std::ios::trunc);
            for (int s = 1; s <= 9; ++s)
                t << R"({"type":"step","step":)" << s << R"(,"loss":1,"v":1})"
                  << "\n";
        }
        std::rename((m + ".tmp").c_str(), m.c_str());
        r.poll();
        QCOMPARE(r.steps().size(), size_t(9));
        QCOMPARE(r.steps().front().step, 1L);
        QCOMPARE(r.generation(), gen + 2);
    }
};

QTEST_GUILESS_MAIN(TestRunReader)
#include "test_runreader.moc"

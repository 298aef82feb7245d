// SPDX-License-Identifier: GPL-3.0-or-later
// Data-parallel training on the CPU with Gloo over loopback, as users start it: mammoscope-train --nproc-per-node,
// the torchrun environment and SLURM's, each rank a process. Two ranks at a global batch B must end where one process
// at batch B ends; a killed rank must stop the others; a run must resume with another number of ranks.
#include "core/models/weights.h"
#include "core/runs/launch.h"
#include "core/training/distributed.h"
#if defined(MS_TEST_APP_LOADER)
#include "core/image/image.h"
#include "core/ml/inference.h"
#endif

#include <QtTest>

#include <csignal>
#include <set>
#include <unistd.h>

namespace
{

const QString kTrain = QStringLiteral(MS_TRAIN_PATH);
// Feature extraction (frozen backbone, batch norm in eval mode) makes one process and two ranks compute the very same
// function of the same samples; no augmentation, no class weights.
const QStringList kHeadOnly
    = { "train", "--data", "synth:12:3", "--task", "patches", "--size", "48", "--arch", "compact", "--mode", "feature-extraction",
          "--epochs", "1", "--augment", "none", "--threads", "1", "--log-every", "1", "--limit-train-batches", "4", "--lr", "0.01" };

struct Run {
    int code = -1;
    QByteArray out, err;
};

Run run(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(), int timeoutMs = 240000)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(kTrain, args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.code = p.exitCode();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QJsonObject readJson(const QString& file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

QList<QJsonObject> readMetrics(const QString& run)
{
    QFile f(run + "/metrics.jsonl");
    QList<QJsonObject> out;
    if (!f.open(QIODevice::ReadOnly))
        return out;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (auto d = QJsonDocument::fromJson(line); d.isObject())
            out << d.object();
    return out;
}

// The largest absolute difference between two checkpoints' tensors (infinity when their names differ).
double maxDifference(const QString& a, const QString& b)
{
    auto x = ms::models::loadSafetensors(a.toStdString());
    auto y = ms::models::loadSafetensors(b.toStdString());
    if (!x || !y || x->size() != y->size())
        return std::numeric_limits<double>::infinity();
    double worst = 0;
    for (const auto& [name, t] : *x) {
        auto it = y->find(name);
        if (it == y->end() || !t.sizes().equals(it->second.sizes()))
            return std::numeric_limits<double>::infinity();
        if (t.is_floating_point())
            worst = std::max(worst, (t.to(torch::kFloat64) - it->second.to(torch::kFloat64)).abs().max().item<double>());
    }
    return worst;
}

// Child processes of `parent` (the ranks a launcher started).
QList<qint64> childPids(qint64 parent)
{
    QList<qint64> out;
    for (const QString& d : QDir("/proc").entryList(QDir::Dirs)) {
        bool ok = false;
        const qint64 pid = d.toLongLong(&ok);
        if (!ok)
            continue;
        QFile f("/proc/" + d + "/stat");
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray stat = f.readAll();
        const auto fields = stat.mid(stat.lastIndexOf(')') + 2).split(' '); // state ppid ...
        if (fields.size() > 1 && fields[1].toLongLong() == parent)
            out << pid;
    }
    return out;
}

QByteArray environOf(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/environ").arg(pid));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestDistributed : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;

private slots:
    void shardsTogetherAreTheGlobalBatch_data()
    {
        QTest::addColumn<int>("samples");
        QTest::addColumn<int>("world");
        QTest::newRow("even") << 32 << 2;
        QTest::newRow("uneven, padded") << 33 << 4;
        QTest::newRow("one rank") << 7 << 1;
        QTest::newRow("more ranks than samples") << 3 << 8;
    }
    void shardsTogetherAreTheGlobalBatch()
    {
        QFETCH(int, samples);
        QFETCH(int, world);
        std::vector<size_t> order(static_cast<size_t>(samples));
        for (size_t i = 0; i < order.size(); ++i)
            order[i] = (i * 7919) % order.size(); // any permutation
        std::vector<std::vector<size_t>> shards;
        for (int r = 0; r < world; ++r)
            shards.push_back(ms::training::shardOrder(order, r, world));
        const size_t per = (size_t(samples) + size_t(world) - 1) / size_t(world);
        for (const auto& s : shards)
            QCOMPARE(s.size(), per); // equal shards: every rank takes the same number of steps
        // Batch k of every rank, at per-rank batch b, together: one process's batch k at batch b x world.
        const size_t b = 2;
        for (size_t k = 0; k * b < per; ++k) {
            std::multiset<size_t> together, single;
            for (const auto& s : shards)
                for (size_t j = k * b; j < std::min(per, (k + 1) * b); ++j)
                    together.insert(s[j]);
            for (size_t j = k * b * size_t(world); j < std::min(per * size_t(world), (k + 1) * b * size_t(world)); ++j)
                single.insert(order[j % order.size()]);
            QCOMPARE(together, single);
        }
    }

    void twoRanksEndWhereOneProcessEnds()
    {
        const QString one = m_tmp.path() + "/one", two = m_tmp.path() + "/two", small = m_tmp.path() + "/small";
        const Run a = run(kHeadOnly + QStringList { "--batch", "16", "--run-dir", one });
        QVERIFY2(a.code == 0, a.err.constData());
        const Run b = run(kHeadOnly + QStringList { "--batch", "8", "--nproc-per-node", "2", "--run-dir", two });
        QVERIFY2(b.code == 0, b.err.constData());
        const Run c = run(kHeadOnly + QStringList { "--batch", "8", "--run-dir", small });
        QVERIFY2(c.code == 0, c.err.constData());

        const QJsonObject cfg = readJson(two + "/config.json");
        QCOMPARE(cfg["world_size"].toInt(), 2);
        QCOMPARE(cfg["global_batch"].toInt(), 16);
        QCOMPARE(cfg["launcher"].toString(), QStringLiteral("mammoscope-train"));
        QVERIFY(b.err.contains("data parallel: 2 ranks"));
        QVERIFY2(!QFileInfo::exists(two + "/rank1"), "only rank 0 writes");

        // Same parameters as one process at the same global batch, to float tolerance; another batch differs.
        const double same = maxDifference(one + "/checkpoints/last/model.safetensors", two + "/checkpoints/last/model.safetensors");
        const double other = maxDifference(one + "/checkpoints/last/model.safetensors", small + "/checkpoints/last/model.safetensors");
        QVERIFY2(same < 1e-5, qPrintable(QString::number(same)));
        QVERIFY2(other > 1e-3, qPrintable(QString::number(other)));
        // The step lines are the whole group's: the same losses as the one process's.
        auto losses = [](const QString& dir) {
            QList<double> l;
            for (const auto& m : readMetrics(dir))
                if (m["type"].toString() == "step")
                    l << m["loss"].toDouble();
            return l;
        };
        const auto la = losses(one), lb = losses(two);
        QCOMPARE(la.size(), 4);
        QCOMPARE(lb.size(), la.size());
        for (int i = 0; i < la.size(); ++i)
            QVERIFY2(std::abs(la[i] - lb[i]) < 1e-5, qPrintable(QString("step %1: %2 vs %3").arg(i + 1).arg(la[i]).arg(lb[i])));
    }

    void fineTuningReplicasStayIdentical()
    {
        // Batch norm in training mode: each replica normalises with its own batch (as DDP by default), yet the
        // averaged gradients keep every replica's weights equal.
        const QString dir = m_tmp.path() + "/finetune";
        QStringList args = kHeadOnly;
        args[args.indexOf("feature-extraction")] = "finetune";
        args[args.indexOf("none")] = "default";
        const Run r = run(args + QStringList { "--batch", "8", "--nproc-per-node", "2", "--run-dir", dir });
        QVERIFY2(r.code == 0, r.err.constData());
        bool checked = false;
        for (const auto& m : readMetrics(dir))
            if (m["event"].toString() == "replicas_checked") {
                checked = true;
                QVERIFY2(m["max_abs_difference"].toDouble() <= 1e-6, qPrintable(QString::number(m["max_abs_difference"].toDouble())));
            }
        QVERIFY(checked);
        // The checkpoint of two ranks is an ordinary one: eval on one device reads it, and so does the app's loader.
        const Run e = run({ "eval", "--run", dir, "--split", "train", "--checkpoint", "last", "--json" });
        QVERIFY2(e.code == 0, e.err.constData());
        QVERIFY(QJsonDocument::fromJson(e.out).object()["samples"].toInt() > 0);
#if defined(MS_TEST_APP_LOADER)
        auto model = ms::ml::Model::load((dir + "/checkpoints/last").toStdString());
        QVERIFY2(model.ok(), model.ok() ? "" : model.error().toString().c_str());
        ms::Image16 patch(48, 48, 0);
        for (int y = 12; y < 36; ++y)
            for (int x = 12; x < 36; ++x)
                patch.at(x, y) = 3000;
        const auto p = (*model)->predict(patch);
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().toString().c_str());
        double total = 0;
        for (float v : *p)
            total += v;
        QVERIFY(std::abs(total - 1.0) < 1e-4); // class probabilities
#endif
    }

    // Fine-tuning (batch norm in training mode): with --sync-bn two ranks at batch 8 normalise with the statistics of
    // the global batch of 16 and end where one process at batch 16 ends; without it each replica normalises with its
    // own 8 samples and they do not.
    void syncBatchNormIsTheGlobalBatch()
    {
        // SGD: Adam divides each gradient by its own running size, which turns rounding-level differences in
        // near-zero gradients into full-size steps and would hide what is compared here.
        QStringList args = kHeadOnly + QStringList { "--optimizer", "sgd" };
        args[args.indexOf("feature-extraction")] = "finetune";
        const QString one = m_tmp.path() + "/bn-one", sync = m_tmp.path() + "/bn-sync", local = m_tmp.path() + "/bn-local";
        const Run a = run(args + QStringList { "--batch", "16", "--run-dir", one });
        QVERIFY2(a.code == 0, a.err.constData());
        const Run b = run(args + QStringList { "--batch", "8", "--nproc-per-node", "2", "--sync-bn", "--run-dir", sync });
        QVERIFY2(b.code == 0, b.err.constData());
        QVERIFY(b.err.contains("synchronised batch norm"));
        const Run c = run(args + QStringList { "--batch", "8", "--nproc-per-node", "2", "--run-dir", local });
        QVERIFY2(c.code == 0, c.err.constData());
        QVERIFY(readJson(sync + "/config.json")["train"].toObject()["sync_bn"].toBool());
        const QString w = "/checkpoints/last/model.safetensors";
        const double synced = maxDifference(one + w, sync + w), perReplica = maxDifference(one + w, local + w);
        qInfo("largest parameter difference from one process at batch 16: synchronised %.2g, per replica %.2g", synced, perReplica);
        QVERIFY2(synced < 1e-4, qPrintable(QString::number(synced)));
        QVERIFY2(perReplica > 10 * synced && perReplica > 1e-4, qPrintable(QString::number(perReplica)));
    }

    // bench with ranks: the gradients all-reduced every step, rank 0 alone reports the group's images/s.
    void benchReportsTheGroup()
    {
        const Run r = run({ "bench", "--device", "cpu", "--arch", "compact", "--batch", "8", "--size", "48", "--steps", "3", "--warmup",
            "1", "--threads", "1", "--nproc-per-node", "2", "--json" });
        QVERIFY2(r.code == 0, r.err.constData());
        const QList<QByteArray> lines = r.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 1); // one report, rank 0's
        const QJsonObject j = QJsonDocument::fromJson(lines[0]).object();
        QCOMPARE(j["world_size"].toInt(), 2);
        QVERIFY(j["train_images_per_s"].toDouble() > 0);
        QVERIFY(r.err.contains("started 2 ranks"));
    }

    void torchrunAndSlurmEnvironmentsWorkUnchanged_data()
    {
        QTest::addColumn<QString>("launcher");
        QTest::newRow("torchrun") << "torchrun";
        QTest::newRow("slurm") << "slurm";
    }
    void torchrunAndSlurmEnvironmentsWorkUnchanged()
    {
        QFETCH(QString, launcher);
        const QString dir = m_tmp.path() + "/env-" + launcher;
        const int port = ms::runs::freeLoopbackPort();
        QVERIFY(port > 0);
        QList<QProcess*> ranks;
        for (int r = 0; r < 2; ++r) {
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            if (launcher == "torchrun") {
                env.insert("RANK", QString::number(r));
                env.insert("LOCAL_RANK", QString::number(r));
                env.insert("WORLD_SIZE", "2");
                env.insert("LOCAL_WORLD_SIZE", "2");
                env.insert("MASTER_ADDR", "127.0.0.1");
            } else {
                env.insert("SLURM_PROCID", QString::number(r));
                env.insert("SLURM_LOCALID", QString::number(r));
                env.insert("SLURM_NTASKS", "2");
                env.insert("SLURM_JOB_NODELIST", "localhost");
            }
            env.insert("MASTER_PORT", QString::number(port));
            auto* p = new QProcess(this);
            p->setProcessEnvironment(env);
            p->start(kTrain, kHeadOnly + QStringList { "--batch", "8", "--run-dir", dir });
            ranks << p;
        }
        for (auto* p : ranks) {
            QVERIFY(p->waitForFinished(240000));
            QVERIFY2(p->exitCode() == 0, p->readAllStandardError().constData());
        }
        QCOMPARE(readJson(dir + "/config.json")["launcher"].toString(), launcher);
        QCOMPARE(readJson(dir + "/config.json")["world_size"].toInt(), 2);
        QCOMPARE(readJson(dir + "/status.json")["state"].toString(), QStringLiteral("finished"));
        // Only rank 0 wrote step lines on stdout (the GUI follows one stream).
        QVERIFY(ranks[0]->readAllStandardOutput().contains("\"type\":\"step\""));
        QVERIFY(!ranks[1]->readAllStandardOutput().contains("\"type\":\"step\""));
        qDeleteAll(ranks);
    }

    // Rank 1 killed: rank 0 notices the broken group and records the failure itself. Rank 0 killed: the launcher
    // stops rank 1 and records rank 0's end, so that the run folder does not go on saying "training".
    void killedRankStopsTheOthers_data()
    {
        QTest::addColumn<int>("victim");
        QTest::addColumn<QString>("statusWords");
        QTest::newRow("rank 1") << 1 << "data-parallel group broke";
        QTest::newRow("rank 0") << 0 << "rank 0 was killed by signal 9";
    }
    void killedRankStopsTheOthers()
    {
        QFETCH(int, victim);
        QFETCH(QString, statusWords);
        const QString dir = m_tmp.path() + "/killed" + QString::number(victim);
        QProcess p;
        QStringList args = kHeadOnly;
        args[args.indexOf("--epochs") + 1] = "1000";
        args.removeAt(args.indexOf("--limit-train-batches") + 1);
        args.removeAt(args.indexOf("--limit-train-batches"));
        p.start(kTrain, args + QStringList { "--batch", "8", "--nproc-per-node", "2", "--run-dir", dir });
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("\"type\":\"step\""), 180000);
        qint64 target = 0;
        const QByteArray rankVar = "RANK=" + QByteArray::number(victim);
        for (qint64 c : childPids(p.processId()))
            if (environOf(c).contains(QByteArray(1, '\0') + rankVar + QByteArray(1, '\0')))
                target = c;
        QVERIFY(target > 0);
        QElapsedTimer t;
        t.start();
        ::kill(pid_t(target), SIGKILL);
        QVERIFY(p.waitForFinished(60000));
        qInfo("the group ended %.1f s after rank %d was killed", double(t.elapsed()) / 1000.0, victim);
        QVERIFY2(t.elapsed() < 30000, "the other rank must not hang");
        QVERIFY(p.exitCode() != 0);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains("rank " + QByteArray::number(victim) + " was killed by signal 9"), err.constData());
        const QJsonObject status = readJson(dir + "/status.json");
        QCOMPARE(status["state"].toString(), QStringLiteral("failed"));
        QVERIFY2(status["message"].toString().contains(statusWords), qPrintable(status["message"].toString()));
    }

    void resumesWithAnotherNumberOfRanks()
    {
        const QString dir = m_tmp.path() + "/resume";
        QProcess p;
        QStringList args = kHeadOnly;
        args[args.indexOf("--epochs") + 1] = "2";
        p.start(kTrain, args + QStringList { "--batch", "8", "--nproc-per-node", "2", "--run-dir", dir });
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("\"type\":\"step\""), 180000);
        p.write("stop\n"); // to rank 0, agreed by both ranks at the next step
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        QCOMPARE(readJson(dir + "/status.json")["state"].toString(), QStringLiteral("stopped"));
        const QJsonObject state = readJson(dir + "/checkpoints/last/state.json");
        const int stoppedAt = state["step"].toInt();
        QVERIFY(stoppedAt >= 1);
        QCOMPARE(state["samples_in_epoch"].toInt(), state["batch_in_epoch"].toInt() * 16);

        const Run r = run({ "train", "--resume", dir }); // one rank now
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(readJson(dir + "/status.json")["state"].toString(), QStringLiteral("finished"));
        QCOMPARE(readJson(dir + "/config.json")["world_size"].toInt(), 1);
        // It went on from the sample it stopped at, not from the start of the epoch.
        const QJsonObject resumed = [&] {
            for (const auto& m : readMetrics(dir))
                if (m["event"].toString() == "resumed")
                    return m;
            return QJsonObject();
        }();
        QCOMPARE(resumed["step"].toInt(), stoppedAt);
    }

    void badLaunchesAreRefused_data()
    {
        QTest::addColumn<QStringList>("env");
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("message");
        QTest::newRow("rank beyond the world") << QStringList { "RANK=5", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=29999" }
                                               << QStringList() << "rank 5 is not below the world size 2";
        QTest::newRow("port not a number") << QStringList { "RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=abc" }
                                           << QStringList() << "MASTER_PORT='abc'";
        QTest::newRow("no master address") << QStringList { "RANK=0", "WORLD_SIZE=2", "MASTER_PORT=29999" } << QStringList()
                                           << "MASTER_ADDR";
        QTest::newRow("nproc under torchrun") << QStringList { "RANK=0", "WORLD_SIZE=1" } << QStringList { "--nproc-per-node", "2" }
                                              << "already started by torchrun";
        QTest::newRow("nproc not a number") << QStringList() << QStringList { "--nproc-per-node", "two" }
                                            << "--nproc-per-node needs an integer";
        QTest::newRow("bf16 all-reduce on Gloo")
            << QStringList() << QStringList { "--nproc-per-node", "2", "--grad-sync", "bf16" } << "--grad-sync bf16 needs NCCL";
    }
    void badLaunchesAreRefused()
    {
        QFETCH(QStringList, env);
        QFETCH(QStringList, extra);
        QFETCH(QString, message);
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        for (const QString& kv : env)
            e.insert(kv.section('=', 0, 0), kv.section('=', 1));
        const QString dir = m_tmp.path() + "/bad-" + QString::number(qHash(message));
        const Run r = run(kHeadOnly + QStringList { "--batch", "8", "--run-dir", dir } + extra, e, 120000);
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains(message.toUtf8()) || QFile(dir + "/status.json").exists(), r.err.constData());
        if (!r.err.contains(message.toUtf8())) // refused after the run folder was opened: its status says why
            QVERIFY2(readJson(dir + "/status.json")["message"].toString().contains(message),
                qPrintable(readJson(dir + "/status.json")["message"].toString()));
    }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "test_distributed.moc"

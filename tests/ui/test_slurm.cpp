// SPDX-License-Identifier: GPL-3.0-or-later
// The Training panel submits runs to a real single-node SLURM cluster that this test starts on 127.0.0.1: munged with
// a throw-away key, slurmctld and slurmd with a temporary slurm.conf (ports of their own, state in a temporary
// folder), all stopped after. Without SLURM and munge installed, or when not root (slurmd runs jobs as their users),
// the tests say so and skip. Nothing leaves loopback.
#include "core/runs/runreader.h"
#include "trainingsupport.h"
#include "ui/training/runcharts.h"
#include "ui/training/slurmjob.h"
#include "ui/training/trainingpanel.h"

#include <QDir>
#include <QFile>
#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

using namespace ms;
using namespace ms::ui;
using namespace ms::ui::testing;

class TestSlurm : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    QList<QProcess*> m_daemons;
    QString m_skip;

    TrainingForm slurmForm(const QString& name) const
    {
        TrainingForm f = tinyForm(name);
        f.train.batch = 8;
        f.train.threads = 1; // one CPU a rank: the test cluster has two
        f.train.nprocPerNode = 2; // two ranks, started by srun
        f.runOn = QStringLiteral("slurm");
        f.ssh.engine = MS_TRAIN_PATH;
        f.slurm.partition = "debug";
        f.slurm.timeLimit = "10";
        return f;
    }

    bool startDaemon(const QString& program, const QStringList& args)
    {
        auto* p = new QProcess(this);
        p->setProcessChannelMode(QProcess::MergedChannels);
        p->start(program, args);
        if (!p->waitForStarted(10000)) {
            m_skip = program + QStringLiteral(" could not be started: ") + p->errorString();
            delete p;
            return false;
        }
        m_daemons << p;
        return true;
    }

    QString daemonOutput() const
    {
        QString out;
        for (auto* p : m_daemons)
            out += QString::fromUtf8(p->readAll()).right(600);
        return out;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        // The app's data and cache folders (benchmark results, prepared shards) in this test's temporary folder, not the user's.
        qputenv("MAMMOSCOPE_DATA_DIR", m_tmp.filePath(QStringLiteral("data")).toUtf8());
        qputenv("MAMMOSCOPE_CACHE_DIR", m_tmp.filePath(QStringLiteral("cache")).toUtf8());
        for (const char* tool : { "/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/squeue",
                 "/usr/bin/scontrol", "/usr/bin/scancel", "/usr/bin/sinfo" })
            if (!QFileInfo(QString::fromLatin1(tool)).isExecutable()) {
                m_skip = QStringLiteral("SLURM or munge is not installed (%1 missing): packaging/setup.sh test installs them").arg(tool);
                return;
            }
        if (::geteuid() != 0) {
            m_skip = QStringLiteral("slurmd runs jobs as their users and must be started as root; this test is not root");
            return;
        }
        const QString t = m_tmp.path();
        QDir().mkpath(t + "/munge");
        QDir().mkpath(t + "/state");
        QDir().mkpath(t + "/spool");
        QFile::setPermissions(t + "/munge", QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        {
            QFile key(t + "/munge/key");
            QVERIFY(key.open(QIODevice::WriteOnly));
            QFile random(QStringLiteral("/dev/urandom"));
            QVERIFY(random.open(QIODevice::ReadOnly));
            key.write(random.read(1024));
            key.close();
            key.setPermissions(QFile::ReadOwner);
        }
        if (!startDaemon(QStringLiteral("/usr/sbin/munged"),
                { "--foreground", "--force", "--key-file=" + t + "/munge/key", "--socket=" + t + "/munge/socket",
                    "--pid-file=" + t + "/munge/pid", "--log-file=" + t + "/munge/log", "--seed-file=" + t + "/munge/seed" }))
            return;
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(t + "/munge/socket"), 10000);
        const int ctld = freeLoopbackPort(), slurmdPort = freeLoopbackPort();
        QFile conf(t + "/slurm.conf");
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write(QStringLiteral("ClusterName=mammoscope-test\nSlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort=%1\nSlurmdPort=%2\n"
                                  "AuthType=auth/munge\nAuthInfo=socket=%3/munge/socket\nCredType=cred/munge\nSlurmUser=root\n"
                                  "SlurmdUser=root\nStateSaveLocation=%3/state\nSlurmdSpoolDir=%3/spool\n"
                                  "SlurmctldPidFile=%3/slurmctld.pid\nSlurmdPidFile=%3/slurmd.pid\nSlurmctldLogFile=%3/slurmctld.log\n"
                                  "SlurmdLogFile=%3/slurmd.log\nProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
                                  "JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n"
                                  "JobCompType=jobcomp/none\nMpiDefault=none\nReturnToService=2\nSchedulerType=sched/builtin\n"
                                  "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\nMinJobAge=600\nKillWait=5\n"
                                  "NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN\n"
                                  "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n")
                       .arg(ctld)
                       .arg(slurmdPort)
                       .arg(t)
                       .toUtf8());
        conf.close();
        qputenv("SLURM_CONF", conf.fileName().toUtf8()); // for sbatch, squeue, scontrol and scancel, as the panel runs them
        if (!startDaemon(QStringLiteral("/usr/sbin/slurmctld"), { "-D", "-i", "-f", conf.fileName() })
            || !startDaemon(QStringLiteral("/usr/sbin/slurmd"), { "-D", "-f", conf.fileName() }))
            return;
        // Up when the node is idle.
        QElapsedTimer timer;
        timer.start();
        bool idle = false;
        while (!idle && timer.elapsed() < 30000) {
            QProcess sinfo;
            sinfo.start(QStringLiteral("/usr/bin/sinfo"), { "-h", "-o", "%t" });
            sinfo.waitForFinished(10000);
            idle = sinfo.readAllStandardOutput().trimmed() == "idle";
            if (!idle)
                QTest::qWait(300);
        }
        if (!idle)
            m_skip = QStringLiteral("the test's SLURM cluster did not come up: ") + daemonOutput();
        else
            qInfo("SLURM cluster up: slurmctld on 127.0.0.1:%d, slurmd on :%d", ctld, slurmdPort);
    }

    void cleanupTestCase()
    {
        for (auto it = m_daemons.rbegin(); it != m_daemons.rend(); ++it) {
            (*it)->terminate();
            if (!(*it)->waitForFinished(10000)) {
                (*it)->kill();
                (*it)->waitForFinished(2000);
            }
        }
    }

    // The script shown before submission, submitted; two ranks started by srun train, stop with a checkpoint on
    // scancel --signal=TERM, resume as a new job and finish; the run folder says SLURM launched two ranks.
    void submitStopResume()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs")));
        panel.slurmJob()->setPollInterval(300);
        QStringList shown;
        panel.setScriptConfirmation([&](const QString& script) {
            shown << script;
            return true;
        });
        panel.setForm(slurmForm(QStringLiteral("cluster")));
        QVERIFY2(panel.validationErrors().isEmpty(), qPrintable(panel.validationErrors().join(QLatin1Char('\n'))));
        QSignalSpy ended(&panel, &TrainingPanel::runEnded);
        QSignalSpy evaluated(&panel, &TrainingPanel::evaluationDone);
        QVERIFY(panel.start());
        QCOMPARE(shown.size(), 1);
        QVERIFY(shown[0].contains(QStringLiteral("#SBATCH --ntasks-per-node=2")));
        QVERIFY(shown[0].contains(QStringLiteral("#SBATCH --partition=debug")));
        QVERIFY(!shown[0].contains(QStringLiteral("--nproc-per-node"))); // srun starts the ranks
        const QString dir = panel.currentRun();
        QTRY_VERIFY_WITH_TIMEOUT(panel.slurmJob()->jobId() > 0, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(panel.charts()->stepPointCount() > 0, 180000);
        QTRY_COMPARE_WITH_TIMEOUT(enginesOf(dir, MS_TRAIN_PATH), 2, 10000); // two ranks under slurmd
        panel.stop();
        QVERIFY(ended.wait(120000));
        QCOMPARE(ended.last().at(1).toInt(), 0);
        QCOMPARE(stateOf(dir), QStringLiteral("stopped"));
        runs::RunConfig rc;
        QVERIFY(runs::readRunConfig(dir.toStdString(), rc));
        QCOMPARE(rc.worldSize, 2);
        QCOMPARE(rc.launcher, std::string("slurm"));

        QVERIFY(panel.resume(dir));
        QCOMPARE(shown.size(), 2);
        QVERIFY(shown[1].contains(QStringLiteral("'--resume'")));
        QVERIFY(ended.wait(240000));
        QCOMPARE(ended.last().at(1).toInt(), 0);
        QCOMPARE(stateOf(dir), QStringLiteral("finished"));
        panel.charts()->pollNow();
        QCOMPARE(panel.charts()->epochPointCount(), 3);
        // The finished run's evaluation is a job of its own on the cluster.
        QVERIFY(evaluated.wait(180000));
        QVERIFY(evaluated.last().at(1).toBool());
        QCOMPARE(shown.size(), 3);
        QVERIFY(shown[2].contains(QStringLiteral("'eval'")));
        QVERIFY(shown[2].contains(QStringLiteral("#SBATCH --ntasks-per-node=1"))); // one evaluating process
    }

    // Kill: scancel --signal=KILL; no rank is left running and the panel is free again.
    void killCancelsTheJob()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs-kill")));
        panel.slurmJob()->setPollInterval(300);
        panel.setScriptConfirmation([](const QString&) { return true; });
        TrainingForm f = slurmForm(QStringLiteral("victim"));
        f.train.epochs = 500;
        panel.setForm(f);
        QSignalSpy ended(&panel, &TrainingPanel::runEnded);
        QVERIFY(panel.start());
        const QString dir = panel.currentRun();
        QTRY_VERIFY_WITH_TIMEOUT(panel.charts()->stepPointCount() > 0, 180000);
        panel.kill();
        QVERIFY(ended.wait(60000));
        QVERIFY(ended.last().at(1).toInt() != 0);
        QTRY_COMPARE_WITH_TIMEOUT(enginesOf(dir, MS_TRAIN_PATH), 0, 15000);
        QVERIFY(!panel.isBusy());
    }

    // Declined in the confirmation: nothing submitted. Refused by sbatch (a partition the cluster lacks): its words.
    void declinedAndRefusedJobs()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs-refused")));
        panel.setScriptConfirmation([](const QString&) { return false; });
        TrainingForm f = slurmForm(QStringLiteral("declined"));
        panel.setForm(f);
        panel.resize(1400, 1000);
        panel.show();
        if (const QByteArray shot = qgetenv("MS_TEST_SCREENSHOT"); !shot.isEmpty())
            panel.grab().save(QString::fromLocal8Bit(shot));
        panel.start();
        QVERIFY(!panel.isBusy());
        QVERIFY(panel.slurmJob()->jobId() < 0);
        panel.setScriptConfirmation([](const QString&) { return true; });
        f.name = QStringLiteral("refused");
        f.slurm.partition = "nosuchpartition";
        panel.setForm(f);
        panel.start();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isBusy(), 30000);
        QVERIFY2(panel.statusLabel()->text().contains(QStringLiteral("sbatch refused")), qPrintable(panel.statusLabel()->text()));
        QVERIFY2(panel.statusLabel()->text().contains(QStringLiteral("partition"), Qt::CaseInsensitive),
            qPrintable(panel.statusLabel()->text()));
    }
};

QTEST_MAIN(TestSlurm)
#include "test_slurm.moc"

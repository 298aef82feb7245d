// SPDX-License-Identifier: GPL-3.0-or-later
// The Training panel runs the engine on an SSH host: a real OpenSSH server started by this test on 127.0.0.1 with a
// throw-away host key and client key and a temporary sshd_config, stopped after. When sshd is not installed or cannot
// start, the tests say so and skip. Nothing leaves loopback.
#include "core/runs/runreader.h"
#include "trainingsupport.h"
#include "ui/training/engineprocess.h"
#include "ui/training/runcharts.h"
#include "ui/training/trainingpanel.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

using namespace ms;
using namespace ms::ui;
using namespace ms::ui::testing;

class TestRemote : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    QProcess m_sshd;
    int m_port = 0;
    QString m_skip; // why the SSH tests cannot run here ("" when sshd is up)

    QString sshOptions() const
    {
        return QStringLiteral("-p %1 -i %2 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")
            .arg(m_port)
            .arg(m_tmp.filePath(QStringLiteral("client_key")));
    }

    TrainingForm sshForm(const QString& name) const
    {
        TrainingForm f = tinyForm(name);
        f.runOn = QStringLiteral("ssh");
        f.ssh.host = "127.0.0.1";
        f.ssh.options = sshOptions().toStdString();
        f.ssh.engine = MS_TRAIN_PATH;
        return f;
    }

    static bool run(const QString& program, const QStringList& args, QByteArray* err = nullptr)
    {
        QProcess p;
        p.start(program, args);
        if (!p.waitForFinished(30000)) {
            p.kill();
            p.waitForFinished();
            return false;
        }
        if (err)
            *err = p.readAllStandardError();
        return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        // The app's data and cache folders (benchmark results, prepared shards) in this test's temporary folder, not the user's.
        qputenv("MAMMOSCOPE_DATA_DIR", m_tmp.filePath(QStringLiteral("data")).toUtf8());
        qputenv("MAMMOSCOPE_CACHE_DIR", m_tmp.filePath(QStringLiteral("cache")).toUtf8());
        QFile::setPermissions(m_tmp.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        const QString sshd = QStringLiteral("/usr/sbin/sshd");
        const QString keygen = QStandardPaths::findExecutable(QStringLiteral("ssh-keygen"));
        if (!QFileInfo(sshd).isExecutable() || keygen.isEmpty() || QStandardPaths::findExecutable(QStringLiteral("ssh")).isEmpty()) {
            m_skip = QStringLiteral("OpenSSH (openssh-server, openssh-client) is not installed: packaging/setup.sh test installs it");
            return;
        }
        QByteArray err;
        for (const char* key : { "host_key", "client_key" })
            if (!run(keygen, { "-q", "-t", "ed25519", "-N", "", "-f", m_tmp.filePath(QString::fromLatin1(key)) }, &err)) {
                m_skip = QStringLiteral("ssh-keygen failed: ") + QString::fromUtf8(err);
                return;
            }
        QFile::copy(m_tmp.filePath(QStringLiteral("client_key.pub")), m_tmp.filePath(QStringLiteral("authorized_keys")));
        m_port = freeLoopbackPort();
        QVERIFY(m_port > 0);
        if (::geteuid() == 0 && !QFileInfo::exists(QStringLiteral("/run/sshd")))
            QDir().mkpath(QStringLiteral("/run/sshd")); // sshd's privilege-separation directory (what its package makes at boot)
        QFile cfg(m_tmp.filePath(QStringLiteral("sshd_config")));
        QVERIFY(cfg.open(QIODevice::WriteOnly));
        cfg.write(QStringLiteral("Port %1\nListenAddress 127.0.0.1\nHostKey %2\nAuthorizedKeysFile %3\nPidFile %4\n"
                                 "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
                                 "StrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\nLogLevel ERROR\n")
                      .arg(m_port)
                      .arg(m_tmp.filePath(QStringLiteral("host_key")), m_tmp.filePath(QStringLiteral("authorized_keys")),
                          m_tmp.filePath(QStringLiteral("sshd.pid")))
                      .toUtf8());
        cfg.close();
        m_sshd.setProcessChannelMode(QProcess::MergedChannels);
        m_sshd.start(sshd, { "-D", "-e", "-f", cfg.fileName() });
        if (!m_sshd.waitForStarted(10000)) {
            m_skip = QStringLiteral("sshd could not be started: ") + m_sshd.errorString();
            return;
        }
        // Up when a command runs through it.
        const QStringList probe
            = QStringList { "-o", "BatchMode=yes" } + sshOptions().split(QLatin1Char(' ')) + QStringList { "127.0.0.1", "true" };
        QElapsedTimer t;
        t.start();
        bool up = false;
        while (!up && t.elapsed() < 15000 && m_sshd.state() == QProcess::Running) {
            up = run(QStandardPaths::findExecutable(QStringLiteral("ssh")), probe, &err);
            if (!up)
                QTest::qWait(200);
        }
        if (!up)
            m_skip = QStringLiteral("sshd on 127.0.0.1:%1 did not accept our key: %2 %3")
                         .arg(m_port)
                         .arg(QString::fromUtf8(m_sshd.readAll()), QString::fromUtf8(err));
        else
            qInfo("sshd on 127.0.0.1:%d", m_port);
    }

    void cleanupTestCase()
    {
        if (m_sshd.state() != QProcess::NotRunning) {
            m_sshd.terminate();
            if (!m_sshd.waitForFinished(5000)) {
                m_sshd.kill();
                m_sshd.waitForFinished(2000);
            }
        }
    }

    // The form: the SSH rows appear with "Run on: SSH host", and what cannot work is said before Start.
    void formValidatesTheHost()
    {
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs-form")));
        TrainingForm f = sshForm(QStringLiteral("v"));
        f.ssh.host = "-oProxyCommand=touch";
        panel.setForm(f);
        QVERIFY(panel.validationErrors().join(QLatin1Char(' ')).contains(QStringLiteral("starts with '-'")));
        f.ssh.host = "127.0.0.1";
        f.ssh.options = "-i 'unclosed";
        panel.setForm(f);
        QVERIFY(panel.validationErrors().join(QLatin1Char(' ')).contains(QStringLiteral("unclosed")));
        f.ssh.options = "-p 22";
        panel.setForm(f);
        QCOMPARE(panel.form().runOn, QStringLiteral("ssh"));
        QCOMPARE(panel.form().ssh.options, std::string("-p 22"));
        QVERIFY2(panel.validationErrors().isEmpty(), qPrintable(panel.validationErrors().join(QLatin1Char('\n'))));
        QVERIFY(panel.validationWarnings().join(QLatin1Char(' ')).contains(QStringLiteral("same paths")));
        auto* host = panel.findChild<QLineEdit*>(QStringLiteral("sshHost"));
        QVERIFY(host);
        panel.resize(1400, 1000);
        panel.show();
        QVERIFY(host->isVisible()); // the SSH rows show for an SSH host ...
        if (const QByteArray shot = qgetenv("MS_TEST_SCREENSHOT"); !shot.isEmpty())
            panel.grab().save(QString::fromLocal8Bit(shot));
        // Ranks: more CUDA ranks than the listed GPUs are refused before Start.
        panel.setDevices(
            { { QStringLiteral("cpu"), QStringLiteral("CPU"), 0, 2 }, { QStringLiteral("cuda:0"), QStringLiteral("GPU"), 1LL << 34, 0 } });
        f.runOn = QStringLiteral("local");
        f.train.device = "cuda:0";
        f.train.nprocPerNode = 2;
        panel.setForm(f);
        QVERIFY(panel.validationErrors().join(QLatin1Char(' ')).contains(QStringLiteral("2 ranks need 2 GPUs")));
        // Ranks and synchronised batch norm reach the engine's command line.
        f.train.device = "cpu";
        f.train.syncBn = true;
        panel.setForm(f);
        QCOMPARE(panel.form().train.nprocPerNode, 2);
        QVERIFY(panel.form().train.syncBn);
        const QStringList args = panel.trainArguments(panel.form(), QStringLiteral("synth:12:5"), QStringLiteral("/r"));
        QCOMPARE(args[args.indexOf(QStringLiteral("--nproc-per-node")) + 1], QStringLiteral("2"));
        QVERIFY(args.contains(QStringLiteral("--sync-bn")));
        QVERIFY(panel.validationWarnings().join(QLatin1Char(' ')).contains(QStringLiteral("CPU ranks")));
        f.train.device = "cuda:0";
        f.train.syncBn = false;
        f.train.nprocPerNode = 1;
        panel.setForm(f);
        QVERIFY2(panel.validationErrors().isEmpty(), qPrintable(panel.validationErrors().join(QLatin1Char('\n'))));
        QVERIFY(!host->isVisible()); // ... and hide for this computer
        // A SLURM cluster: the device list offers the nodes' CPUs and GPUs; a GPU chosen stays a GPU, and the job asks
        // for one a rank.
        f.runOn = QStringLiteral("slurm");
        f.train.device = "cuda:0";
        f.train.nprocPerNode = 2;
        f.slurm.partition = "gpu";
        panel.setForm(f);
        QCOMPARE(panel.form().train.device, std::string("cuda"));
        QVERIFY(host->isVisible()); // the login host (optional)
        QVERIFY(!panel.validationErrors().join(QLatin1Char(' ')).contains(QStringLiteral("ranks need")));
        QString why;
        const QString script
            = panel.slurmScript(panel.form(), panel.trainArguments(panel.form(), QStringLiteral("/shards"), QStringLiteral("/r")), why);
        QVERIFY2(script.contains(QStringLiteral("#SBATCH --gpus-per-node=2\n")), qPrintable(script + why));
        QVERIFY(script.contains(QStringLiteral("#SBATCH --partition=gpu\n")));
        QVERIFY(script.contains(QStringLiteral("'--device' 'cuda'")));
        f.slurm.timeLimit = "soon";
        panel.setForm(f);
        QVERIFY(panel.validationErrors().join(QLatin1Char(' ')).contains(QStringLiteral("time limit")));
    }

    void hostListsItsDevices()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs-devices")));
        panel.setForm(sshForm(QStringLiteral("d")));
        QVERIFY(panel.queryRemoteDevices());
        QTRY_VERIFY_WITH_TIMEOUT(panel.statusLabel()->text().contains(QStringLiteral("127.0.0.1 has")), 60000);
        auto* combo = panel.findChild<QComboBox*>(QStringLiteral("device"));
        QVERIFY(combo);
        QVERIFY(combo->findData(QStringLiteral("cpu")) >= 0);
        QVERIFY2(panel.validationErrors().isEmpty(), qPrintable(panel.validationErrors().join(QLatin1Char('\n'))));
    }

    // Start, Stop (checkpoint), Resume and the automatic evaluation, all through ssh: the engine runs under sshd,
    // its lines come back over the connection, and the run folder (shared: the same path) is followed.
    void trainsStopsAndResumesThroughSsh()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs")));
        TrainingForm f = sshForm(QStringLiteral("remote"));
        f.train.epochs = 3;
        panel.setForm(f);
        QVERIFY2(panel.validationErrors().isEmpty(), qPrintable(panel.validationErrors().join(QLatin1Char('\n'))));
        QSignalSpy ended(&panel, &TrainingPanel::runEnded);
        QSignalSpy evaluated(&panel, &TrainingPanel::evaluationDone);
        QVERIFY(panel.start());
        QVERIFY(panel.engine()->isRemote());
        QVERIFY(QFileInfo(panel.engine()->program()).fileName() == QStringLiteral("ssh"));
        const QString dir = panel.currentRun();
        QTRY_VERIFY_WITH_TIMEOUT(panel.charts()->stepPointCount() > 0, 120000);
        QVERIFY(enginesOf(dir, MS_TRAIN_PATH) >= 1); // the engine, started by sshd
        panel.stop();
        QVERIFY(ended.wait(60000));
        QCOMPARE(ended.last().at(1).toInt(), 0);
        QCOMPARE(stateOf(dir), QStringLiteral("stopped"));
        QVERIFY(panel.resume(dir));
        QVERIFY(panel.engine()->isRemote());
        QVERIFY(ended.wait(180000));
        QCOMPARE(ended.last().at(1).toInt(), 0);
        QCOMPARE(stateOf(dir), QStringLiteral("finished"));
        panel.charts()->pollNow();
        QCOMPARE(panel.charts()->epochPointCount(), 3);
        QVERIFY(evaluated.wait(120000)); // eval --run, through ssh as well
        QVERIFY(evaluated.last().at(1).toBool());
    }

    // Kill: the engine on the host dies too (killing the ssh client alone would leave it training there).
    void killEndsTheRemoteEngine()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs-kill")));
        TrainingForm f = sshForm(QStringLiteral("victim"));
        f.train.epochs = 500;
        panel.setForm(f);
        QSignalSpy ended(&panel, &TrainingPanel::runEnded);
        QVERIFY(panel.start());
        const QString dir = panel.currentRun();
        QTRY_VERIFY_WITH_TIMEOUT(panel.charts()->stepPointCount() > 0, 120000);
        QVERIFY(enginesOf(dir, MS_TRAIN_PATH) >= 1);
        panel.kill();
        QVERIFY(ended.wait(30000));
        QVERIFY(ended.last().at(1).toInt() != 0);
        QTRY_COMPARE_WITH_TIMEOUT(enginesOf(dir, MS_TRAIN_PATH), 0, 10000);
        QVERIFY(!panel.isBusy());
    }

    // A host that does not answer: the run ends with ssh's own words, no hang.
    void unreachableHostIsReported()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs-refused")));
        TrainingForm f = sshForm(QStringLiteral("refused"));
        const int closed = freeLoopbackPort();
        QVERIFY(closed > 0);
        f.ssh.options = QStringLiteral("-p %1 -o ConnectTimeout=5").arg(closed).toStdString();
        panel.setForm(f);
        QSignalSpy ended(&panel, &TrainingPanel::runEnded);
        QVERIFY(panel.start());
        QVERIFY(ended.wait(30000));
        QVERIFY(ended.last().at(1).toInt() != 0);
        const QString said = panel.statusLabel()->text() + panel.engine()->lastLines(5);
        QVERIFY2(said.contains(QStringLiteral("refused"), Qt::CaseInsensitive), qPrintable(said));
    }
};

QTEST_MAIN(TestRemote)
#include "test_remote.moc"

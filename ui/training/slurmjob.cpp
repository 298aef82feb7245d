// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/training/slurmjob.h"

#include "core/runs/slurm.h"

#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTimer>

#include <functional>

namespace ms::ui
{

SlurmJobRunner::SlurmJobRunner(QObject* parent) : QObject(parent), m_timer(new QTimer(this))
{
    m_timer->setInterval(3000);
    connect(m_timer, &QTimer::timeout, this, &SlurmJobRunner::poll);
}

SlurmJobRunner::~SlurmJobRunner()
{
    // The job goes on on the cluster (as a run whose connection dropped); only our short-lived queries end here.
    blockSignals(true);
    if (m_poller) {
        m_poller->disconnect(this);
        m_poller->kill();
        m_poller->waitForFinished(1000);
    }
}

void SlurmJobRunner::setPollInterval(int ms)
{
    m_timer->setInterval(ms);
}

QStringList SlurmJobRunner::command(const QString& tool, const QStringList& args, QString& error) const
{
    if (!m_login) {
        const QString exe = QStandardPaths::findExecutable(tool);
        if (exe.isEmpty()) {
            error
                = tr("%1 is not installed here (SLURM's client tools: Debian's slurm-client); or give the cluster's login host").arg(tool);
            return {};
        }
        return QStringList { exe } + args;
    }
    runs::SshTarget t = *m_login;
    t.engine = tool.toStdString(); // the command to run there
    std::vector<std::string> words;
    for (const auto& a : args)
        words.push_back(a.toStdString());
    std::string why;
    const auto cmd = runs::sshCommand(t, words, why);
    const QString ssh = QStandardPaths::findExecutable(QStringLiteral("ssh"));
    if (cmd.empty() || ssh.isEmpty()) {
        error = cmd.empty() ? QString::fromStdString(why) : tr("the SSH client (ssh) is not installed here");
        return {};
    }
    QStringList out { ssh };
    for (size_t i = 1; i < cmd.size(); ++i)
        out << QString::fromStdString(cmd[i]);
    return out;
}

bool SlurmJobRunner::submit(const QString& script, const QString& outputFile, const QString& workDir)
{
    if (m_active)
        return false;
    QString error;
    const QStringList cmd = command(QStringLiteral("sbatch"),
        { QStringLiteral("--parsable"), QStringLiteral("--output=") + outputFile, QStringLiteral("--chdir=") + workDir }, error);
    if (cmd.isEmpty()) {
        emit failed(error);
        return false;
    }
    m_output = outputFile;
    m_state.clear();
    m_id = -1;
    auto* p = new QProcess(this);
    connect(p, &QProcess::finished, this, [this, p](int code, QProcess::ExitStatus status) {
        const QByteArray out = p->readAllStandardOutput(), err = p->readAllStandardError();
        p->deleteLater();
        long long id = 0;
        std::string why;
        if (status != QProcess::NormalExit || code != 0 || !runs::parseSbatchJobId(out.toStdString(), id, why)) {
            const QString said = QString::fromUtf8(err).trimmed();
            emit failed(tr("sbatch refused the job: %1").arg(said.isEmpty() ? QString::fromStdString(why) : said.right(400)));
            return;
        }
        m_id = id;
        m_active = true;
        m_timer->start();
        emit submitted(id);
        poll();
    });
    connect(p, &QProcess::errorOccurred, this, [this, p](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart) {
            emit failed(tr("sbatch could not be started: %1").arg(p->errorString()));
            p->deleteLater();
        }
    });
    p->start(cmd.first(), cmd.mid(1));
    p->write(script.toUtf8());
    p->closeWriteChannel();
    return true;
}

void SlurmJobRunner::query(const QString& tool, const QStringList& args, const std::function<void(const QByteArray&)>& then)
{
    QString error;
    const QStringList cmd = command(tool, args, error);
    if (cmd.isEmpty()) {
        end(-1, error);
        return;
    }
    m_poller = new QProcess(this);
    connect(m_poller, &QProcess::finished, this, [this, then](int, QProcess::ExitStatus) {
        const QByteArray out = m_poller->readAllStandardOutput();
        m_poller->deleteLater();
        m_poller = nullptr;
        then(out);
    });
    m_poller->start(cmd.first(), cmd.mid(1));
}

void SlurmJobRunner::noteState(const runs::SlurmJobState& st)
{
    const QString state = QString::fromStdString(st.state);
    if (state != m_state) {
        m_state = state;
        emit stateChanged(state, QString::fromStdString(st.reason));
    }
}

void SlurmJobRunner::poll()
{
    if (!m_active || m_poller)
        return;
    query(QStringLiteral("squeue"),
        { QStringLiteral("-h"), QStringLiteral("-j"), QString::number(m_id), QStringLiteral("-o"), QStringLiteral("%T|%r") },
        [this](const QByteArray& out) {
            runs::SlurmJobState st;
            if (!runs::parseSqueueLine(out.toStdString(), st) || st.ended())
                askScontrol(); // left the queue (or leaving it): how it ended
            else
                noteState(st);
        });
}

void SlurmJobRunner::askScontrol()
{
    query(QStringLiteral("scontrol"), { QStringLiteral("show"), QStringLiteral("job"), QStringLiteral("-o"), QString::number(m_id) },
        [this](const QByteArray& out) {
            runs::SlurmJobState st;
            if (!runs::parseScontrolJob(out.toStdString(), st)) {
                end(-1, tr("job %1 left the queue and SLURM no longer knows how it ended").arg(m_id));
                return;
            }
            noteState(st);
            if (!st.ended())
                return;
            const QString state = QString::fromStdString(st.state);
            if (st.state == "COMPLETED")
                end(st.exitCode < 0 ? 0 : st.exitCode, tr("job %1 completed").arg(m_id));
            else if (st.state == "FAILED" && st.exitCode > 0)
                end(st.exitCode, tr("job %1 failed (exit code %2)").arg(m_id).arg(st.exitCode));
            else if (st.state == "CANCELLED")
                end(-1, tr("job %1 was cancelled").arg(m_id));
            else if (st.state == "TIMEOUT")
                end(-1, tr("job %1 reached its time limit (resume it from its last checkpoint)").arg(m_id));
            else
                end(-1,
                    tr("job %1 ended as %2%3")
                        .arg(m_id)
                        .arg(state, st.reason.empty() ? QString() : QStringLiteral(" (%1)").arg(QString::fromStdString(st.reason))));
        });
}

void SlurmJobRunner::end(int code, const QString& message)
{
    m_timer->stop();
    m_active = false;
    emit finished(code, message);
}

void SlurmJobRunner::cancel(bool stop)
{
    if (!m_active)
        return;
    const QString id = QString::number(m_id);
    const QList<QStringList> calls = stop
        ? QList<QStringList> { { QStringLiteral("--signal=TERM"), id } }
        : QList<QStringList> { { QStringLiteral("--full"), QStringLiteral("--signal=KILL"), id }, { id } };
    runScancel(calls, true);
}

// The scancel calls one after the other (their order matters), each started when the one before has ended: nothing
// waits on the GUI thread, however slow the ssh link. Then a poll sees the job's new state. Only the first call's
// failure is reported: a later one fails when the first has already ended the job.
void SlurmJobRunner::runScancel(QList<QStringList> calls, bool first)
{
    if (calls.isEmpty()) {
        poll();
        return;
    }
    QString error;
    const QStringList cmd = command(QStringLiteral("scancel"), calls.first(), error);
    if (cmd.isEmpty()) {
        emit failed(error);
        return;
    }
    calls.removeFirst();
    auto* p = new QProcess(this);
    connect(p, &QProcess::finished, this, [this, p, calls, first](int code, QProcess::ExitStatus status) {
        p->deleteLater();
        if (first && (status != QProcess::NormalExit || code != 0)) {
            const QString err = QString::fromUtf8(p->readAllStandardError()).trimmed();
            emit failed(tr("scancel of job %1 failed%2").arg(m_id).arg(err.isEmpty() ? QString() : QStringLiteral(": ") + err));
        }
        runScancel(calls, false);
    });
    connect(p, &QProcess::errorOccurred, this, [this, p](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart) {
            emit failed(tr("scancel could not be started: %1").arg(p->errorString()));
            p->deleteLater();
        }
    });
    p->start(cmd.first(), cmd.mid(1));
}

QString SlurmJobRunner::outputTail(int lines) const
{
    QFile f(QString(m_output).replace(QStringLiteral("%j"), QString::number(m_id)));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    if (f.size() > 16384)
        f.seek(f.size() - 16384);
    const QStringList all = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    return all.mid(std::max<qsizetype>(0, all.size() - lines)).join(QLatin1Char('\n'));
}

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/training/engineprocess.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTimer>

#include <csignal>

namespace ms::ui
{

namespace
{
constexpr int kTailLines = 60;
}

QString findTool(const QString& name)
{
    const QByteArray env = name == QLatin1String("mammoscope-train") ? qgetenv("MAMMOSCOPE_TRAIN")
        : name == QLatin1String("mammoscope-cli")                    ? qgetenv("MAMMOSCOPE_CLI")
                                                                     : QByteArray();
    if (!env.isEmpty() && QFileInfo(QString::fromLocal8Bit(env)).isExecutable())
        return QString::fromLocal8Bit(env);
    const QString beside = QCoreApplication::applicationDirPath() + QLatin1Char('/') + name;
    if (QFileInfo(beside).isExecutable())
        return beside;
    return QStandardPaths::findExecutable(name);
}

QString engineExitMessage(int exitCode)
{
    switch (exitCode) {
    case 0:
        return QObject::tr("finished");
    case 1:
        return QObject::tr("the engine stopped with an error");
    case 2:
        return QObject::tr("the engine refused its arguments");
    case 3:
        return QObject::tr("the loss became NaN or infinite; the last good checkpoint was kept (try a lower learning rate)");
    case 4:
        return QObject::tr("the device ran out of memory (try a smaller batch size)");
    case 5:
        return QObject::tr("the data could not be read");
    default:
        return QObject::tr("the engine crashed or was killed");
    }
}

EngineProcess::EngineProcess(QObject* parent) : QObject(parent), m_proc(new QProcess(this)), m_killTimer(new QTimer(this))
{
    m_killTimer->setSingleShot(true);
    connect(m_killTimer, &QTimer::timeout, this, &EngineProcess::kill);
    connect(m_proc, &QProcess::readyReadStandardOutput, this, &EngineProcess::readStdout);
    connect(m_proc, &QProcess::readyReadStandardError, this, &EngineProcess::readStderr);
    connect(m_proc, &QProcess::started, this, &EngineProcess::started);
    connect(m_proc, &QProcess::finished, this, &EngineProcess::onFinished);
    connect(m_proc, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            emit failedToStart(tr("%1 could not be started: %2").arg(m_program, m_proc->errorString()));
    });
}

EngineProcess::~EngineProcess()
{
    // Whoever listened may be half destroyed already (we are usually deleted with our parent): say nothing more.
    blockSignals(true);
    m_proc->disconnect(this);
    if (isRunning()) {
        // The app is closing: let the engine checkpoint, but do not hang the exit.
        m_proc->write("stop\n");
        if (!m_proc->waitForFinished(5000)) {
            m_proc->kill();
            m_proc->waitForFinished(2000);
        }
    }
}

bool EngineProcess::start(const QString& program, const QStringList& args, bool remote)
{
    if (isRunning())
        return false;
    m_remote = remote;
    m_program = program;
    m_args = args;
    m_tail.clear();
    m_outPending.clear();
    m_errPending.clear();
    m_stdoutBytes = 0;
    m_stopRequested = m_killed = false;
    if (program.isEmpty() || !QFileInfo(program).isExecutable()) {
        emit failedToStart(remote ? tr("the SSH client (ssh) was not found on PATH; install openssh-client")
                                  : tr("the engine (mammoscope-train) was not found beside the app or on PATH"));
        return false;
    }
    m_proc->setProgram(program);
    m_proc->setArguments(args);
    m_proc->setProcessChannelMode(QProcess::SeparateChannels);
    m_proc->start(QIODevice::ReadWrite);
    return true;
}

bool EngineProcess::isRunning() const
{
    return m_proc->state() != QProcess::NotRunning;
}

qint64 EngineProcess::pid() const
{
    return m_proc->processId();
}

void EngineProcess::requestStop(int graceMs)
{
    if (!isRunning())
        return;
    m_stopRequested = true;
    m_proc->write("stop\n");
    m_killTimer->start(graceMs);
}

void EngineProcess::requestCheckpoint()
{
    if (isRunning())
        m_proc->write("checkpoint\n");
}

void EngineProcess::kill()
{
    if (!isRunning())
        return;
    if (m_remote && !m_killed) {
        // The engine on the other host kills itself on "kill"; its exit ends the connection. Should the link be
        // dead, the client goes after a few seconds (and the engine there stops at its next write to it).
        m_killed = true;
        m_proc->write("kill\n");
        m_killTimer->start(5000);
        return;
    }
    m_killed = true;
    m_proc->kill();
}

bool EngineProcess::waitForFinished(int ms)
{
    return !isRunning() || m_proc->waitForFinished(ms);
}

void EngineProcess::readStdout()
{
    // The engine's stdout carries the same JSON lines as metrics.jsonl (the charts read the file); drain it so the
    // engine never blocks on a full pipe, and pass lines on for anyone interested.
    const QByteArray chunk = m_proc->readAllStandardOutput();
    m_stdoutBytes += chunk.size();
    m_outPending += chunk;
    for (qsizetype nl; (nl = m_outPending.indexOf('\n')) >= 0;) {
        emit stdoutLine(QString::fromUtf8(m_outPending.left(nl)));
        m_outPending.remove(0, nl + 1);
    }
}

void EngineProcess::readStderr()
{
    m_errPending += m_proc->readAllStandardError();
    for (qsizetype nl; (nl = m_errPending.indexOf('\n')) >= 0;) {
        QString line = QString::fromUtf8(m_errPending.left(nl));
        m_errPending.remove(0, nl + 1);
        // Progress lines rewrite themselves with \r: keep the last state.
        if (const auto cr = line.lastIndexOf(QLatin1Char('\r')); cr >= 0)
            line = line.mid(cr + 1);
        if (line.isEmpty())
            continue;
        m_tail << line;
        if (m_tail.size() > kTailLines)
            m_tail.removeFirst();
        emit logLine(line);
    }
}

void EngineProcess::onFinished(int code, QProcess::ExitStatus status)
{
    m_killTimer->stop();
    readStdout();
    readStderr();
    if (!m_errPending.isEmpty()) {
        m_tail << QString::fromUtf8(m_errPending);
        m_errPending.clear();
    }
    QString message;
    int exitCode = code;
    if (status == QProcess::CrashExit || m_killed) {
        exitCode = -1;
        message = m_killed ? tr("the engine was killed after it did not stop in time")
                           : tr("the engine crashed (%1)").arg(m_proc->errorString());
    } else if (code == 0 && m_stopRequested) {
        message = tr("stopped; it can be resumed");
    } else {
        message = engineExitMessage(code);
    }
    emit finished(exitCode, message);
}

} // namespace ms::ui

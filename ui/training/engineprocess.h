// SPDX-License-Identifier: GPL-3.0-or-later
// The engine runs in its own process (mammoscope-train), never in the GUI's: a crash, an out-of-memory or a NaN in
// training cannot take the app or unsaved curation with it. EngineProcess starts it, drains its output pipes as they
// fill (the engine never blocks on a full pipe), keeps the last log lines, asks it to stop through stdin and kills it
// after a grace period.
#pragma once

#include <QObject>
#include <QProcess>
#include <QStringList>

class QTimer;

namespace ms::ui
{

// Finds one of our command-line tools: $MAMMOSCOPE_TRAIN / $MAMMOSCOPE_CLI, beside the app's executable, then PATH.
// Returns an empty string when it is nowhere.
QString findTool(const QString& name);

// What an exit code of mammoscope-train means, in words for the user.
QString engineExitMessage(int exitCode);

class EngineProcess : public QObject
{
    Q_OBJECT
public:
    explicit EngineProcess(QObject* parent = nullptr);
    ~EngineProcess() override;

    // Starts program with args; false (and failed()) when it cannot start. remote: the program is the ssh client that
    // runs the engine on another host (Kill then asks the engine itself to die, through stdin, before the client is
    // killed: killing the client alone would leave the engine running there).
    bool start(const QString& program, const QStringList& args, bool remote = false);
    bool isRemote() const { return m_remote; }
    bool isRunning() const;
    qint64 pid() const;
    // Asks the engine to checkpoint and exit ("stop" on stdin, then SIGTERM); kills it after graceMs.
    void requestStop(int graceMs = 20000);
    void requestCheckpoint();
    void kill();
    // Blocks up to ms for the process to end (used on application exit only).
    bool waitForFinished(int ms);

    QStringList logTail() const { return m_tail; }
    // The last n lines of the engine's log, one text.
    QString lastLines(int n) const { return m_tail.mid(std::max<qsizetype>(0, m_tail.size() - n)).join(QLatin1Char('\n')); }
    QString program() const { return m_program; }
    QStringList arguments() const { return m_args; }
    qint64 stdoutBytes() const { return m_stdoutBytes; }
    bool stopRequested() const { return m_stopRequested; }

signals:
    void started();
    void logLine(const QString& line);
    void stdoutLine(const QString& line);
    // exitCode is the engine's code (-1 when it crashed or was killed); message says what happened.
    void finished(int exitCode, const QString& message);
    void failedToStart(const QString& message);

private:
    void readStdout();
    void readStderr();
    void onFinished(int code, QProcess::ExitStatus status);

    QProcess* m_proc;
    QTimer* m_killTimer;
    QString m_program;
    QStringList m_args;
    QStringList m_tail;
    QByteArray m_outPending, m_errPending;
    qint64 m_stdoutBytes = 0;
    bool m_stopRequested = false, m_killed = false, m_remote = false;
};

} // namespace ms::ui

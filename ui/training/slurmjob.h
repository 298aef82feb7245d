// SPDX-License-Identifier: GPL-3.0-or-later
// A SLURM job for the Training panel: the script submitted with sbatch (here, or through ssh on the cluster's login
// host), followed with squeue (then scontrol once it left the queue), cancelled with scancel: --signal=TERM to stop
// (every rank checkpoints and exits), KILL to end it at once. The run folder is followed as for any run.
#pragma once

#include "core/runs/remote.h"
#include "core/runs/slurm.h"

#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

class QTimer;
class QProcess;

namespace ms::ui
{

class SlurmJobRunner : public QObject
{
    Q_OBJECT
public:
    explicit SlurmJobRunner(QObject* parent = nullptr);
    ~SlurmJobRunner() override;

    // Where sbatch, squeue, scontrol and scancel run: this computer (nullopt) or an SSH host.
    void setLoginHost(std::optional<runs::SshTarget> host) { m_login = std::move(host); }
    void setPollInterval(int ms);

    // Submits `script` (sbatch --parsable --output OUTPUT --chdir DIR, the script on stdin). Asynchronous: submitted()
    // or failed() follows. False when a job is being followed already or sbatch/ssh is not installed.
    bool submit(const QString& script, const QString& outputFile, const QString& workDir);
    bool isActive() const { return m_active; }
    long long jobId() const { return m_id; }
    QString state() const { return m_state; }
    QString outputFile() const { return m_output; }
    // The last lines of the job's output file (the engine's stderr and stdout), when this computer can read it.
    QString outputTail(int lines) const;
    // stop: scancel --signal=TERM (checkpoint and exit); else scancel --signal=KILL --full, then scancel.
    void cancel(bool stop);

signals:
    void submitted(long long id);
    void stateChanged(const QString& state, const QString& reason);
    // exitCode: the batch script's (0 when the engine finished or stopped), -1 when SLURM ended it (cancelled, time
    // limit, node failure) or the end could not be read; message says which.
    void finished(int exitCode, const QString& message);
    void failed(const QString& message);

private:
    // program + arguments of a SLURM command, through ssh when a login host is set; empty with `error`.
    QStringList command(const QString& tool, const QStringList& args, QString& error) const;
    // Runs one SLURM query (one at a time: m_poller) and hands its stdout to `then`.
    void query(const QString& tool, const QStringList& args, const std::function<void(const QByteArray&)>& then);
    void noteState(const runs::SlurmJobState& st);
    void poll();
    void askScontrol();
    void end(int code, const QString& message);
    void runScancel(QList<QStringList> calls, bool first);

    std::optional<runs::SshTarget> m_login;
    QTimer* m_timer;
    QProcess* m_poller = nullptr;
    long long m_id = -1;
    bool m_active = false;
    QString m_state, m_output;
};

} // namespace ms::ui

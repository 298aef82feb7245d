// SPDX-License-Identifier: GPL-3.0-or-later
// What the Training panel's tests share: a run folder's state, a small CPU training form, a free loopback port for the
// servers some tests start (sshd, slurmctld, slurmd), and the engine processes of a run.
#pragma once

#include "core/runs/launch.h"
#include "core/runs/runreader.h"
#include "ui/training/trainingpanel.h"

#include <QDir>
#include <QFile>
#include <QString>

namespace ms::ui::testing
{

inline QString stateOf(const QString& dir)
{
    runs::RunReader r(dir.toStdString());
    r.poll();
    return QString::fromStdString(r.state());
}

// The compact CNN on 48 px patches of 24 phantom patients: a run of a few seconds on the CPU.
inline TrainingForm tinyForm(const QString& name)
{
    TrainingForm f;
    f.source = QStringLiteral("synthetic");
    f.synthPatients = 24;
    f.synthSeed = 5;
    f.train.task = "patches";
    f.train.size = 48;
    f.train.arch = "compact";
    f.train.epochs = 3;
    f.train.batch = 16;
    f.train.lr = 0.003;
    f.train.threads = 2;
    f.train.logEvery = 1;
    f.name = name;
    return f;
}

using ms::runs::freeLoopbackPort;

// Processes of the engine `engine` (its path first on the command line) working on the run folder `dir`.
inline int enginesOf(const QString& dir, const QByteArray& engine)
{
    int n = 0;
    for (const QString& pid : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool numeric = false;
        pid.toLongLong(&numeric);
        if (!numeric)
            continue;
        QFile f(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray cmd = f.readAll();
        if (cmd.startsWith(engine + '\0') && cmd.contains(dir.toUtf8()))
            ++n;
    }
    return n;
}

} // namespace ms::ui::testing

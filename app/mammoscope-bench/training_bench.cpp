// SPDX-License-Identifier: GPL-3.0-or-later
// mammoscope-bench --training: the training panel's figures. Charts with 100,000 step points (load, live replot,
// longest stall of the event loop) and what following a run costs the engine (images/s of the same run with and
// without the panel following it).
#include "core/runs/runreader.h"
#include "ui/training/engineprocess.h"
#include "ui/training/runcharts.h"
#include "ui/training/trainingpanel.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sys/resource.h>
#include <vector>

using namespace ms;
using namespace ms::ui;

namespace
{

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

QByteArray lines(long from, long to, long stepsPerEpoch)
{
    QByteArray out;
    for (long s = from; s < to; ++s) {
        const double epoch = double(s) / double(stepsPerEpoch);
        out += QStringLiteral(
            "{\"v\":1,\"type\":\"step\",\"step\":%1,\"epoch\":%2,\"loss\":%3,\"lr\":0.001,\"images_per_s\":%4,\"time\":1}\n")
                   .arg(s)
                   .arg(epoch, 0, 'f', 5)
                   .arg(1.5 / (1 + epoch) + 0.1 * std::sin(double(s)), 0, 'f', 5)
                   .arg(900 + (s % 37))
                   .toUtf8();
        if ((s + 1) % stepsPerEpoch == 0)
            out += QStringLiteral(
                "{\"v\":1,\"type\":\"epoch\",\"step\":%1,\"epoch\":%2,\"train_loss\":0.5,\"train_accuracy\":0.8,\"val_loss\":0.7,"
                "\"val_accuracy\":0.6,\"val_auc\":0.7,\"lr\":0.001,\"device_memory\":1048576,\"time\":1}\n")
                       .arg(s + 1)
                       .arg((s + 1) / stepsPerEpoch)
                       .toUtf8();
    }
    return out;
}

double cpuSeconds()
{
    rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Mean images/s over the step lines of a run folder.
double meanImagesPerS(const QString& dir)
{
    runs::RunReader r(dir.toStdString());
    r.poll();
    std::vector<double> v;
    for (const auto& s : r.steps())
        if (s.step > 4) // after warm-up
            v.push_back(s.imagesPerS);
    double sum = 0;
    for (double x : v)
        sum += x;
    return v.empty() ? 0 : sum / double(v.size());
}

} // namespace

int trainingBench(const QString& enginePath)
{
    QTemporaryDir tmp;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::printf("MammoScope training panel bench\n");

    // 1. Charts with 100,000 step points.
    const long steps = 100000, perEpoch = 1000;
    const QString dir = tmp.filePath(QStringLiteral("big"));
    QDir().mkpath(dir);
    {
        QFile f(dir + QStringLiteral("/metrics.jsonl"));
        if (!f.open(QIODevice::WriteOnly))
            return 1;
        f.write(lines(0, steps, perEpoch));
    }
    RunCharts charts;
    charts.resize(1400, 900);
    charts.show();
    QElapsedTimer t;
    t.start();
    charts.setRuns({ dir });
    const double loadMs = double(t.nsecsElapsed()) / 1e6;
    std::printf(
        "charts: %d step points and %d epochs loaded and drawn in %.0f ms\n", charts.stepPointCount(), charts.epochPointCount(), loadMs);

    // Let the first paint of the loaded run happen before measuring (it belongs to the load figure above).
    {
        QElapsedTimer settle;
        settle.start();
        while (settle.elapsed() < 500)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    // Live: 50 new step lines every 100 ms (a fast GPU run logging every step), while a 2 ms timer watches the
    // event loop for stalls.
    charts.setLive(true);
    double maxGap = 0;
    QElapsedTimer run;
    QElapsedTimer gap;
    gap.start();
    QTimer watch;
    QObject::connect(&watch, &QTimer::timeout, [&] {
        maxGap = std::max(maxGap, double(gap.nsecsElapsed()) / 1e6);
        gap.restart();
    });
    watch.start(2);
    long next = steps;
    QTimer writer;
    QObject::connect(&writer, &QTimer::timeout, [&] {
        QFile f(dir + QStringLiteral("/metrics.jsonl"));
        if (f.open(QIODevice::Append))
            f.write(lines(next, next + 50, perEpoch));
        next += 50;
    });
    writer.start(100);
    const int replotsBefore = charts.replotCount();
    run.start();
    while (run.elapsed() < 10000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    writer.stop();
    watch.stop();
    charts.setLive(false);
    std::printf("live: %ld points at the end; %d replots in 10 s (%.1f per s); longest single chart replot %.1f ms; longest event-loop "
                "stall %.1f ms\n",
        long(charts.stepPointCount()), charts.replotCount() - replotsBefore, (charts.replotCount() - replotsBefore) / 10.0,
        charts.maxReplotMs(), maxGap);

    // 2. The engine alone, then the same run followed by the panel.
    if (enginePath.isEmpty()) {
        std::printf("engine: mammoscope-train not found; skipped\n");
        return 0;
    }
    const QStringList common = { QStringLiteral("train"), QStringLiteral("--data"), QStringLiteral("synth:40:3"), QStringLiteral("--size"),
        QStringLiteral("64"), QStringLiteral("--arch"), QStringLiteral("compact"), QStringLiteral("--epochs"), QStringLiteral("2"),
        QStringLiteral("--batch"), QStringLiteral("32"), QStringLiteral("--log-every"), QStringLiteral("1"), QStringLiteral("--threads"),
        QStringLiteral("2") };
    std::vector<double> alone, followed, guiCpu;
    for (int rep = 0; rep < 3; ++rep) {
        const QString a = tmp.filePath(QStringLiteral("alone%1").arg(rep));
        QProcess p;
        p.setStandardOutputFile(QProcess::nullDevice());
        p.setStandardErrorFile(QProcess::nullDevice());
        p.start(enginePath, QStringList(common) << QStringLiteral("--run-dir") << a);
        p.waitForFinished(600000);
        alone.push_back(meanImagesPerS(a));

        TrainingPanel panel;
        panel.resize(1400, 900);
        panel.show();
        panel.setRunsRoot(tmp.filePath(QStringLiteral("panel%1").arg(rep)));
        TrainingForm f;
        f.source = QStringLiteral("synthetic");
        f.synthPatients = 40;
        f.synthSeed = 3;
        f.train.size = 64;
        f.train.arch = "compact";
        f.train.epochs = 2;
        f.train.batch = 32;
        f.train.logEvery = 1;
        f.train.threads = 2;
        f.name = QStringLiteral("followed");
        panel.setForm(f);
        QSignalSpy ended(&panel, &TrainingPanel::runEnded);
        const double cpu0 = cpuSeconds();
        QElapsedTimer wall;
        wall.start();
        panel.start();
        ended.wait(600000);
        guiCpu.push_back(100.0 * (cpuSeconds() - cpu0) / (double(wall.elapsed()) / 1000.0));
        followed.push_back(meanImagesPerS(panel.currentRun()));
    }
    std::printf("engine (compact, 64 px, batch 32, 2 threads), median of 3 interleaved runs: %.0f images/s alone, %.0f images/s followed "
                "by the panel (%.1f %%); the panel's own CPU while following: %.1f %% of one core\n",
        median(alone), median(followed), 100.0 * median(followed) / std::max(1.0, median(alone)), median(guiCpu));
    for (size_t i = 0; i < alone.size(); ++i)
        std::printf("  run %zu: alone %.0f, followed %.0f images/s, panel CPU %.1f %%\n", i + 1, alone[i], followed[i], guiCpu[i]);
    return 0;
}

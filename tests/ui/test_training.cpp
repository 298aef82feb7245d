// SPDX-License-Identifier: GPL-3.0-or-later
// The training panel as a student uses it: the real engine (mammoscope-train) started on a tiny synthetic set on the
// CPU, points arriving on the charts, stop, resume, the final metrics and the evaluation; a killed engine; run folders
// written elsewhere and followed as they grow; malformed protocol lines; form validation; the gallery's way back to
// the reading view.
#include "core/common/json.h"
#include "core/dataset/dataset.h"
#include "core/runs/runreader.h"
#include "core/synthio/synthio.h"
#include "trainingsupport.h"
#include "ui/curation/curation.h"
#include "ui/curation/curationpanel.h"
#include "ui/datasetcontroller.h"
#include "ui/mainwindow.h"
#include "ui/readingarea.h"
#include "ui/training/benchview.h"
#include "ui/training/engineprocess.h"
#include "ui/training/evalview.h"
#include "ui/training/runcharts.h"
#include "ui/training/runhistory.h"
#include "ui/training/trainingpanel.h"

#include <QDialog>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QtTest>
#include <qcustomplot.h>

#include <csignal>

using namespace ms;
using namespace ms::ui;
using ms::ui::testing::stateOf;

namespace
{

void appendText(const QString& file, const QByteArray& text)
{
    QFile f(file);
    QVERIFY(f.open(QIODevice::Append));
    f.write(text);
}

QByteArray stepLine(long step, double epoch, double loss)
{
    return QStringLiteral("{\"v\":1,\"type\":\"step\",\"step\":%1,\"epoch\":%2,\"loss\":%3,\"lr\":0.001,\"images_per_s\":100,\"time\":1}\n")
        .arg(step)
        .arg(epoch)
        .arg(loss)
        .toUtf8();
}

QByteArray epochLine(int epoch, double trainAcc, double valAcc)
{
    return QStringLiteral("{\"v\":1,\"type\":\"epoch\",\"step\":%1,\"epoch\":%2,\"train_loss\":0.5,\"train_accuracy\":%3,\"val_loss\":0.7,"
                          "\"val_accuracy\":%4,\"val_auc\":0.6,\"lr\":0.001,\"device_memory\":1048576,\"time\":2}\n")
        .arg(epoch * 10)
        .arg(epoch)
        .arg(trainAcc)
        .arg(valAcc)
        .toUtf8();
}

} // namespace

class TestTraining : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;

    TrainingForm tinyForm(const QString& name) const { return testing::tinyForm(name); }

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("MammoScopeTest"));
        QSettings().clear();
        qputenv("MAMMOSCOPE_TRAIN", MS_TRAIN_PATH);
        qputenv("MAMMOSCOPE_CLI", MS_CLI_PATH);
        // The app's data and cache folders (benchmark results, prepared shards) in this test's temporary folder, not the user's.
        qputenv("MAMMOSCOPE_DATA_DIR", m_tmp.filePath(QStringLiteral("data")).toUtf8());
        qputenv("MAMMOSCOPE_CACHE_DIR", m_tmp.filePath(QStringLiteral("cache")).toUtf8());
        QVERIFY(QFileInfo(QString::fromLocal8Bit(MS_TRAIN_PATH)).isExecutable());
    }

    void validation_data()
    {
        QTest::addColumn<QString>("device");
        QTest::addColumn<bool>("bf16");
        QTest::addColumn<QString>("mode");
        QTest::addColumn<int>("batch");
        QTest::addColumn<QString>("expected"); // empty: the form can start
        QTest::newRow("quick demo is valid") << "cpu" << false << "finetune" << 64 << "";
        QTest::newRow("bf16 on the CPU") << "cpu" << true << "finetune" << 64 << "bf16";
        QTest::newRow("feature extraction from scratch") << "cpu" << false << "feature-extraction" << 64 << "Feature extraction";
        QTest::newRow("batch of one") << "cpu" << false << "finetune" << 1 << "Batch size 1";
        QTest::newRow("no such GPU") << "cuda:3" << false << "finetune" << 64 << "No CUDA device";
    }
    void validation()
    {
        QFETCH(QString, device);
        QFETCH(bool, bf16);
        QFETCH(QString, mode);
        QFETCH(int, batch);
        QFETCH(QString, expected);
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs-validation")));
        TrainingForm f = tinyForm(QString());
        f.train.device = device.toStdString();
        f.train.amp = bf16 ? "bf16" : "none";
        f.train.mode = mode.toStdString();
        f.train.batch = batch;
        panel.setForm(f);
        const QStringList errors = panel.validationErrors();
        if (expected.isEmpty()) {
            QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
            QVERIFY(panel.startButton()->isEnabled());
        } else {
            QVERIFY(!errors.isEmpty());
            QVERIFY2(errors.join(QLatin1Char(' ')).contains(expected), qPrintable(errors.join(QLatin1Char('\n'))));
            QVERIFY(!panel.startButton()->isEnabled());
            QVERIFY(!panel.start()); // refused, with the reason in the status line
            QVERIFY(panel.statusLabel()->text().contains(expected));
        }
    }

    void presets()
    {
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs-presets")));
        QCOMPARE(TrainingPanel::presetNames().size(), 4);
        panel.applyPreset(QStringLiteral("Quick CPU demo"));
        QCOMPARE(panel.form().train.arch, std::string("compact"));
        QCOMPARE(panel.form().train.device, std::string("cpu"));
        QCOMPARE(panel.form().source, QStringLiteral("synthetic")); // no dataset open
        QVERIFY(panel.validationErrors().isEmpty());
        panel.applyPreset(QStringLiteral("Seed report: feature extraction"));
        QCOMPARE(panel.form().train.mode, std::string("feature-extraction"));
        QCOMPARE(panel.form().train.optimizer, std::string("adam"));
        // No weights here: the form explains why it cannot start.
        QVERIFY(panel.validationErrors().join(QLatin1Char(' ')).contains(QStringLiteral("Feature extraction")));
        panel.applyPreset(QStringLiteral("Full GPU"));
        QCOMPARE(panel.form().train.amp, std::string("bf16"));
        QVERIFY(panel.form().train.device.rfind("cuda", 0) == 0);
        // On this CPU-only engine the GPU preset says so.
        QVERIFY(panel.validationErrors().join(QLatin1Char(' ')).contains(QStringLiteral("CUDA")));
        const QStringList args = panel.trainArguments(tinyForm(QStringLiteral("x")), QStringLiteral("synth:12:5"), QStringLiteral("/r"));
        QVERIFY(args.contains(QStringLiteral("--class-weights")));
        QCOMPARE(args[args.indexOf(QStringLiteral("--log-every")) + 1], QStringLiteral("1"));
        QVERIFY(!args.contains(QStringLiteral("--init"))); // from scratch
        QCOMPARE(args[args.indexOf(QStringLiteral("--arch")) + 1], QStringLiteral("compact"));
        QCOMPARE(args[args.indexOf(QStringLiteral("--data")) + 1], QStringLiteral("synth:12:5"));

        // With a CUDA device in the engine's list (as `devices --json` reports one on a GPU machine), the GPU preset
        // validates and passes the device, bf16 and channels-last to the engine; the Quick CPU demo can be moved there.
        panel.setDevices({ { QStringLiteral("cpu"), QStringLiteral("CPU"), 0, 2 },
            { QStringLiteral("cuda:0"), QStringLiteral("NVIDIA H200"), 150LL << 30, 0 } });
        panel.applyPreset(QStringLiteral("Full GPU"));
        QCOMPARE(panel.form().train.device, std::string("cuda:0"));
        QVERIFY2(!panel.validationErrors().join(QLatin1Char(' ')).contains(QStringLiteral("CUDA")),
            qPrintable(panel.validationErrors().join(QLatin1Char(' '))));
        const QStringList gpu = panel.trainArguments(panel.form(), QStringLiteral("synth:600:1"), QStringLiteral("/r"));
        QCOMPARE(gpu[gpu.indexOf(QStringLiteral("--device")) + 1], QStringLiteral("cuda:0"));
        QCOMPARE(gpu[gpu.indexOf(QStringLiteral("--amp")) + 1], QStringLiteral("bf16"));
        QVERIFY(gpu.contains(QStringLiteral("--channels-last")));
        QCOMPARE(gpu[gpu.indexOf(QStringLiteral("--arch")) + 1], QStringLiteral("resnet50"));
        panel.applyPreset(QStringLiteral("Quick CPU demo"));
        TrainingForm quick = panel.form();
        quick.train.device = "cuda:0";
        const QStringList moved = panel.trainArguments(quick, QStringLiteral("synth:150:7"), QStringLiteral("RUN"));
        QCOMPARE(moved[moved.indexOf(QStringLiteral("--device")) + 1], QStringLiteral("cuda:0"));
        qInfo("Quick CPU demo moved to cuda:0: mammoscope-train %s", qPrintable(moved.join(QLatin1Char(' '))));
        // The form's typed configuration reaches the engine whole: its command line reads back as the same config.
        TrainingForm g = tinyForm(QStringLiteral("roundtrip"));
        g.train.seed = 123456789012ULL;
        g.train.augment = "flip,gamma";
        g.train.warmup = 0.5;
        g.train.weightDecay = 0.1 + 0.2;
        g.train.mode = "feature-extraction";
        g.train.init = "/w/with space.safetensors";
        const QStringList rt = panel.trainArguments(g, QStringLiteral("synth:12:5"), QStringLiteral("/r"));
        QCOMPARE(rt.first(), QStringLiteral("train"));
        std::vector<std::string> rtArgs;
        for (qsizetype i = 1; i < rt.size(); ++i)
            rtArgs.push_back(rt[i].toStdString());
        runs::TrainConfig back;
        std::string err;
        QVERIFY2(runs::fromArgs(rtArgs, back, err), err.c_str());
        g.train.data = "synth:12:5";
        g.train.runDir = "/r";
        QCOMPARE(runs::toJson(back).dump(), runs::toJson(g.train).dump());
        QCOMPARE(back.runDir, std::string("/r"));
    }

    // #17: the form's Find… button runs the learning-rate range test on the form's data and sets the rate it suggests.
    void learningRateFinder()
    {
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs-lrfind")));
        TrainingForm f = tinyForm(QString());
        f.train.lr = 0.5;
        panel.setForm(f);
        QSignalSpy found(&panel, &TrainingPanel::learningRateFound);
        QTest::mouseClick(panel.lrFindButton(), Qt::LeftButton);
        QVERIFY(!panel.lrFindButton()->isEnabled()); // one test at a time
        QVERIFY(found.wait(120000));
        const double lr = found.first().first().toDouble();
        QVERIFY2(lr > 1e-6 && lr < 0.5, qPrintable(QString::number(lr)));
        QCOMPARE(panel.form().train.lr, lr);
        QVERIFY(panel.lrFindButton()->isEnabled());
        QVERIFY2(panel.statusLabel()->text().contains(QStringLiteral("falls fastest")), qPrintable(panel.statusLabel()->text()));
        QVERIFY(panel.findChild<QDialog*>(QStringLiteral("lrFindDialog")));
        // a dataset source without prepared shards says why it cannot run
        TrainingForm d = tinyForm(QString());
        d.source = QStringLiteral("shards");
        d.shardsDir = m_tmp.filePath(QStringLiteral("no-shards"));
        panel.setForm(d);
        QVERIFY(!panel.findLearningRate());
        QVERIFY(panel.statusLabel()->text().contains(QStringLiteral("shard folder")));
    }

    // Malformed and partial lines: counted and skipped, never fatal; a partial line waits for its end.
    void chartsProtocol()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("handmade"));
        QDir().mkpath(dir);
        const QString metrics = dir + QStringLiteral("/metrics.jsonl");
        appendText(metrics, stepLine(1, 0.1, 2.0) + stepLine(2, 0.2, 1.8) + "{not json\n" + "{\"v\":99,\"type\":\"step\"}\n");
        const QByteArray partial = stepLine(3, 0.3, 1.6);
        appendText(metrics, partial.left(20));
        RunCharts charts;
        charts.setRuns({ dir });
        QCOMPARE(charts.stepPointCount(), 2);
        QCOMPARE(charts.reader()->malformedLines(), 1);
        QCOMPARE(charts.reader()->unknownVersionLines(), 1);
        appendText(metrics, partial.mid(20) + epochLine(1, 0.9, 0.4));
        charts.pollNow();
        charts.replotNow();
        QCOMPARE(charts.stepPointCount(), 3);
        QCOMPARE(charts.epochPointCount(), 1);
        // Train and validation accuracy are both on the accuracy chart, and the gap is called what it is.
        auto* acc = charts.plot(RunCharts::Accuracy);
        QCOMPARE(acc->graph(0)->data()->at(0)->value, 0.9);
        QCOMPARE(acc->graph(1)->data()->at(0)->value, 0.4);
        QVERIFY(acc->graph(1)->channelFillGraph() == acc->graph(0));
        // CSV export holds every point.
        const QString csv = m_tmp.filePath(QStringLiteral("handmade.csv"));
        QVERIFY(charts.saveCsv(csv));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll().count('\n'), 1 + 3 + 1);
        QVERIFY(charts.savePng(m_tmp.filePath(QStringLiteral("handmade.png"))));
        QVERIFY(charts.savePdf(m_tmp.filePath(QStringLiteral("handmade.pdf"))));
        QVERIFY(QFileInfo(m_tmp.filePath(QStringLiteral("handmade.pdf"))).size() > 1000);
    }

    // A cross-validation's folder (mammoscope-train crossval): each fold's loss curve apart (a gap between folds, not a
    // line back to epoch 1), the per-fold train and held-out figures on the accuracy and AUC charts by fold, the titles
    // saying what they show.
    void chartsCrossval()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("cv"));
        QDir().mkpath(dir);
        appendText(dir + QStringLiteral("/config.json"), "{\"command\": \"crossval\", \"folds\": 2}");
        QByteArray lines;
        for (int fold = 1; fold <= 2; ++fold) {
            for (int e = 1; e <= 3; ++e)
                lines += QByteArray("{\"v\":1,\"type\":\"epoch\",\"phase\":\"fold\",\"fold\":") + QByteArray::number(fold)
                    + ",\"epoch\":" + QByteArray::number(e) + ",\"step\":" + QByteArray::number(e)
                    + ",\"train_loss\":" + QByteArray::number(1.0 / e, 'g', 17) + ",\"lr\":0.001}\n";
            lines += QByteArray("{\"v\":1,\"type\":\"eval\",\"phase\":\"fold\",\"fold\":") + QByteArray::number(fold)
                + ",\"epoch\":3,\"froc_masses_1fp\":0." + QByteArray::number(5 + fold) + ",\"train_froc_masses_1fp\":0.9,\"auc\":0.7}\n";
        }
        appendText(dir + QStringLiteral("/metrics.jsonl"), lines);
        RunCharts charts;
        charts.setRuns({ dir });
        charts.replotNow();
        auto* loss = charts.plot(RunCharts::Loss);
        QCPGraph* trainLoss = nullptr;
        for (int g = 0; g < loss->graphCount(); ++g)
            if (loss->graph(g)->dataCount() == 7) // 2 folds x 3 epochs and the break between them
                trainLoss = loss->graph(g);
        QVERIFY(trainLoss);
        int breaks = 0;
        for (auto it = trainLoss->data()->constBegin(); it != trainLoss->data()->constEnd(); ++it)
            breaks += std::isnan(it->value);
        QCOMPARE(breaks, 1);
        auto* acc = charts.plot(RunCharts::Accuracy);
        QCOMPARE(acc->graph(0)->dataCount(), 2); // train, one point per fold
        QCOMPARE(acc->graph(1)->dataCount(), 2); // held out
        QCOMPARE(acc->graph(1)->data()->at(0)->key, 1.0);
        QCOMPARE(acc->graph(1)->data()->at(1)->value, 0.7);
        QCOMPARE(acc->graph(0)->data()->at(0)->value, 0.9);
        QCOMPARE(charts.plot(RunCharts::Auc)->graph(0)->dataCount(), 2);
        QCOMPARE(acc->xAxis->label(), QStringLiteral("fold"));
        QCOMPARE(charts.reader()->epochs().back().fold, 2);
        QCOMPARE(charts.reader()->epochs().back().trainLoss, 1.0 / 3);
    }

    // A folder written by an engine elsewhere, attached and followed live as it grows.
    void attachGrowingFolder()
    {
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs-attach")));
        const QString dir = m_tmp.filePath(QStringLiteral("elsewhere/run7"));
        QDir().mkpath(dir);
        appendText(dir + QStringLiteral("/config.json"),
            R"({"v":1,"train":{"arch":"resnet18","mode":"finetune","epochs":3,"device":"cuda:0"},"task":"patches","device_name":"NVIDIA H100"})");
        appendText(dir + QStringLiteral("/metrics.jsonl"), stepLine(1, 0.5, 1.0));
        panel.history()->attach(dir);
        QVERIFY(panel.history()->rowOf(dir) >= 0);
        QCOMPARE(panel.history()->run(panel.history()->rowOf(dir)).device, QStringLiteral("NVIDIA H100"));
        panel.openRun(dir);
        QCOMPARE(panel.charts()->stepPointCount(), 1);
        appendText(dir + QStringLiteral("/metrics.jsonl"), stepLine(2, 1.0, 0.8) + epochLine(1, 0.7, 0.6));
        QTRY_COMPARE_WITH_TIMEOUT(panel.charts()->epochPointCount(), 1, 5000); // the live timer picked it up
        QCOMPARE(panel.charts()->stepPointCount(), 2);
        appendText(dir + QStringLiteral("/metrics.jsonl"), epochLine(2, 0.98, 0.38));
        QTRY_COMPARE_WITH_TIMEOUT(panel.charts()->epochPointCount(), 2, 5000);
        // Remembered across sessions.
        RunHistoryModel again;
        again.setRoot(m_tmp.filePath(QStringLiteral("runs-attach")));
        QVERIFY(again.rowOf(dir) >= 0);
        QString err;
        QVERIFY(again.remove(again.rowOf(dir), &err)); // forgets, never deletes an attached folder
        QVERIFY(QFileInfo::exists(dir + QStringLiteral("/metrics.jsonl")));
    }

    // Multi-GPU rows measured on a GPU machine come in as bench --json lines; each row of N ranks is labelled with
    // its scaling against the one-GPU row of the same settings. A malformed file names its bad line; nothing is added.
    void benchImportsMultiGpuRows()
    {
        BenchView view;
        view.setResults({});
        const QString file = m_tmp.filePath(QStringLiteral("gpu-bench.jsonl"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        auto row = [](const char* device, int world, double train) {
            return QStringLiteral("{\"engine\":\"mammoscope-train\",\"device\":\"%1\",\"arch\":\"resnet50\",\"batch\":256,\"size\":224,"
                                  "\"amp\":\"bf16\",\"world_size\":%2,\"train_images_per_s\":%3,\"infer_images_per_s\":%4}\n")
                .arg(QString::fromLatin1(device))
                .arg(world)
                .arg(train)
                .arg(train * 3)
                .toUtf8();
        };
        f.write(row("NVIDIA H200", 1, 4000) + row("NVIDIA H200", 2, 7600) + row("NVIDIA H200", 4, 14400) + row("Intel Xeon", 1, 20));
        f.close();
        QString error;
        QVERIFY2(view.importResults(file, &error), qPrintable(error));
        QCOMPARE(view.results().size(), 4);
        QCOMPARE(BenchView::scalingNote(view.results(), 0), QString());
        QCOMPARE(BenchView::scalingNote(view.results(), 1), QStringLiteral("2 ranks: 95.0 % scaling (training)"));
        QCOMPARE(BenchView::scalingNote(view.results(), 2), QStringLiteral("4 ranks: 90.0 % scaling (training)"));
        QCOMPARE(QString::fromStdString(view.results()[2]["device_id"].string()), QString("cuda") + QChar(0xd7) + "4");
        QVERIFY(view.plot()->plottableCount() >= 2);

        const QString bad = m_tmp.filePath(QStringLiteral("bad-bench.jsonl"));
        QFile b(bad);
        QVERIFY(b.open(QIODevice::WriteOnly));
        b.write(row("NVIDIA H200", 1, 4000) + "{\"device\":\"x\",\"train_images_per_s\":\"fast\"}\n");
        b.close();
        QVERIFY(!view.importResults(bad, &error));
        QVERIFY2(error.contains(bad) && error.contains(QStringLiteral("line 2")), qPrintable(error));
        QCOMPARE(view.results().size(), 4);
        QVERIFY(!view.importResults(m_tmp.filePath(QStringLiteral("missing.jsonl")), &error));
        QVERIFY(error.contains(QStringLiteral("missing.jsonl")));
    }

    // The real engine: start, points arrive, stop (checkpoint), resume, finish, evaluate.
    void startStopResume()
    {
        TrainingPanel panel;
        panel.resize(1400, 900);
        panel.show();
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs")));
        TrainingForm f = tinyForm(QStringLiteral("tiny"));
        f.train.epochs = 4;
        panel.setForm(f);
        QVERIFY2(panel.validationErrors().isEmpty(), qPrintable(panel.validationErrors().join(QLatin1Char('\n'))));
        QSignalSpy ended(&panel, &TrainingPanel::runEnded);
        QSignalSpy evaluated(&panel, &TrainingPanel::evaluationDone);
        QTest::mouseClick(panel.startButton(), Qt::LeftButton);
        const QString dir = panel.currentRun();
        QVERIFY(dir.endsWith(QStringLiteral("/tiny")));
        QVERIFY(panel.isBusy());
        QVERIFY(!panel.startButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(panel.charts()->stepPointCount() > 0, 120000);
        QVERIFY(panel.stopButton()->isEnabled());
        QTest::mouseClick(panel.stopButton(), Qt::LeftButton);
        QVERIFY(ended.wait(60000));
        QCOMPARE(ended.last().at(1).toInt(), 0);
        QCOMPARE(stateOf(dir), QStringLiteral("stopped"));
        const int stepsAtStop = panel.charts()->stepPointCount();
        QVERIFY(stepsAtStop > 0);
        QVERIFY(panel.resumeButton()->isEnabled());

        QTest::mouseClick(panel.resumeButton(), Qt::LeftButton);
        QVERIFY(panel.isBusy());
        QVERIFY(ended.wait(180000));
        QCOMPARE(ended.last().at(1).toInt(), 0);
        QCOMPARE(stateOf(dir), QStringLiteral("finished"));
        panel.charts()->pollNow();
        QCOMPARE(panel.charts()->epochPointCount(), 4);
        QVERIFY(panel.charts()->stepPointCount() > stepsAtStop);
        // Every epoch has a validation accuracy on the chart.
        QCOMPARE(panel.charts()->plot(RunCharts::Accuracy)->graph(1)->dataCount(), 4);

        // A finished run is evaluated on its test split by itself: confusion matrix, ROC and the gallery.
        QVERIFY(evaluated.wait(120000));
        QVERIFY(evaluated.last().at(1).toBool());
        auto* ev = panel.evalView();
        QVERIFY(!ev->predictions().isEmpty());
        long total = 0;
        for (const auto& row : ev->confusion())
            for (long v : row)
                total += v;
        QCOMPARE(total, long(ev->predictions().size()));
        QVERIFY(ev->rocPlot()->plottableCount() >= 2);
        QTRY_VERIFY_WITH_TIMEOUT(!ev->isLoading(), 60000);
        QVERIFY(ev->gallery()->count() > 0); // its samples are shown, not only listed
        // The history lists it with its figures.
        const int row = panel.history()->rowOf(dir);
        QVERIFY(row >= 0);
        QCOMPARE(panel.history()->run(row).epochsDone, 4);
        QVERIFY(panel.history()->run(row).bestValAccuracy >= 0);
        QVERIFY(panel.history()->run(row).durationS > 0);
    }

    // The engine killed mid-run: the panel reports it with the last log lines and stays usable.
    void engineKilled()
    {
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs-kill")));
        TrainingForm f = tinyForm(QStringLiteral("victim"));
        f.train.epochs = 50;
        panel.setForm(f);
        QSignalSpy ended(&panel, &TrainingPanel::runEnded);
        QVERIFY(panel.start());
        QTRY_VERIFY_WITH_TIMEOUT(panel.charts()->stepPointCount() > 0, 120000);
        QVERIFY(panel.engine()->pid() > 0);
        ::kill(pid_t(panel.engine()->pid()), SIGKILL);
        QVERIFY(ended.wait(30000));
        QCOMPARE(ended.last().at(1).toInt(), -1);
        QVERIFY2(panel.statusLabel()->text().contains(QStringLiteral("crashed")), qPrintable(panel.statusLabel()->text()));
        QVERIFY(!panel.isBusy());
        QVERIFY(panel.startButton()->isEnabled() || !panel.validationErrors().isEmpty());
    }

    // The open dataset: prepared to shards once (progress shown), reused when current.
    void prepareOnceThenReuse()
    {
        synthio::WriteOptions o;
        o.patients = 24;
        o.synth.seed = 12;
        o.synth.width = 256;
        o.synth.height = 416;
        const QString root = m_tmp.filePath(QStringLiteral("prep-ds"));
        QVERIFY(synthio::writeDataset(root.toStdString(), o).ok());
        auto opened = dataset::open(root.toStdString(), {});
        QVERIFY(opened.ok());
        auto ds = std::make_shared<const dataset::Dataset>(std::move(*opened));
        TrainingPanel panel;
        panel.setRunsRoot(m_tmp.filePath(QStringLiteral("runs-prep")));
        panel.setDataset(ds);
        TrainingForm f = tinyForm(QStringLiteral("prep1"));
        f.source = QStringLiteral("dataset");
        f.train.epochs = 1;
        panel.setForm(f);
        QVERIFY2(panel.validationErrors().isEmpty(), qPrintable(panel.validationErrors().join(QLatin1Char('\n'))));
        QSignalSpy started(&panel, &TrainingPanel::runStarted);
        QSignalSpy ended(&panel, &TrainingPanel::runEnded);
        QVERIFY(panel.start());
        QVERIFY(panel.statusLabel()->text().contains(QStringLiteral("Preparing")));
        QVERIFY(started.wait(120000)); // prepared, then the engine started
        QVERIFY(ended.wait(300000));
        QCOMPARE(ended.last().at(1).toInt(), 0);
        runs::RunReader r(panel.currentRun().toStdString());
        r.poll();
        const QString data = QString::fromStdString(r.runConfig().train.data);
        QVERIFY(QFileInfo::exists(data + QStringLiteral("/dataset.json")));
        QVERIFY(!data.startsWith(root)); // shards live in the cache, never in the dataset
        QVERIFY(panel.logView()->toPlainText().contains(QStringLiteral("preparing")));
        // Engine busy with the automatic evaluation; wait for it, then start again: the shards are current.
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isBusy(), 120000);
        f.name = QStringLiteral("prep2");
        panel.setForm(f);
        QVERIFY(panel.start());
        QVERIFY(panel.logView()->toPlainText().contains(QStringLiteral("Shards are current")));
        QVERIFY(ended.wait(300000));
        QCOMPARE(ended.last().at(1).toInt(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isBusy(), 120000);
    }

    void parseDeviceList()
    {
        const QByteArray json = R"({"torch":"2.11.0","devices":[{"id":"cpu","name":"Xeon","threads":16},
            {"id":"cuda:0","name":"NVIDIA H200","memory":150000000000}]})";
        QString torch;
        const auto d = parseDevices(json, &torch);
        QCOMPARE(torch, QStringLiteral("2.11.0"));
        QCOMPARE(d.size(), 2);
        QCOMPARE(d[1].id, QStringLiteral("cuda:0"));
        QCOMPARE(d[1].memory, 150000000000LL);
        QVERIFY(parseDevices("not json").isEmpty());
        // The real engine's list, through the panel: the CPU is always there.
        TrainingPanel panel;
        QTRY_VERIFY_WITH_TIMEOUT(panel.findChild<QComboBox*>(QStringLiteral("device"))->itemText(0).contains(QStringLiteral("CPU")), 10000);
    }

    // The gallery's double-click opens the sample's image in the reading view at its lesion.
    void openSampleInReadingView()
    {
        synthio::WriteOptions o;
        o.patients = 3;
        o.synth.seed = 8;
        o.synth.width = 256;
        o.synth.height = 416;
        const QString root = m_tmp.filePath(QStringLiteral("ds"));
        QVERIFY(synthio::writeDataset(root.toStdString(), o).ok());
        DatasetController controller;
        AppServices services(&controller);
        MainWindow window(services);
        window.resize(1200, 800);
        window.show();
        QSignalSpy shown(&window, &MainWindow::datasetShown);
        controller.open(root);
        QVERIFY(shown.wait(60000));
        const auto ds = controller.dataset();
        QVERIFY(!ds->abnormalities.empty());
        const auto& abn = ds->abnormalities.back();
        const auto& img = ds->images[size_t(abn.image)];
        window.showWorkspace(1);
        QVERIFY(window.findChild<QDockWidget*>(QStringLiteral("browserDock"))->isHidden());
        window.openSample(QString::fromStdString(img.key), int(ds->abnormalities.size()) - 1, 10, 10, 48, 48);
        QCOMPARE(window.workspaces()->currentIndex(), 0);
        QVERIFY(!window.findChild<QDockWidget*>(QStringLiteral("browserDock"))->isHidden());
        QTRY_COMPARE_WITH_TIMEOUT(window.readingArea()->currentImage(), img.index, 20000);
        QTRY_VERIFY_WITH_TIMEOUT(window.readingArea()->allLoaded(), 20000);
        // An image that is not in the dataset: a message, no change.
        window.openSample(QStringLiteral("NOT_THERE"), -1, 0, 0, 10, 10);
        QCOMPARE(window.readingArea()->currentImage(), img.index);
        // "Correct the label" from the gallery: the Curation panel opens on the sample's abnormality.
        window.showWorkspace(1);
        window.correctSample(QString::fromStdString(img.key), int(ds->abnormalities.size()) - 1, 10, 10, 48, 48);
        QCOMPARE(window.workspaces()->currentIndex(), 0);
        QTRY_VERIFY(window.findChild<QDockWidget*>(QStringLiteral("curationDock"))->isVisible());
        const auto& eff = window.curation()->effective()->abnormalities.back();
        QCOMPARE(window.curationPanel()->currentKey(), QString::fromStdString(eff.key));
        QCOMPARE(window.curationPanel()->currentImage(), img.index);
    }
};

QTEST_MAIN(TestTraining)
#include "test_training.moc"

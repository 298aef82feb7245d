// SPDX-License-Identifier: GPL-3.0-or-later
// MammoScope: the composition root. Builds the services and the main window, handles the command line.
// Research software, not a medical device.
#include "ui/casepanel.h"
#include "ui/datasetcontroller.h"
#ifdef MS_WITH_ML
#include "ui/heatmap.h"
#endif
#include "ui/curation/curationpanel.h"
#include "ui/curation/roieditor.h"
#include "ui/mainwindow.h"
#include "ui/readingarea.h"
#include "ui/theme.h"
#include "ui/training/evalview.h"
#include "ui/training/runcharts.h"
#include "ui/training/trainingpanel.h"

#include <QApplication>
#include <QCheckBox>
#include <QCommandLineParser>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QIcon>
#include <QLabel>
#include <QSettings>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>

using namespace ms::ui;

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("MammoScope"));
    QApplication::setOrganizationName(QStringLiteral("MammoScope"));
    QApplication::setApplicationVersion(QStringLiteral(MS_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/mammoscope.svg")));

    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("Screening mammography research workbench (not a medical device)."));
    cli.addHelpOption();
    cli.addVersionOption();
    cli.addPositionalArgument(QStringLiteral("dataset"),
        QStringLiteral("Dataset folder (CBIS-DDSM, Kaggle JPEG, mini-MIAS or images). "
                       "Default: the last one, else the demo dataset."));
    QCommandLineOption layoutOpt(QStringLiteral("layout"), QStringLiteral("single, cc, mlo or 4view."), QStringLiteral("layout"));
    QCommandLineOption shotOpt(
        QStringLiteral("screenshot"), QStringLiteral("Render the window to a PNG file and exit."), QStringLiteral("file"));
    QCommandLineOption patientOpt(QStringLiteral("patient"), QStringLiteral("Show this patient first."), QStringLiteral("id"));
    QCommandLineOption imageOpt(QStringLiteral("image"), QStringLiteral("Show the image with this key first."), QStringLiteral("key"));
    QCommandLineOption sizeOpt(QStringLiteral("size"), QStringLiteral("Window size, e.g. 1920x1080."), QStringLiteral("WxH"));
    QCommandLineOption themeOpt(QStringLiteral("theme"), QStringLiteral("dark or light."), QStringLiteral("theme"));
    QCommandLineOption demoOpt(QStringLiteral("demo"), QStringLiteral("Open the demo dataset (generated on first use)."));
    QCommandLineOption loupeOpt(QStringLiteral("loupe"), QStringLiteral("Start with the magnifier on (for screenshots)."));
    QCommandLineOption tabOpt(
        QStringLiteral("case-tab"), QStringLiteral("Case panel tab to show: 0 findings, 1 image, 2 tags."), QStringLiteral("n"));
    QCommandLineOption runOpt(QStringLiteral("open-run"),
        QStringLiteral("Open the Training workspace on this run folder (one started here or by an engine elsewhere) and follow it."),
        QStringLiteral("dir"));
    QCommandLineOption compareOpt(QStringLiteral("compare-run"),
        QStringLiteral("With --open-run: also show this run on the same axes (repeatable)."), QStringLiteral("dir"));
    QCommandLineOption pageOpt(QStringLiteral("training-page"),
        QStringLiteral("Training page to show: live, evaluation, runs or bench (for screenshots)."), QStringLiteral("page"));
    QCommandLineOption heatOpt(QStringLiteral("heatmap"), QStringLiteral("Start with the heatmap of the demo model (or --model) shown."));
    QCommandLineOption modelOpt(
        QStringLiteral("model"), QStringLiteral("Model folder (card.json and weights) or run folder for heatmaps."), QStringLiteral("dir"));
    QCommandLineOption curationOpt(QStringLiteral("curation"),
        QStringLiteral("Show the Curation panel at a page: labels, queue or history (for screenshots)."), QStringLiteral("page"));
    QCommandLineOption toolOpt(
        QStringLiteral("tool"), QStringLiteral("Start with an ROI tool: brush, eraser, polygon or ellipse."), QStringLiteral("tool"));
    QCommandLineOption scoreOpt(
        QStringLiteral("score"), QStringLiteral("With --heatmap: score every image of the dataset in the background."));
    QCommandLineOption tissueOpt(
        QStringLiteral("tissue"), QStringLiteral("With --heatmap: tint the tissue model's pectoral muscle and dense tissue."));
    cli.addOptions({ curationOpt, toolOpt, scoreOpt, tissueOpt });
    cli.addOptions({ layoutOpt, shotOpt, patientOpt, imageOpt, sizeOpt, themeOpt, demoOpt, loupeOpt, tabOpt, runOpt, compareOpt, pageOpt,
        heatOpt, modelOpt });
    cli.process(app);

    QSettings settings;
    const QString theme
        = cli.isSet(themeOpt) ? cli.value(themeOpt) : settings.value(QStringLiteral("theme"), QStringLiteral("dark")).toString();
    applyTheme(app, themeFromString(theme));

    // The composition root: the services first, then the window that works with them (they outlive it).
    DatasetController controller;
    AppServices services(&controller);
    MainWindow window(services);
    if (cli.isSet(sizeOpt)) {
        const auto parts = cli.value(sizeOpt).split(QLatin1Char('x'));
        if (parts.size() == 2)
            window.resize(parts[0].toInt(), parts[1].toInt());
    }
    bool ok = true;
    const QString layout = cli.isSet(layoutOpt) ? cli.value(layoutOpt)
                                                : settings.value(QStringLiteral("reading/layout"), QStringLiteral("single")).toString();
    ReadingLayout l = layoutFromName(layout, &ok);
    if (!ok) {
        std::fprintf(stderr, "mammoscope: unknown layout '%s' (single, cc, mlo, 4view)\n", qPrintable(layout));
        return 2;
    }
    window.setLayoutMode(l);
    if (cli.isSet(loupeOpt))
        window.readingArea()->setLoupe(true);
    window.show();

    const QString runDir = cli.value(runOpt);
    if (!runDir.isEmpty()) {
        if (!QFileInfo(runDir).isDir()) {
            std::fprintf(stderr, "mammoscope: %s is not a folder\n", qPrintable(runDir));
            return 2;
        }
        auto* panel = window.trainingPanel();
        window.showWorkspace(1);
        const QStringList compared = cli.values(compareOpt);
        if (compared.isEmpty()) {
            panel->openRun(QFileInfo(runDir).absoluteFilePath());
        } else {
            QStringList dirs = { QFileInfo(runDir).absoluteFilePath() };
            for (const auto& c : compared)
                dirs << QFileInfo(c).absoluteFilePath();
            panel->openRun(dirs.first());
            panel->compareRuns(dirs);
        }
        const QString page = cli.value(pageOpt);
        const QStringList pages = { QStringLiteral("live"), QStringLiteral("evaluation"), QStringLiteral("runs"), QStringLiteral("bench") };
        if (!page.isEmpty() && !pages.contains(page)) {
            std::fprintf(stderr, "mammoscope: unknown training page '%s' (live, evaluation, runs, bench)\n", qPrintable(page));
            return 2;
        }
        panel->showPage(page.isEmpty() ? 0 : int(pages.indexOf(page)));
    }

    const QString screenshot = cli.value(shotOpt);
    const QString patient = cli.value(patientOpt), imageKey = cli.value(imageOpt);
    const int caseTab = cli.isSet(tabOpt) ? cli.value(tabOpt).toInt() : -1;
    QObject::connect(&window, &MainWindow::datasetShown, &window, [&](DatasetPtr ds) {
        for (const auto& im : ds->images)
            if ((!imageKey.isEmpty() && QString::fromStdString(im.key) == imageKey)
                || (imageKey.isEmpty() && !patient.isEmpty() && QString::fromStdString(im.patientId) == patient)) {
                window.selectImage(im.index);
                break;
            }
        if (caseTab >= 0)
            if (auto* tabs = window.casePanel()->findChild<QTabWidget*>())
                tabs->setCurrentIndex(caseTab);
        if (cli.isSet(curationOpt)) {
            if (auto* dock = window.findChild<QDockWidget*>(QStringLiteral("curationDock"))) {
                dock->show();
                dock->raise();
            }
            const QStringList pages = { QStringLiteral("labels"), QStringLiteral("queue"), QStringLiteral("history") };
            if (auto* tabs = window.curationPanel()->findChild<QTabWidget*>())
                tabs->setCurrentIndex(std::max(0, int(pages.indexOf(cli.value(curationOpt)))));
        }
    });
    if (cli.isSet(toolOpt)) {
        const QStringList tools
            = { QStringLiteral("brush"), QStringLiteral("eraser"), QStringLiteral("polygon"), QStringLiteral("ellipse") };
        const int t = int(tools.indexOf(cli.value(toolOpt)));
        if (t < 0) {
            std::fprintf(stderr, "mammoscope: unknown tool '%s' (brush, eraser, polygon, ellipse)\n", qPrintable(cli.value(toolOpt)));
            return 2;
        }
        window.roiEditor()->setTool(RoiEditor::Tool(t + 1));
    }

    if (!screenshot.isEmpty()) {
        // Wait for the dataset, the views and their frames, then grab and quit.
        auto shoot = [&window, screenshot] {
            QTimer::singleShot(300, &window, [&window, screenshot] {
                for (auto* v : window.readingArea()->views())
                    v->renderNow();
                window.trainingPanel()->charts()->setQueuedReplots(false);
                window.trainingPanel()->charts()->pollNow();
                window.trainingPanel()->charts()->replotNow();
                window.repaint();
                const bool saved = window.grab().save(screenshot);
                std::fprintf(stderr, "%s %s\n", saved ? "wrote" : "could not write", qPrintable(screenshot));
                QApplication::exit(saved ? 0 : 1);
            });
        };
        if (runDir.isEmpty() && !cli.isSet(heatOpt)) {
            QObject::connect(window.readingArea(), &ReadingArea::allViewsLoaded, &window, shoot);
        } else if (runDir.isEmpty()) {
#ifdef MS_WITH_ML
            // Heatmaps: shoot when every view shows its map.
            auto* poll = new QTimer(&window);
            QObject::connect(poll, &QTimer::timeout, &window, [&window, &cli, &scoreOpt, poll, shoot] {
                if (!window.readingArea()->allLoaded() || !window.heatmaps())
                    return;
                for (auto* v : window.readingArea()->views())
                    if (!v->view() || !window.heatmaps()->get(v->view()->imageIndex))
                        return;
                if (window.inference()->scoring() || (cli.isSet(scoreOpt) && window.heatmapPanel()->agreementLabel()->text().isEmpty()))
                    return;
                poll->stop();
                shoot();
            });
            poll->start(200);
#endif
        } else {
            // The training workspace: shoot once the dataset is open (or failed) and the gallery's images are in.
            auto* poll = new QTimer(&window);
            QObject::connect(poll, &QTimer::timeout, &window, [&window, &controller, poll, shoot] {
                static int ticks = 0;
                if (++ticks < 6 || controller.busy() || window.trainingPanel()->evalView()->isLoading())
                    return;
                poll->stop();
                shoot();
            });
            poll->start(250);
        }
        QObject::connect(&controller, &DatasetController::failed, &window, [runDir](const QString& m) {
            if (!runDir.isEmpty())
                return; // the run is what the screenshot shows

            std::fprintf(stderr, "mammoscope: %s\n", qPrintable(m));
            QApplication::exit(1);
        });
        QTimer::singleShot(180000, &window, [] {
            std::fprintf(stderr, "mammoscope: screenshot timed out\n");
            QApplication::exit(3);
        });
    }

#ifdef MS_WITH_ML
    if (cli.isSet(modelOpt))
        window.inference()->loadModel(QFileInfo(cli.value(modelOpt)).absoluteFilePath());
    if (cli.isSet(heatOpt))
        window.heatmapPanel()->enableBox()->setChecked(true);
    if (cli.isSet(tissueOpt))
        window.heatmapPanel()->tissueBox()->setChecked(true);
    if (cli.isSet(scoreOpt)) {
        // Once the dataset is shown and the model loaded.
        auto* wait = new QTimer(&window);
        QObject::connect(wait, &QTimer::timeout, &window, [&window, wait] {
            if (!window.tableModel()->dataset() || !window.inference()->hasModel())
                return;
            wait->stop();
            window.scoreImages(false);
        });
        wait->start(200);
    }
#endif

    bool demo = false;
    QString notice;
    const QString dataset = DatasetController::startupDataset(
        cli.positionalArguments().value(0), settings.value(QStringLiteral("dataset/last")).toString(), cli.isSet(demoOpt), &demo, &notice);
    if (demo)
        controller.openDemo();
    else if (!dataset.isEmpty())
        controller.open(dataset);
    else
        window.showNotice(notice);
    return app.exec();
}

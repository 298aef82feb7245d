// SPDX-License-Identifier: GPL-3.0-or-later
// mammoscope-bench: the reading view's figures, measured on this machine (run offscreen); --training: the training
// panel's (training_bench.cpp).
#include "core/dicom/dicom.h"
#include "core/imageio/imageio.h"
#include "core/synth/phantom.h"
#include "ui/caseloader.h"
#include "ui/datasetmodels.h"
#include "ui/imageview.h"
#include "ui/mainwindow.h"
#include "ui/readingarea.h"
#include "ui/training/engineprocess.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QScrollBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>
#include <unistd.h>

using namespace ms;
using namespace ms::ui;
namespace fs = std::filesystem;

namespace
{

double rssMb()
{
    std::ifstream f("/proc/self/statm");
    long pages = 0, rss = 0;
    f >> pages >> rss;
    return double(rss) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

} // namespace

int trainingBench(const QString& enginePath);

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("MammoScopeBench"));
    if (argc > 1 && QByteArray(argv[1]) == "--training")
        return trainingBench(ms::ui::findTool(QStringLiteral("mammoscope-train")));
    QTemporaryDir tmp;
    const fs::path root = tmp.path().toStdString();
    std::printf("MammoScope viewer bench (%u hardware threads)\n", std::thread::hardware_concurrency());

    // Full-size 16-bit mammograms, four views of one synthetic patient, uncompressed and JPEG lossless.
    synth::Options so;
    so.width = 3000;
    so.height = 5000;
    so.seed = 3;
    auto pc = synth::generatePatient(so, 0);
    for (const char* kind : { "raw", "jpegll" })
        for (size_t v = 0; v < pc.views.size(); ++v) {
            dicom::WriteInfo wi;
            wi.patientId = std::string("BENCH_") + kind;
            wi.studyUid = wi.seriesUid = wi.sopInstanceUid = dicom::uidFromHash(v, kind[0]);
            wi.laterality = pc.views[v].side.substr(0, 1);
            wi.view = pc.views[v].view;
            auto st = dicom::write(root / kind / (pc.views[v].side + "_" + pc.views[v].view + ".dcm"), pc.views[v].image, wi,
                std::string(kind) == "raw" ? dicom::Compression::None : dicom::Compression::JpegLossless);
            if (!st) {
                std::fprintf(stderr, "%s\n", st.error().toString().c_str());
                return 1;
            }
        }

    // 1. First paint: decode + pyramid + chest-wall detection + first frame of a 1600x960 view.
    for (const char* kind : { "raw", "jpegll" }) {
        auto ds = dataset::open(root / kind, { false, {} });
        if (!ds) {
            std::fprintf(stderr, "%s\n", ds.error().toString().c_str());
            return 1;
        }
        std::vector<double> t, dec;
        for (int rep = 0; rep < 3; ++rep) {
            QElapsedTimer e;
            e.start();
            LoadedViewPtr lv = loadView(*ds, 0);
            ImageView view;
            view.resize(1600, 960);
            view.setView(lv);
            view.renderNow();
            t.push_back(double(e.nsecsElapsed()) / 1e6);
            dec.push_back(lv->decodeMs);
        }
        std::printf("first paint, 3000x5000 16-bit, %-13s %7.1f ms (decode %.1f ms)\n",
            std::string(kind) == "raw" ? "uncompressed:" : "JPEG lossless:", median(t), median(dec));
    }

    // 2. Window/level and zoom update rate of a 1600x960 view.
    {
        auto ds = dataset::open(root / "raw", { false, {} });
        LoadedViewPtr lv = loadView(*ds, 0);
        RenderRequest r;
        r.pyramid = &lv->pyramid;
        r.size = QSize(1600, 960);
        r.scale = 960.0 / 5000;
        r.window = defaultWindow(*lv->image);
        QElapsedTimer e;
        e.start();
        const int n = 60;
        for (int i = 0; i < n; ++i) {
            r.window.center += 10;
            (void)renderView(r);
        }
        const double wlMs = double(e.nsecsElapsed()) / 1e6 / n;
        e.restart();
        for (int i = 0; i < n; ++i) {
            r.scale = 960.0 / 5000 * (1.0 + i * 0.1); // from fit to 7x fit: finer pyramid levels as it grows
            (void)renderView(r);
        }
        const double zoomMs = double(e.nsecsElapsed()) / 1e6 / n;
        std::printf("window/level update, 1600x960 view:          %7.1f ms/frame = %.0f per second\n", wlMs, 1000 / wlMs);
        std::printf("zoom update (fit..7x), 1600x960 view:        %7.1f ms/frame = %.0f per second\n", zoomMs, 1000 / zoomMs);
    }

    // 3. Memory of the four-view layout with full-size images.
    {
        const double before = rssMb();
        DatasetController c;
        AppServices services(&c);
        MainWindow w(services);
        w.resize(1920, 1080);
        w.show();
        w.setLayoutMode(ReadingLayout::FourView);
        QSignalSpy shown(&w, &MainWindow::datasetShown);
        c.open(QString::fromStdString((root / "raw").string()));
        shown.wait(120000);
        QElapsedTimer e;
        e.start();
        while (!w.readingArea()->allLoaded() && e.elapsed() < 120000)
            QTest::qWait(20);
        for (auto* v : w.readingArea()->views())
            v->renderNow();
        QTest::qWait(200);
        std::printf(
            "four-view layout, 4 x 3000x5000 16-bit:      %7.0f MB resident (process grew by %.0f MB)\n", rssMb(), rssMb() - before);
    }

    // 4. Browser scrolling over 3,000 images with lazy thumbnails: the longest GUI stall per page step.
    {
        const fs::path folder = root / "many";
        fs::create_directories(folder);
        Gray8 g(96, 160, 40);
        for (int y = 20; y < 140; ++y)
            for (int x = 0; x < 70; ++x)
                g.at(x, y) = uint8_t(120 + (x * y) % 100);
        (void)imageio::writePng(folder / "base.png", g);
        for (int i = 0; i < 3000; ++i)
            fs::create_hard_link(folder / "base.png", folder / ("P_" + std::to_string(10000 + i) + "_LEFT_CC.png"));
        fs::remove(folder / "base.png");
        DatasetController c;
        AppServices services(&c);
        MainWindow w(services);
        w.resize(1920, 1080);
        w.show();
        QSignalSpy shown(&w, &MainWindow::datasetShown);
        c.open(QString::fromStdString(folder.string()));
        shown.wait(120000);
        QTableView* t = w.imageTable();
        std::vector<double> steps;
        QScrollBar* sb = t->verticalScrollBar();
        for (int i = 0; i < 200 && sb->value() < sb->maximum(); ++i) {
            QElapsedTimer e;
            e.start();
            sb->setValue(sb->value() + sb->pageStep());
            t->viewport()->repaint();
            QCoreApplication::processEvents(); // bench only: deliver the thumbnails that arrived
            steps.push_back(double(e.nsecsElapsed()) / 1e6);
        }
        std::printf("browser, 3,000 images, page-down scrolling:  %7.1f ms median, %.1f ms worst per page (%zu pages)\n", median(steps),
            *std::max_element(steps.begin(), steps.end()), steps.size());
    }
    return 0;
}

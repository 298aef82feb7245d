// SPDX-License-Identifier: GPL-3.0-or-later
// Which ROI wins (core/annotations/roi.h, #19 item 3) and ROIs through DICOM SEG and SR (#16): one rule for masks of
// another size; the dataset's ROIs exported as SEG come back, pixel for pixel, when the images and their SEGs (and an
// SR) are opened as a plain folder.
#include "core/annotations/effective.h"
#include "core/annotations/export.h"
#include "core/annotations/roi.h"
#include "core/common/strings.h"
#include "core/dataset/loader.h"
#include "core/dicom/objects.h"
#include "core/imageio/imageio.h"
#include "core/synthio/synthio.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <map>

using namespace ms;
using namespace ms::annotations;
namespace fs = std::filesystem;

namespace
{

dataset::Dataset openDataset(const fs::path& root)
{
    dataset::OpenOptions o;
    o.useCache = false;
    auto ds = dataset::open(root, o);
    if (!ds)
        qFatal("%s", ds.error().toString().c_str());
    return std::move(*ds);
}

} // namespace

class TestRoi : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_root; // a small synthetic CBIS-DDSM set
    fs::path dir() const { return fs::path(m_tmp.path().toStdString()); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_root = dir() / "cbis";
        synthio::WriteOptions o;
        o.patients = 6;
        o.synth.seed = 21;
        o.synth.width = 256;
        o.synth.height = 416;
        auto r = synthio::writeDataset(m_root, o);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        QVERIFY(r->abnormalities >= 4);
    }

    // #19 item 3: one resolver decides which ROI wins and what a mask of another size means, for every caller.
    void resolveRoi_data()
    {
        QTest::addColumn<QSize>("curated"); // empty: none
        QTest::addColumn<QSize>("maskFile"); // empty: none; (-1, -1): a file that is not there
        QTest::addColumn<bool>("circle");
        QTest::addColumn<int>("expected"); // RoiSource, or -1: an error
        QTest::addColumn<QString>("message"); // in the note or the error; empty: no note
        const QSize none(0, 0), img(100, 80);
        QTest::newRow("curated wins") << img << img << true << int(RoiSource::Curated) << "";
        QTest::newRow("mask file over circle") << none << img << true << int(RoiSource::MaskFile) << "";
        QTest::newRow("circle alone") << none << none << true << int(RoiSource::Circle) << "";
        QTest::newRow("half-size mask scaled") << none << QSize(50, 40) << false << int(RoiSource::MaskFile)
                                               << "50x40, the image 100x80: scaled";
        QTest::newRow("curated of another size scaled") << QSize(200, 160) << none << false << int(RoiSource::Curated) << "scaled to fit";
        QTest::newRow("mask of another shape") << none << QSize(80, 80) << true << -1 << "80x80, the image 100x80: another shape";
        QTest::newRow("mask file missing") << none << QSize(-1, -1) << true << -1 << "mask.png";
        QTest::newRow("no ROI at all") << none << none << false << -1 << "has no ROI";
        // (-2, -2): the rectangle with an open line traced beside it (CDD-CESM's masks trace the breast's outline)
        QTest::newRow("mask with a stroke") << none << QSize(-2, -2) << false << int(RoiSource::MaskFile) << "an open line of 76 pixels";
    }
    void resolveRoi()
    {
        QFETCH(QSize, curated);
        QFETCH(QSize, maskFile);
        QFETCH(bool, circle);
        QFETCH(int, expected);
        QFETCH(QString, message);
        const int W = 100, H = 80;
        // a rectangle over the upper-left quarter's lower-right part: [w/4, w/2) x [h/4, h/2)
        auto rect = [](int w, int h) {
            Gray8 g(w, h);
            for (int y = h / 4; y < h / 2; ++y)
                for (int x = w / 4; x < w / 2; ++x)
                    g.at(x, y) = 255;
            return g;
        };
        QTemporaryDir d;
        dataset::Abnormality a;
        a.key = "IMG#1";
        if (!curated.isEmpty())
            a.roiRle = RleMask::fromGray(rect(curated.width(), curated.height())).toString();
        if (!maskFile.isEmpty() || maskFile.width() < 0) {
            a.maskPath = d.filePath(QStringLiteral("mask.png")).toStdString();
            if (maskFile.width() > 0)
                QVERIFY(imageio::writePng(a.maskPath, rect(maskFile.width(), maskFile.height())).ok());
            if (maskFile == QSize(-2, -2)) {
                Gray8 g = rect(W, H);
                for (int x = 2; x < 78; ++x) // a line along the bottom, 1 px thick
                    g.at(x, 75) = 255;
                QVERIFY(imageio::writePng(a.maskPath, g).ok());
            }
        }
        if (circle) {
            a.centerX = 70;
            a.centerY = 60;
            a.radius = 8;
        }
        auto r = annotations::resolveRoi(a, W, H);
        if (expected < 0) {
            QVERIFY(!r);
            QVERIFY2(QString::fromStdString(r.error().toString()).contains(message), r.error().toString().c_str());
            QVERIFY(!roiMask(a, W, H)); // the exporters' entry point follows the same rule
            return;
        }
        QVERIFY2(r.ok(), r ? "" : r.error().toString().c_str());
        QCOMPARE(int(r->source), expected);
        QCOMPARE(r->mask.width(), W);
        QCOMPARE(r->mask.height(), H);
        if (message.isEmpty())
            QVERIFY2(r->note.empty(), r->note.c_str());
        else
            QVERIFY2(QString::fromStdString(r->note).contains(message), r->note.c_str());
        const Gray8 g = r->mask.toGray(255);
        if (expected == int(RoiSource::Circle)) {
            QCOMPARE(int(g.at(70, 60)), 255);
            QCOMPARE(int(g.at(30, 30)), 0);
        } else {
            QCOMPARE(int(g.at(W * 3 / 8, H * 3 / 8)), 255); // inside the rectangle, whatever the source's size
            QCOMPARE(int(g.at(70, 60)), 0); // the circle lost
        }
    }

    // #16: the ROIs exported as DICOM SEG come back when the images and their SEGs are opened as a plain folder (what
    // a PACS retrieval or another viewer's export looks like): one abnormality per segment, its ROI the same pixels.
    void dicomSegExportAndImport()
    {
        const dataset::Dataset ds = openDataset(m_root);
        const fs::path out = dir() / "seg-export";
        ExportOptions opt;
        opt.format = ExportFormat::DicomSeg;
        auto r = exportDataset(ds, nullptr, out, opt);
        QVERIFY2(r.ok(), r ? "" : r.error().toString().c_str());
        QVERIFY(r->abnormalities >= 4);
        QCOMPARE(int(r->problems.size()), 0);
        // a plain folder: the mammograms with ROIs and their SEGs, no CSVs
        const fs::path folder = dir() / "seg-folder";
        fs::create_directories(folder);
        std::map<std::string, const dataset::Image*> byName;
        for (const auto& im : ds.images)
            if (!im.abnormalities.empty()) {
                const std::string name = safeFileName(im.key);
                fs::copy_file(im.path, folder / (name + ".dcm"));
                fs::copy_file(out / "seg" / (name + ".dcm"), folder / (name + ".seg.dcm"));
                byName[name + ".dcm"] = &im;
            }
        std::ofstream(folder / "stray.seg.dcm", std::ios::binary) << "DICM but not really";
        // and a structured report on the first image: attached to it (CAD marks), not taken for an image
        const std::string firstName = byName.begin()->first;
        dicom::SrFinding finding;
        finding.type = "mass";
        finding.score = 0.5;
        finding.centerX = 20;
        finding.centerY = 30;
        QVERIFY(dicom::writeFindingsSr(folder / firstName, { finding }, folder / "report.sr.dcm", {}).ok());
        const dataset::Dataset back = openDataset(folder);
        QCOMPARE(back.images.size(), byName.size()); // the SEGs are not taken for images
        size_t abnormalities = 0;
        for (const auto& im : back.images) {
            const dataset::Image* orig = byName.at(im.key);
            QCOMPARE(im.abnormalities.size(), orig->abnormalities.size());
            abnormalities += im.abnormalities.size();
            auto h = dataset::loadImage(im.path);
            QVERIFY(h.ok());
            for (size_t k = 0; k < im.abnormalities.size(); ++k) {
                const auto& a = back.abnormalities[size_t(im.abnormalities[k])];
                const auto& o = ds.abnormalities[size_t(orig->abnormalities[k])];
                QCOMPARE(a.type, o.type);
                QCOMPARE(a.pathology, o.pathology.rfind("BENIGN", 0) == 0 ? std::string("BENIGN") : o.pathology);
                QVERIFY(a.maskSegment > 0);
                auto mine = annotations::resolveRoi(a, h->image.width, h->image.height);
                auto theirs = annotations::resolveRoi(o, h->image.width, h->image.height);
                QVERIFY2(mine.ok(), mine ? "" : mine.error().toString().c_str());
                QVERIFY(theirs.ok());
                QVERIFY2(mine->mask == theirs->mask, (a.key + ": the ROI changed through the SEG").c_str());
            }
        }
        QCOMPARE(abnormalities, size_t(r->abnormalities));
        for (const auto& im : back.images)
            QCOMPARE(im.reports.size(), size_t(im.key == firstName ? 1 : 0));
        bool strayNamed = false;
        for (const auto& p : back.problems)
            strayNamed = strayNamed || p.file.find("stray.seg.dcm") != std::string::npos;
        QVERIFY(strayNamed); // a broken file is named, not fatal
    }
};

QTEST_GUILESS_MAIN(TestRoi)
#include "test_roi.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// DICOM SEG and SR written by MammoScope (#16): they read back exactly (masks bit for bit, also for frame sizes where
// DCMTK 3.6.7's own packing drops pixels), reference their source image, pass dicom3tools' dciodvfy without errors,
// and bad input is refused with the file named and nothing left behind. Real third-party SEGs (dcmqi) are read too.
#include "core/dicom/dicom.h"
#include "core/dicom/objects.h"
#include "dciodvfy.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

using namespace ms;
namespace fs = std::filesystem;

namespace
{

const fs::path kData = MS_REALDATA_DIR;

// A small MG-like source image written by our own writer (Secondary Capture, as CBIS-DDSM).
fs::path writeSource(const fs::path& dir, int w, int h, const std::string& laterality = "L")
{
    Image16 img(w, h);
    img.bitsStored = 12;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            img.at(x, y) = uint16_t((x * 37 + y * 11) % 4096);
    dicom::WriteInfo info;
    info.patientId = "P_00001";
    info.patientName = "Test^Patient";
    info.studyUid = "1.2.826.0.1.3680043.10.1.1";
    info.seriesUid = "1.2.826.0.1.3680043.10.1.2";
    info.sopInstanceUid = "1.2.826.0.1.3680043.10.1.3";
    info.laterality = laterality;
    info.view = "CC";
    const fs::path file = dir / "source.dcm";
    const auto st = dicom::write(file, img, info);
    if (!st)
        qFatal("cannot write the source image: %s", st.error().toString().c_str());
    return file;
}

} // namespace

class TestDicomObjects : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path dir() const { return fs::path(m_tmp.path().toStdString()); }

private slots:
    void segRoundTrip_data()
    {
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("height");
        QTest::newRow("64x48") << 64 << 48;
        QTest::newRow("21x22 (frames not byte-aligned)") << 21 << 22;
        QTest::newRow("9x9") << 9 << 9;
        QTest::newRow("257x255") << 257 << 255;
    }
    void segRoundTrip()
    {
        QFETCH(int, width);
        QFETCH(int, height);
        const fs::path d = dir() / ("seg-" + std::to_string(width) + "x" + std::to_string(height));
        fs::create_directories(d);
        const fs::path src = writeSource(d, width, height);
        std::vector<dicom::SegSegment> segs(2);
        segs[0].type = "mass";
        segs[0].pathology = "MALIGNANT";
        segs[0].label = "1 mass";
        segs[0].mask = RleMask::ellipse(width, height, width * 0.4, height * 0.5, width * 0.25, height * 0.2);
        segs[1].type = "calcification";
        segs[1].pathology = "BENIGN";
        segs[1].description = "curated";
        // the last pixel set: the one DCMTK's packing loses
        segs[1].mask = RleMask::polygon(
            width, height, { { width * 0.6, height * 0.6 }, { double(width), height * 0.6 }, { double(width), double(height) } })
                           .unite(RleMask::ellipse(width, height, width - 1, height - 1, 0.6, 0.6));
        QVERIFY(segs[1].mask.contains(width - 1, height - 1));
        const fs::path out = d / "out" / "seg.dcm";
        const auto st = dicom::writeSegmentation(src, segs, out, {});
        QVERIFY2(st.ok(), st ? "" : st.error().toString().c_str());
        QVERIFY(!fs::exists(out.string() + ".part"));

        auto r = dicom::readSegmentation(out);
        QVERIFY2(r.ok(), r ? "" : r.error().toString().c_str());
        QCOMPARE(r->columns, width);
        QCOMPARE(r->rows, height);
        QCOMPARE(r->referencedSopInstanceUid, std::string("1.2.826.0.1.3680043.10.1.3"));
        QCOMPARE(r->segments.size(), size_t(2));
        QCOMPARE(r->segments[0].label, std::string("1 mass"));
        QCOMPARE(r->segments[0].propertyType, std::string("Mass"));
        QVERIFY2(r->segments[0].description.find("malignant") != std::string::npos, r->segments[0].description.c_str());
        QCOMPARE(r->segments[1].propertyType, std::string("Calcification"));
        QVERIFY(r->segments[1].description.find("curated") != std::string::npos);
        for (size_t i = 0; i < 2; ++i)
            QVERIFY2(r->segments[i].mask == segs[i].mask, ("segment " + std::to_string(i + 1) + " changed on the way").c_str());

        // The header says what it is and whose it is.
        auto h = dicom::readHeader(out);
        QVERIFY(h.ok());
        QCOMPARE(h->sopClassUid, std::string("1.2.840.10008.5.1.4.1.1.66.4"));
        QCOMPARE(h->studyUid, std::string("1.2.826.0.1.3680043.10.1.1"));
        QCOMPARE(h->patientId, std::string("P_00001"));
        QVERIFY(h->seriesUid != std::string("1.2.826.0.1.3680043.10.1.2")); // a series of its own

        bool ran = false;
        const QStringList errors = test::dciodvfyErrors(out, &ran);
        if (!ran)
            QSKIP("dciodvfy (Debian package dicom3tools) is not installed: `packaging/setup.sh deps` installs it");
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
    }

    void srValidates()
    {
        const fs::path d = dir() / "sr";
        fs::create_directories(d);
        const fs::path src = writeSource(d, 120, 160, "R");
        std::vector<dicom::SrFinding> f(2);
        f[0].type = "mass";
        f[0].pathology = "malignant";
        f[0].score = 0.87;
        f[0].outline = { { 10, 10 }, { 40, 12 }, { 38, 40 }, { 12, 36 } };
        f[1].type = "suspicious region";
        f[1].score = 0.31;
        f[1].centerX = 80.5;
        f[1].centerY = 100.5;
        dicom::SrOptions o;
        o.modelName = "test model";
        o.weightsSha256 = std::string(64, 'a');
        o.imageScore = 0.73;
        const fs::path out = d / "sr.dcm";
        const auto st = dicom::writeFindingsSr(src, f, out, o);
        QVERIFY2(st.ok(), st ? "" : st.error().toString().c_str());
        auto h = dicom::readHeader(out);
        QVERIFY(h.ok());
        QCOMPARE(h->sopClassUid, std::string("1.2.840.10008.5.1.4.1.1.88.33"));
        QCOMPARE(h->modality, std::string("SR"));
        QCOMPARE(h->studyUid, std::string("1.2.826.0.1.3680043.10.1.1"));
        // the findings are in it, with the model's weights
        std::ifstream in(out, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        QVERIFY(bytes.find("weights-sha256=" + std::string(64, 'a')) != std::string::npos);
        QVERIFY(bytes.find("0.8700") != std::string::npos);
        QVERIFY(bytes.find("0.7300") != std::string::npos);
        QVERIFY(bytes.find("1.2.826.0.1.3680043.10.1.3") != std::string::npos); // the image it reports on
        // read back: what a viewer shows as CAD marks
        auto back = dicom::readFindingsSr(out);
        QVERIFY2(back.ok(), back ? "" : back.error().toString().c_str());
        QCOMPARE(back->findings.size(), size_t(2));
        QCOMPARE(back->algorithmName, std::string("test model"));
        const auto& m = back->findings[0];
        QCOMPARE(m.imageSopInstanceUid, std::string("1.2.826.0.1.3680043.10.1.3"));
        QCOMPARE(m.type, std::string("Mass"));
        QCOMPARE(m.graphicType, std::string("POLYLINE"));
        QCOMPARE(m.points.size(), size_t(5)); // closed: the first point again
        QCOMPARE(m.points[1].first, 40.0);
        QCOMPARE(m.score, 0.87);
        QVERIFY(m.pathology.find("malignant") != std::string::npos);
        QCOMPARE(back->findings[1].graphicType, std::string("CIRCLE"));
        QCOMPARE(back->findings[1].points[0].first, 80.5);
        QCOMPARE(back->imageScores.size(), size_t(1));
        QCOMPARE(back->imageScores[0].second, 0.73);
        QVERIFY(!dicom::readFindingsSr(src)); // an image is not a report
        bool ran = false;
        const QStringList errors = test::dciodvfyErrors(out, &ran);
        if (!ran)
            QSKIP("dciodvfy (Debian package dicom3tools) is not installed");
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
    }

    // A real MG header (GE, ISO_IR 192, with its own PatientOrientation) as the source.
    void realMammogramHeader()
    {
        const fs::path src = kData / "dicom" / "mg" / "MG-Im-GE-SenDS-scaled.dcm";
        if (!fs::exists(src))
            QSKIP("../shared/realdata/dicom/mg is missing");
        auto h = dicom::readHeader(src);
        QVERIFY(h.ok());
        dicom::SegSegment g;
        g.type = "mass";
        g.mask = RleMask::ellipse(h->columns, h->rows, h->columns / 2.0, h->rows / 2.0, 1.5, 1.5);
        const fs::path out = dir() / "real" / "seg.dcm";
        auto st = dicom::writeSegmentation(src, { g }, out, {});
        QVERIFY2(st.ok(), st ? "" : st.error().toString().c_str());
        auto r = dicom::readSegmentation(out);
        QVERIFY(r.ok());
        QCOMPARE(r->referencedSopInstanceUid, h->sopInstanceUid);
        QVERIFY(r->segments[0].mask == g.mask);
        dicom::SrFinding f;
        f.type = "calcification";
        f.score = 0.5;
        f.centerX = 1;
        f.centerY = 1;
        const fs::path sr = dir() / "real" / "sr.dcm";
        st = dicom::writeFindingsSr(src, { f }, sr, {});
        QVERIFY2(st.ok(), st ? "" : st.error().toString().c_str());
        bool ran = false;
        for (const auto& file : { out, sr }) {
            const QStringList errors = test::dciodvfyErrors(file, &ran);
            QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
        }
        if (!ran)
            QSKIP("dciodvfy is not installed");
    }

    void refusals()
    {
        const fs::path d = dir() / "bad";
        fs::create_directories(d);
        const fs::path src = writeSource(d, 64, 48);
        const fs::path out = d / "seg.dcm";
        dicom::SegSegment g;
        g.type = "mass";
        g.mask = RleMask::ellipse(32, 32, 10, 10, 4, 4);
        auto st = dicom::writeSegmentation(src, { g }, out, {});
        QVERIFY(!st);
        QVERIFY2(st.error().message.find("segment 1 is 32x32, the image 64x48") != std::string::npos, st.error().message.c_str());
        g.mask = RleMask(64, 48);
        st = dicom::writeSegmentation(src, { g }, out, {});
        QVERIFY(!st);
        QVERIFY2(st.error().message.find("empty") != std::string::npos, st.error().message.c_str());
        QVERIFY(!dicom::writeSegmentation(src, {}, out, {}));
        // a source that is not DICOM, and one that is not there
        const fs::path text = d / "notes.dcm";
        std::ofstream(text) << "not a DICOM file";
        g.mask = RleMask::ellipse(64, 48, 10, 10, 4, 4);
        st = dicom::writeSegmentation(text, { g }, out, {});
        QVERIFY(!st);
        QVERIFY2(st.error().toString().find("notes.dcm") != std::string::npos, st.error().toString().c_str());
        QVERIFY(!dicom::writeFindingsSr(d / "missing.dcm", {}, d / "sr.dcm", {}));
        QVERIFY(!fs::exists(out));
        QVERIFY(!fs::exists(d / "sr.dcm"));
        for (const auto& e : fs::directory_iterator(d))
            QVERIFY2(e.path().extension() != ".part", e.path().c_str());
        // reading: an image is not a SEG; a cut SEG is an error, not a crash
        auto r = dicom::readSegmentation(src);
        QVERIFY(!r);
        QVERIFY2(r.error().message.find("not a DICOM Segmentation") != std::string::npos, r.error().message.c_str());
        QVERIFY(dicom::writeSegmentation(src, { g }, out, {}).ok());
        std::string bytes;
        {
            std::ifstream in(out, std::ios::binary);
            bytes.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        }
        const fs::path cut = d / "cut.dcm";
        std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 200);
        QVERIFY(!dicom::readSegmentation(cut));
    }

    // A TID 1500 report written by another program (dcmqi): read without error (its measurements are on a SEG, not
    // image regions, so it has no CAD marks).
    void readsThirdPartyReport()
    {
        const fs::path sr = kData / "dicom" / "dcmqi" / "sr-example" / "sr.dcm";
        if (!fs::exists(sr))
            QSKIP("../shared/realdata/dicom/dcmqi is missing");
        auto r = dicom::readFindingsSr(sr);
        QVERIFY2(r.ok(), r ? "" : r.error().toString().c_str());
    }

    // SEGs written by another program (dcmqi, the reference converter): read, frames to their segments.
    void readsThirdPartySegmentations()
    {
        const fs::path seg = kData / "dicom" / "dcmqi" / "segmentations" / "23x38x3" / "seg" / "label.seg";
        if (!fs::exists(seg))
            QSKIP("../shared/realdata/dicom/dcmqi is missing");
        auto r = dicom::readSegmentation(seg);
        QVERIFY2(r.ok(), r ? "" : r.error().toString().c_str());
        QCOMPARE(r->columns, 23);
        QCOMPARE(r->rows, 38);
        QCOMPARE(r->segments.size(), size_t(1));
        QCOMPARE(r->segments[0].label, std::string("Liver"));
        QVERIFY(r->segments[0].mask.area() > 0);
        QVERIFY(r->segments[0].mask.area() < 23u * 38u);
        auto p = dicom::readSegmentation(kData / "dicom" / "dcmqi" / "segmentations" / "partial_overlaps.dcm");
        QVERIFY2(p.ok(), p ? "" : p.error().toString().c_str());
        QVERIFY(p->segments.size() >= 3);
        for (const auto& s : p->segments)
            QVERIFY2(!s.label.empty(), "a segment without its label");
    }
};

QTEST_GUILESS_MAIN(TestDicomObjects)
#include "test_dicomobjects.moc"

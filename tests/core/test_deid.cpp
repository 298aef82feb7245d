// SPDX-License-Identifier: GPL-3.0-or-later
// De-identification (#16): on real GE mammography headers and on our own image + SEG pair, names and IDs become one
// pseudonym, identifying attributes go, dates move back by one per-patient shift, UIDs are remapped consistently (a
// SEG still points at its image, two files of one study stay one study), the same key gives the same bytes, and the
// inputs are never written. dciodvfy (dicom3tools) finds no error in what comes out.
#include "core/common/sha256.h"
#include "core/dataset/dataset.h"
#include "core/dicom/deid.h"
#include "core/dicom/dicom.h"
#include "core/dicom/objects.h"
#include "dciodvfy.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <map>

using namespace ms;
namespace fs = std::filesystem;

namespace
{

const fs::path kMg = fs::path(MS_REALDATA_DIR) / "dicom/mg";
const std::string kKey = "a test key that is long enough";

std::string bytes(const fs::path& f)
{
    std::ifstream in(f, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::map<std::string, std::string> tagValues(const fs::path& f)
{
    dicom::ReadOptions o;
    o.wantTags = true;
    auto r = dicom::read(f, o);
    std::map<std::string, std::string> out;
    if (r)
        for (const auto& t : r->tags)
            if (t.depth == 0)
                out[t.tag] = t.value;
    return out;
}

} // namespace

class TestDeid : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path dir() const { return fs::path(m_tmp.path().toStdString()); }

private slots:
    void keyedFunctions()
    {
        QVERIFY(dicom::deidPseudonym(kKey, "P1").rfind("ANON-", 0) == 0);
        QCOMPARE(dicom::deidPseudonym(kKey, "P1").size(), size_t(15));
        QCOMPARE(dicom::deidPseudonym(kKey, "P1"), dicom::deidPseudonym(kKey, "P1"));
        QVERIFY(dicom::deidPseudonym(kKey, "P1") != dicom::deidPseudonym(kKey, "P2"));
        QVERIFY(dicom::deidPseudonym(kKey, "P1") != dicom::deidPseudonym(kKey + "x", "P1"));
        for (const char* id : { "", "P1", "P2", "12345" }) {
            const int s = dicom::deidDateShiftDays(kKey, id);
            QVERIFY(s >= 1 && s <= 3650);
        }
        const std::string u = dicom::deidUid(kKey, "1.2.3.4");
        QVERIFY(u.rfind("2.25.", 0) == 0 && u.size() <= 64);
        QCOMPARE(dicom::deidUid(kKey, "1.2.3.4"), u);
        QVERIFY(dicom::deidUid(kKey, "1.2.3.5") != u);
        QCOMPARE(dicom::deidUid(kKey, "1.2.840.10008.5.1.4.1.1.1.2"), std::string("1.2.840.10008.5.1.4.1.1.1.2"));
    }

    // Two real GE Senographe objects of one exam (for presentation, for processing).
    void realMammographyHeaders()
    {
        const fs::path a = kMg / "MG-Im-GE_Seno_1_ForPresentation.dcm", b = kMg / "MG-Im-GE_Seno_1_ForProcessing.dcm";
        if (!fs::exists(a) || !fs::exists(b))
            QSKIP("../shared/realdata/dicom/mg is not there");
        const std::string hashA = sha256File(a), hashB = sha256File(b);
        const auto ha = dicom::readHeader(a), hb = dicom::readHeader(b);
        QVERIFY(ha.ok() && hb.ok());
        const auto tagsIn = tagValues(a);
        const fs::path out = dir() / "ge";
        dicom::DeidOptions o;
        o.key = kKey;
        auto rep = dicom::deidentifyFiles({ a, b }, out, o);
        QVERIFY2(rep.ok(), rep.ok() ? "" : rep.error().toString().c_str());
        QCOMPARE(rep->written, size_t(2));
        QVERIFY(rep->problems.empty());
        QCOMPARE(sha256File(a), hashA); // inputs untouched
        QCOMPARE(sha256File(b), hashB);

        const std::string pseudo = dicom::deidPseudonym(kKey, ha->patientId);
        const int shift = dicom::deidDateShiftDays(kKey, ha->patientId);
        const fs::path oa = out / pseudo / (dicom::deidUid(kKey, ha->sopInstanceUid) + ".dcm");
        const fs::path ob = out / pseudo / (dicom::deidUid(kKey, hb->sopInstanceUid) + ".dcm");
        QVERIFY2(fs::exists(oa), oa.c_str());
        QVERIFY(fs::exists(ob));
        const auto da = dicom::readHeader(oa), db = dicom::readHeader(ob);
        QVERIFY(da.ok() && db.ok());
        QCOMPARE(da->patientId, pseudo);
        QCOMPARE(da->patientName, pseudo);
        QCOMPARE(da->sopClassUid, ha->sopClassUid);
        QCOMPARE(da->studyUid, dicom::deidUid(kKey, ha->studyUid));
        QCOMPARE(da->studyUid, db->studyUid); // one exam stays one study
        QVERIFY(da->studyUid != ha->studyUid);
        // what a reader needs is kept
        QCOMPARE(da->laterality, ha->laterality);
        QCOMPARE(da->view, ha->view);
        QCOMPARE(da->rows, ha->rows);
        QCOMPARE(da->windows.size(), ha->windows.size());
        // the study date moved back by the patient's shift
        QCOMPARE(ha->studyDate.size(), size_t(8));
        const QDate in = QDate::fromString(QString::fromStdString(ha->studyDate), QStringLiteral("yyyyMMdd"));
        const QDate outDate = QDate::fromString(QString::fromStdString(da->studyDate), QStringLiteral("yyyyMMdd"));
        QVERIFY(in.isValid() && outDate.isValid());
        QCOMPARE(outDate.daysTo(in), qint64(shift));
        // identifying values are gone from the bytes, and the profile is declared
        const auto tagsOut = tagValues(oa);
        QCOMPARE(QString::fromStdString(tagsOut.at("(0012,0062)")), QStringLiteral("YES"));
        QVERIFY(tagsOut.count("(0012,0063)"));
        const std::string raw = bytes(oa);
        if (tagsIn.count("(0018,1000)")) // the device serial: a dummy (Type 1 in enhanced objects)
            QVERIFY(tagsOut.at("(0018,1000)") != tagsIn.at("(0018,1000)"));
        for (const char* t : { "(0008,0080)", "(0008,1010)", "(0010,1010)", "(0008,1030)", "(0008,103e)" }) {
            QVERIFY2(!tagsOut.count(t), t);
            if (auto it = tagsIn.find(t); it != tagsIn.end() && it->second.size() >= 4)
                QVERIFY2(raw.find(it->second) == std::string::npos, it->second.c_str());
        }
        if (ha->patientId.size() >= 3)
            QVERIFY(raw.find(ha->patientId) == std::string::npos);
        for (const auto& [tag, value] : tagsOut) // no private attribute is left
            QVERIFY2(std::stoi(tag.substr(1, 4), nullptr, 16) % 2 == 0, tag.c_str());
        // the same key gives the same bytes
        auto again = dicom::deidentifyFiles({ a }, dir() / "ge2", o);
        QVERIFY(again.ok());
        QCOMPARE(sha256File(dir() / "ge2" / pseudo / oa.filename()), sha256File(oa));
        const QStringList errors = test::dciodvfyErrors(oa);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
    }

    // Our image and a SEG of it: after de-identification the SEG still references the image, and the folder opens with
    // the SEG as the image's abnormality.
    void segStillPointsAtItsImage()
    {
        Image16 img(64, 80);
        img.bitsStored = 12;
        for (int y = 0; y < img.height; ++y)
            for (int x = 0; x < img.width; ++x)
                img.at(x, y) = uint16_t((x * 13 + y * 5) % 4096);
        dicom::WriteInfo info;
        info.patientId = "MRN-7731";
        info.patientName = "Doe^Jane";
        info.studyUid = "1.2.826.0.1.3680043.10.543.20";
        info.seriesUid = info.studyUid + ".1";
        info.sopInstanceUid = info.studyUid + ".1.1";
        info.laterality = "R";
        info.view = "MLO";
        info.studyDate = "20240301";
        fs::create_directories(dir() / "in");
        const fs::path image = dir() / "in/Doe_Jane_R_MLO.dcm", seg = dir() / "in/Doe_Jane_R_MLO_seg.dcm";
        QVERIFY(dicom::write(image, img, info).ok());
        const RleMask mask = RleMask::ellipse(64, 80, 30, 40, 8, 6);
        QVERIFY(dicom::writeSegmentation(image, { { "mass", "BENIGN", "", "", "", "", mask } }, seg, {}).ok());
        // Our writer keeps CBIS-DDSM's view in Patient Orientation, which dciodvfy calls an error: de-identification may
        // add no error of its own.
        const QStringList imageErrorsBefore = test::dciodvfyErrors(image);

        dicom::DeidOptions o;
        o.key = kKey;
        auto rep = dicom::deidentifyFolder(dir() / "in", dir() / "out", o);
        QVERIFY2(rep.ok(), rep.ok() ? "" : rep.error().toString().c_str());
        QCOMPARE(rep->written, size_t(2));
        const fs::path patient = dir() / "out" / dicom::deidPseudonym(kKey, "MRN-7731");
        QVERIFY(fs::is_directory(patient));
        std::string imageUid;
        fs::path segOut;
        for (const auto& e : fs::directory_iterator(patient)) {
            const std::string raw = bytes(e.path());
            for (const char* phi : { "MRN-7731", "Doe", "Jane", "20240301" })
                QVERIFY2(raw.find(phi) == std::string::npos, phi);
            const auto h = dicom::readHeader(e.path());
            QVERIFY(h.ok());
            if (h->sopClassUid == "1.2.840.10008.5.1.4.1.1.66.4")
                segOut = e.path();
            else
                imageUid = h->sopInstanceUid;
            for (const QString& error : test::dciodvfyErrors(e.path()))
                QVERIFY2(h->sopClassUid != "1.2.840.10008.5.1.4.1.1.66.4" ? imageErrorsBefore.contains(error) : false, qPrintable(error));
        }
        QVERIFY(!segOut.empty() && !imageUid.empty());
        const auto s = dicom::readSegmentation(segOut);
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().toString().c_str());
        QCOMPARE(s->referencedSopInstanceUid, imageUid);
        QVERIFY(s->segments.size() == 1 && s->segments[0].mask == mask);
        const auto ds = dataset::open(dir() / "out");
        QVERIFY(ds.ok());
        QCOMPARE(ds->images.size(), size_t(1));
        QCOMPARE(ds->abnormalities.size(), size_t(1));
        QCOMPARE(ds->images[0].side, std::string("RIGHT"));
    }

    void refusals()
    {
        dicom::DeidOptions shortKey;
        shortKey.key = "short";
        QVERIFY(!dicom::deidentifyFolder(dir() / "in", dir() / "x", shortKey).ok());
        dicom::DeidOptions o;
        o.key = kKey;
        // the output inside the input (or the reverse) is refused before anything is written
        QVERIFY(!dicom::deidentifyFolder(dir() / "in", dir() / "in/out", o).ok());
        QVERIFY(!fs::exists(dir() / "in/out"));
        QVERIFY(!dicom::deidentifyFolder(dir(), dir() / "in", o).ok());
        // a file that is not DICOM is left out and named
        fs::create_directories(dir() / "mixed");
        std::ofstream(dir() / "mixed/notes.txt") << "Jane Doe, MRN-7731";
        auto rep = dicom::deidentifyFolder(dir() / "mixed", dir() / "mixed-out", o);
        QVERIFY(rep.ok());
        QCOMPARE(rep->written, size_t(0));
        QCOMPARE(rep->problems.size(), size_t(1));
        QVERIFY(rep->problems[0].find("notes.txt") != std::string::npos);
        // a truncated real file (DCMTK: premature end of stream) is a named problem, not a crash, and nothing is written
        auto bad = dicom::deidentifyFiles({ kMg / "MG-Im-Hologic-PropProj.dcm" }, dir() / "bad-out", o);
        QVERIFY(bad.ok());
        QCOMPARE(bad->written, size_t(0));
        QCOMPARE(bad->problems.size(), size_t(1));
        QVERIFY(bad->problems[0].find("MG-Im-Hologic-PropProj.dcm") != std::string::npos);
        QVERIFY(!fs::exists(dir() / "bad-out") || fs::is_empty(dir() / "bad-out"));
    }

    // A SOP Instance UID in DICOM's own root is kept as it is; when it is not a plain UID it must not name the file
    // (a crafted one would write outside the output folder).
    void hostileUidNamesNoPath()
    {
        Image16 img(16, 16);
        img.bitsStored = 12;
        dicom::WriteInfo info;
        info.patientId = "P9";
        info.studyUid = "1.2.826.0.1.3680043.10.543.30";
        info.seriesUid = info.studyUid + ".1";
        info.sopInstanceUid = "1.2.840.10008.1/../../../escaped";
        fs::create_directories(dir() / "hostile");
        QVERIFY(dicom::write(dir() / "hostile/x.dcm", img, info).ok());
        QCOMPARE(dicom::readHeader(dir() / "hostile/x.dcm")->sopInstanceUid, info.sopInstanceUid);
        dicom::DeidOptions o;
        o.key = kKey;
        auto rep = dicom::deidentifyFolder(dir() / "hostile", dir() / "hostile-out", o);
        QVERIFY(rep.ok());
        QCOMPARE(rep->written, size_t(1));
        QVERIFY(!fs::exists(dir() / "escaped.dcm"));
        const fs::path patient = dir() / "hostile-out" / dicom::deidPseudonym(kKey, "P9");
        QVERIFY(fs::is_directory(patient));
        const auto files = std::distance(fs::directory_iterator(patient), fs::directory_iterator());
        QCOMPARE(files, 1);
        QVERIFY(fs::directory_iterator(patient)->path().filename().string().rfind("object-", 0) == 0);
    }

    // This account's key: made once, readable by its owner only, never replaced (earlier exports hang on it).
    void accountKey()
    {
        const QByteArray old = qgetenv("MAMMOSCOPE_DATA_DIR");
        qputenv("MAMMOSCOPE_DATA_DIR", QByteArray::fromStdString((dir() / "data").string()));
        qunsetenv("MAMMOSCOPE_DEID_KEY");
        bool made = false;
        auto k1 = dicom::deidKey(std::nullopt, &made);
        QVERIFY2(k1.ok(), k1.ok() ? "" : k1.error().toString().c_str());
        QVERIFY(made);
        QVERIFY(k1->size() >= 32);
        const fs::path f = dir() / "data/deid-key";
        QCOMPARE(fs::status(f).permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
        auto k2 = dicom::deidKey(std::nullopt, &made);
        QVERIFY(k2.ok() && !made);
        QCOMPARE(*k2, *k1);
        std::ofstream(f) << "short\n"; // damaged: an error, and the file is left as it is
        QVERIFY(!dicom::deidKey(std::nullopt, &made).ok());
        QCOMPARE(bytes(f), std::string("short\n"));
        old.isNull() ? qunsetenv("MAMMOSCOPE_DATA_DIR") : qputenv("MAMMOSCOPE_DATA_DIR", old);
    }
};

QTEST_GUILESS_MAIN(TestDeid)
#include "test_deid.moc"

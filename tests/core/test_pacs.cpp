// SPDX-License-Identifier: GPL-3.0-or-later
// A PACS over DIMSE (#16), against a real Orthanc started here on 127.0.0.1 with a temporary configuration and
// storage (stopped after; the test skips, saying why, when Orthanc is not installed or does not start): C-ECHO,
// C-STORE of a 4-view study, C-FIND by patient, date and modality, C-GET of the study into a folder that opens as a
// dataset, a SEG written for a retrieved image sent back and found again, and the failures a user meets (closed
// port, unknown AE or study, cancellation, a study over the retrieve limit, bad keys), none leaving a partial folder.
#include "core/dataset/dataset.h"
#include "core/dicom/dicom.h"
#include "core/dicom/dicomweb.h"
#include "core/dicom/objects.h"
#include "core/dicom/pacs.h"
#include "core/runs/launch.h"
#include "orthancserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

using namespace ms;
namespace fs = std::filesystem;

namespace
{

const char* const kStudy = "1.2.826.0.1.3680043.10.543.1";

// Cancels at the first report.
class CancelAtOnce : public Progress
{
public:
    bool cancelled() const override { return m_reports > 0; }
    void report(double, std::string_view) override { ++m_reports; }

private:
    int m_reports = 0;
};

std::vector<fs::path> hiddenEntries(const fs::path& dir)
{
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().filename().string().front() == '.')
            out.push_back(e.path());
    return out;
}

} // namespace

class TestPacs : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::unique_ptr<test::OrthancServer> m_orthanc;
    QString m_skip;
    dicom::PacsNode m_node;
    std::vector<fs::path> m_sources;

    fs::path dir() const { return fs::path(m_tmp.path().toStdString()); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_orthanc = std::make_unique<test::OrthancServer>(dir());
        m_skip = m_orthanc->skipReason();
        if (!m_skip.isEmpty())
            return;
        m_node = m_orthanc->node();
        m_sources = test::writeFourViewStudy(dir() / "src", kStudy, "PACS_0001", "Pacs^Test");
        QCOMPARE(m_sources.size(), size_t(4));
    }

    void cleanupTestCase() { m_orthanc.reset(); }

    void nodeAndQueryAreChecked()
    {
        dicom::PacsNode n;
        n.port = 0;
        QVERIFY(!dicom::validatePacsNode(n));
        n.port = 104;
        n.calledAe = "A\\B";
        QVERIFY(!dicom::validatePacsNode(n));
        n.calledAe = "THIS_AE_IS_TOO_LONG";
        QVERIFY(!dicom::validatePacsNode(n));
        n.calledAe = "ORTHANC";
        n.host = "host; rm -rf /";
        QVERIFY(!dicom::validatePacsNode(n));
        n.host = "pacs.example.org";
        QVERIFY(dicom::validatePacsNode(n).ok());

        dicom::StudyQuery q;
        QVERIFY(dicom::validateStudyQuery(q).ok());
        q.studyDate = "2024-03-15";
        const Status bad = dicom::validateStudyQuery(q);
        QVERIFY(!bad);
        QVERIFY(bad.error().message.find("study date") != std::string::npos);
        for (const char* ok : { "20240315", "20240101-20241231", "-20231231", "20230101-" }) {
            q.studyDate = ok;
            QVERIFY2(dicom::validateStudyQuery(q).ok(), ok);
        }
        q.studyDate.clear();
        q.patientId = "A\\B";
        QVERIFY(!dicom::validateStudyQuery(q));
        q.patientId.clear();
        q.studyInstanceUid = "../../etc";
        QVERIFY(!dicom::validateStudyQuery(q));
        QCOMPARE(dicom::studyFolderName("1.2.3"), std::string("1.2.3"));
        QVERIFY(dicom::studyFolderName("../x").find('/') == std::string::npos);
    }

    void unreachableNodesAreNamedErrors()
    {
        dicom::PacsNode closed;
        closed.port = runs::freeLoopbackPort();
        closed.timeoutSeconds = 3;
        const Status s = dicom::pacsEcho(closed);
        QVERIFY(!s);
        QVERIFY2(s.error().message.find(std::to_string(closed.port)) != std::string::npos, s.error().message.c_str());
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        dicom::PacsNode wrongAe = m_node;
        wrongAe.calledAe = "NOT_ORTHANC";
        QVERIFY(!dicom::pacsEcho(wrongAe));
        dicom::PacsNode stranger = m_node;
        stranger.callingAe = "STRANGER"; // not among Orthanc's modalities
        const auto found = dicom::pacsFindStudies(stranger, {});
        QVERIFY(!found.ok());
    }

    void sendFindRetrieveOpen()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        QVERIFY(dicom::pacsEcho(m_node).ok());

        // Send the 4 views and one file that is not DICOM: that one is a problem, not the end.
        std::vector<fs::path> files = m_sources;
        const fs::path junk = dir() / "src/notes.txt";
        std::ofstream(junk) << "not a DICOM file";
        files.push_back(junk);
        const auto sent = dicom::pacsSend(m_node, files);
        QVERIFY2(sent.ok(), sent.ok() ? "" : sent.error().toString().c_str());
        QCOMPARE(sent->sent, size_t(4));
        QCOMPARE(sent->problems.size(), size_t(1));
        QVERIFY(sent->problems[0].find("notes.txt") != std::string::npos);

        // Find it by patient ID, by date range and modality; not by another date or modality.
        dicom::StudyQuery q;
        q.patientId = "PACS_0001";
        auto found = dicom::pacsFindStudies(m_node, q);
        QVERIFY2(found.ok(), found.ok() ? "" : found.error().toString().c_str());
        QCOMPARE(found->studies.size(), size_t(1));
        const dicom::StudyMatch& m = found->studies[0];
        QCOMPARE(m.studyInstanceUid, std::string(kStudy));
        QCOMPARE(m.patientName, std::string("Pacs^Test"));
        QCOMPARE(m.studyDate, std::string("20240315"));
        QCOMPARE(m.instances, 4);
        QVERIFY(m.modalities.find("MG") != std::string::npos);
        q.patientId = "PACS_*";
        q.studyDate = "20240101-20241231";
        QCOMPARE(dicom::pacsFindStudies(m_node, q)->studies.size(), size_t(1));
        q.studyDate = "-20231231";
        QCOMPARE(dicom::pacsFindStudies(m_node, q)->studies.size(), size_t(0));
        q.studyDate.clear();
        q.modality = "CT";
        QCOMPARE(dicom::pacsFindStudies(m_node, q)->studies.size(), size_t(0));

        // Retrieve with C-GET into a folder: the same 4 objects, pixel for pixel; it opens as a dataset.
        const fs::path root = dir() / "retrieved";
        auto got = dicom::pacsRetrieveStudy(m_node, kStudy, root);
        QVERIFY2(got.ok(), got.ok() ? "" : got.error().toString().c_str());
        QCOMPARE(got->files, size_t(4));
        QCOMPARE(got->folder, root / kStudy);
        QVERIFY(!got->replaced);
        QVERIFY(hiddenEntries(root).empty());
        std::set<std::string> uids;
        for (const auto& e : fs::directory_iterator(got->folder)) {
            const auto h = dicom::readHeader(e.path());
            QVERIFY2(h.ok(), e.path().c_str());
            uids.insert(h->sopInstanceUid);
            const auto img = dicom::read(e.path());
            QVERIFY(img.ok());
            const int i = int(h->sopInstanceUid.back() - '1');
            QCOMPARE(img->image.width, 96 + 8 * i);
            QCOMPARE(int(img->image.at(5, 7)), (5 * 31 + 7 * 7 + i * 100) % 4096);
        }
        QCOMPARE(uids.size(), size_t(4));
        const auto ds = dataset::open(got->folder);
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(ds->images.size(), size_t(4));

        // A SEG for one retrieved image goes back to the PACS, and comes back with the study.
        const fs::path image = *std::find_if(fs::directory_iterator(got->folder), fs::directory_iterator(),
            [](const auto& e) { return dicom::readHeader(e.path())->sopInstanceUid == std::string(kStudy) + ".1.1"; });
        const RleMask mask = RleMask::ellipse(96, 128, 40, 50, 10, 10);
        const fs::path seg = dir() / "seg.dcm";
        const Status wrote = dicom::writeSegmentation(image, { { "mass", "MALIGNANT", "", "", "", "", mask } }, seg, {});
        QVERIFY2(wrote.ok(), wrote.ok() ? "" : wrote.error().toString().c_str());
        const auto sentSeg = dicom::pacsSend(m_node, { seg });
        QVERIFY(sentSeg.ok());
        QCOMPARE(sentSeg->sent, size_t(1));
        q = {};
        q.studyInstanceUid = kStudy;
        q.modality.clear();
        found = dicom::pacsFindStudies(m_node, q);
        QVERIFY(found.ok());
        QCOMPARE(found->studies.size(), size_t(1));
        QCOMPARE(found->studies[0].instances, 5);
        got = dicom::pacsRetrieveStudy(m_node, kStudy, root);
        QVERIFY2(got.ok(), got.ok() ? "" : got.error().toString().c_str());
        QCOMPARE(got->files, size_t(5));
        QVERIFY(got->replaced);
        QVERIFY(hiddenEntries(root).empty());
        int segs = 0;
        for (const auto& e : fs::directory_iterator(got->folder)) {
            const auto r = dicom::readSegmentation(e.path());
            if (r.ok()) {
                ++segs;
                QCOMPARE(r->referencedSopInstanceUid, std::string(kStudy) + ".1.1");
                QCOMPARE(r->segments.size(), size_t(1));
                QVERIFY(r->segments[0].mask == mask);
            }
        }
        QCOMPARE(segs, 1);
        // The dataset reads the SEG as the image's abnormality.
        const auto ds2 = dataset::open(got->folder);
        QVERIFY(ds2.ok());
        QCOMPARE(ds2->images.size(), size_t(4));
        QCOMPARE(ds2->abnormalities.size(), size_t(1));
    }

    // What a DICOMweb server sends, parsed without a server: multipart bodies and QIDO JSON, odd but legal forms
    // and broken ones.
    void dicomWebParsers()
    {
        QCOMPARE(dicom::multipartBoundary("multipart/related; type=\"application/dicom\"; boundary=abc123"), std::string("abc123"));
        QCOMPARE(dicom::multipartBoundary("multipart/related;boundary=\"a b;c\";type=application/dicom"), std::string("a b;c"));
        QCOMPARE(dicom::multipartBoundary("Multipart/Related; BOUNDARY = xyz ; type=x"), std::string("xyz"));
        QCOMPARE(dicom::multipartBoundary("application/dicom"), std::string());
        QCOMPARE(dicom::multipartBoundary("multipart/related; boundary=\"unterminated"), std::string());

        const std::string body = "preamble\r\n--B\r\nContent-Type: application/dicom\r\n\r\nFIRST\r\n--B\r\n"
                                 "Content-Location: x\r\ncontent-type:  application/dicom\r\n\r\nSEC\r\nOND\r\n--B--\r\nepilogue";
        auto parts = dicom::parseMultipart(body, "B");
        QVERIFY(parts.ok());
        QCOMPARE(parts->size(), size_t(2));
        QCOMPARE(std::string((*parts)[0].body), std::string("FIRST"));
        QCOMPARE((*parts)[1].contentType, std::string("application/dicom"));
        QCOMPARE(std::string((*parts)[1].body), std::string("SEC\r\nOND"));
        QVERIFY(dicom::parseMultipart("--B\r\n\r\nno headers\r\n--B--", "B").ok());
        QVERIFY(!dicom::parseMultipart("--B\r\nContent-Type: application/dicom\r\n\r\ncut short", "B").ok());
        QVERIFY(!dicom::parseMultipart("no boundary here", "B").ok());
        QVERIFY(!dicom::parseMultipart("--B\r\nContent-Type: a", "B").ok());
        QVERIFY(!dicom::parseMultipart(body, "").ok());

        const std::string qido = R"([{"0020000D":{"vr":"UI","Value":["1.2.3"]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^Jane"}]},
            "00201208":{"vr":"IS","Value":[4]},"00080061":{"vr":"CS","Value":["MG","SR"]}},
            {"0020000D":{"vr":"UI","Value":["../../etc"]}}, {"00100020":{"vr":"LO"}}, 7])";
        auto studies = dicom::parseQidoStudies(qido);
        QVERIFY(studies.ok());
        QCOMPARE(studies->size(), size_t(1)); // the entry with a path for a UID, and the ones without a UID, are left out
        QCOMPARE((*studies)[0].patientName, std::string("Doe^Jane"));
        QCOMPARE((*studies)[0].instances, 4);
        QCOMPARE((*studies)[0].series, -1);
        QCOMPARE((*studies)[0].modalities, std::string("MG\\SR"));
        QVERIFY(dicom::parseQidoStudies("").ok()); // 204 No Content
        QVERIFY(!dicom::parseQidoStudies("<html>login</html>").ok());
        QVERIFY(!dicom::parseQidoStudies(R"({"not":"an array"})").ok());
        auto inst = dicom::parseQidoInstances(R"([{"0020000E":{"vr":"UI","Value":["1.2"]},"00080018":{"vr":"UI","Value":["1.2.1"]}}])");
        QVERIFY(inst.ok());
        QCOMPARE(inst->size(), size_t(1));
        // an instance whose UID is a path cannot be fetched: the study would not arrive whole, so the listing is refused
        QVERIFY(!dicom::parseQidoInstances(R"([{"0020000E":{"vr":"UI","Value":["1.2"]},"00080018":{"vr":"UI","Value":["1.2.1"]}},
            {"0020000E":{"vr":"UI","Value":["1.2"]},"00080018":{"vr":"UI","Value":["1.2.1/../x"]}}])")
                     .ok());

        QCOMPARE(
            dicom::displayUrl("https://user:pw@pacs.example.org:8443/dicom-web"), std::string("https://pacs.example.org:8443/dicom-web"));
        QCOMPARE(dicom::displayUrl("http://127.0.0.1:8042/dicom-web"), std::string("http://127.0.0.1:8042/dicom-web"));
        dicom::WebNode w;
        QVERIFY(dicom::validateWebNode(w).ok());
        w.baseUrl = "file:///etc/passwd";
        QVERIFY(!dicom::validateWebNode(w));
        w.baseUrl = "http://user:pw@host/dicom-web";
        QVERIFY(!dicom::validateWebNode(w));
        w.baseUrl = "http://host/dicom web";
        QVERIFY(!dicom::validateWebNode(w));
        // credentials in clear only to this machine
        w.baseUrl = "http://pacs.example.org/dicom-web";
        w.user = "reader";
        QVERIFY(!dicom::validateWebNode(w));
        w.baseUrl = "https://pacs.example.org/dicom-web";
        QVERIFY(dicom::validateWebNode(w).ok());
        w.baseUrl = "http://127.0.0.1:8042/dicom-web";
        QVERIFY(dicom::validateWebNode(w).ok());
    }

    // The same Orthanc over DICOMweb (its plugin): QIDO-RS finds what DIMSE stored, WADO-RS retrieves the study (the 4
    // views and the SEG), STOW-RS stores a second study that C-FIND then finds; a wrong password is a named error that
    // does not repeat the password.
    void dicomWeb()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        if (!m_orthanc->hasDicomWeb())
            QSKIP("Orthanc's DICOMweb plugin (Debian package orthanc-dicomweb) is not installed");
        const dicom::WebNode web = m_orthanc->webNode();
        dicom::StudyQuery q;
        q.patientId = "PACS_0001";
        auto found = dicom::webFindStudies(web, q);
        QVERIFY2(found.ok(), found.ok() ? "" : found.error().toString().c_str());
        QCOMPARE(found->studies.size(), size_t(1));
        QCOMPARE(found->studies[0].studyInstanceUid, std::string(kStudy));
        QCOMPARE(found->studies[0].patientName, std::string("Pacs^Test"));
        QCOMPARE(found->studies[0].instances, 5);
        q.studyDate = "-20231231";
        QCOMPARE(dicom::webFindStudies(web, q)->studies.size(), size_t(0));

        const fs::path root = dir() / "web";
        auto got = dicom::webRetrieveStudy(web, kStudy, root);
        QVERIFY2(got.ok(), got.ok() ? "" : got.error().toString().c_str());
        QCOMPARE(got->files, size_t(5));
        QVERIFY(hiddenEntries(root).empty());
        const auto ds = dataset::open(got->folder);
        QVERIFY(ds.ok());
        QCOMPARE(ds->images.size(), size_t(4));
        QCOMPARE(ds->abnormalities.size(), size_t(1));
        dicom::RetrieveLimits two;
        two.maxFiles = 2;
        QVERIFY(!dicom::webRetrieveStudy(web, kStudy, dir() / "web-limited", two).ok());
        QVERIFY(!fs::exists(dir() / "web-limited") || fs::is_empty(dir() / "web-limited"));
        QVERIFY(!dicom::webRetrieveStudy(web, "1.2.3.4.5.6.7.8", dir() / "web-unknown").ok());

        const std::string second = "1.2.826.0.1.3680043.10.543.2";
        const auto files = test::writeFourViewStudy(dir() / "src-web", second, "PACS_0003", "Web^Sent");
        QCOMPARE(files.size(), size_t(4));
        auto sent = dicom::webSend(web, { files[0], files[1], files[2], files[3], dir() / "src/notes.txt" });
        QVERIFY2(sent.ok(), sent.ok() ? "" : sent.error().toString().c_str());
        QCOMPARE(sent->sent, size_t(4));
        QCOMPARE(sent->problems.size(), size_t(1));
        dicom::StudyQuery q3;
        q3.patientId = "PACS_0003";
        auto viaDimse = dicom::pacsFindStudies(m_node, q3);
        QVERIFY(viaDimse.ok());
        QCOMPARE(viaDimse->studies.size(), size_t(1));
        QCOMPARE(viaDimse->studies[0].instances, 4);

        dicom::WebNode wrong = web;
        wrong.password = "not-the-password";
        auto refused = dicom::webFindStudies(wrong, {});
        QVERIFY(!refused.ok());
        QVERIFY2(refused.error().message.find("401") != std::string::npos, refused.error().message.c_str());
        QVERIFY(refused.error().message.find("not-the-password") == std::string::npos);
        dicom::WebNode closed = web;
        closed.baseUrl = "http://127.0.0.1:" + std::to_string(runs::freeLoopbackPort()) + "/dicom-web";
        closed.timeoutSeconds = 3;
        dicom::StudyQuery secret;
        secret.patientName = "Secretname^Jane";
        secret.patientId = "MRN-555";
        auto nobody = dicom::webFindStudies(closed, secret);
        QVERIFY(!nobody.ok());
        QVERIFY2(nobody.error().message.find("127.0.0.1") != std::string::npos, nobody.error().message.c_str());
        // the search keys (a patient's name and ID) are part of the request's URL, never of the message
        QVERIFY2(nobody.error().message.find("Secretname") == std::string::npos, nobody.error().message.c_str());
        QVERIFY(nobody.error().message.find("MRN-555") == std::string::npos);
    }

    // mammoscope-cli pacs, as a script would use it (after sendFindRetrieveOpen: the study holds 4 views and a SEG).
    void commandLine()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        const QString port = QString::number(m_node.port);
        auto run = [](const QStringList& args, int& rc, QString& err) {
            QProcess p;
            p.start(QStringLiteral(MS_CLI_PATH), args);
            p.waitForFinished(60000);
            rc = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
            err = QString::fromUtf8(p.readAllStandardError());
            return QString::fromUtf8(p.readAllStandardOutput());
        };
        int rc = 0;
        QString err;
        QString out = run({ "pacs", "echo", "--port", port }, rc, err);
        QCOMPARE(rc, 0);
        QVERIFY(out.contains(QLatin1String("answers C-ECHO")));

        out = run({ "pacs", "find", "--port", port, "--patient-id", "PACS_0001", "--modality", "any", "--json" }, rc, err);
        QCOMPARE(rc, 0);
        const QJsonObject found = QJsonDocument::fromJson(out.toUtf8()).object();
        QCOMPARE(found.value("studies").toArray().size(), 1);
        const QJsonObject study = found.value("studies").toArray().at(0).toObject();
        QCOMPARE(study.value("study_uid").toString(), QString::fromLatin1(kStudy));
        QCOMPARE(study.value("instances").toInt(), 5);
        QCOMPARE(found.value("truncated").toBool(), false);

        const QString root = QString::fromStdString((dir() / "cli-get").string());
        out = run({ "pacs", "get", "--port", port, "--study", kStudy, "--out", root }, rc, err);
        QCOMPARE(rc, 0);
        const fs::path folder = out.trimmed().toStdString();
        QCOMPARE(folder, dir() / "cli-get" / kStudy);
        QCOMPARE(std::distance(fs::directory_iterator(folder), fs::directory_iterator()), 5);

        // send: a folder with a file that is not DICOM: the rest is sent, the exit code says not all.
        out = run({ "pacs", "send", "--port", port, QString::fromStdString((dir() / "src").string()) }, rc, err);
        QCOMPARE(rc, 3);
        QVERIFY2(out.contains(QLatin1String("4 of 5 files sent")), qPrintable(out));
        QVERIFY(err.contains(QLatin1String("notes.txt")));

        // The same over DICOMweb, the password from a file (never on the command line), and a wrong one refused
        // without being repeated.
        if (m_orthanc->hasDicomWeb()) {
            const dicom::WebNode& w = m_orthanc->webNode();
            const QString pw = QString::fromStdString((dir() / "pw.txt").string()),
                          badPw = QString::fromStdString((dir() / "bad.txt").string());
            std::ofstream(pw.toStdString()) << w.password << "\n";
            std::ofstream(badPw.toStdString()) << "wrong-password-123\n";
            const QStringList webArgs = { "--url", QString::fromStdString(w.baseUrl), "--user", QString::fromStdString(w.user) };
            out = run(QStringList { "pacs", "find", "--patient-id", "PACS_0001", "--json", "--password-file", pw } + webArgs, rc, err);
            QCOMPARE(rc, 0);
            QCOMPARE(QJsonDocument::fromJson(out.toUtf8()).object().value("studies").toArray().size(), 1);
            out = run(QStringList { "pacs", "get", "--study", kStudy, "--out", root + "-web", "--password-file", pw } + webArgs, rc, err);
            QCOMPARE(rc, 0);
            QCOMPARE(std::distance(fs::directory_iterator(out.trimmed().toStdString()), fs::directory_iterator()), 5);
            run(QStringList { "pacs", "echo", "--password-file", badPw } + webArgs, rc, err);
            QCOMPARE(rc, 1);
            QVERIFY2(err.contains(QLatin1String("401")), qPrintable(err));
            QVERIFY(!err.contains(QLatin1String("wrong-password-123")));
        }

        // Refusals name what is wrong; nothing is retrieved for them.
        run({ "pacs", "find", "--port", port, "--date", "2024-03-15" }, rc, err);
        QCOMPARE(rc, 1);
        QVERIFY2(err.contains(QLatin1String("study date")), qPrintable(err));
        run({ "pacs", "echo", "--port", "70000" }, rc, err);
        QCOMPARE(rc, 2);
        QVERIFY(err.contains(QLatin1String("--port")));
        const QString closed = QString::number(runs::freeLoopbackPort());
        run({ "pacs", "get", "--port", closed, "--timeout", "3", "--study", kStudy, "--out", root + "-closed" }, rc, err);
        QCOMPARE(rc, 1);
        QVERIFY2(err.contains(closed), qPrintable(err));
        QVERIFY(!fs::exists(dir() / "cli-get-closed") || fs::is_empty(dir() / "cli-get-closed"));
    }

    void failedRetrievesLeaveNothing()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        const fs::path root = dir() / "failed";
        // An unknown study.
        auto got = dicom::pacsRetrieveStudy(m_node, "1.2.3.4.5.6.7", root);
        QVERIFY(!got.ok());
        QVERIFY(fs::is_empty(root));
        // A study over the limit.
        dicom::RetrieveLimits one;
        one.maxFiles = 1;
        got = dicom::pacsRetrieveStudy(m_node, kStudy, root, one);
        QVERIFY(!got.ok());
        QVERIFY2(got.error().message.find("limit") != std::string::npos, got.error().message.c_str());
        QVERIFY(fs::is_empty(root));
        // Cancelled.
        CancelAtOnce cancel;
        got = dicom::pacsRetrieveStudy(m_node, kStudy, root, {}, cancel);
        QVERIFY(!got.ok());
        QVERIFY(got.error().message.find("cancelled") != std::string::npos);
        QVERIFY(fs::is_empty(root));
        // A bad UID never reaches the PACS, or the file system.
        got = dicom::pacsRetrieveStudy(m_node, "../../etc", root);
        QVERIFY(!got.ok());
        QVERIFY(fs::is_empty(root));
        // The PACS still answers after all that.
        QVERIFY(dicom::pacsEcho(m_node).ok());
    }
};

QTEST_GUILESS_MAIN(TestPacs)
#include "test_pacs.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// A real Orthanc for the PACS tests: started on 127.0.0.1 on free ports with a temporary configuration and storage,
// our AE title (MAMMOSCOPE) registered for C-ECHO/C-FIND/C-GET/C-STORE, stopped by the destructor. When Orthanc is
// not installed or does not answer C-ECHO within 20 s, skipReason() says why (the tests QSKIP with it).
#pragma once

#include "core/dicom/dicom.h"
#include "core/dicom/dicomweb.h"
#include "core/dicom/pacs.h"
#include "core/runs/launch.h"

#include <QProcess>
#include <QStandardPaths>
#include <QString>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

namespace ms::test
{

class OrthancServer
{
public:
    explicit OrthancServer(const std::filesystem::path& workDir)
    {
        namespace fs = std::filesystem;
        QString exe = QStandardPaths::findExecutable(QStringLiteral("Orthanc"));
        if (exe.isEmpty())
            exe = QStandardPaths::findExecutable(
                QStringLiteral("Orthanc"), { QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin") });
        if (exe.isEmpty()) {
            m_skip = QStringLiteral("Orthanc is not installed (packaging/setup.sh test-deps installs it)");
            return;
        }
        const int dicomPort = runs::freeLoopbackPort(), httpPort = runs::freeLoopbackPort();
        if (dicomPort <= 0 || httpPort <= 0 || dicomPort == httpPort) {
            m_skip = QStringLiteral("no free loopback port for Orthanc");
            return;
        }
        const fs::path storage = workDir / "orthanc-storage", logs = workDir / "orthanc-logs";
        fs::create_directories(storage);
        fs::create_directories(logs);
        m_log = workDir / "orthanc-stdout.txt";
        const fs::path config = workDir / "orthanc.json";
        std::ofstream(config) << "{\n  \"Name\": \"MammoScopeTest\",\n  \"StorageDirectory\": \"" << storage.string()
                              << "\",\n  \"IndexDirectory\": \"" << storage.string() << "\",\n  \"HttpPort\": " << httpPort
                              << ",\n  \"DicomPort\": " << dicomPort << R"(,
  "DicomAet": "ORTHANC",
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": true,
  "RegisteredUsers": { "reader": "mammo-test-pw" },
  "DicomCheckCalledAet": true,
  "DicomModalities": { "mammoscope": { "AET": "MAMMOSCOPE", "Host": "127.0.0.1", "Port": 1, "AllowEcho": true,
    "AllowFind": true, "AllowGet": true, "AllowMove": true, "AllowStore": true } },
  "DicomAlwaysAllowEcho": false,
  "DicomAlwaysAllowStore": false,
  "UnknownSopClassAccepted": true,
  "StorageCompression": false,
  "SaveJobs": false,
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" },
  "Plugins": [ )" << (fs::exists(kDicomWebPlugin) ? "\"" + std::string(kDicomWebPlugin) + "\"" : std::string())
                              << R"( ]
})";
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.setStandardOutputFile(QString::fromStdString(m_log.string()));
        m_process.start(
            exe, { QString::fromStdString(config.string()), QStringLiteral("--logdir=") + QString::fromStdString(logs.string()) });
        if (!m_process.waitForStarted(10000)) {
            m_skip = QStringLiteral("Orthanc did not start: ") + m_process.errorString();
            return;
        }
        m_node.port = dicomPort;
        m_node.timeoutSeconds = 10;
        m_web.baseUrl = "http://127.0.0.1:" + std::to_string(httpPort) + "/dicom-web";
        m_web.user = "reader";
        m_web.password = "mammo-test-pw";
        m_web.timeoutSeconds = 10;
        m_hasWeb = fs::exists(kDicomWebPlugin);
        for (int i = 0; i < 100 && m_process.state() == QProcess::Running; ++i) {
            if (dicom::pacsEcho(m_node))
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        std::ifstream log(m_log);
        const std::string text((std::istreambuf_iterator<char>(log)), {});
        m_skip = QStringLiteral("Orthanc did not answer C-ECHO on 127.0.0.1:%1 within 20 s: %2")
                     .arg(dicomPort)
                     .arg(QString::fromStdString(text.substr(text.size() > 600 ? text.size() - 600 : 0)));
    }

    ~OrthancServer()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(10000)) {
                m_process.kill();
                m_process.waitForFinished(5000);
            }
        }
    }

    OrthancServer(const OrthancServer&) = delete;
    OrthancServer& operator=(const OrthancServer&) = delete;

    const QString& skipReason() const { return m_skip; }
    const dicom::PacsNode& node() const { return m_node; }
    // The DICOMweb root with the test user's credentials (HTTP basic); hasDicomWeb() false when the plugin is missing.
    const dicom::WebNode& webNode() const { return m_web; }
    bool hasDicomWeb() const { return m_hasWeb; }
    static constexpr const char* kDicomWebPlugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

private:
    QProcess m_process;
    QString m_skip;
    dicom::PacsNode m_node;
    dicom::WebNode m_web;
    bool m_hasWeb = false;
    std::filesystem::path m_log;
};

// A 4-view digital mammography study (L CC, L MLO, R CC, R MLO; widths 96, 104, 112, 120; height 128; pixel
// (x, y) of view i = (31 x + 7 y + 100 i) mod 4096) written by our DICOM writer into `dir`; SOP instance UIDs
// STUDY.1.1 .. STUDY.1.4. Empty on failure (qFatal would hide which test made it).
inline std::vector<std::filesystem::path> writeFourViewStudy(
    const std::filesystem::path& dir, const std::string& studyUid, const std::string& patientId, const std::string& patientName)
{
    const char* views[][2] = { { "L", "CC" }, { "L", "MLO" }, { "R", "CC" }, { "R", "MLO" } };
    std::filesystem::create_directories(dir);
    std::vector<std::filesystem::path> out;
    for (int i = 0; i < 4; ++i) {
        Image16 img(96 + 8 * i, 128);
        img.bitsStored = 12;
        for (int y = 0; y < img.height; ++y)
            for (int x = 0; x < img.width; ++x)
                img.at(x, y) = uint16_t((x * 31 + y * 7 + i * 100) % 4096);
        dicom::WriteInfo info;
        info.patientId = patientId;
        info.patientName = patientName;
        info.studyUid = studyUid;
        info.seriesUid = studyUid + ".1";
        info.sopInstanceUid = studyUid + ".1." + std::to_string(i + 1);
        info.instanceNumber = i + 1;
        info.studyDate = "20240315";
        info.laterality = views[i][0];
        info.view = views[i][1];
        info.sopClassUid = "1.2.840.10008.5.1.4.1.1.1.2"; // Digital Mammography X-Ray Image Storage - For Presentation
        const std::filesystem::path f = dir / ("view" + std::to_string(i + 1) + ".dcm");
        if (!dicom::write(f, img, info))
            return {};
        out.push_back(f);
    }
    return out;
}

} // namespace ms::test

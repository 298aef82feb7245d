// SPDX-License-Identifier: GPL-3.0-or-later
// File ▸ Open from PACS… against a real Orthanc (started here on 127.0.0.1, stopped after; skipped with the reason
// when it cannot start), driven with QTest events offscreen: a node saved under a name and read back, a search by
// patient ID filling the results table, Retrieve and open showing the study's 4 views in the reading view, a date the
// PACS would misread refused before any network call, and a node that does not answer named in the status line.
#include "core/runs/launch.h"
#include "orthancserver.h"
#include "ui/datasetcontroller.h"
#include "ui/mainwindow.h"
#include "ui/pacs/pacsdialog.h"
#include "ui/readingarea.h"

#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QTableWidget>
#include <QtTest>

#include <filesystem>
#include <memory>

using namespace ms;
using namespace ms::ui;
namespace fs = std::filesystem;

namespace
{

const char* const kStudy = "1.2.826.0.1.3680043.10.543.7";

QAction* findAction(QMenuBar* bar, const QString& text)
{
    for (QAction* menu : bar->actions())
        if (menu->menu())
            for (QAction* a : menu->menu()->actions())
                if (a->text() == text)
                    return a;
    return nullptr;
}

} // namespace

class TestPacsDialog : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::unique_ptr<test::OrthancServer> m_orthanc;
    QString m_skip;
    DatasetController* m_controller = nullptr;
    AppServices* m_services = nullptr;
    MainWindow* m_window = nullptr;
    PacsDialog* m_dialog = nullptr;

    fs::path dir() const { return fs::path(m_tmp.path().toStdString()); }

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("MammoScopePacsTest"));
        QSettings().clear();
        QVERIFY(m_tmp.isValid());
        m_controller = new DatasetController;
        m_services = new AppServices(m_controller);
        m_window = new MainWindow(*m_services);
        m_window->resize(1200, 800);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
        QAction* open = findAction(m_window->menuBar(), QStringLiteral("Open from &PACS…"));
        QVERIFY(open);
        open->trigger();
        m_dialog = m_window->findChild<PacsDialog*>();
        QVERIFY(m_dialog);
        QVERIFY(m_dialog->isVisible());
        m_dialog->setRetrieveRoot(m_tmp.path() + QStringLiteral("/cache"));

        m_orthanc = std::make_unique<test::OrthancServer>(dir());
        m_skip = m_orthanc->skipReason();
        if (!m_skip.isEmpty())
            return;
        const auto files = test::writeFourViewStudy(dir() / "src", kStudy, "PACS_0002", "Dialog^Test");
        QCOMPARE(files.size(), size_t(4));
        const auto sent = dicom::pacsSend(m_orthanc->node(), files);
        QVERIFY(sent.ok());
        QCOMPARE(sent->sent, size_t(4));
        m_dialog->setNode(m_orthanc->node());
    }

    void cleanupTestCase()
    {
        delete m_window;
        delete m_services;
        delete m_controller;
        m_orthanc.reset();
    }

    void badDateIsRefusedBeforeTheNetwork()
    {
        QLineEdit* date = nullptr;
        for (QLineEdit* e : m_dialog->findChildren<QLineEdit*>())
            if (e->placeholderText().startsWith(QLatin1String("from")))
                date = e;
        QVERIFY(date);
        QTest::keyClicks(date, QStringLiteral("2024"));
        QSignalSpy done(m_dialog, &PacsDialog::actionFinished);
        QTest::mouseClick(m_dialog->searchButton(), Qt::LeftButton);
        QCOMPARE(done.count(), 1); // synchronous: no network call was started
        QCOMPARE(done.at(0).at(0).toBool(), false);
        QVERIFY2(m_dialog->statusLabel()->text().contains(QLatin1String("study date")), qPrintable(m_dialog->statusLabel()->text()));
        QVERIFY(!m_dialog->busy());
        date->clear();
    }

    void searchRetrieveAndOpen()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        QTest::keyClicks(m_dialog->patientIdEdit(), QStringLiteral("PACS_0002"));
        QSignalSpy done(m_dialog, &PacsDialog::actionFinished);
        QTest::mouseClick(m_dialog->searchButton(), Qt::LeftButton);
        QVERIFY(m_dialog->busy());
        QVERIFY(!m_dialog->searchButton()->isEnabled());
        QVERIFY(m_dialog->cancelButton()->isEnabled());
        QVERIFY(done.wait(30000));
        QCOMPARE(done.at(0).at(0).toBool(), true);
        QTableWidget* t = m_dialog->resultsTable();
        QCOMPARE(t->rowCount(), 1);
        QCOMPARE(t->item(0, 0)->text(), QStringLiteral("2024-03-15"));
        QCOMPARE(t->item(0, 1)->text(), QStringLiteral("PACS_0002"));
        QCOMPARE(t->item(0, 2)->text(), QStringLiteral("Dialog Test"));
        QCOMPARE(t->item(0, 5)->text(), QStringLiteral("4"));
        QVERIFY(m_dialog->retrieveButton()->isEnabled());
        if (const QString grabs = qEnvironmentVariable("MS_TEST_GRAB_DIR"); !grabs.isEmpty()) // for docs/screenshots
            m_dialog->grab().save(grabs + QStringLiteral("/pacs-dialog.png"));

        QSignalSpy shown(m_window, &MainWindow::datasetShown);
        QSignalSpy retrieved(m_dialog, &PacsDialog::studyRetrieved);
        QTest::mouseClick(m_dialog->retrieveButton(), Qt::LeftButton);
        QVERIFY(retrieved.wait(30000));
        const QString folder = retrieved.at(0).at(0).toString();
        QCOMPARE(folder, m_tmp.path() + QStringLiteral("/cache/") + QString::fromLatin1(kStudy));
        QVERIFY(m_dialog->statusLabel()->text().contains(QLatin1String("4 objects retrieved")));
        QVERIFY(shown.count() > 0 || shown.wait(60000));
        QCOMPARE(m_controller->root(), folder);
        QVERIFY(m_controller->dataset());
        QCOMPARE(m_controller->dataset()->images.size(), size_t(4));
        QTRY_VERIFY_WITH_TIMEOUT(m_window->readingArea()->allLoaded(), 20000);
    }

    // The same study over DICOMweb, with the test user's password; saving the node keeps URL and user, never the
    // password (no keyring is asked for here), and a wrong password is a named error.
    void dicomWebSearchAndRetrieve()
    {
        if (!m_skip.isEmpty())
            QSKIP(qPrintable(m_skip));
        if (!m_orthanc->hasDicomWeb())
            QSKIP("Orthanc's DICOMweb plugin (Debian package orthanc-dicomweb) is not installed");
        dicom::WebNode w = m_orthanc->webNode();
        m_dialog->setWebNode(w);
        QVERIFY(m_dialog->usesDicomWeb());
        m_dialog->patientIdEdit()->setText(QStringLiteral("PACS_0002"));
        QSignalSpy done(m_dialog, &PacsDialog::actionFinished);
        QTest::mouseClick(m_dialog->searchButton(), Qt::LeftButton);
        QVERIFY(done.wait(30000));
        QCOMPARE(done.at(0).at(0).toBool(), true);
        QCOMPARE(m_dialog->resultsTable()->rowCount(), 1);
        QCOMPARE(m_dialog->resultsTable()->item(0, 2)->text(), QStringLiteral("Dialog Test"));
        if (const QString grabs = qEnvironmentVariable("MS_TEST_GRAB_DIR"); !grabs.isEmpty()) // for docs/screenshots
            m_dialog->grab().save(grabs + QStringLiteral("/pacs-dialog-dicomweb.png"));
        QSignalSpy retrieved(m_dialog, &PacsDialog::studyRetrieved);
        m_dialog->setRetrieveRoot(m_tmp.path() + QStringLiteral("/cache-web"));
        QTest::mouseClick(m_dialog->retrieveButton(), Qt::LeftButton);
        QVERIFY(retrieved.wait(30000));
        QCOMPARE(QDir(retrieved.at(0).at(0).toString()).entryList(QDir::Files).size(), 4);

        auto* name = m_dialog->findChild<QComboBox*>();
        name->setEditText(QStringLiteral("Web archive"));
        for (QPushButton* b : m_dialog->findChildren<QPushButton*>())
            if (b->text() == QLatin1String("Save"))
                QTest::mouseClick(b, Qt::LeftButton);
        QSettings settings;
        QCOMPARE(settings.value(QStringLiteral("pacs/servers/Web archive/url")).toString(), QString::fromStdString(w.baseUrl));
        QCOMPARE(settings.value(QStringLiteral("pacs/servers/Web archive/user")).toString(), QString::fromStdString(w.user));
        settings.sync();
        QFile file(settings.fileName());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(!file.readAll().contains(QByteArray::fromStdString(w.password)));
        QCOMPARE(m_dialog->webNode().password, w.password); // still there for this session

        w.password = "wrong-password-123";
        m_dialog->setWebNode(w);
        QSignalSpy refused(m_dialog, &PacsDialog::actionFinished);
        QTest::mouseClick(m_dialog->testButton(), Qt::LeftButton);
        QVERIFY(refused.wait(30000));
        QCOMPARE(refused.at(0).at(0).toBool(), false);
        QVERIFY2(m_dialog->statusLabel()->text().contains(QLatin1String("401")), qPrintable(m_dialog->statusLabel()->text()));
        QVERIFY(!m_dialog->statusLabel()->text().contains(QLatin1String("wrong-password-123")));
        m_dialog->setNode(m_orthanc->node());
    }

    void deadNodeIsNamed()
    {
        dicom::PacsNode dead = m_dialog->node();
        dead.port = runs::freeLoopbackPort();
        dead.timeoutSeconds = 3;
        m_dialog->setNode(dead);
        QSignalSpy done(m_dialog, &PacsDialog::actionFinished);
        QTest::mouseClick(m_dialog->testButton(), Qt::LeftButton);
        QVERIFY(done.wait(30000));
        QCOMPARE(done.at(0).at(0).toBool(), false);
        QVERIFY2(m_dialog->statusLabel()->text().contains(QString::number(dead.port)), qPrintable(m_dialog->statusLabel()->text()));
        if (m_orthanc && m_skip.isEmpty())
            m_dialog->setNode(m_orthanc->node());
    }

    void nodesAreSavedByName()
    {
        dicom::PacsNode n;
        n.host = "pacs.example.org";
        n.port = 11112;
        n.calledAe = "ARCHIVE";
        n.callingAe = "MS_WS1";
        n.timeoutSeconds = 45;
        m_dialog->setNode(n);
        auto* name = m_dialog->findChild<QComboBox*>();
        QVERIFY(name && name->isEditable());
        name->setEditText(QStringLiteral("Hospital archive"));
        for (QPushButton* b : m_dialog->findChildren<QPushButton*>())
            if (b->text() == QLatin1String("Save"))
                QTest::mouseClick(b, Qt::LeftButton);
        QCOMPARE(QSettings().value(QStringLiteral("pacs/servers/Hospital archive/host")).toString(), QStringLiteral("pacs.example.org"));
        // A new dialog starts on the last node saved, with its fields.
        PacsDialog again;
        const dicom::PacsNode r = again.node();
        QCOMPARE(r.host, n.host);
        QCOMPARE(r.port, n.port);
        QCOMPARE(r.calledAe, n.calledAe);
        QCOMPARE(r.callingAe, n.callingAe);
        QCOMPARE(r.timeoutSeconds, n.timeoutSeconds);
    }
};

QTEST_MAIN(TestPacsDialog)
#include "test_pacsdialog.moc"

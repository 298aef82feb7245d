// SPDX-License-Identifier: GPL-3.0-or-later
// File ▸ Open from PACS… (#16): a PACS over DIMSE (host, port, AE titles) or DICOMweb (URL, user; the password in the
// system keyring when the user asks and there is one, else for this session only; never in the settings or a log),
// kept in the settings under a name, to test (C-ECHO, or a one-study QIDO search), search (patient ID or name, study
// date range, accession, modality), retrieve a study (C-GET or WADO-RS) into MammoScope's cache and open it like a
// folder, and to send DICOM files (the SEG and SR exports) back (C-STORE or STOW-RS).
// Network work runs off the GUI thread, shows progress and can be cancelled; a study is opened only when it arrived
// whole. Patient names are shown in the results (the user asked for them) and never written to a log.
#pragma once

#include "core/dicom/dicomweb.h"
#include "core/dicom/pacs.h"

#include <QDialog>
#include <QFutureWatcher>
#include <QStringList>

#include <memory>

class QComboBox;
class QLineEdit;
class QSpinBox;
class QTableWidget;
class QPushButton;
class QProgressBar;
class QLabel;
class QTimer;
class QCheckBox;
class QStackedWidget;

namespace ms::ui
{

class PacsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit PacsDialog(QWidget* parent = nullptr);
    ~PacsDialog() override;

    // The node the fields describe now (DIMSE or DICOMweb, as the protocol box says).
    dicom::PacsNode node() const;
    void setNode(const dicom::PacsNode& n); // also switches to DIMSE
    dicom::WebNode webNode() const;
    void setWebNode(const dicom::WebNode& n); // also switches to DICOMweb
    bool usesDicomWeb() const;
    // Where retrieved studies go (default: <cache>/pacs).
    QString retrieveRoot() const { return m_retrieveRoot; }
    void setRetrieveRoot(const QString& dir) { m_retrieveRoot = dir; }
    bool busy() const;

    // Widgets, for the tests.
    QLineEdit* patientIdEdit() const { return m_patientId; }
    QTableWidget* resultsTable() const { return m_results; }
    QPushButton* testButton() const { return m_echo; }
    QPushButton* searchButton() const { return m_search; }
    QPushButton* retrieveButton() const { return m_retrieve; }
    QPushButton* cancelButton() const { return m_cancel; }
    QLabel* statusLabel() const { return m_status; }

public slots:
    void testConnection();
    void search();
    void retrieveSelected();
    void sendFiles(const QStringList& files);
    void cancel();
    void reject() override;

signals:
    // A retrieved study, complete, ready to open as a dataset.
    void studyRetrieved(const QString& folder);
    // Any network action ended (ok or not); the status label says how.
    void actionFinished(bool ok);

private:
    struct Task;
    void start(const QString& what, std::function<QString(Progress&)> work, std::function<void(const QString&)> done);
    void finish();
    void loadServers();
    void saveServer();
    void removeServer();
    void selectServer(int index);
    void setBusy(bool b);
    void showStudies(const dicom::StudySearch& s);

    void readPassword(const QString& server);
    void writePassword(const QString& server, const QString& password);
    void deletePassword(const QString& server);

    QComboBox* m_server = nullptr;
    QComboBox* m_protocol = nullptr;
    QStackedWidget* m_nodeFields = nullptr;
    QLineEdit* m_url = nullptr;
    QLineEdit* m_user = nullptr;
    QLineEdit* m_password = nullptr;
    QCheckBox* m_rememberPassword = nullptr;
    QLineEdit* m_host = nullptr;
    QSpinBox* m_port = nullptr;
    QLineEdit* m_aet = nullptr;
    QLineEdit* m_ourAet = nullptr;
    QSpinBox* m_timeout = nullptr;
    QLineEdit* m_patientId = nullptr;
    QLineEdit* m_patientName = nullptr;
    QLineEdit* m_dateFrom = nullptr;
    QLineEdit* m_dateTo = nullptr;
    QLineEdit* m_accession = nullptr;
    QComboBox* m_modality = nullptr;
    QTableWidget* m_results = nullptr;
    QPushButton* m_echo = nullptr;
    QPushButton* m_search = nullptr;
    QPushButton* m_retrieve = nullptr;
    QPushButton* m_send = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QTimer* m_poll = nullptr;
    QString m_retrieveRoot;
    std::shared_ptr<Task> m_task;
    QFutureWatcher<QString> m_watcher;
    std::function<void(const QString&)> m_done;
    std::shared_ptr<dicom::StudySearch> m_lastSearch;
};

} // namespace ms::ui

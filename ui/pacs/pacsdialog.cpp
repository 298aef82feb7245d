// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pacs/pacsdialog.h"

#include "core/common/paths.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QSettings>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent>
#include <qt6keychain/keychain.h>

#include <atomic>
#include <mutex>

namespace ms::ui
{

// Progress shared with the worker: the GUI polls it (no signal storm from a fast C-GET), cancel is a flag.
struct PacsDialog::Task : Progress {
    std::atomic<bool> cancel { false };
    mutable std::mutex mutex;
    double fraction = 0;
    std::string message;
    void report(double f, std::string_view m) override
    {
        std::lock_guard<std::mutex> lock(mutex);
        fraction = f;
        message = std::string(m);
    }
    bool cancelled() const override { return cancel.load(); }
};

namespace
{

const char* const kGroup = "pacs/servers";

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

// "1 study", "2 studies" (no translations are shipped, so %n plurals would read "1 studies").
QString count(qsizetype n, const QString& one, const QString& many)
{
    return QString::number(n) + QLatin1Char(' ') + (n == 1 ? one : many);
}

} // namespace

PacsDialog::PacsDialog(QWidget* parent) : QDialog(parent)
{
    setWindowTitle(tr("Open from PACS"));
    setObjectName(QStringLiteral("pacsDialog"));
    m_retrieveRoot = qs((appCacheDir() / "pacs").string());

    auto* serverBox = new QGroupBox(tr("PACS"), this);
    auto* sf = new QFormLayout(serverBox);
    auto* nameRow = new QHBoxLayout;
    m_server = new QComboBox(serverBox);
    m_server->setEditable(true);
    m_server->setToolTip(tr("Saved nodes; type a new name and press Save to keep the fields below under it"));
    auto* save = new QPushButton(tr("Save"), serverBox);
    auto* remove = new QPushButton(tr("Remove"), serverBox);
    m_echo = new QPushButton(tr("Test"), serverBox);
    m_echo->setToolTip(tr("Does the node answer, and does it accept our AE title or credentials? (C-ECHO, or a one-study search)"));
    nameRow->addWidget(m_server, 1);
    nameRow->addWidget(save);
    nameRow->addWidget(remove);
    nameRow->addWidget(m_echo);
    sf->addRow(tr("Name"), nameRow);
    m_protocol = new QComboBox(serverBox);
    m_protocol->addItem(tr("DIMSE (C-FIND, C-GET, C-STORE)"));
    m_protocol->addItem(tr("DICOMweb (QIDO-RS, WADO-RS, STOW-RS)"));
    sf->addRow(tr("Protocol"), m_protocol);
    m_nodeFields = new QStackedWidget(serverBox);
    auto* dimse = new QWidget(m_nodeFields);
    auto* df = new QFormLayout(dimse);
    df->setContentsMargins(0, 0, 0, 0);
    auto* addrRow = new QHBoxLayout;
    m_host = new QLineEdit(QStringLiteral("127.0.0.1"), dimse);
    m_port = new QSpinBox(dimse);
    m_port->setRange(1, 65535);
    m_port->setValue(4242);
    addrRow->addWidget(m_host, 1);
    addrRow->addWidget(new QLabel(tr("port"), dimse));
    addrRow->addWidget(m_port);
    df->addRow(tr("Host"), addrRow);
    auto* aeRow = new QHBoxLayout;
    const auto* aeValidator = new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[ -\\[\\]-~]{1,16}")), this);
    m_aet = new QLineEdit(QStringLiteral("ORTHANC"), dimse);
    m_aet->setValidator(aeValidator);
    m_ourAet = new QLineEdit(QStringLiteral("MAMMOSCOPE"), dimse);
    m_ourAet->setValidator(aeValidator);
    aeRow->addWidget(m_aet, 1);
    aeRow->addWidget(new QLabel(tr("our AE title"), dimse));
    aeRow->addWidget(m_ourAet, 1);
    df->addRow(tr("AE title"), aeRow);
    m_nodeFields->addWidget(dimse);
    auto* webw = new QWidget(m_nodeFields);
    auto* wf = new QFormLayout(webw);
    wf->setContentsMargins(0, 0, 0, 0);
    m_url = new QLineEdit(QStringLiteral("http://127.0.0.1:8042/dicom-web"), webw);
    m_url->setObjectName(QStringLiteral("pacsUrl"));
    wf->addRow(tr("URL"), m_url);
    auto* credRow = new QHBoxLayout;
    m_user = new QLineEdit(webw);
    m_user->setPlaceholderText(tr("none"));
    m_password = new QLineEdit(webw);
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setObjectName(QStringLiteral("pacsPassword"));
    m_rememberPassword = new QCheckBox(tr("keep in the system keyring"), webw);
    m_rememberPassword->setToolTip(tr("Otherwise the password is kept for this session only; it is never written to the settings"));
    credRow->addWidget(m_user, 1);
    credRow->addWidget(new QLabel(tr("password"), webw));
    credRow->addWidget(m_password, 1);
    credRow->addWidget(m_rememberPassword);
    wf->addRow(tr("User"), credRow);
    m_nodeFields->addWidget(webw);
    sf->addRow(m_nodeFields);
    m_timeout = new QSpinBox(serverBox);
    m_timeout->setRange(1, 3600);
    m_timeout->setValue(30);
    m_timeout->setSuffix(tr(" s"));
    auto* timeoutRow = new QHBoxLayout;
    timeoutRow->addWidget(m_timeout);
    timeoutRow->addStretch(1);
    sf->addRow(tr("Timeout"), timeoutRow);
    connect(m_protocol, qOverload<int>(&QComboBox::currentIndexChanged), m_nodeFields, &QStackedWidget::setCurrentIndex);

    auto* queryBox = new QGroupBox(tr("Search studies"), this);
    auto* qf = new QFormLayout(queryBox);
    m_patientId = new QLineEdit(queryBox);
    m_patientId->setObjectName(QStringLiteral("pacsPatientId"));
    m_patientId->setPlaceholderText(tr("any (wildcards * and ? allowed)"));
    m_patientName = new QLineEdit(queryBox);
    m_patientName->setPlaceholderText(tr("any, e.g. DOE^JANE or DOE*"));
    auto* dateRow = new QHBoxLayout;
    const auto* dateValidator = new QRegularExpressionValidator(QRegularExpression(QStringLiteral("\\d{0,8}")), this);
    m_dateFrom = new QLineEdit(queryBox);
    m_dateFrom->setPlaceholderText(tr("from YYYYMMDD"));
    m_dateFrom->setValidator(dateValidator);
    m_dateTo = new QLineEdit(queryBox);
    m_dateTo->setPlaceholderText(tr("to YYYYMMDD"));
    m_dateTo->setValidator(dateValidator);
    dateRow->addWidget(m_dateFrom);
    dateRow->addWidget(m_dateTo);
    m_accession = new QLineEdit(queryBox);
    m_modality = new QComboBox(queryBox);
    m_modality->addItem(tr("MG (mammography)"), QStringLiteral("MG"));
    m_modality->addItem(tr("any"), QString());
    m_modality->addItem(QStringLiteral("DX"), QStringLiteral("DX"));
    m_modality->addItem(QStringLiteral("US"), QStringLiteral("US"));
    m_modality->addItem(QStringLiteral("MR"), QStringLiteral("MR"));
    qf->addRow(tr("Patient ID"), m_patientId);
    qf->addRow(tr("Patient name"), m_patientName);
    qf->addRow(tr("Study date"), dateRow);
    qf->addRow(tr("Accession"), m_accession);
    qf->addRow(tr("Modality"), m_modality);

    m_results = new QTableWidget(0, 7, this);
    m_results->setObjectName(QStringLiteral("pacsResults"));
    m_results->setHorizontalHeaderLabels(
        { tr("Date"), tr("Patient ID"), tr("Patient name"), tr("Accession"), tr("Modalities"), tr("Images"), tr("Description") });
    m_results->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_results->setSelectionMode(QAbstractItemView::SingleSelection);
    m_results->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_results->horizontalHeader()->setStretchLastSection(true);
    m_results->verticalHeader()->hide();

    m_search = new QPushButton(tr("Search"), this);
    m_search->setDefault(true);
    m_retrieve = new QPushButton(tr("Retrieve and open"), this);
    m_retrieve->setToolTip(tr("C-GET the selected study into MammoScope's cache and open it like a folder"));
    m_retrieve->setEnabled(false);
    m_send = new QPushButton(tr("Send files…"), this);
    m_send->setToolTip(tr("C-STORE DICOM files to this node, e.g. the SEG and SR that File ▸ Export wrote"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(8);
    m_progress->setVisible(false);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("pacsStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_search);
    buttons->addWidget(m_retrieve);
    buttons->addWidget(m_send);
    buttons->addStretch(1);
    buttons->addWidget(m_cancel);
    auto* close = new QPushButton(tr("Close"), this);
    buttons->addWidget(close);

    auto* v = new QVBoxLayout(this);
    v->addWidget(serverBox);
    v->addWidget(queryBox);
    v->addWidget(m_results, 1);
    v->addWidget(m_progress);
    v->addWidget(m_status);
    v->addLayout(buttons);
    resize(860, 620);

    m_poll = new QTimer(this);
    m_poll->setInterval(100);
    connect(m_poll, &QTimer::timeout, this, [this] {
        if (!m_task)
            return;
        std::lock_guard<std::mutex> lock(m_task->mutex);
        m_progress->setValue(int(m_task->fraction * 1000));
        if (!m_task->message.empty())
            m_status->setText(qs(m_task->message));
    });
    connect(&m_watcher, &QFutureWatcher<QString>::finished, this, &PacsDialog::finish);
    connect(save, &QPushButton::clicked, this, &PacsDialog::saveServer);
    connect(remove, &QPushButton::clicked, this, &PacsDialog::removeServer);
    connect(m_server, qOverload<int>(&QComboBox::activated), this, &PacsDialog::selectServer);
    connect(m_echo, &QPushButton::clicked, this, &PacsDialog::testConnection);
    connect(m_search, &QPushButton::clicked, this, &PacsDialog::search);
    connect(m_retrieve, &QPushButton::clicked, this, &PacsDialog::retrieveSelected);
    connect(m_results, &QTableWidget::itemSelectionChanged, this,
        [this] { m_retrieve->setEnabled(!busy() && !m_results->selectedItems().isEmpty()); });
    connect(m_results, &QTableWidget::cellDoubleClicked, this, [this] { retrieveSelected(); });
    connect(m_send, &QPushButton::clicked, this, [this] {
        const QStringList files
            = QFileDialog::getOpenFileNames(this, tr("DICOM files to send"), QString(), tr("DICOM files (*.dcm);;All files (*)"));
        if (!files.isEmpty())
            sendFiles(files);
    });
    connect(m_cancel, &QPushButton::clicked, this, &PacsDialog::cancel);
    connect(close, &QPushButton::clicked, this, &QDialog::reject);
    loadServers();
}

PacsDialog::~PacsDialog()
{
    // A network call cannot be interrupted from here except by its cancel flag: ask, then wait for it to end.
    if (m_task)
        m_task->cancel = true;
    m_watcher.waitForFinished();
}

dicom::PacsNode PacsDialog::node() const
{
    dicom::PacsNode n;
    n.host = m_host->text().trimmed().toStdString();
    n.port = m_port->value();
    n.calledAe = m_aet->text().toStdString();
    n.callingAe = m_ourAet->text().toStdString();
    n.timeoutSeconds = m_timeout->value();
    return n;
}

dicom::WebNode PacsDialog::webNode() const
{
    dicom::WebNode n;
    n.baseUrl = m_url->text().trimmed().toStdString();
    n.user = m_user->text().trimmed().toStdString();
    n.password = m_password->text().toStdString();
    n.timeoutSeconds = m_timeout->value();
    return n;
}

void PacsDialog::setWebNode(const dicom::WebNode& n)
{
    m_protocol->setCurrentIndex(1);
    m_url->setText(qs(n.baseUrl));
    m_user->setText(qs(n.user));
    m_password->setText(qs(n.password));
    m_timeout->setValue(n.timeoutSeconds);
}

bool PacsDialog::usesDicomWeb() const
{
    return m_protocol->currentIndex() == 1;
}

void PacsDialog::setNode(const dicom::PacsNode& n)
{
    m_protocol->setCurrentIndex(0);
    m_host->setText(qs(n.host));
    m_port->setValue(n.port);
    m_aet->setText(qs(n.calledAe));
    m_ourAet->setText(qs(n.callingAe));
    m_timeout->setValue(n.timeoutSeconds);
}

bool PacsDialog::busy() const
{
    return m_task != nullptr;
}

void PacsDialog::loadServers()
{
    QSettings s;
    m_server->clear();
    s.beginGroup(QString::fromLatin1(kGroup));
    for (const QString& name : s.childGroups())
        m_server->addItem(name);
    s.endGroup();
    const QString last = s.value(QStringLiteral("pacs/last")).toString();
    if (const int i = m_server->findText(last); i >= 0) {
        m_server->setCurrentIndex(i);
        selectServer(i);
    } else if (m_server->count() == 0) {
        m_server->setEditText(tr("Local Orthanc"));
    }
}

void PacsDialog::selectServer(int index)
{
    if (index < 0)
        return;
    const QString name = m_server->itemText(index);
    QSettings s;
    s.beginGroup(QString::fromLatin1(kGroup) + QLatin1Char('/') + name);
    const int timeout = s.value(QStringLiteral("timeout"), 30).toInt();
    if (s.value(QStringLiteral("protocol")).toString() == QLatin1String("dicomweb")) {
        dicom::WebNode w;
        w.baseUrl = s.value(QStringLiteral("url"), qs(w.baseUrl)).toString().toStdString();
        w.user = s.value(QStringLiteral("user")).toString().toStdString();
        w.timeoutSeconds = timeout;
        const bool remembered = s.value(QStringLiteral("keyring"), false).toBool();
        s.endGroup();
        setWebNode(w);
        m_rememberPassword->setChecked(remembered);
        if (remembered)
            readPassword(name);
    } else {
        dicom::PacsNode n;
        n.host = s.value(QStringLiteral("host"), qs(n.host)).toString().toStdString();
        n.port = s.value(QStringLiteral("port"), n.port).toInt();
        n.calledAe = s.value(QStringLiteral("aet"), qs(n.calledAe)).toString().toStdString();
        n.callingAe = s.value(QStringLiteral("ourAet"), qs(n.callingAe)).toString().toStdString();
        n.timeoutSeconds = timeout;
        s.endGroup();
        setNode(n);
    }
    QSettings().setValue(QStringLiteral("pacs/last"), name);
}

// The keyring entry of a saved DICOMweb node: service "MammoScope PACS", key = the node's name.
void PacsDialog::readPassword(const QString& server)
{
    auto* job = new QKeychain::ReadPasswordJob(QStringLiteral("MammoScope PACS"), this);
    job->setAutoDelete(true);
    job->setKey(server);
    connect(job, &QKeychain::Job::finished, this, [this, server](QKeychain::Job* j) {
        if (m_server->currentText() != server)
            return; // another node was chosen meanwhile
        if (j->error() == QKeychain::NoError)
            m_password->setText(static_cast<QKeychain::ReadPasswordJob*>(j)->textData());
        else
            m_status->setText(
                tr("The password of \"%1\" could not be read from the system keyring (%2); type it.").arg(server, j->errorString()));
    });
    job->start();
}

void PacsDialog::writePassword(const QString& server, const QString& password)
{
    auto* job = new QKeychain::WritePasswordJob(QStringLiteral("MammoScope PACS"), this);
    job->setAutoDelete(true);
    job->setKey(server);
    job->setTextData(password);
    connect(job, &QKeychain::Job::finished, this, [this](QKeychain::Job* j) {
        if (j->error() != QKeychain::NoError)
            m_status->setText(tr("No system keyring took the password (%1): it is kept for this session only.").arg(j->errorString()));
    });
    job->start();
}

void PacsDialog::deletePassword(const QString& server)
{
    auto* job = new QKeychain::DeletePasswordJob(QStringLiteral("MammoScope PACS"), this);
    job->setAutoDelete(true);
    job->setKey(server);
    job->start();
}

void PacsDialog::reject()
{
    // Closing the dialog ends what it was doing: a retrieve that finished later would replace the open dataset.
    cancel();
    QDialog::reject();
}

void PacsDialog::saveServer()
{
    const QString name = m_server->currentText().trimmed().remove(QLatin1Char('/')).remove(QLatin1Char('\\'));
    if (name.isEmpty()) {
        m_status->setText(tr("Give the node a name to save it."));
        return;
    }
    const Status valid = usesDicomWeb() ? dicom::validateWebNode(webNode()) : dicom::validatePacsNode(node());
    if (!valid) {
        m_status->setText(qs(valid.error().message));
        return;
    }
    QSettings s;
    s.remove(QString::fromLatin1(kGroup) + QLatin1Char('/') + name);
    s.beginGroup(QString::fromLatin1(kGroup) + QLatin1Char('/') + name);
    s.setValue(QStringLiteral("timeout"), m_timeout->value());
    if (usesDicomWeb()) {
        const dicom::WebNode w = webNode();
        s.setValue(QStringLiteral("protocol"), QStringLiteral("dicomweb"));
        s.setValue(QStringLiteral("url"), qs(w.baseUrl));
        s.setValue(QStringLiteral("user"), qs(w.user));
        s.setValue(QStringLiteral("keyring"), m_rememberPassword->isChecked()); // never the password itself
        if (m_rememberPassword->isChecked() && !w.password.empty())
            writePassword(name, qs(w.password));
        else if (!m_rememberPassword->isChecked())
            deletePassword(name); // unticked: whatever the keyring held for this node goes
    } else {
        const dicom::PacsNode n = node();
        s.setValue(QStringLiteral("protocol"), QStringLiteral("dimse"));
        s.setValue(QStringLiteral("host"), qs(n.host));
        s.setValue(QStringLiteral("port"), n.port);
        s.setValue(QStringLiteral("aet"), qs(n.calledAe));
        s.setValue(QStringLiteral("ourAet"), qs(n.callingAe));
    }
    s.endGroup();
    s.setValue(QStringLiteral("pacs/last"), name);
    const QString password = m_password->text();
    loadServers();
    m_password->setText(password); // loadServers re-reads the fields; the typed password stays for this session
    m_status->setText(tr("Saved \"%1\".").arg(name));
}

void PacsDialog::removeServer()
{
    const QString name = m_server->currentText().trimmed();
    if (name.isEmpty() || name.contains(QLatin1Char('/')) || name.contains(QLatin1Char('\\')))
        return; // an empty name would remove every saved node
    QSettings s;
    if (s.value(QString::fromLatin1(kGroup) + QLatin1Char('/') + name + QStringLiteral("/keyring"), false).toBool())
        deletePassword(name);
    s.remove(QString::fromLatin1(kGroup) + QLatin1Char('/') + name);
    loadServers();
    m_status->setText(tr("Removed \"%1\".").arg(name));
}

void PacsDialog::setBusy(bool b)
{
    for (QWidget* w : std::initializer_list<QWidget*> { m_echo, m_search, m_send })
        w->setEnabled(!b);
    m_retrieve->setEnabled(!b && !m_results->selectedItems().isEmpty());
    m_cancel->setEnabled(b);
    m_progress->setVisible(b);
    if (b)
        m_poll->start();
    else
        m_poll->stop();
}

void PacsDialog::start(const QString& what, std::function<QString(Progress&)> work, std::function<void(const QString&)> done)
{
    if (busy())
        return;
    const Status valid = usesDicomWeb() ? dicom::validateWebNode(webNode()) : dicom::validatePacsNode(node());
    if (!valid) {
        m_status->setText(qs(valid.error().message));
        emit actionFinished(false);
        return;
    }
    m_task = std::make_shared<Task>();
    m_done = std::move(done);
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_status->setText(what);
    setBusy(true);
    auto task = m_task;
    m_watcher.setFuture(QtConcurrent::run([task, work = std::move(work)] { return work(*task); }));
}

void PacsDialog::finish()
{
    const QString error = m_watcher.result();
    m_task.reset();
    setBusy(false);
    m_progress->setValue(error.isEmpty() ? 1000 : 0);
    auto done = std::move(m_done);
    m_done = nullptr;
    if (done)
        done(error);
    emit actionFinished(error.isEmpty());
}

void PacsDialog::cancel()
{
    if (m_task) {
        m_task->cancel = true;
        m_status->setText(tr("Cancelling…"));
    }
}

void PacsDialog::testConnection()
{
    if (usesDicomWeb()) {
        const dicom::WebNode w = webNode();
        start(
            tr("Testing %1…").arg(qs(dicom::displayUrl(w.baseUrl))),
            [w](Progress& p) {
                dicom::StudyQuery any;
                any.modality.clear();
                auto r = dicom::webFindStudies(w, any, 1, p);
                return r ? QString() : qs(r.error().message);
            },
            [this, w](const QString& error) {
                m_status->setText(error.isEmpty() ? tr("%1 answers (QIDO-RS).").arg(qs(dicom::displayUrl(w.baseUrl))) : error);
            });
        return;
    }
    const dicom::PacsNode n = node();
    start(
        tr("Testing %1…").arg(qs(n.calledAe)),
        [n](Progress&) {
            const Status st = dicom::pacsEcho(n);
            return st ? QString() : qs(st.error().message);
        },
        [this, n](const QString& error) {
            m_status->setText(error.isEmpty() ? tr("%1 at %2:%3 answers (C-ECHO).").arg(qs(n.calledAe), qs(n.host)).arg(n.port) : error);
        });
}

void PacsDialog::search()
{
    dicom::StudyQuery q;
    q.patientId = m_patientId->text().trimmed().toStdString();
    q.patientName = m_patientName->text().trimmed().toStdString();
    const QString from = m_dateFrom->text().trimmed(), to = m_dateTo->text().trimmed();
    if (!from.isEmpty() || !to.isEmpty())
        q.studyDate = (from == to) ? from.toStdString() : (from + QLatin1Char('-') + to).toStdString();
    q.accessionNumber = m_accession->text().trimmed().toStdString();
    q.modality = m_modality->currentData().toString().toStdString();
    if (Status st = dicom::validateStudyQuery(q); !st) {
        m_status->setText(qs(st.error().message));
        emit actionFinished(false);
        return;
    }
    const dicom::PacsNode n = node();
    const dicom::WebNode w = webNode();
    const bool web = usesDicomWeb();
    auto result = std::make_shared<dicom::StudySearch>();
    start(
        tr("Searching…"),
        [n, w, web, q, result](Progress& p) {
            auto r = web ? dicom::webFindStudies(w, q, 1000, p) : dicom::pacsFindStudies(n, q, 1000, p);
            if (!r)
                return qs(r.error().message);
            *result = std::move(*r);
            return QString();
        },
        [this, result](const QString& error) {
            if (!error.isEmpty()) {
                m_status->setText(error);
                return;
            }
            showStudies(*result);
        });
}

void PacsDialog::showStudies(const dicom::StudySearch& s)
{
    m_lastSearch = std::make_shared<dicom::StudySearch>(s);
    m_results->clearContents();
    m_results->setRowCount(int(s.studies.size()));
    for (int r = 0; r < int(s.studies.size()); ++r) {
        const dicom::StudyMatch& m = s.studies[size_t(r)];
        QString date = qs(m.studyDate);
        if (date.size() == 8)
            date = date.left(4) + QLatin1Char('-') + date.mid(4, 2) + QLatin1Char('-') + date.mid(6, 2);
        const QStringList cells = { date, qs(m.patientId), qs(m.patientName).replace(QLatin1Char('^'), QLatin1Char(' ')).trimmed(),
            qs(m.accessionNumber), qs(m.modalities).replace(QLatin1Char('\\'), QLatin1Char(' ')),
            m.instances >= 0 ? QString::number(m.instances) : QString(), qs(m.description) };
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c == 0)
                item->setData(Qt::UserRole, qs(m.studyInstanceUid));
            item->setToolTip(tr("Study UID %1").arg(qs(m.studyInstanceUid)));
            m_results->setItem(r, c, item);
        }
    }
    m_results->resizeColumnsToContents();
    if (!s.studies.empty())
        m_results->selectRow(0);
    m_status->setText(s.studies.empty() ? tr("No study matches.")
                                        : count(qsizetype(s.studies.size()), tr("study"), tr("studies"))
                + (s.truncated ? tr(" (more match: narrow the search)") : QString()) + QLatin1Char('.'));
}

void PacsDialog::retrieveSelected()
{
    const auto rows = m_results->selectionModel() ? m_results->selectionModel()->selectedRows() : QModelIndexList();
    if (rows.isEmpty() || busy())
        return;
    const QString uid = m_results->item(rows.first().row(), 0)->data(Qt::UserRole).toString();
    const dicom::PacsNode n = node();
    const dicom::WebNode w = webNode();
    const bool web = usesDicomWeb();
    const std::string root = m_retrieveRoot.toStdString();
    auto result = std::make_shared<dicom::Retrieved>();
    start(
        tr("Retrieving…"),
        [n, w, web, uid, root, result](Progress& p) {
            auto r = web ? dicom::webRetrieveStudy(w, uid.toStdString(), root, {}, p)
                         : dicom::pacsRetrieveStudy(n, uid.toStdString(), root, {}, p);
            if (!r)
                return qs(r.error().message);
            *result = std::move(*r);
            return QString();
        },
        [this, result](const QString& error) {
            if (!error.isEmpty()) {
                m_status->setText(error);
                return;
            }
            QString text = count(qsizetype(result->files), tr("object"), tr("objects"))
                + tr(" retrieved (%1 MB)").arg(double(result->bytes) / 1e6, 0, 'f', 1);
            if (result->failed > 0)
                text += tr("; the node could not send %1").arg(result->failed);
            m_status->setText(text + QLatin1Char('.'));
            if (isVisible()) // not after the user closed the dialog
                emit studyRetrieved(qs(result->folder.string()));
        });
}

void PacsDialog::sendFiles(const QStringList& files)
{
    std::vector<std::filesystem::path> paths;
    for (const QString& f : files)
        paths.emplace_back(f.toStdString());
    const dicom::PacsNode n = node();
    const dicom::WebNode w = webNode();
    const bool web = usesDicomWeb();
    auto result = std::make_shared<dicom::Sent>();
    start(
        tr("Sending %1…").arg(count(qsizetype(paths.size()), tr("file"), tr("files"))),
        [n, w, web, paths, result](Progress& p) {
            auto r = web ? dicom::webSend(w, paths, p) : dicom::pacsSend(n, paths, p);
            if (!r)
                return qs(r.error().message);
            *result = std::move(*r);
            return QString();
        },
        [this, result, total = paths.size()](const QString& error) {
            if (!error.isEmpty()) {
                m_status->setText(error);
                return;
            }
            QString text = tr("%1 of %2 sent.").arg(result->sent).arg(count(qsizetype(total), tr("file"), tr("files")));
            for (const std::string& p : result->problems)
                text += QLatin1Char('\n') + tr("Not sent: %1").arg(qs(p));
            m_status->setText(text);
        });
}

} // namespace ms::ui

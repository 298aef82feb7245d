// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/training/trainingpanel.h"

#include "core/common/json.h"
#include "core/common/paths.h"
#include "core/runs/runreader.h"
#include "ui/training/engineprocess.h"
#include "ui/training/evalview.h"
#include "ui/training/runcharts.h"
#include "ui/training/runhistory.h"
#include "ui/training/slurmjob.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>

#include <memory>

namespace ms::ui
{

TrainingPanel::TrainingPanel(QWidget* parent)
    : QWidget(parent), m_engine(new EngineProcess(this)), m_slurm(new SlurmJobRunner(this)), m_history(new RunHistoryModel(this))
{
    auto* split = new QSplitter(Qt::Horizontal, this);
    auto* scroll = new QScrollArea(split);
    scroll->setWidget(buildForm());
    scroll->setWidgetResizable(true);
    scroll->setMinimumWidth(340);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setFrameShape(QFrame::NoFrame);
    m_pages = new QTabWidget(split);
    m_pages->setObjectName(QStringLiteral("trainingPages"));
    m_pages->addTab(buildLive(), tr("Live"));
    m_eval = new EvalView(m_pages);
    m_pages->addTab(m_eval, tr("Evaluation"));
    m_pages->addTab(buildRuns(), tr("Runs"));
    m_bench = new BenchView(m_pages);
    m_pages->addTab(m_bench, tr("CPU vs GPU"));
    split->addWidget(scroll);
    split->addWidget(m_pages);
    split->setStretchFactor(1, 1);
    split->setSizes({ 390, 1000 });
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(4, 4, 4, 4);
    lay->addWidget(split);

    connect(m_engine, &EngineProcess::logLine, this, &TrainingPanel::appendLog);
    connect(m_engine, &EngineProcess::finished, this, &TrainingPanel::onEngineFinished);
    connect(m_engine, &EngineProcess::failedToStart, this, [this](const QString& m) {
        m_job = Job::None;
        setStatus(m, true);
        updateButtons();
    });
    connect(m_slurm, &SlurmJobRunner::finished, this, &TrainingPanel::onEngineFinished);
    connect(m_slurm, &SlurmJobRunner::failed, this, [this](const QString& m) {
        if (!m_slurm->isActive()) { // the submission failed: nothing runs
            m_job = Job::None;
            updateButtons();
        }
        setStatus(m, true);
    });
    connect(m_slurm, &SlurmJobRunner::submitted, this, [this](long long id) {
        appendLog(tr("SLURM job %1 submitted; its output: %2")
                      .arg(id)
                      .arg(QString(m_slurm->outputFile()).replace(QStringLiteral("%j"), QString::number(id))));
        setStatus(tr("SLURM job %1 submitted.").arg(id));
    });
    connect(m_slurm, &SlurmJobRunner::stateChanged, this, [this](const QString& state, const QString& reason) {
        setStatus(
            tr("SLURM job %1: %2%3").arg(m_slurm->jobId()).arg(state, reason.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(reason)));
    });
    m_confirmScript = [this](const QString& script) {
        QMessageBox box(QMessageBox::Question, tr("Submit to SLURM"), tr("Submit this job script with sbatch?"), QMessageBox::Cancel, this);
        box.setDetailedText(script);
        box.setInformativeText(script.section(QLatin1Char('\n'), 3).left(1500));
        auto* submit = box.addButton(tr("Submit"), QMessageBox::AcceptRole);
        box.exec();
        return box.clickedButton() == submit;
    };
    connect(m_charts, &RunCharts::updated, this, &TrainingPanel::onChartsUpdated);
    connect(m_eval, &EvalView::evaluateRequested, this, &TrainingPanel::evaluate);
    connect(m_eval, &EvalView::openSample, this, &TrainingPanel::openSample);
    connect(m_eval, &EvalView::correctSample, this, &TrainingPanel::correctSample);

    setRunsRoot(QString::fromStdString((appDataDir() / "runs").string()));
    setDevices({ DeviceInfo { QStringLiteral("cpu"), tr("CPU"), 0, 0 } });
    applyPreset(presetNames().first());
    queryDevices();
}

TrainingPanel::~TrainingPanel() = default;

QWidget* TrainingPanel::buildLive()
{
    auto* w = new QWidget;
    auto* v = new QVBoxLayout(w);
    m_runTitle = new QLabel(tr("No run yet: choose a preset and press Start, or open one in Runs."), w);
    m_runTitle->setObjectName(QStringLiteral("runTitle"));
    m_runTitle->setTextFormat(Qt::RichText);
    m_runTitle->setWordWrap(true);
    m_status = new QLabel(w);
    m_status->setObjectName(QStringLiteral("trainingStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress = new QProgressBar(w);
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(true);
    m_charts = new RunCharts(w);
    m_log = new QPlainTextEdit(w);
    m_log->setObjectName(QStringLiteral("engineLog"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(2000);
    m_log->setFont(QFont(QStringLiteral("monospace"), std::max(7, font().pointSize() - 1)));
    m_log->setMaximumHeight(110);
    auto* exportRow = new QHBoxLayout;
    auto* png = new QPushButton(tr("Export PNG…"), w);
    auto* pdf = new QPushButton(tr("PDF…"), w);
    auto* csv = new QPushButton(tr("CSV…"), w);
    exportRow->addWidget(m_runTitle, 1);
    exportRow->addWidget(png);
    exportRow->addWidget(pdf);
    exportRow->addWidget(csv);
    v->addLayout(exportRow);
    auto* statusRow = new QHBoxLayout;
    statusRow->addWidget(m_status, 1);
    statusRow->addWidget(m_progress);
    v->addLayout(statusRow);
    v->addWidget(m_charts, 1);
    v->addWidget(m_log);
    const auto base = [this] { return m_currentRun.isEmpty() ? QStringLiteral("run") : QFileInfo(m_currentRun).fileName(); };
    connect(png, &QPushButton::clicked, this, [this, base] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export charts"), base() + QStringLiteral(".png"), tr("PNG (*.png)"));
        if (!f.isEmpty() && !m_charts->savePng(f))
            setStatus(tr("Could not write %1").arg(f), true);
    });
    connect(pdf, &QPushButton::clicked, this, [this, base] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export charts"), base() + QStringLiteral(".pdf"), tr("PDF (*.pdf)"));
        if (!f.isEmpty() && !m_charts->savePdf(f))
            setStatus(tr("Could not write %1").arg(f), true);
    });
    connect(csv, &QPushButton::clicked, this, [this, base] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export data"), base() + QStringLiteral(".csv"), tr("CSV (*.csv)"));
        QString err;
        if (!f.isEmpty() && !m_charts->saveCsv(f, &err))
            setStatus(err, true);
    });
    return w;
}

QWidget* TrainingPanel::buildRuns()
{
    auto* w = new QWidget;
    auto* v = new QVBoxLayout(w);
    m_historyProxy = new QSortFilterProxyModel(this);
    m_historyProxy->setSourceModel(m_history);
    m_historyProxy->setSortRole(Qt::UserRole + 1);
    m_historyView = new QTableView(w);
    m_historyView->setObjectName(QStringLiteral("runHistory"));
    m_historyView->setModel(m_historyProxy);
    m_historyView->setSortingEnabled(true);
    m_historyView->sortByColumn(RunHistoryModel::Date, Qt::DescendingOrder);
    m_historyView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_historyView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_historyView->horizontalHeader()->setSectionResizeMode(RunHistoryModel::Name, QHeaderView::Stretch);
    m_historyView->verticalHeader()->hide();
    auto* note = new QLabel(tr("Tick runs to compare them on the same axes; double-click a run to follow it."), w);
    auto* buttons = new QHBoxLayout;
    auto* compare = new QPushButton(tr("Compare ticked"), w);
    auto* rename = new QPushButton(tr("Rename…"), w);
    auto* del = new QPushButton(tr("Delete…"), w);
    auto* open = new QPushButton(tr("Open folder"), w);
    auto* attach = new QPushButton(tr("Attach folder…"), w);
    attach->setToolTip(tr("Follow a run folder written by an engine started elsewhere (a GPU server, torchrun)"));
    auto* refresh = new QPushButton(tr("Refresh"), w);
    for (auto* b : { compare, rename, del, open, attach, refresh })
        buttons->addWidget(b);
    buttons->addStretch();
    v->addWidget(note);
    v->addWidget(m_historyView, 1);
    v->addLayout(buttons);

    const auto selectedRow = [this]() -> int {
        const auto rows = m_historyView->selectionModel()->selectedRows();
        return rows.isEmpty() ? -1 : m_historyProxy->mapToSource(rows.first()).row();
    };
    connect(m_historyView, &QTableView::doubleClicked, this, [this](const QModelIndex& i) {
        openRun(m_history->run(m_historyProxy->mapToSource(i).row()).dir);
        showPage(0);
    });
    connect(compare, &QPushButton::clicked, this, [this] {
        const QStringList dirs = m_history->comparedDirs();
        if (dirs.size() < 2) {
            setStatus(tr("Tick two or more runs to compare them."), true);
            return;
        }
        compareRuns(dirs);
        showPage(0);
    });
    connect(rename, &QPushButton::clicked, this, [this, selectedRow] {
        const int r = selectedRow();
        if (r < 0)
            return;
        bool ok = false;
        const QString n = QInputDialog::getText(this, tr("Rename run"), tr("New name"), QLineEdit::Normal, m_history->run(r).name, &ok);
        QString err;
        if (ok && !m_history->rename(r, n, &err))
            setStatus(err, true);
    });
    connect(del, &QPushButton::clicked, this, [this, selectedRow] {
        const int r = selectedRow();
        if (r < 0)
            return;
        const RunInfo info = m_history->run(r);
        if (QMessageBox::question(this, tr("Delete run"),
                info.attached ? tr("Forget the attached run %1? Its folder stays where it is.").arg(info.dir)
                              : tr("Delete the run folder %1 with its checkpoints?").arg(info.dir))
            != QMessageBox::Yes)
            return;
        QString err;
        if (!m_history->remove(r, &err))
            setStatus(err, true);
        else if (info.dir == m_currentRun)
            openRun(QString());
    });
    connect(open, &QPushButton::clicked, this, [this, selectedRow] {
        const int r = selectedRow();
        if (r >= 0)
            QDesktopServices::openUrl(QUrl::fromLocalFile(m_history->run(r).dir));
    });
    connect(attach, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Attach a run folder"));
        if (d.isEmpty())
            return;
        m_history->attach(d);
        openRun(d);
        showPage(0);
    });
    connect(refresh, &QPushButton::clicked, m_history, &RunHistoryModel::refresh);
    return w;
}

void TrainingPanel::setDataset(DatasetPtr ds)
{
    m_ds = std::move(ds);
    m_source->setItemText(0,
        m_ds ? tr("Open dataset: %1 (prepared to shards)").arg(QFileInfo(QString::fromStdString(m_ds->root)).fileName())
             : tr("Open dataset (none open)"));
    updateValidation();
}

void TrainingPanel::setRunsRoot(const QString& dir)
{
    m_runsRoot = dir;
    QDir().mkpath(dir);
    m_history->setRoot(dir);
    updateInitChoices();
}

QString TrainingPanel::runsRoot() const
{
    return m_runsRoot;
}

void TrainingPanel::setDevices(const QList<DeviceInfo>& devices)
{
    m_localDevices = devices;
    m_bench->setDevices(devices); // the benchmark runs here
    if (m_devicesOf.isEmpty()) // unless the list shows an SSH host's
        showDevices(devices);
}

void TrainingPanel::showDevices(const QList<DeviceInfo>& devices)
{
    m_devices = devices;
    const QString cur = m_device->currentData().toString();
    m_device->blockSignals(true);
    m_device->clear();
    for (const auto& d : devices) {
        QString label = d.id == QLatin1String("cpu") ? tr("CPU — %1").arg(d.name) : QStringLiteral("%1 — %2").arg(d.id, d.name);
        if (d.memory > 0 && d.id != QLatin1String("cpu"))
            label += QStringLiteral(" (%1 GiB)").arg(double(d.memory) / double(1LL << 30), 0, 'f', 1);
        m_device->addItem(label, d.id);
    }
    m_device->blockSignals(false);
    int index = m_device->findData(cur.isEmpty() ? QStringLiteral("cpu") : cur);
    if (index < 0 && cur.startsWith(QLatin1String("cuda"))) // cuda:1 chosen, "cuda" offered (the nodes' GPUs): a GPU still
        index = m_device->findData(QStringLiteral("cuda"));
    m_device->setCurrentIndex(std::max(0, index));
    updateValidation();
}

void TrainingPanel::updateRunOn()
{
    const QString on = m_runOn->currentData().toString();
    const bool remote = on == QLatin1String("ssh"), slurm = on == QLatin1String("slurm");
    for (QWidget* wgt : { static_cast<QWidget*>(m_sshHost), static_cast<QWidget*>(m_sshOptions), static_cast<QWidget*>(m_remoteEngine) })
        m_deviceForm->setRowVisible(wgt, remote || slurm);
    m_deviceForm->setRowVisible(m_queryRemote, remote);
    for (QWidget* wgt : { static_cast<QWidget*>(m_partition), static_cast<QWidget*>(m_nodes), static_cast<QWidget*>(m_timeLimit) })
        m_deviceForm->setRowVisible(wgt, slurm);
    m_sshHost->setPlaceholderText(
        slurm ? tr("the cluster's login host; empty: sbatch here") : tr("[user@]host or an alias from ~/.ssh/config"));
    if (on == QLatin1String("local") && !m_devicesOf.isEmpty()) { // back to this computer's devices
        m_devicesOf.clear();
        showDevices(m_localDevices);
    } else if ((slurm && m_devicesOf != QLatin1String("\1slurm"))
        || (remote && m_devicesOf != QString::fromStdString(m_sshHost->text().trimmed().toStdString()))) {
        // Not this computer's devices: what the nodes (or the host, until it is asked) may have. The engine there
        // checks the device when it starts, and refuses one it lacks with a message.
        m_devicesOf = slurm ? QStringLiteral("\1slurm") : QStringLiteral("\1unasked");
        showDevices({ DeviceInfo { QStringLiteral("cpu"), slurm ? tr("the nodes' CPUs") : tr("the host's CPU"), 0, 0 },
            DeviceInfo { QStringLiteral("cuda"), slurm ? tr("the nodes' GPUs (one a rank)") : tr("the host's GPUs (one a rank)"), 0, 0 } });
    }
    updateValidation();
}

QString TrainingPanel::slurmScript(const TrainingForm& f, const QStringList& engineArgs, QString& error, QString* jobName) const
{
    runs::SlurmJob job = f.slurm;
    const bool cuda = f.train.device.rfind("cuda", 0) == 0;
    QString name = f.name.isEmpty() ? QStringLiteral("train") : f.name;
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]")), QStringLiteral("_"));
    job.name = "mammoscope-" + (engineArgs.value(0) == QLatin1String("eval") ? std::string("eval") : name.left(60).toStdString());
    // Training: one rank a task (and a GPU); anything else (eval) is one process.
    const bool training = engineArgs.value(0) == QLatin1String("train");
    job.nodes = training ? job.nodes : 1;
    job.tasksPerNode = training ? std::max(1, f.train.nprocPerNode) : 1;
    job.gpusPerNode = cuda ? job.tasksPerNode : 0;
    job.cpusPerTask = std::max(0, f.train.threads);
    job.engine = f.ssh.engine;
    std::vector<std::string> words;
    for (qsizetype i = 0; i < engineArgs.size(); ++i) {
        if (engineArgs[i] == QLatin1String("--nproc-per-node")) { // srun starts the ranks
            ++i;
            continue;
        }
        words.push_back(engineArgs[i].toStdString());
    }
    std::string why;
    const std::string script = runs::sbatchScript(job, words, why);
    error = QString::fromStdString(why);
    if (jobName)
        *jobName = QString::fromStdString(job.name);
    return QString::fromStdString(script);
}

QString TrainingPanel::lastEngineLines(int n) const
{
    return m_viaSlurm ? m_slurm->outputTail(n) : m_engine->lastLines(n);
}

bool TrainingPanel::startEngine(const TrainingForm& f, const QStringList& args)
{
    m_viaSlurm = f.runOn == QLatin1String("slurm");
    if (m_viaSlurm) {
        QString error;
        QString jobName; // the output file's name
        const QString script = slurmScript(f, args, error, &jobName);
        if (script.isEmpty()) {
            setStatus(tr("Cannot write the SLURM job: %1").arg(error), true);
            return false;
        }
        if (m_confirmScript && !m_confirmScript(script)) {
            setStatus(tr("SLURM job not submitted."));
            return false;
        }
        const QString logs = QDir(m_runsRoot).filePath(QStringLiteral("slurm-logs"));
        QDir().mkpath(logs);
        m_slurm->setLoginHost(f.ssh.host.empty() ? std::nullopt : std::optional<runs::SshTarget>(f.ssh));
        appendLog(QStringLiteral("$ sbatch%1 <<'EOF'\n%2EOF")
                      .arg(f.ssh.host.empty() ? QString() : QStringLiteral(" (on %1)").arg(QString::fromStdString(f.ssh.host)), script));
        return m_slurm->submit(script, QDir(logs).filePath(jobName + QStringLiteral("-%j.out")), m_runsRoot);
    }
    if (f.runOn != QLatin1String("ssh"))
        return m_engine->start(findTool(QStringLiteral("mammoscope-train")), args);
    std::vector<std::string> words;
    for (const auto& a : args)
        words.push_back(a.toStdString());
    std::string error;
    const auto cmd = runs::sshCommand(f.ssh, words, error);
    if (cmd.empty()) {
        setStatus(tr("Cannot start the engine on %1: %2").arg(QString::fromStdString(f.ssh.host), QString::fromStdString(error)), true);
        return false;
    }
    QStringList sshArgs;
    for (size_t i = 1; i < cmd.size(); ++i)
        sshArgs << QString::fromStdString(cmd[i]);
    appendLog(QStringLiteral("(through: ssh %1)").arg(sshArgs.mid(0, sshArgs.size() - 1).join(QLatin1Char(' '))));
    return m_engine->start(QStandardPaths::findExecutable(QStringLiteral("ssh")), sshArgs, true);
}

bool TrainingPanel::queryRemoteDevices()
{
    const TrainingForm f = form();
    std::string error;
    const auto cmd = runs::sshCommand(f.ssh, { "devices", "--json" }, error);
    const QString host = QString::fromStdString(f.ssh.host);
    if (cmd.empty()) {
        setStatus(tr("Cannot ask %1 for its devices: %2").arg(host, QString::fromStdString(error)), true);
        return false;
    }
    QStringList sshArgs;
    for (size_t i = 1; i < cmd.size(); ++i)
        sshArgs << QString::fromStdString(cmd[i]);
    auto* proc = new EngineProcess(this);
    auto out = std::make_shared<QByteArray>();
    m_queryRemote->setEnabled(false);
    setStatus(tr("Asking %1 for its devices…").arg(host));
    connect(proc, &EngineProcess::stdoutLine, this, [out](const QString& l) { *out += l.toUtf8() + '\n'; });
    connect(proc, &EngineProcess::finished, this, [this, proc, out, host](int code, const QString&) {
        m_queryRemote->setEnabled(true);
        const auto devs = parseDevices(*out);
        if (code == 0 && !devs.isEmpty()) {
            if (m_runOn->currentData().toString() == QLatin1String("ssh") && QString::fromStdString(form().ssh.host) == host) {
                m_devicesOf = host;
                showDevices(devs);
            }
            setStatus(tr("%1 has %n device(s).", nullptr, int(devs.size())).arg(host));
        } else {
            setStatus(tr("%1 did not list its devices: %2")
                          .arg(host, proc->lastLines(3).isEmpty() ? engineExitMessage(code) : proc->lastLines(3)),
                true);
        }
        proc->deleteLater();
    });
    connect(proc, &EngineProcess::failedToStart, this, [this, proc](const QString& m) {
        m_queryRemote->setEnabled(true);
        setStatus(m, true);
        proc->deleteLater();
    });
    return proc->start(QStandardPaths::findExecutable(QStringLiteral("ssh")), sshArgs, true);
}

void TrainingPanel::queryDevices()
{
    auto* proc = new EngineProcess(this);
    auto out = std::make_shared<QByteArray>();
    connect(proc, &EngineProcess::stdoutLine, this, [out](const QString& l) { *out += l.toUtf8() + '\n'; });
    connect(proc, &EngineProcess::finished, this, [this, proc, out](int code, const QString&) {
        if (const auto devs = parseDevices(*out); code == 0 && !devs.isEmpty())
            setDevices(devs);
        proc->deleteLater();
    });
    connect(proc, &EngineProcess::failedToStart, this, [this, proc](const QString& m) {
        setStatus(m, true);
        proc->deleteLater();
    });
    proc->start(findTool(QStringLiteral("mammoscope-train")), { QStringLiteral("devices"), QStringLiteral("--json") });
}

void TrainingPanel::updateButtons()
{
    const bool busy = isBusy();
    const bool training = busy && (m_job == Job::Train || m_job == Job::Prepare);
    m_start->setEnabled(!busy && validationErrors().isEmpty());
    m_stop->setEnabled(training);
    m_kill->setEnabled(training);
    bool resumable = false;
    // status.json only: this runs on every edit of the form, and metrics.jsonl can hold 100,000 lines.
    if (!busy && !m_currentRun.isEmpty() && QFileInfo::exists(m_currentRun + QStringLiteral("/checkpoints/last/state.json")))
        resumable = runs::readStatus(m_currentRun.toStdString())["state"].string() != "finished";
    m_resume->setEnabled(resumable);
}

bool TrainingPanel::isBusy() const
{
    return m_engine->isRunning() || m_slurm->isActive() || m_job == Job::Prepare || m_job == Job::Train || m_job == Job::Eval;
}

void TrainingPanel::setStatus(const QString& text, bool error)
{
    if (text == m_status->text() && error == !m_status->styleSheet().isEmpty())
        return;
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #e05a4f; font-weight: bold;") : QString());
    if (error)
        emit message(text);
}

void TrainingPanel::appendLog(const QString& line)
{
    m_log->appendPlainText(line);
    if (m_job == Job::Prepare) {
        static const QRegularExpression re(QStringLiteral("^\\s*(\\d+)% preparing"));
        if (const auto m = re.match(line); m.hasMatch()) {
            m_progress->setValue(m.captured(1).toInt() * 10);
            m_progress->setFormat(tr("preparing %p%"));
        }
    }
}

QString TrainingPanel::shardsDirFor(const TrainingForm& f) const
{
    const QString root = QString::fromStdString(m_ds->root);
    const QByteArray h = QCryptographicHash::hash(root.toUtf8(), QCryptographicHash::Sha1).toHex().left(10);
    // A run on an SSH host reads them there: in the runs folder, which that host sees; else in this computer's cache.
    const QString base = f.runOn == QLatin1String("ssh") ? QDir(m_runsRoot).filePath(QStringLiteral("shards"))
                                                         : QString::fromStdString((appCacheDir() / "shards").string());
    return base
        + QStringLiteral("/%1-%2-%3-%4")
              .arg(QFileInfo(root).fileName(), QString::fromStdString(f.train.task))
              .arg(f.train.size)
              .arg(QString::fromLatin1(h));
}

shards::PreparedFrom TrainingPanel::preparedFrom(const TrainingForm& f) const
{
    shards::PreparedFrom p;
    p.dataset = m_ds->root;
    p.task = f.train.task;
    p.size = f.train.size;
    p.images = (long long)m_ds->images.size();
    p.abnormalities = (long long)m_ds->abnormalities.size();
    p.annotations = m_annotations.toStdString();
    p.annotationRows = m_annotationRows;
    return p;
}

bool TrainingPanel::shardsCurrent(const QString& dir, const TrainingForm& f) const
{
    return shards::preparedFromCurrent(dir.toStdString(), preparedFrom(f));
}

void TrainingPanel::setAnnotations(const QString& storePath, long long auditRows, bool hasCorrections)
{
    m_annotations = hasCorrections ? storePath : QString();
    m_annotationRows = hasCorrections ? auditRows : 0;
}

void TrainingPanel::writeShardsStamp(const QString& dir, const TrainingForm& f)
{
    const std::string err = shards::writePreparedFrom(dir.toStdString(), preparedFrom(f));
    if (!err.empty()) // the shards are used all the same, and prepared again next time
        appendLog(tr("Could not record what the shards were prepared from: %1").arg(QString::fromStdString(err)));
}

QString TrainingPanel::uniqueRunDir(const QString& name) const
{
    QString dir = QDir(m_runsRoot).filePath(name);
    for (int i = 2; QFileInfo::exists(dir); ++i)
        dir = QDir(m_runsRoot).filePath(QStringLiteral("%1-%2").arg(name).arg(i));
    return dir;
}

bool TrainingPanel::start()
{
    if (isBusy())
        return false;
    const QStringList errors = validationErrors();
    if (!errors.isEmpty()) {
        setStatus(errors.first(), true);
        return false;
    }
    m_pending = form();
    const QString name = m_pending.name.isEmpty()
        ? QStringLiteral("%1-%2-%3-%4")
              .arg(QString::fromStdString(m_pending.train.arch),
                  m_pending.train.mode == "finetune" ? QStringLiteral("ft") : QStringLiteral("fe"),
                  QString::fromStdString(m_pending.train.device).section(QLatin1Char(':'), 0, 0),
                  QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")))
        : m_pending.name;
    m_pendingRunDir = uniqueRunDir(name);
    m_log->clear();
    if (m_pending.source == QLatin1String("synthetic")) {
        launchTraining(QStringLiteral("synth:%1:%2").arg(m_pending.synthPatients).arg(m_pending.synthSeed));
        return true;
    }
    if (m_pending.source == QLatin1String("shards")) {
        launchTraining(m_pending.shardsDir);
        return true;
    }
    const QString shards = shardsDirFor(m_pending);
    if (shardsCurrent(shards, m_pending)) {
        appendLog(tr("Shards are current: %1").arg(shards));
        launchTraining(shards);
        return true;
    }
    // Prepare first (decode once, write shards), then train.
    m_job = Job::Prepare;
    m_progress->setValue(0);
    m_progress->setFormat(tr("preparing %p%"));
    setStatus(tr("Preparing %1 shards from %2 (decoded once; later runs reuse them)…")
                  .arg(QString::fromStdString(m_pending.train.task), QString::fromStdString(m_ds->root)));
    removeTree(shards.toStdString());
    QStringList args { QStringLiteral("prepare"), QString::fromStdString(m_ds->root), QStringLiteral("--task"),
        QString::fromStdString(m_pending.train.task), QStringLiteral("--out"), shards, QStringLiteral("--size"),
        QString::number(m_pending.train.size) };
    if (!m_annotations.isEmpty()) // the curator's corrections are what the network learns from
        args << QStringLiteral("--annotations") << m_annotations;
    m_engine->start(findTool(QStringLiteral("mammoscope-cli")), args);
    m_pendingShards = shards;
    updateButtons();
    return true;
}

void TrainingPanel::launchTraining(const QString& dataSpec)
{
    m_job = Job::Train;
    const QStringList args = trainArguments(m_pending, dataSpec, m_pendingRunDir);
    appendLog(QStringLiteral("$ mammoscope-train %1").arg(args.join(QLatin1Char(' '))));
    setStatus(tr("Starting the engine on %1…").arg(QString::fromStdString(m_pending.train.device)));
    m_progress->setValue(0);
    m_progress->setFormat(tr("loading data"));
    if (!startEngine(m_pending, args)) {
        m_job = Job::None;
        updateButtons();
        return;
    }
    openRun(m_pendingRunDir);
    updateButtons();
    emit runStarted(m_pendingRunDir);
}

void TrainingPanel::stop()
{
    if (m_job == Job::Prepare) {
        m_engine->kill();
        return;
    }
    if (m_slurm->isActive()) {
        setStatus(tr("Stopping SLURM job %1: every rank writes a checkpoint and exits…").arg(m_slurm->jobId()));
        m_slurm->cancel(true);
        return;
    }
    if (m_engine->isRunning()) {
        setStatus(tr("Stopping: the engine writes a checkpoint and exits…"));
        m_engine->requestStop(20000);
    }
}

void TrainingPanel::kill()
{
    if (m_slurm->isActive()) {
        setStatus(tr("Cancelling SLURM job %1…").arg(m_slurm->jobId()));
        m_slurm->cancel(false);
        return;
    }
    if (m_engine->isRunning()) {
        setStatus(tr("Killing the engine…"));
        m_engine->kill();
    }
}

bool TrainingPanel::resume(const QString& dir)
{
    if (isBusy() || dir.isEmpty())
        return false;
    if (!QFileInfo::exists(dir + QStringLiteral("/checkpoints/last/state.json"))) {
        setStatus(tr("%1 has no checkpoint to resume from.").arg(dir), true);
        return false;
    }
    m_job = Job::Train;
    m_log->clear();
    QStringList args = { QStringLiteral("train"), QStringLiteral("--resume"), dir };
    const QString dev = m_device->currentData().toString();
    // Resume on the device the form names when it differs (e.g. started on a GPU, continued on the CPU).
    runs::RunConfig rc;
    runs::readRunConfig(dir.toStdString(), rc);
    if (!dev.isEmpty() && dev.toStdString() != rc.train.device)
        args << QStringLiteral("--device") << dev;
    appendLog(QStringLiteral("$ mammoscope-train %1").arg(args.join(QLatin1Char(' '))));
    setStatus(tr("Resuming %1…").arg(QFileInfo(dir).fileName()));
    if (!startEngine(form(), args)) {
        m_job = Job::None;
        updateButtons();
        return false;
    }
    m_pendingRunDir = dir;
    openRun(dir);
    updateButtons();
    emit runStarted(dir);
    return true;
}

void TrainingPanel::evaluate(const QString& split)
{
    if (isBusy() || m_currentRun.isEmpty()) {
        setStatus(isBusy() ? tr("Wait for the engine to finish.") : tr("No run to evaluate."), true);
        return;
    }
    m_job = Job::Eval;
    QStringList args
        = { QStringLiteral("eval"), QStringLiteral("--run"), m_currentRun, QStringLiteral("--split"), split, QStringLiteral("--json") };
    const QString dev = m_device->currentData().toString();
    if (!dev.isEmpty())
        args << QStringLiteral("--device") << dev;
    setStatus(tr("Evaluating %1 on the %2 split…").arg(QFileInfo(m_currentRun).fileName(), split));
    if (!startEngine(form(), args))
        m_job = Job::None;
    updateButtons();
}

void TrainingPanel::onEngineFinished(int code, const QString& message)
{
    const Job job = m_job;
    m_job = Job::None;
    if (job == Job::Prepare) {
        const QString shards = m_pendingShards;
        if (code == 0 && QFileInfo::exists(shards + QStringLiteral("/dataset.json"))) {
            writeShardsStamp(shards, m_pending);
            launchTraining(shards);
        } else {
            setStatus(tr("Preparing the shards failed: %1\n%2").arg(message, lastEngineLines(3)), true);
            updateButtons();
        }
        return;
    }
    if (job == Job::Eval) {
        m_eval->refresh();
        if (code == 0) {
            setStatus(tr("Evaluation done: see Evaluation."));
            showPage(1);
        } else {
            setStatus(tr("Evaluation failed: %1\n%2").arg(message, lastEngineLines(3)), true);
        }
        updateButtons();
        emit evaluationDone(m_currentRun, code == 0);
        return;
    }
    if (job != Job::Train)
        return;
    m_charts->pollNow();
    m_charts->replotNow();
    m_history->refresh();
    updateInitChoices();
    if (code == 0) {
        setStatus(tr("%1: %2.").arg(QFileInfo(m_pendingRunDir).fileName(), message));
    } else {
        // The engine failed or crashed: say what it said; the app, the dataset and any curation are untouched.
        setStatus(tr("%1: %2.\nLast engine lines:\n%3").arg(QFileInfo(m_pendingRunDir).fileName(), message, lastEngineLines(6)), true);
    }
    updateButtons();
    emit runEnded(m_pendingRunDir, code, message);
    // A finished run is evaluated on its test split at once: the numbers a report needs.
    if (code == 0 && runs::readStatus(m_pendingRunDir.toStdString())["state"].string() == "finished" && m_pendingRunDir == m_currentRun)
        evaluate(QStringLiteral("test"));
}

void TrainingPanel::openRun(const QString& dir)
{
    m_currentRun = dir.isEmpty() ? QString() : QDir(dir).absolutePath();
    if (dir.isEmpty()) {
        m_charts->setRuns({});
        m_charts->setLive(false);
        m_eval->setRun(QString());
        m_runTitle->setText(tr("No run shown."));
        updateButtons();
        return;
    }
    m_charts->setRuns({ m_currentRun });
    m_charts->setLive(true);
    m_eval->setRun(m_currentRun);
    m_evalSeen = -1;
    if (!m_engine->isRunning()) {
        // A run opened from disk: its log's last lines, and a fresh status line.
        m_log->clear();
        m_status->clear();
        QFile log(m_currentRun + QStringLiteral("/log.txt"));
        if (log.open(QIODevice::ReadOnly)) {
            if (log.size() > 16384)
                log.seek(log.size() - 16384);
            QStringList lines = QString::fromUtf8(log.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            for (const auto& l : lines.mid(std::max<qsizetype>(0, lines.size() - 40)))
                m_log->appendPlainText(l);
        }
    }
    onChartsUpdated();
    updateButtons();
}

void TrainingPanel::compareRuns(const QStringList& dirs)
{
    QStringList names;
    for (const auto& d : dirs) {
        names << QFileInfo(d).fileName();
        m_history->setCompared(d, true);
    }
    m_charts->setRuns(dirs, names);
    m_charts->setLive(true);
    m_runTitle->setText(tr("<b>Comparing %1 runs</b>: %2").arg(dirs.size()).arg(names.join(QStringLiteral(", ")).toHtmlEscaped()));
}

void TrainingPanel::onChartsUpdated()
{
    const runs::RunReader* r = m_charts->reader(0);
    if (!r || m_charts->runs().size() != 1)
        return;
    const runs::RunConfig& cfg = r->runConfig();
    const QString state = QString::fromStdString(r->state());
    const int epochs = cfg.epochs();
    const int epoch = int(r->status()["epoch"].integer());
    double frac = 0;
    if (!r->steps().empty() && epochs > 0)
        frac = std::min(1.0, r->steps().back().epoch / epochs);
    if (!r->epochs().empty() && epochs > 0)
        frac = std::max(frac, double(r->epochs().back().epoch) / epochs);
    const QString title
        = tr("<b>%1</b> · %2 · %3 · %4 · %5")
              .arg(QFileInfo(m_currentRun).fileName().toHtmlEscaped(),
                  QString::fromStdString(cfg.command == "crossval" ? "U-Net" : cfg.train.arch),
                  cfg.command == "crossval"                    ? tr("cross-validation")
                      : cfg.train.mode == "feature-extraction" ? tr("feature extraction")
                                                               : tr("fine-tuning"),
                  QString::fromStdString(cfg.deviceName).toHtmlEscaped(), QString::fromStdString(cfg.dataDescription).toHtmlEscaped());
    if (m_runTitle->text() != title) // rich text relayouts: only when it changed
        m_runTitle->setText(title);
    if (m_job != Job::Prepare) {
        m_progress->setValue(int(1000 * frac));
        m_progress->setFormat(epochs > 0
                ? tr("epoch %1 of %2").arg(std::min(epochs, epoch + (state == QLatin1String("running") ? 1 : 0))).arg(epochs)
                : QString());
    }
    if (m_job == Job::Train && !r->steps().empty()) {
        const auto& s = r->steps().back();
        QString text = tr("%1 · epoch %2 · loss %3 · %4 images/s")
                           .arg(state)
                           .arg(s.epoch, 0, 'f', 2)
                           .arg(s.loss, 0, 'f', 4)
                           .arg(s.imagesPerS, 0, 'f', 0);
        if (!r->epochs().empty() && r->epochs().back().valAccuracy >= 0)
            text += tr(" · val acc %1").arg(r->epochs().back().valAccuracy, 0, 'f', 3);
        setStatus(text);
    } else if (m_job == Job::None && !state.isEmpty() && m_status->text().isEmpty()) {
        const QString msg = QString::fromStdString(r->status()["message"].string());
        QString text = msg.isEmpty() || msg == state ? state : tr("%1: %2").arg(state, msg);
        if (cfg.command == "crossval") {
            // a cross-validation: its pooled held-out figures, when it has them
            const Json cv = runs::readCrossval(r->dir());
            const Json& h = cv["held_out"];
            if (h["froc_masses"].isObject())
                text += tr(" · held-out mass sensitivity at 1 FP/image %1, AUC %2 (train %3)")
                            .arg(h["froc_masses"]["1"]["value"].number(-1), 0, 'f', 2)
                            .arg(h["auc_abnormal_vs_normal"]["value"].number(-1), 0, 'f', 2)
                            .arg(cv["train"]["froc_masses"]["1"]["value"].number(-1), 0, 'f', 2);
            else if (h["dice_breast"].isObject())
                text += tr(" · held-out Dice: breast %1, pectoral %2, fibroglandular %3")
                            .arg(h["dice_breast"]["value"].number(-1), 0, 'f', 2)
                            .arg(h["dice_pectoral"]["value"].number(-1), 0, 'f', 2)
                            .arg(h["dice_fibroglandular"]["value"].number(-1), 0, 'f', 2);
        } else if (!r->epochs().empty()) {
            double bestAcc = -1;
            for (const auto& e : r->epochs())
                bestAcc = std::max(bestAcc, e.valAccuracy);
            const auto& e = r->epochs().back();
            text += tr(" · last epoch: train acc %1").arg(e.trainAccuracy, 0, 'f', 3);
            if (e.valAccuracy >= 0)
                text += tr(", val acc %1 (best %2)").arg(e.valAccuracy, 0, 'f', 3).arg(bestAcc, 0, 'f', 3);
        }
        setStatus(text);
    }
    // The evaluation page follows new epochs (a new validation report), not every step.
    if (m_eval->runDir() == m_currentRun && int(r->epochs().size() + r->evals().size()) != m_evalSeen) {
        m_evalSeen = int(r->epochs().size() + r->evals().size());
        m_eval->refresh();
    }
}

void TrainingPanel::showPage(int page)
{
    m_pages->setCurrentIndex(page);
}

} // namespace ms::ui

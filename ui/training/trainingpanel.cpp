// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/training/trainingpanel.h"

#include "core/common/json.h"
#include "core/common/paths.h"
#include "core/runs/runreader.h"
#include "core/shards/shards.h"
#include "ui/training/engineprocess.h"
#include "ui/training/evalview.h"
#include "ui/training/runcharts.h"
#include "ui/training/runhistory.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
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
#include <QTabWidget>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>

#include <memory>

namespace ms::ui
{

namespace
{
const char* kPresets[] = { "Quick CPU demo", "Seed report: feature extraction", "Seed report: fine-tuning", "Full GPU" };

void setCombo(QComboBox* c, const QString& data)
{
    const int i = c->findData(data);
    if (i >= 0)
        c->setCurrentIndex(i);
}
} // namespace

TrainingPanel::TrainingPanel(QWidget* parent) : QWidget(parent), m_engine(new EngineProcess(this)), m_history(new RunHistoryModel(this))
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
    connect(m_charts, &RunCharts::updated, this, &TrainingPanel::onChartsUpdated);
    connect(m_eval, &EvalView::evaluateRequested, this, &TrainingPanel::evaluate);
    connect(m_eval, &EvalView::openSample, this, &TrainingPanel::openSample);

    setRunsRoot(QString::fromStdString((appDataDir() / "runs").string()));
    setDevices({ DeviceInfo { QStringLiteral("cpu"), tr("CPU"), 0, 0 } });
    applyPreset(QString::fromLatin1(kPresets[0]));
    queryDevices();
}

TrainingPanel::~TrainingPanel() = default;

QStringList TrainingPanel::presetNames()
{
    QStringList out;
    for (const char* p : kPresets)
        out << QString::fromLatin1(p);
    return out;
}

QWidget* TrainingPanel::buildForm()
{
    auto* w = new QWidget;
    auto* v = new QVBoxLayout(w);
    m_preset = new QComboBox(w);
    m_preset->setObjectName(QStringLiteral("preset"));
    m_preset->addItem(tr("Custom"));
    for (const auto& p : presetNames())
        m_preset->addItem(tr(qPrintable(p)), p);
    auto* presetRow = new QFormLayout;
    presetRow->addRow(tr("Preset"), m_preset);
    v->addLayout(presetRow);

    auto group = [w, v](const QString& title) {
        auto* g = new QGroupBox(title, w);
        auto* f = new QFormLayout(g);
        f->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
        v->addWidget(g);
        return f;
    };
    auto spin = [w](int lo, int hi, int val) {
        auto* s = new QSpinBox(w);
        s->setRange(lo, hi);
        s->setValue(val);
        return s;
    };
    auto dspin = [w](double lo, double hi, double val, int decimals, double step) {
        auto* s = new QDoubleSpinBox(w);
        s->setDecimals(decimals);
        s->setRange(lo, hi);
        s->setValue(val);
        s->setSingleStep(step);
        return s;
    };

    auto* dataGroup = group(tr("Data"));
    m_source = new QComboBox(w);
    m_source->setObjectName(QStringLiteral("source"));
    m_source->addItem(tr("Open dataset (prepared to shards)"), QStringLiteral("dataset"));
    m_source->addItem(tr("Synthetic phantoms, in memory"), QStringLiteral("synthetic"));
    m_source->addItem(tr("Shard folder"), QStringLiteral("shards"));
    dataGroup->addRow(tr("Source"), m_source);
    m_synthPatients = spin(4, 5000, 150);
    m_synthSeed = spin(0, 1000000, 7);
    auto* synthRow = new QHBoxLayout;
    synthRow->addWidget(m_synthPatients);
    synthRow->addWidget(new QLabel(tr("seed"), w));
    synthRow->addWidget(m_synthSeed);
    dataGroup->addRow(tr("Patients"), synthRow);
    m_shardsDir = new QLineEdit(w);
    m_shardsDir->setPlaceholderText(tr("folder with dataset.json"));
    auto* browse = new QPushButton(tr("…"), w);
    browse->setMaximumWidth(32);
    auto* shardRow = new QHBoxLayout;
    shardRow->addWidget(m_shardsDir);
    shardRow->addWidget(browse);
    dataGroup->addRow(tr("Shards"), shardRow);
    m_task = new QComboBox(w);
    m_task->addItem(tr("patches: 5 classes (TFDS cbis_ddsm)"), QStringLiteral("patches"));
    m_task->addItem(tr("roi: benign vs malignant crops"), QStringLiteral("roi"));
    m_task->addItem(tr("whole: malignant vs not, whole image"), QStringLiteral("whole"));
    dataGroup->addRow(tr("Task"), m_task);
    m_size = spin(32, 2048, 96);
    m_size->setSingleStep(32);
    m_size->setSuffix(tr(" px"));
    dataGroup->addRow(tr("Sample size"), m_size);

    auto* model = group(tr("Model"));
    m_arch = new QComboBox(w);
    m_arch->addItem(tr("compact CNN (fast on a CPU)"), QStringLiteral("compact"));
    m_arch->addItem(QStringLiteral("ResNet-18"), QStringLiteral("resnet18"));
    m_arch->addItem(QStringLiteral("ResNet-34"), QStringLiteral("resnet34"));
    m_arch->addItem(QStringLiteral("ResNet-50"), QStringLiteral("resnet50"));
    model->addRow(tr("Architecture"), m_arch);
    m_init = new QComboBox(w);
    m_init->setObjectName(QStringLiteral("init"));
    model->addRow(tr("Initialisation"), m_init);
    m_mode = new QComboBox(w);
    m_mode->addItem(tr("fine-tuning (all layers learn)"), QStringLiteral("finetune"));
    m_mode->addItem(tr("feature extraction (frozen backbone)"), QStringLiteral("feature-extraction"));
    model->addRow(tr("Mode"), m_mode);
    m_backboneMult = dspin(0.0, 1.0, 1.0, 3, 0.05);
    m_backboneMult->setToolTip(tr("Fine-tuning: the backbone learns at the learning rate times this"));
    model->addRow(tr("Backbone LR ×"), m_backboneMult);

    auto* opt = group(tr("Optimisation"));
    m_epochs = spin(1, 1000, 10);
    m_batch = spin(1, 4096, 64);
    m_lr = dspin(1e-6, 1.0, 0.003, 6, 0.0005);
    m_optimizer = new QComboBox(w);
    m_optimizer->addItem(tr("Adam (as in the seed report)"), QStringLiteral("adam"));
    m_optimizer->addItem(tr("SGD with momentum"), QStringLiteral("sgd"));
    m_schedule = new QComboBox(w);
    for (const char* s : { "cosine", "step", "onecycle", "constant" })
        m_schedule->addItem(QString::fromLatin1(s), QString::fromLatin1(s));
    m_warmup = dspin(0, 100, 0, 1, 0.5);
    m_warmup->setSuffix(tr(" epochs"));
    m_weightDecay = dspin(0, 1, 1e-4, 6, 1e-4);
    m_augment = new QComboBox(w);
    m_augment->addItem(tr("default (flips, 90° turns, affine, gamma)"), QStringLiteral("default"));
    m_augment->addItem(tr("flips and 90° turns"), QStringLiteral("flip,rot90"));
    m_augment->addItem(tr("none"), QStringLiteral("none"));
    m_classWeights = new QCheckBox(tr("weight classes by inverse frequency"), w);
    m_earlyStop = spin(0, 100, 0);
    m_earlyStop->setSpecialValueText(tr("off"));
    m_seed = spin(0, 1000000, 1);
    opt->addRow(tr("Epochs"), m_epochs);
    opt->addRow(tr("Batch size"), m_batch);
    opt->addRow(tr("Learning rate"), m_lr);
    opt->addRow(tr("Optimizer"), m_optimizer);
    opt->addRow(tr("Schedule"), m_schedule);
    opt->addRow(tr("Warm-up"), m_warmup);
    opt->addRow(tr("Weight decay"), m_weightDecay);
    opt->addRow(tr("Augmentation"), m_augment);
    opt->addRow(QString(), m_classWeights);
    opt->addRow(tr("Early stop after"), m_earlyStop);
    opt->addRow(tr("Seed"), m_seed);

    auto* dev = group(tr("Device"));
    m_device = new QComboBox(w);
    m_device->setObjectName(QStringLiteral("device"));
    m_bf16 = new QCheckBox(tr("bf16 autocast (CUDA)"), w);
    m_channelsLast = new QCheckBox(tr("channels-last memory format"), w);
    m_threads = spin(0, 256, 0);
    m_threads->setSpecialValueText(tr("all cores"));
    dev->addRow(tr("Device"), m_device);
    dev->addRow(QString(), m_bf16);
    dev->addRow(QString(), m_channelsLast);
    dev->addRow(tr("CPU threads"), m_threads);

    auto* runGroup = group(tr("Run"));
    m_name = new QLineEdit(w);
    m_name->setObjectName(QStringLiteral("runName"));
    m_name->setPlaceholderText(tr("automatic (architecture, mode, time)"));
    runGroup->addRow(tr("Name"), m_name);

    m_validation = new QLabel(w);
    m_validation->setObjectName(QStringLiteral("validation"));
    m_validation->setWordWrap(true);
    m_validation->setTextFormat(Qt::RichText);
    v->addWidget(m_validation);
    m_start = new QPushButton(tr("Start"), w);
    m_start->setObjectName(QStringLiteral("start"));
    m_start->setDefault(true);
    m_stop = new QPushButton(tr("Stop"), w);
    m_stop->setToolTip(tr("Checkpoint and stop; the run can be resumed"));
    m_kill = new QPushButton(tr("Kill"), w);
    m_kill->setToolTip(tr("End the engine now (the last checkpoint is kept)"));
    m_resume = new QPushButton(tr("Resume"), w);
    m_resume->setToolTip(tr("Continue the run shown (stopped or crashed) where it stopped"));
    auto* buttons = new QHBoxLayout;
    for (auto* b : { m_start, m_stop, m_kill, m_resume })
        buttons->addWidget(b);
    v->addLayout(buttons);
    v->addStretch();

    connect(m_preset, &QComboBox::activated, this, [this](int i) {
        if (i > 0)
            applyPreset(m_preset->itemData(i).toString());
    });
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Shard folder"), m_shardsDir->text());
        if (!d.isEmpty())
            m_shardsDir->setText(d);
    });
    connect(m_start, &QPushButton::clicked, this, [this] { start(); });
    connect(m_stop, &QPushButton::clicked, this, &TrainingPanel::stop);
    connect(m_kill, &QPushButton::clicked, this, &TrainingPanel::kill);
    connect(m_resume, &QPushButton::clicked, this, [this] { resume(m_currentRun); });
    connect(m_arch, &QComboBox::currentIndexChanged, this, &TrainingPanel::updateInitChoices);
    connect(m_init, &QComboBox::activated, this, [this](int i) {
        if (m_init->itemData(i).toString() != QLatin1String("browse"))
            return;
        const QString f = QFileDialog::getOpenFileName(this, tr("Weights"), QString(), tr("safetensors (*.safetensors)"));
        if (f.isEmpty()) {
            m_init->setCurrentIndex(0);
            return;
        }
        m_init->insertItem(1, QFileInfo(f).fileName(), f);
        m_init->setCurrentIndex(1);
    });
    // Any edit: the preset becomes Custom and the form is validated again.
    auto edited = [this] { updateValidation(); };
    for (auto* c : { m_source, m_task, m_arch, m_init, m_mode, m_optimizer, m_schedule, m_augment, m_device })
        connect(c, &QComboBox::currentIndexChanged, this, edited);
    for (auto* s : { m_synthPatients, m_synthSeed, m_size, m_epochs, m_batch, m_earlyStop, m_seed, m_threads })
        connect(s, &QSpinBox::valueChanged, this, edited);
    for (auto* s : { m_lr, m_backboneMult, m_warmup, m_weightDecay })
        connect(s, &QDoubleSpinBox::valueChanged, this, edited);
    for (auto* c : { m_classWeights, m_bf16, m_channelsLast })
        connect(c, &QCheckBox::toggled, this, edited);
    connect(m_shardsDir, &QLineEdit::textChanged, this, edited);
    connect(m_name, &QLineEdit::textChanged, this, edited);
    return w;
}

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
    setCombo(m_device, cur.isEmpty() ? QStringLiteral("cpu") : cur);
    m_bench->setDevices(devices);
    updateValidation();
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

void TrainingPanel::updateInitChoices()
{
    const QString cur = m_init->currentData().toString();
    const QString arch = m_arch->currentData().toString();
    m_init->blockSignals(true);
    m_init->clear();
    m_init->addItem(tr("from scratch (random weights)"), QString());
    // The best checkpoint of earlier runs with the same architecture (e.g. a backbone trained on another task).
    for (int r = 0; r < m_history->rowCount(); ++r) {
        const RunInfo& info = m_history->run(r);
        const QString w = info.dir + QStringLiteral("/checkpoints/best/model.safetensors");
        if (info.arch == arch && QFileInfo::exists(w))
            m_init->addItem(tr("best of run %1 (%2)").arg(info.name, info.task), w);
    }
    if (!cur.isEmpty() && cur != QLatin1String("browse") && m_init->findData(cur) < 0 && QFileInfo::exists(cur))
        m_init->addItem(QFileInfo(cur).fileName(), cur);
    m_init->addItem(tr("weights file…"), QStringLiteral("browse"));
    m_init->blockSignals(false);
    const int i = m_init->findData(cur);
    m_init->setCurrentIndex(i >= 0 && cur != QLatin1String("browse") ? i : 0);
}

void TrainingPanel::applyPreset(const QString& name)
{
    TrainingForm f = form();
    f.mode = QStringLiteral("finetune");
    f.init.clear();
    f.backboneLrMult = 1.0;
    f.bf16 = f.channelsLast = false;
    f.warmup = 0;
    f.earlyStop = 0;
    f.optimizer = QStringLiteral("adam");
    f.weightDecay = 1e-4;
    f.augment = QStringLiteral("default");
    f.task = QStringLiteral("patches");
    f.device = QStringLiteral("cpu");
    f.name.clear();
    f.logEvery = 0;
    if (name == QLatin1String("Quick CPU demo")) {
        // Measured: a few minutes on 2 cores (README); learns the five patch classes well above chance.
        // Measured on a 2-core machine: 3.5 minutes, loss falling and train accuracy rising every epoch. At lr 0.003
        // with class weights the validation accuracy swung between 0.13 and 0.56 from one epoch to the next.
        f.arch = QStringLiteral("compact");
        f.size = 96;
        f.epochs = 10;
        f.batch = 64;
        f.lr = 0.001;
        f.schedule = QStringLiteral("cosine");
        f.classWeights = false;
        f.logEvery = 2; // a point every 2 steps: a few dozen points an epoch to watch
        // 150 phantom patients in memory: enough lesions of each class to learn from, no prepare step (the demo
        // dataset on disk is smaller and meant for reading). Switch the source to train on the open dataset.
        f.source = QStringLiteral("synthetic");
        f.synthPatients = 150;
        f.synthSeed = 7;
    } else if (name == QLatin1String("Seed report: feature extraction") || name == QLatin1String("Seed report: fine-tuning")) {
        // The seed: a pretrained CNN, Adam, 224 px; the backbone frozen (feature extraction) or trained (fine-tuning).
        f.arch = QStringLiteral("resnet18");
        f.size = 224;
        f.epochs = 10;
        f.batch = 32;
        f.optimizer = QStringLiteral("adam");
        f.schedule = QStringLiteral("constant");
        f.classWeights = true;
        const bool fe = name.contains(QLatin1String("feature"));
        f.mode = fe ? QStringLiteral("feature-extraction") : QStringLiteral("finetune");
        f.lr = fe ? 1e-3 : 1e-4;
        f.backboneLrMult = fe ? 1.0 : 0.1;
        // Weights from an earlier run of the same architecture, when there is one (no download here).
        for (int i = 1; i < m_init->count(); ++i)
            if (m_init->itemData(i).toString().endsWith(QLatin1String(".safetensors"))) {
                f.init = m_init->itemData(i).toString();
                break;
            }
        for (const auto& d : std::as_const(m_devices))
            if (d.id.startsWith(QLatin1String("cuda"))) {
                f.device = d.id;
                f.bf16 = f.channelsLast = true;
                break;
            }
    } else if (name == QLatin1String("Full GPU")) {
        f.arch = QStringLiteral("resnet50");
        f.size = 224;
        f.epochs = 30;
        f.batch = 256;
        f.lr = 1e-3;
        f.schedule = QStringLiteral("cosine");
        f.warmup = 1;
        f.classWeights = true;
        f.earlyStop = 8;
        f.bf16 = f.channelsLast = true;
        f.device.clear();
        for (const auto& d : std::as_const(m_devices))
            if (d.id.startsWith(QLatin1String("cuda"))) {
                f.device = d.id;
                break;
            }
        if (f.device.isEmpty())
            f.device = QStringLiteral("cuda");
    }
    setForm(f);
    const int i = m_preset->findData(name);
    m_preset->setCurrentIndex(i >= 0 ? i : 0);
    updateValidation();
}

TrainingForm TrainingPanel::form() const
{
    TrainingForm f;
    f.source = m_source->currentData().toString();
    f.synthPatients = m_synthPatients->value();
    f.synthSeed = m_synthSeed->value();
    f.shardsDir = m_shardsDir->text().trimmed();
    f.task = m_task->currentData().toString();
    f.size = m_size->value();
    f.arch = m_arch->currentData().toString();
    f.init = m_init->currentData().toString();
    if (f.init == QLatin1String("browse"))
        f.init.clear();
    f.mode = m_mode->currentData().toString();
    f.backboneLrMult = m_backboneMult->value();
    f.epochs = m_epochs->value();
    f.batch = m_batch->value();
    f.lr = m_lr->value();
    f.optimizer = m_optimizer->currentData().toString();
    f.schedule = m_schedule->currentData().toString();
    f.warmup = m_warmup->value();
    f.weightDecay = m_weightDecay->value();
    f.augment = m_augment->currentData().toString();
    f.classWeights = m_classWeights->isChecked();
    f.earlyStop = m_earlyStop->value();
    f.device = m_device->currentData().toString();
    if (f.device.isEmpty())
        f.device = m_device->currentText();
    f.bf16 = m_bf16->isChecked();
    f.channelsLast = m_channelsLast->isChecked();
    f.seed = m_seed->value();
    f.threads = m_threads->value();
    f.name = m_name->text().trimmed();
    f.logEvery = m_logEvery;
    return f;
}

void TrainingPanel::setForm(const TrainingForm& f)
{
    setCombo(m_source, f.source);
    m_synthPatients->setValue(f.synthPatients);
    m_synthSeed->setValue(f.synthSeed);
    m_shardsDir->setText(f.shardsDir);
    setCombo(m_task, f.task);
    m_size->setValue(f.size);
    setCombo(m_arch, f.arch);
    updateInitChoices();
    if (f.init.isEmpty()) {
        m_init->setCurrentIndex(0);
    } else {
        if (m_init->findData(f.init) < 0)
            m_init->insertItem(1, QFileInfo(f.init).fileName(), f.init);
        setCombo(m_init, f.init);
    }
    setCombo(m_mode, f.mode);
    m_backboneMult->setValue(f.backboneLrMult);
    m_epochs->setValue(f.epochs);
    m_batch->setValue(f.batch);
    m_lr->setValue(f.lr);
    setCombo(m_optimizer, f.optimizer);
    setCombo(m_schedule, f.schedule);
    m_warmup->setValue(f.warmup);
    m_weightDecay->setValue(f.weightDecay);
    setCombo(m_augment, f.augment);
    m_classWeights->setChecked(f.classWeights);
    m_earlyStop->setValue(f.earlyStop);
    if (m_device->findData(f.device) < 0)
        m_device->addItem(tr("%1 (not available)").arg(f.device), f.device);
    setCombo(m_device, f.device);
    m_bf16->setChecked(f.bf16);
    m_channelsLast->setChecked(f.channelsLast);
    m_seed->setValue(f.seed);
    m_threads->setValue(f.threads);
    m_name->setText(f.name);
    m_logEvery = f.logEvery;
}

QStringList TrainingPanel::validationErrors() const
{
    QStringList e;
    const TrainingForm f = form();
    if (findTool(QStringLiteral("mammoscope-train")).isEmpty())
        e << tr("The engine, mammoscope-train, is not installed beside the app or on PATH.");
    if (f.source == QLatin1String("dataset")) {
        if (!m_ds)
            e << tr("No dataset is open: open one, or train on synthetic phantoms.");
        else if (m_ds->abnormalities.empty() && f.task != QLatin1String("whole"))
            e << tr("The open dataset has no abnormalities with ROIs: the %1 task needs them.").arg(f.task);
    } else if (f.source == QLatin1String("shards")) {
        if (f.shardsDir.isEmpty())
            e << tr("Choose a shard folder (made by mammoscope-cli prepare).");
        else if (!QFileInfo::exists(f.shardsDir + QStringLiteral("/dataset.json")))
            e << tr("%1 has no dataset.json: it is not a shard folder.").arg(f.shardsDir);
    }
    const bool cuda = f.device.startsWith(QLatin1String("cuda"));
    bool known = false;
    for (const auto& d : m_devices)
        known = known || d.id == f.device || (f.device == QLatin1String("cuda") && d.id.startsWith(QLatin1String("cuda")));
    if (!known)
        e << (cuda ? tr("No CUDA device: this engine sees only the CPU (Debian's LibTorch is CPU-only; see the README for a CUDA build).")
                   : tr("Unknown device %1.").arg(f.device));
    if (f.bf16 && !cuda)
        e << tr("bf16 autocast is for CUDA devices; on the CPU the engine trains in fp32. Untick bf16 or choose a GPU.");
    if (f.mode == QLatin1String("feature-extraction") && f.init.isEmpty())
        e << tr("Feature extraction trains only the head on a frozen backbone: from random weights the backbone extracts "
                "nothing useful. Choose imported weights (or a backbone from an earlier run), or fine-tuning.");
    if (f.batch < 2)
        e << tr("Batch size 1 cannot train batch normalisation; use 2 or more.");
    if (f.arch == QLatin1String("compact") && !f.init.isEmpty() && !f.init.contains(QLatin1String("/checkpoints/")))
        e << tr("Imported (torchvision) weights are for the ResNets, not the compact CNN.");
    if (!f.name.isEmpty()) {
        if (f.name.contains(QLatin1Char('/')) || f.name.startsWith(QLatin1Char('.')))
            e << tr("The run name cannot contain '/' or start with '.'.");
        else if (QFileInfo::exists(QDir(m_runsRoot).filePath(f.name)))
            e << tr("A run named %1 exists already.").arg(f.name);
    }
    if (f.warmup >= f.epochs)
        e << tr("The warm-up (%1 epochs) must be shorter than the run (%2 epochs).").arg(f.warmup).arg(f.epochs);
    return e;
}

QStringList TrainingPanel::validationWarnings() const
{
    QStringList w;
    const TrainingForm f = form();
    const bool cuda = f.device.startsWith(QLatin1String("cuda"));
    if (!cuda && f.arch == QLatin1String("resnet50") && f.size >= 224)
        w << tr("ResNet-50 at %1 px on the CPU is slow (tens of images/s): expect hours.").arg(f.size);
    if (!cuda && f.batch > 128)
        w << tr("Batch %1 on the CPU needs a lot of memory.").arg(f.batch);
    if (f.mode == QLatin1String("finetune") && !f.init.isEmpty() && f.backboneLrMult >= 1.0 && f.lr >= 1e-3)
        w << tr("Fine-tuning pretrained weights at learning rate %1 may wash them out; a backbone LR × 0.1 is usual.").arg(f.lr);
    if (f.mode == QLatin1String("feature-extraction") && f.backboneLrMult != 1.0)
        w << tr("The backbone LR multiplier does nothing in feature extraction (the backbone is frozen).");
    if (f.source == QLatin1String("synthetic") && f.synthPatients < 20)
        w << tr("With %1 patients the validation split (15 % of patients) may be empty: no validation curves.").arg(f.synthPatients);
    if (!cuda && f.channelsLast)
        w << tr("channels-last pays on GPUs; on the CPU it changes little.");
    if (f.source == QLatin1String("shards") && QFileInfo::exists(f.shardsDir + QStringLiteral("/dataset.json"))) {
        auto m = shards::readManifest(f.shardsDir.toStdString());
        if (m && QString::fromStdString(m->task) != f.task)
            w << tr("The shards hold the %1 task; the engine trains on what the shards hold.").arg(QString::fromStdString(m->task));
    }
    return w;
}

void TrainingPanel::updateValidation()
{
    if (!m_validation)
        return;
    const QStringList e = validationErrors(), w = validationWarnings();
    QString html;
    for (const auto& s : e)
        html += QStringLiteral("<p style='color:#e05a4f'>✖ %1</p>").arg(s.toHtmlEscaped());
    for (const auto& s : w)
        html += QStringLiteral("<p style='color:#d9a400'>⚠ %1</p>").arg(s.toHtmlEscaped());
    m_validation->setText(html);
    m_validation->setVisible(!html.isEmpty());
    // A changed form is no longer the preset it came from.
    updateButtons();
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
    return m_engine->isRunning() || m_job == Job::Prepare || m_job == Job::Train || m_job == Job::Eval;
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
    return QString::fromStdString((appCacheDir() / "shards").string())
        + QStringLiteral("/%1-%2-%3-%4").arg(QFileInfo(root).fileName(), f.task).arg(f.size).arg(QString::fromLatin1(h));
}

bool TrainingPanel::shardsCurrent(const QString& dir, const TrainingForm& f) const
{
    // Current when prepared from this dataset as it is now (same images and abnormalities) with the same options.
    QFile stamp(dir + QStringLiteral("/prepared-from.json"));
    if (!stamp.open(QIODevice::ReadOnly) || !QFileInfo::exists(dir + QStringLiteral("/dataset.json")))
        return false;
    const QByteArray b = stamp.readAll();
    auto j = Json::parse(std::string_view(b.constData(), size_t(b.size())));
    return j && (*j)["dataset"].string() == m_ds->root && (*j)["task"].string() == f.task.toStdString() && (*j)["size"].integer() == f.size
        && (*j)["images"].integer() == (long long)m_ds->images.size()
        && (*j)["abnormalities"].integer() == (long long)m_ds->abnormalities.size();
}

void TrainingPanel::writeShardsStamp(const QString& dir, const TrainingForm& f) const
{
    Json j = Json::object();
    j.set("dataset", m_ds->root);
    j.set("task", f.task.toStdString());
    j.set("size", f.size);
    j.set("images", (long long)m_ds->images.size());
    j.set("abnormalities", (long long)m_ds->abnormalities.size());
    (void)writeFileAtomic((dir + QStringLiteral("/prepared-from.json")).toStdString(), j.dump(2) + "\n");
}

QString TrainingPanel::uniqueRunDir(const QString& name) const
{
    QString dir = QDir(m_runsRoot).filePath(name);
    for (int i = 2; QFileInfo::exists(dir); ++i)
        dir = QDir(m_runsRoot).filePath(QStringLiteral("%1-%2").arg(name).arg(i));
    return dir;
}

QStringList TrainingPanel::trainArguments(const TrainingForm& f, const QString& dataSpec, const QString& runDir) const
{
    QStringList a
        = { QStringLiteral("train"), QStringLiteral("--data"), dataSpec, QStringLiteral("--run-dir"), runDir, QStringLiteral("--task"),
              f.task, QStringLiteral("--size"), QString::number(f.size), QStringLiteral("--arch"), f.arch, QStringLiteral("--mode"), f.mode,
              QStringLiteral("--device"), f.device, QStringLiteral("--epochs"), QString::number(f.epochs), QStringLiteral("--batch"),
              QString::number(f.batch), QStringLiteral("--lr"), QString::number(f.lr, 'g', 8), QStringLiteral("--backbone-lr-mult"),
              QString::number(f.backboneLrMult, 'g', 6), QStringLiteral("--optimizer"), f.optimizer, QStringLiteral("--schedule"),
              f.schedule, QStringLiteral("--warmup"), QString::number(f.warmup, 'g', 6), QStringLiteral("--weight-decay"),
              QString::number(f.weightDecay, 'g', 8), QStringLiteral("--augment"), f.augment, QStringLiteral("--seed"),
              QString::number(f.seed), QStringLiteral("--amp"), f.bf16 ? QStringLiteral("bf16") : QStringLiteral("none") };
    if (!f.init.isEmpty())
        a << QStringLiteral("--init") << f.init;
    if (f.classWeights)
        a << QStringLiteral("--class-weights");
    if (f.channelsLast)
        a << QStringLiteral("--channels-last");
    if (f.earlyStop > 0)
        a << QStringLiteral("--early-stop") << QString::number(f.earlyStop);
    if (f.threads > 0)
        a << QStringLiteral("--threads") << QString::number(f.threads);
    if (f.logEvery > 0)
        a << QStringLiteral("--log-every") << QString::number(f.logEvery);
    return a;
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
              .arg(m_pending.arch, m_pending.mode == QLatin1String("finetune") ? QStringLiteral("ft") : QStringLiteral("fe"),
                  m_pending.device.section(QLatin1Char(':'), 0, 0),
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
    setStatus(
        tr("Preparing %1 shards from %2 (decoded once; later runs reuse them)…").arg(m_pending.task, QString::fromStdString(m_ds->root)));
    removeTree(shards.toStdString());
    m_engine->start(findTool(QStringLiteral("mammoscope-cli")),
        { QStringLiteral("prepare"), QString::fromStdString(m_ds->root), QStringLiteral("--task"), m_pending.task, QStringLiteral("--out"),
            shards, QStringLiteral("--size"), QString::number(m_pending.size) });
    m_pendingShards = shards;
    updateButtons();
    return true;
}

void TrainingPanel::launchTraining(const QString& dataSpec)
{
    m_job = Job::Train;
    const QStringList args = trainArguments(m_pending, dataSpec, m_pendingRunDir);
    appendLog(QStringLiteral("$ mammoscope-train %1").arg(args.join(QLatin1Char(' '))));
    setStatus(tr("Starting the engine on %1…").arg(m_pending.device));
    m_progress->setValue(0);
    m_progress->setFormat(tr("loading data"));
    if (!m_engine->start(findTool(QStringLiteral("mammoscope-train")), args)) {
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
    if (m_engine->isRunning()) {
        setStatus(tr("Stopping: the engine writes a checkpoint and exits…"));
        m_engine->requestStop(20000);
    }
}

void TrainingPanel::kill()
{
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
    if (!dev.isEmpty() && dev != QString::fromStdString(runs::readConfig(dir.toStdString())["train"]["device"].string()))
        args << QStringLiteral("--device") << dev;
    appendLog(QStringLiteral("$ mammoscope-train %1").arg(args.join(QLatin1Char(' '))));
    setStatus(tr("Resuming %1…").arg(QFileInfo(dir).fileName()));
    if (!m_engine->start(findTool(QStringLiteral("mammoscope-train")), args)) {
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
    if (!m_engine->start(findTool(QStringLiteral("mammoscope-train")), args))
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
            setStatus(tr("Preparing the shards failed: %1\n%2").arg(message, m_engine->lastLines(3)), true);
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
            setStatus(tr("Evaluation failed: %1\n%2").arg(message, m_engine->lastLines(3)), true);
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
        setStatus(tr("%1: %2.\nLast engine lines:\n%3").arg(QFileInfo(m_pendingRunDir).fileName(), message, m_engine->lastLines(6)), true);
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
    const Json& t = r->config()["train"];
    const QString state = QString::fromStdString(r->state());
    const int epochs = int(t["epochs"].integer());
    const int epoch = int(r->status()["epoch"].integer());
    double frac = 0;
    if (!r->steps().empty() && epochs > 0)
        frac = std::min(1.0, r->steps().back().epoch / epochs);
    if (!r->epochs().empty() && epochs > 0)
        frac = std::max(frac, double(r->epochs().back().epoch) / epochs);
    const QString title = tr("<b>%1</b> · %2 · %3 · %4 · %5")
                              .arg(QFileInfo(m_currentRun).fileName().toHtmlEscaped(), QString::fromStdString(t["arch"].string()),
                                  t["mode"].string() == "feature-extraction" ? tr("feature extraction") : tr("fine-tuning"),
                                  QString::fromStdString(r->config()["device_name"].string()).toHtmlEscaped(),
                                  QString::fromStdString(r->config()["data_description"].string()).toHtmlEscaped());
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
        if (!r->epochs().empty()) {
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

// SPDX-License-Identifier: GPL-3.0-or-later
// The Training workspace's configuration form: its widgets, the presets, reading and setting it as a TrainingForm,
// validation (errors keep Start disabled, warnings do not) and the engine arguments it stands for. The run control,
// pages and history are in trainingpanel.cpp.
#include "core/shards/shards.h"
#include "ui/training/engineprocess.h"
#include "ui/training/runhistory.h"
#include "ui/training/trainingpanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

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

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
// The Training workspace's configuration form: its widgets, the presets, reading and setting it as a TrainingForm,
// validation (errors keep Start disabled, warnings do not) and the engine arguments it stands for. The run control,
// pages and history are in trainingpanel.cpp.
#include "core/common/json.h"
#include "core/shards/shards.h"
#include "ui/training/engineprocess.h"
#include "ui/training/runhistory.h"
#include "ui/training/trainingpanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>

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
    m_lrFind = new QPushButton(tr("Find…"), w);
    m_lrFind->setObjectName(QStringLiteral("lrFind"));
    m_lrFind->setToolTip(tr("Learning-rate range test: a few hundred batches with the rate ramped from 1e-7 to 10; sets the rate "
                            "where the loss falls fastest"));
    connect(m_lrFind, &QPushButton::clicked, this, [this] { findLearningRate(); });
    auto* lrRow = new QHBoxLayout;
    lrRow->setContentsMargins(0, 0, 0, 0);
    lrRow->addWidget(m_lr, 1);
    lrRow->addWidget(m_lrFind);
    opt->addRow(tr("Learning rate"), lrRow);
    opt->addRow(tr("Optimizer"), m_optimizer);
    opt->addRow(tr("Schedule"), m_schedule);
    opt->addRow(tr("Warm-up"), m_warmup);
    opt->addRow(tr("Weight decay"), m_weightDecay);
    opt->addRow(tr("Augmentation"), m_augment);
    opt->addRow(QString(), m_classWeights);
    opt->addRow(tr("Early stop after"), m_earlyStop);
    opt->addRow(tr("Seed"), m_seed);

    auto* dev = group(tr("Device"));
    m_deviceForm = dev;
    m_runOn = new QComboBox(w);
    m_runOn->setObjectName(QStringLiteral("runOn"));
    m_runOn->addItem(tr("This computer"), QStringLiteral("local"));
    m_runOn->addItem(tr("SSH host"), QStringLiteral("ssh"));
    m_runOn->addItem(tr("SLURM cluster"), QStringLiteral("slurm"));
    m_runOn->setToolTip(tr("Where the engine runs. On an SSH host, the runs folder and the data must be at the same paths "
                           "there (a shared file system); the run is followed through the connection."));
    m_sshHost = new QLineEdit(w);
    m_sshHost->setObjectName(QStringLiteral("sshHost"));
    m_sshHost->setPlaceholderText(tr("[user@]host or an alias from ~/.ssh/config"));
    m_sshOptions = new QLineEdit(w);
    m_sshOptions->setObjectName(QStringLiteral("sshOptions"));
    m_sshOptions->setPlaceholderText(tr("optional, e.g. -p 2222 -i ~/.ssh/gpu_key"));
    m_remoteEngine = new QLineEdit(QStringLiteral("mammoscope-train"), w);
    m_remoteEngine->setObjectName(QStringLiteral("remoteEngine"));
    m_remoteEngine->setToolTip(tr("The engine's path on the host (found on its PATH when it has no '/')"));
    m_partition = new QLineEdit(w);
    m_partition->setObjectName(QStringLiteral("slurmPartition"));
    m_partition->setPlaceholderText(tr("the cluster's default"));
    m_nodes = spin(1, 4096, 1);
    m_nodes->setObjectName(QStringLiteral("slurmNodes"));
    m_timeLimit = new QLineEdit(w);
    m_timeLimit->setObjectName(QStringLiteral("slurmTime"));
    m_timeLimit->setPlaceholderText(tr("none, or e.g. 12:00:00 or 2-00:00:00"));
    m_queryRemote = new QPushButton(tr("Ask the host for its devices"), w);
    m_queryRemote->setObjectName(QStringLiteral("queryRemoteDevices"));
    m_device = new QComboBox(w);
    m_device->setObjectName(QStringLiteral("device"));
    m_bf16 = new QCheckBox(tr("bf16 autocast (CUDA)"), w);
    m_channelsLast = new QCheckBox(tr("channels-last memory format"), w);
    m_threads = spin(0, 256, 0);
    m_threads->setSpecialValueText(tr("all cores"));
    m_ranks = spin(1, 64, 1);
    m_ranks->setObjectName(QStringLiteral("ranks"));
    m_ranks->setToolTip(tr("Data-parallel ranks on the machine that trains (mammoscope-train --nproc-per-node): one a GPU "
                           "(cuda:0, cuda:1, …) with NCCL, or CPU processes with Gloo. The batch size is per rank."));
    dev->addRow(tr("Run on"), m_runOn);
    dev->addRow(tr("Host"), m_sshHost);
    dev->addRow(tr("SSH options"), m_sshOptions);
    dev->addRow(tr("Engine there"), m_remoteEngine);
    dev->addRow(QString(), m_queryRemote);
    dev->addRow(tr("Partition"), m_partition);
    dev->addRow(tr("Nodes"), m_nodes);
    dev->addRow(tr("Time limit"), m_timeLimit);
    dev->addRow(tr("Device"), m_device);
    m_syncBn = new QCheckBox(tr("synchronised batch norm (statistics of the global batch)"), w);
    m_syncBn->setObjectName(QStringLiteral("syncBn"));
    m_syncBn->setToolTip(tr("With several ranks, batch norm normalises with the statistics of every rank's samples "
                            "(PyTorch's SyncBatchNorm) instead of each rank's own; costs two small all-reduces a layer."));
    dev->addRow(tr("Ranks (GPUs)"), m_ranks);
    dev->addRow(QString(), m_syncBn);
    dev->addRow(QString(), m_bf16);
    dev->addRow(QString(), m_channelsLast);
    dev->addRow(tr("CPU threads"), m_threads);
    connect(m_runOn, &QComboBox::currentIndexChanged, this, [this] { updateRunOn(); });
    connect(m_queryRemote, &QPushButton::clicked, this, [this] { queryRemoteDevices(); });
    for (auto* e : { m_sshHost, m_sshOptions, m_remoteEngine, m_partition, m_timeLimit })
        connect(e, &QLineEdit::textChanged, this, &TrainingPanel::updateValidation);
    connect(m_nodes, &QSpinBox::valueChanged, this, &TrainingPanel::updateValidation);
    connect(m_ranks, &QSpinBox::valueChanged, this, &TrainingPanel::updateValidation);

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
    runs::TrainConfig& t = f.train;
    const runs::TrainConfig engine;
    t.mode = "finetune";
    t.init.clear();
    t.backboneLrMult = 1.0;
    t.amp = "none";
    t.channelsLast = false;
    t.warmup = 0;
    t.earlyStop = 0;
    t.optimizer = "adam";
    t.weightDecay = 1e-4;
    t.augment = "default";
    t.task = "patches";
    t.device = "cpu";
    t.logEvery = engine.logEvery;
    f.name.clear();
    if (name == QLatin1String("Quick CPU demo")) {
        // Measured: a few minutes on 2 cores (README); learns the five patch classes well above chance.
        // Measured on a 2-core machine: 3.5 minutes, loss falling and train accuracy rising every epoch. At lr 0.003
        // with class weights the validation accuracy swung between 0.13 and 0.56 from one epoch to the next.
        t.arch = "compact";
        t.size = 96;
        t.epochs = 10;
        t.batch = 64;
        t.lr = 0.001;
        t.schedule = "cosine";
        t.classWeights = false;
        t.logEvery = 2; // a point every 2 steps: a few dozen points an epoch to watch
        // 150 phantom patients in memory: enough lesions of each class to learn from, no prepare step (the demo
        // dataset on disk is smaller and meant for reading). Switch the source to train on the open dataset.
        f.source = QStringLiteral("synthetic");
        f.synthPatients = 150;
        f.synthSeed = 7;
    } else if (name == QLatin1String("Seed report: feature extraction") || name == QLatin1String("Seed report: fine-tuning")) {
        // The seed: a pretrained CNN, Adam, 224 px; the backbone frozen (feature extraction) or trained (fine-tuning).
        t.arch = "resnet18";
        t.size = 224;
        t.epochs = 10;
        t.batch = 32;
        t.optimizer = "adam";
        t.schedule = "constant";
        t.classWeights = true;
        const bool fe = name.contains(QLatin1String("feature"));
        t.mode = fe ? "feature-extraction" : "finetune";
        t.lr = fe ? 1e-3 : 1e-4;
        t.backboneLrMult = fe ? 1.0 : 0.1;
        // Weights from an earlier run of the same architecture, when there is one (no download here).
        for (int i = 1; i < m_init->count(); ++i)
            if (m_init->itemData(i).toString().endsWith(QLatin1String(".safetensors"))) {
                t.init = m_init->itemData(i).toString().toStdString();
                break;
            }
        for (const auto& d : std::as_const(m_devices))
            if (d.id.startsWith(QLatin1String("cuda"))) {
                t.device = d.id.toStdString();
                t.amp = "bf16";
                t.channelsLast = true;
                break;
            }
    } else if (name == QLatin1String("Full GPU")) {
        t.arch = "resnet50";
        t.size = 224;
        t.epochs = 30;
        t.batch = 256;
        t.lr = 1e-3;
        t.schedule = "cosine";
        t.warmup = 1;
        t.classWeights = true;
        t.earlyStop = 8;
        t.amp = "bf16";
        t.channelsLast = true;
        t.device = "cuda";
        for (const auto& d : std::as_const(m_devices))
            if (d.id.startsWith(QLatin1String("cuda"))) {
                t.device = d.id.toStdString();
                break;
            }
    }
    setForm(f);
    const int i = m_preset->findData(name);
    m_preset->setCurrentIndex(i >= 0 ? i : 0);
    updateValidation();
}

TrainingForm TrainingPanel::form() const
{
    TrainingForm f;
    runs::TrainConfig& t = f.train;
    auto text = [](const QComboBox* c) { return c->currentData().toString().toStdString(); };
    f.source = m_source->currentData().toString();
    f.synthPatients = m_synthPatients->value();
    f.synthSeed = m_synthSeed->value();
    f.shardsDir = m_shardsDir->text().trimmed();
    t.task = text(m_task);
    t.size = m_size->value();
    t.arch = text(m_arch);
    t.init = text(m_init);
    if (t.init == "browse")
        t.init.clear();
    t.mode = text(m_mode);
    t.backboneLrMult = m_backboneMult->value();
    t.epochs = m_epochs->value();
    t.batch = m_batch->value();
    t.lr = m_lr->value();
    t.optimizer = text(m_optimizer);
    t.schedule = text(m_schedule);
    t.warmup = m_warmup->value();
    t.weightDecay = m_weightDecay->value();
    t.augment = text(m_augment);
    t.classWeights = m_classWeights->isChecked();
    t.earlyStop = m_earlyStop->value();
    t.device = text(m_device);
    if (t.device.empty())
        t.device = m_device->currentText().toStdString();
    t.amp = m_bf16->isChecked() ? "bf16" : "none";
    t.channelsLast = m_channelsLast->isChecked();
    t.seed = (unsigned long long)m_seed->value();
    t.threads = m_threads->value();
    t.nprocPerNode = m_ranks->value();
    t.syncBn = m_syncBn->isChecked();
    t.logEvery = m_logEvery;
    f.name = m_name->text().trimmed();
    f.runOn = m_runOn->currentData().toString();
    f.ssh.host = m_sshHost->text().trimmed().toStdString();
    f.ssh.options = m_sshOptions->text().trimmed().toStdString();
    f.ssh.engine = m_remoteEngine->text().trimmed().toStdString();
    f.slurm.partition = m_partition->text().trimmed().toStdString();
    f.slurm.nodes = m_nodes->value();
    f.slurm.timeLimit = m_timeLimit->text().trimmed().toStdString();
    f.slurm.engine = f.ssh.engine;
    return f;
}

void TrainingPanel::setForm(const TrainingForm& f)
{
    const runs::TrainConfig& t = f.train;
    auto q = [](const std::string& s) { return QString::fromStdString(s); };
    setCombo(m_source, f.source);
    m_synthPatients->setValue(f.synthPatients);
    m_synthSeed->setValue(f.synthSeed);
    m_shardsDir->setText(f.shardsDir);
    setCombo(m_task, q(t.task));
    m_size->setValue(t.size);
    setCombo(m_arch, q(t.arch));
    updateInitChoices();
    if (t.init.empty()) {
        m_init->setCurrentIndex(0);
    } else {
        if (m_init->findData(q(t.init)) < 0)
            m_init->insertItem(1, QFileInfo(q(t.init)).fileName(), q(t.init));
        setCombo(m_init, q(t.init));
    }
    setCombo(m_mode, q(t.mode));
    m_backboneMult->setValue(t.backboneLrMult);
    m_epochs->setValue(t.epochs);
    m_batch->setValue(t.batch);
    m_lr->setValue(t.lr);
    setCombo(m_optimizer, q(t.optimizer));
    setCombo(m_schedule, q(t.schedule));
    m_warmup->setValue(t.warmup);
    m_weightDecay->setValue(t.weightDecay);
    setCombo(m_augment, q(t.augment));
    m_classWeights->setChecked(t.classWeights);
    m_earlyStop->setValue(t.earlyStop);
    m_sshHost->setText(q(f.ssh.host)); // where it runs first: that decides the device list
    setCombo(m_runOn, f.runOn);
    updateRunOn();
    QString device = q(t.device);
    if (m_device->findData(device) < 0 && !m_devicesOf.isEmpty() && device.startsWith(QLatin1String("cuda"))
        && m_device->findData(QStringLiteral("cuda")) >= 0)
        device = QStringLiteral("cuda"); // another machine's GPUs: one a rank, whichever it has
    if (m_device->findData(device) < 0)
        m_device->addItem(tr("%1 (not available)").arg(device), device);
    setCombo(m_device, device);
    m_bf16->setChecked(t.amp == "bf16");
    m_channelsLast->setChecked(t.channelsLast);
    m_seed->setValue(int(std::min<unsigned long long>(t.seed, (unsigned long long)m_seed->maximum())));
    m_threads->setValue(t.threads);
    m_ranks->setValue(t.nprocPerNode);
    m_syncBn->setChecked(t.syncBn);
    m_sshOptions->setText(q(f.ssh.options));
    m_remoteEngine->setText(q(f.ssh.engine));
    m_partition->setText(q(f.slurm.partition));
    m_nodes->setValue(f.slurm.nodes);
    m_timeLimit->setText(q(f.slurm.timeLimit));
    m_name->setText(f.name);
    m_logEvery = t.logEvery;
}

QStringList TrainingPanel::validationErrors() const
{
    QStringList e;
    const TrainingForm f = form();
    const runs::TrainConfig& t = f.train;
    const QString device = QString::fromStdString(t.device), task = QString::fromStdString(t.task);
    const bool remote = f.runOn == QLatin1String("ssh"), slurm = f.runOn == QLatin1String("slurm");
    const bool viaSsh = remote || (slurm && !f.ssh.host.empty()); // SLURM: through the login host when one is given
    if (viaSsh) {
        std::string problem;
        std::vector<std::string> words;
        if (const std::string p = runs::sshHostProblem(f.ssh.host); !p.empty())
            e << tr("SSH: %1.").arg(QString::fromStdString(p));
        else if (!runs::splitShellWords(f.ssh.options, words, problem))
            e << tr("SSH: %1.").arg(QString::fromStdString(problem));
        if (QStandardPaths::findExecutable(QStringLiteral("ssh")).isEmpty())
            e << tr("The SSH client (ssh) is not installed here: install openssh-client.");
    }
    if ((remote || slurm) && f.ssh.engine.empty())
        e << tr("Give the engine's path there (or mammoscope-train when it is on that machine's PATH).");
    if (slurm) {
        QString why;
        if (slurmScript(f, { QStringLiteral("train") }, why).isEmpty())
            e << tr("SLURM: %1.").arg(why);
        if (!viaSsh && QStandardPaths::findExecutable(QStringLiteral("sbatch")).isEmpty())
            e << tr("SLURM's sbatch is not installed here: give the cluster's login host, or install slurm-client.");
    } else if (!remote && findTool(QStringLiteral("mammoscope-train")).isEmpty()) {
        e << tr("The engine, mammoscope-train, is not installed beside the app or on PATH.");
    }
    if (f.source == QLatin1String("dataset")) {
        if (!m_ds)
            e << tr("No dataset is open: open one, or train on synthetic phantoms.");
        else if (m_ds->abnormalities.empty() && t.task != "whole")
            e << tr("The open dataset has no abnormalities with ROIs: the %1 task needs them.").arg(task);
    } else if (f.source == QLatin1String("shards")) {
        if (f.shardsDir.isEmpty())
            e << tr("Choose a shard folder (made by mammoscope-cli prepare).");
        else if (!QFileInfo::exists(f.shardsDir + QStringLiteral("/dataset.json")))
            e << tr("%1 has no dataset.json: it is not a shard folder.").arg(f.shardsDir);
    }
    const bool cuda = t.device.rfind("cuda", 0) == 0;
    // The device list is this computer's, or the SSH host's once it was asked; a host not asked yet checks the device
    // itself when the engine starts there (and refuses an unknown one with a message).
    const bool listed = slurm ? false : remote ? m_devicesOf == QString::fromStdString(f.ssh.host) : m_devicesOf.isEmpty();
    bool known = false;
    int gpus = 0;
    for (const auto& d : m_devices) {
        known = known || d.id == device || (device == QLatin1String("cuda") && d.id.startsWith(QLatin1String("cuda")));
        gpus += d.id.startsWith(QLatin1String("cuda")) ? 1 : 0;
    }
    if (listed && !known)
        e << (cuda ? tr("No CUDA device: this engine sees only the CPU (Debian's LibTorch is CPU-only; see the README for a CUDA build).")
                   : tr("Unknown device %1.").arg(device));
    if (listed && cuda && t.nprocPerNode > gpus)
        e << tr("%1 ranks need %1 GPUs (one a rank); %2 has %3.")
                 .arg(t.nprocPerNode)
                 .arg(remote ? QString::fromStdString(f.ssh.host) : tr("this computer"))
                 .arg(gpus);
    if (t.amp == "bf16" && !cuda)
        e << tr("bf16 autocast is for CUDA devices; on the CPU the engine trains in fp32. Untick bf16 or choose a GPU.");
    if (t.mode == "feature-extraction" && t.init.empty())
        e << tr("Feature extraction trains only the head on a frozen backbone: from random weights the backbone extracts "
                "nothing useful. Choose imported weights (or a backbone from an earlier run), or fine-tuning.");
    if (t.batch < 2)
        e << tr("Batch size 1 cannot train batch normalisation; use 2 or more.");
    if (t.arch == "compact" && !t.init.empty() && t.init.find("/checkpoints/") == std::string::npos)
        e << tr("Imported (torchvision) weights are for the ResNets, not the compact CNN.");
    if (!f.name.isEmpty()) {
        if (f.name.contains(QLatin1Char('/')) || f.name.startsWith(QLatin1Char('.')))
            e << tr("The run name cannot contain '/' or start with '.'.");
        else if (QFileInfo::exists(QDir(m_runsRoot).filePath(f.name)))
            e << tr("A run named %1 exists already.").arg(f.name);
    }
    if (t.warmup >= t.epochs)
        e << tr("The warm-up (%1 epochs) must be shorter than the run (%2 epochs).").arg(t.warmup).arg(t.epochs);
    return e;
}

QStringList TrainingPanel::validationWarnings() const
{
    QStringList w;
    const TrainingForm f = form();
    const runs::TrainConfig& t = f.train;
    const QString task = QString::fromStdString(t.task);
    const bool cuda = t.device.rfind("cuda", 0) == 0;
    if (!cuda && t.arch == "resnet50" && t.size >= 224)
        w << tr("ResNet-50 at %1 px on the CPU is slow (tens of images/s): expect hours.").arg(t.size);
    if (!cuda && t.batch > 128)
        w << tr("Batch %1 on the CPU needs a lot of memory.").arg(t.batch);
    if (t.mode == "finetune" && !t.init.empty() && t.backboneLrMult >= 1.0 && t.lr >= 1e-3)
        w << tr("Fine-tuning pretrained weights at learning rate %1 may wash them out; a backbone LR × 0.1 is usual.").arg(t.lr);
    if (t.mode == "feature-extraction" && t.backboneLrMult != 1.0)
        w << tr("The backbone LR multiplier does nothing in feature extraction (the backbone is frozen).");
    if (f.source == QLatin1String("synthetic") && f.synthPatients < 20)
        w << tr("With %1 patients the validation split (15 % of patients) may be empty: no validation curves.").arg(f.synthPatients);
    if (!cuda && t.channelsLast)
        w << tr("channels-last pays on GPUs; on the CPU it changes little.");
    if (!cuda && t.nprocPerNode > 1)
        w << tr("%1 CPU ranks share one machine's cores: data parallel on the CPU checks correctness, it does not speed up.")
                 .arg(t.nprocPerNode);
    if (f.runOn == QLatin1String("ssh"))
        w << tr("On %1 the runs folder (%2) and the data must be at the same paths as here.")
                 .arg(QString::fromStdString(f.ssh.host), m_runsRoot);
    if (f.runOn == QLatin1String("slurm"))
        w << tr("The cluster's nodes must see the runs folder (%1) and the data at the same paths as here.").arg(m_runsRoot);
    if (f.source == QLatin1String("shards") && QFileInfo::exists(f.shardsDir + QStringLiteral("/dataset.json"))) {
        auto m = shards::readManifest(f.shardsDir.toStdString());
        if (m && QString::fromStdString(m->task) != task)
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
    runs::TrainConfig c = f.train;
    c.data = dataSpec.toStdString();
    c.runDir = runDir.toStdString();
    QStringList a { QStringLiteral("train") };
    for (const auto& s : runs::toArgs(c))
        a << QString::fromStdString(s);
    return a;
}

QString TrainingPanel::readyDataSpec(const TrainingForm& f, QString& why) const
{
    if (f.source == QLatin1String("synthetic"))
        return QStringLiteral("synth:%1:%2").arg(f.synthPatients).arg(f.synthSeed);
    if (f.source == QLatin1String("shards")) {
        if (!QFileInfo::exists(f.shardsDir + QStringLiteral("/dataset.json"))) {
            why = tr("Choose a shard folder first.");
            return {};
        }
        return f.shardsDir;
    }
    if (!m_ds) {
        why = tr("No dataset is open.");
        return {};
    }
    const QString shards = shardsDirFor(f);
    if (!shardsCurrent(shards, f)) {
        why = tr("The open dataset's %1 shards are not prepared yet: start a run once (it prepares them), or choose phantoms.")
                  .arg(QString::fromStdString(f.train.task));
        return {};
    }
    return shards;
}

bool TrainingPanel::findLearningRate()
{
    if (m_lrFindProcess) {
        setStatus(tr("A learning-rate range test is running."), true);
        return false;
    }
    const TrainingForm f = form();
    QString why;
    const QString dataSpec = readyDataSpec(f, why);
    const QString tool = findTool(QStringLiteral("mammoscope-train"));
    if (tool.isEmpty())
        why = tr("The engine, mammoscope-train, is not installed beside the app or on PATH.");
    if (dataSpec.isEmpty() || tool.isEmpty()) {
        setStatus(tr("Cannot run the learning-rate range test: %1").arg(why), true);
        return false;
    }
    runs::TrainConfig c = f.train;
    c.data = dataSpec.toStdString();
    c.runDir = "-"; // lr-find writes no run folder
    QStringList args { QStringLiteral("lr-find") };
    for (const auto& a : runs::toArgs(c))
        args << QString::fromStdString(a);
    args << QStringLiteral("--steps") << QStringLiteral("100") << QStringLiteral("--json");
    m_lrFindProcess = new QProcess(this);
    connect(m_lrFindProcess, &QProcess::finished, this, [this](int code) { onLrFindFinished(code); });
    m_lrFind->setEnabled(false);
    m_lrFind->setText(tr("Finding…"));
    appendLog(QStringLiteral("$ mammoscope-train %1").arg(args.join(QLatin1Char(' '))));
    setStatus(tr("Learning-rate range test on %1…").arg(QString::fromStdString(c.device)));
    m_lrFindProcess->start(tool, args);
    return true;
}

void TrainingPanel::onLrFindFinished(int exitCode)
{
    const QByteArray out = m_lrFindProcess->readAllStandardOutput(), err = m_lrFindProcess->readAllStandardError();
    m_lrFindProcess->deleteLater();
    m_lrFindProcess = nullptr;
    m_lrFind->setEnabled(true);
    m_lrFind->setText(tr("Find…"));
    const auto j = Json::parse(std::string_view(out.constData(), size_t(out.size())));
    const double suggested = j ? (*j)["suggested_lr"].number(-1) : -1;
    if (!j || suggested <= 0) {
        const QString reason = exitCode == 0 || !j ? QString::fromUtf8(err).trimmed() : tr("the loss never fell over the ramp");
        setStatus(tr("Learning-rate range test failed: %1").arg(reason.isEmpty() ? tr("no result") : reason.right(300)), true);
        return;
    }
    m_lr->setValue(std::clamp(suggested, m_lr->minimum(), m_lr->maximum()));
    setStatus(tr("Learning-rate range test: the loss falls fastest at %1 (lowest at %2)%3; the rate is set to %1.")
                  .arg(suggested, 0, 'g', 2)
                  .arg((*j)["min_loss_lr"].number(), 0, 'g', 2)
                  .arg((*j)["diverged"].boolean() ? tr(", then diverges") : QString()));
    // The curve, for a student to see why: smoothed loss against the rate (log axis), the suggestion marked.
    auto* dlg = new QDialog(this);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    dlg->setObjectName(QStringLiteral("lrFindDialog"));
    dlg->setWindowTitle(tr("Learning-rate range test"));
    auto* lay = new QVBoxLayout(dlg);
    auto* plot = new QCustomPlot(dlg);
    plot->setMinimumSize(520, 320);
    QVector<double> x, y;
    const auto& lr = (*j)["lr"].elements();
    const auto& sm = (*j)["smoothed_loss"].elements();
    for (size_t i = 0; i < lr.size() && i < sm.size(); ++i) {
        x << lr[i].number();
        y << sm[i].number();
    }
    auto* g = plot->addGraph();
    g->setData(x, y);
    plot->xAxis->setScaleType(QCPAxis::stLogarithmic);
    plot->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    plot->xAxis->setLabel(tr("learning rate"));
    plot->yAxis->setLabel(tr("smoothed training loss"));
    plot->rescaleAxes();
    auto* mark = new QCPItemStraightLine(plot);
    mark->point1->setCoords(suggested, 0);
    mark->point2->setCoords(suggested, 1);
    mark->setPen(QPen(QColor(230, 120, 40), 1.5, Qt::DashLine));
    plot->replot();
    lay->addWidget(plot);
    lay->addWidget(new QLabel(tr("Suggested %1 (steepest descent of the smoothed loss). The lowest loss was at %2; a run usually "
                                 "trains well between the two.")
                                  .arg(suggested, 0, 'g', 2)
                                  .arg((*j)["min_loss_lr"].number(), 0, 'g', 2),
        dlg));
    dlg->show();
    emit learningRateFound(m_lr->value());
}

} // namespace ms::ui

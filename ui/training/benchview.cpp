// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/training/benchview.h"

#include "core/common/paths.h"
#include "ui/training/chartstyle.h"
#include "ui/training/engineprocess.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <utility>

namespace ms::ui
{

QList<DeviceInfo> parseDevices(const QByteArray& json, QString* torchVersion)
{
    QList<DeviceInfo> out;
    auto j = Json::parse(std::string_view(json.constData(), size_t(json.size())));
    if (!j)
        return out;
    if (torchVersion)
        *torchVersion = QString::fromStdString((*j)["torch"].string());
    for (const auto& d : (*j)["devices"].elements()) {
        DeviceInfo i;
        i.id = QString::fromStdString(d["id"].string());
        i.name = QString::fromStdString(d["name"].string());
        i.memory = d["memory"].integer();
        i.threads = int(d["threads"].integer());
        if (!i.id.isEmpty())
            out << i;
    }
    return out;
}

namespace
{
QString resultsFile()
{
    return QString::fromStdString((appDataDir() / "bench" / "cpu-vs-gpu.jsonl").string());
}
} // namespace

BenchView::BenchView(QWidget* parent)
    : QWidget(parent),
      m_devices(new QListWidget(this)),
      m_arch(new QComboBox(this)),
      m_batch(new QSpinBox(this)),
      m_size(new QSpinBox(this)),
      m_steps(new QSpinBox(this)),
      m_fast(new QCheckBox(tr("bf16 + channels-last on CUDA"), this)),
      m_together(new QCheckBox(tr("all GPUs together too (2…N data-parallel ranks)"), this)),
      m_run(new QPushButton(tr("Run benchmark"), this)),
      m_save(new QPushButton(tr("Save PNG…"), this)),
      m_import(new QPushButton(tr("Import results…"), this)),
      m_status(new QLabel(this)),
      m_plot(new QCustomPlot(this)),
      m_proc(new EngineProcess(this))
{
    m_plot->setObjectName(QStringLiteral("benchPlot"));
    m_arch->addItems({ QStringLiteral("compact"), QStringLiteral("resnet18"), QStringLiteral("resnet34"), QStringLiteral("resnet50") });
    m_arch->setCurrentText(QStringLiteral("resnet18"));
    m_batch->setRange(1, 1024);
    m_batch->setValue(32);
    m_size->setRange(32, 1024);
    m_size->setValue(224);
    m_size->setSingleStep(32);
    m_steps->setRange(2, 1000);
    m_steps->setValue(10);
    m_fast->setChecked(true);
    m_devices->setMaximumHeight(90);
    m_status->setWordWrap(true);

    auto* form = new QFormLayout;
    form->addRow(tr("Devices"), m_devices);
    form->addRow(tr("Architecture"), m_arch);
    form->addRow(tr("Batch"), m_batch);
    form->addRow(tr("Input size (px)"), m_size);
    form->addRow(tr("Timed steps"), m_steps);
    form->addRow(QString(), m_fast);
    form->addRow(QString(), m_together);
    m_together->setChecked(true);
    m_together->setToolTip(tr("With several GPUs: also measure them as one data-parallel group (mammoscope-train bench "
                              "--nproc-per-node N), and the scaling efficiency against one GPU"));
    m_import->setToolTip(tr("Add results measured on another machine: a file of `mammoscope-train bench --json` lines"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_run);
    buttons->addWidget(m_save);
    buttons->addWidget(m_import);
    buttons->addStretch();
    auto* left = new QVBoxLayout;
    left->addLayout(form);
    left->addLayout(buttons);
    left->addWidget(m_status);
    left->addStretch();
    auto* lay = new QHBoxLayout(this);
    lay->addLayout(left, 1);
    lay->addWidget(m_plot, 3);

    styleChart(m_plot, palette());
    m_plot->yAxis->setLabel(tr("images/s"));
    m_plot->legend->setVisible(true);
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    m_plot->setMinimumSize(320, 240);

    connect(m_run, &QPushButton::clicked, this, [this] { isRunning() ? cancel() : start(); });
    connect(m_save, &QPushButton::clicked, this, [this] {
        const QString f
            = QFileDialog::getSaveFileName(this, tr("Save benchmark chart"), QStringLiteral("cpu-vs-gpu.png"), tr("PNG (*.png)"));
        if (!f.isEmpty() && !savePng(f))
            m_status->setText(tr("Could not write %1").arg(f));
    });
    connect(m_import, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(
            this, tr("Import benchmark results"), QString(), tr("JSON lines (*.jsonl *.json *.txt);;All files (*)"));
        QString error;
        if (!f.isEmpty() && !importResults(f, &error))
            m_status->setText(error);
    });
    connect(m_proc, &EngineProcess::finished, this, [this](int code, const QString& msg) {
        const QByteArray out = std::exchange(m_stdout, QByteArray());
        auto j = Json::parse(std::string_view(out.constData(), size_t(out.size())));
        if (code == 0 && j && j->isObject()) {
            Json r = *j;
            r.set("device_id", m_current.toStdString());
            m_results << r;
            replot();
            saveResults();
        } else {
            m_status->setText(tr("%1: %2\n%3").arg(m_current, msg, m_proc->lastLines(3)));
            m_queue.clear();
        }
        runNext();
    });
    connect(m_proc, &EngineProcess::stdoutLine, this, [this](const QString& line) { m_stdout += line.toUtf8() + '\n'; });
    connect(m_proc, &EngineProcess::failedToStart, this, [this](const QString& m) {
        m_status->setText(m);
        m_queue.clear();
        m_run->setText(tr("Run benchmark"));
    });

    // The last results survive a restart.
    QFile f(resultsFile());
    QList<Json> saved;
    if (f.open(QIODevice::ReadOnly))
        for (const QByteArray& line : f.readAll().split('\n'))
            if (auto j = Json::parse(std::string_view(line.constData(), size_t(line.size()))); j && j->isObject())
                saved << *j;
    setResults(saved);
}

void BenchView::setDevices(const QList<DeviceInfo>& devices)
{
    m_deviceList = devices;
    m_devices->clear();
    for (const auto& d : devices) {
        auto* it = new QListWidgetItem(d.memory > 0
                ? QStringLiteral("%1 — %2 (%3 GiB)").arg(d.id, d.name).arg(double(d.memory) / (1 << 30), 0, 'f', 1)
                : QStringLiteral("%1 — %2").arg(d.id, d.name));
        it->setData(Qt::UserRole, d.id);
        it->setFlags(it->flags() | Qt::ItemIsUserCheckable);
        it->setCheckState(Qt::Checked);
        m_devices->addItem(it);
    }
}

void BenchView::setResults(const QList<Json>& results)
{
    m_results = results;
    replot();
}

bool BenchView::isRunning() const
{
    return m_proc->isRunning() || !m_queue.isEmpty();
}

void BenchView::start()
{
    m_queue.clear();
    for (int i = 0; i < m_devices->count(); ++i)
        if (m_devices->item(i)->checkState() == Qt::Checked)
            m_queue << m_devices->item(i)->data(Qt::UserRole).toString();
    if (m_queue.isEmpty()) {
        m_status->setText(tr("Choose at least one device."));
        return;
    }
    int gpus = 0;
    for (const auto& d : m_deviceList)
        gpus += d.id.startsWith(QLatin1String("cuda:")) ? 1 : 0;
    if (m_together->isChecked())
        for (int n = 2; n <= gpus; n *= 2) // 2, 4, 8 ranks: one a GPU
            m_queue << QStringLiteral("cuda×%1").arg(n);
    m_results.clear();
    replot();
    m_run->setText(tr("Cancel"));
    runNext();
}

void BenchView::cancel()
{
    m_queue.clear();
    m_proc->kill();
    m_status->setText(tr("Cancelled."));
    m_run->setText(tr("Run benchmark"));
}

void BenchView::runNext()
{
    if (m_queue.isEmpty()) {
        m_run->setText(tr("Run benchmark"));
        if (!m_results.isEmpty())
            m_status->setText(tr("Done: %1 device(s). Results are kept in %2.").arg(m_results.size()).arg(resultsFile()));
        emit finished();
        return;
    }
    m_current = m_queue.takeFirst();
    const int ranks = m_current.contains(QChar(0xd7)) ? m_current.section(QChar(0xd7), 1).toInt() : 1;
    const QString device = ranks > 1 ? QStringLiteral("cuda") : m_current;
    QStringList args = { QStringLiteral("bench"), QStringLiteral("--device"), device, QStringLiteral("--arch"), m_arch->currentText(),
        QStringLiteral("--batch"), QString::number(m_batch->value()), QStringLiteral("--size"), QString::number(m_size->value()),
        QStringLiteral("--steps"), QString::number(m_steps->value()), QStringLiteral("--warmup"),
        QString::number(std::max(2, m_steps->value() / 3)), QStringLiteral("--json") };
    if (m_fast->isChecked() && m_current.startsWith(QLatin1String("cuda")))
        args << QStringLiteral("--amp") << QStringLiteral("bf16") << QStringLiteral("--channels-last");
    if (ranks > 1)
        args << QStringLiteral("--nproc-per-node") << QString::number(ranks);
    m_status->setText(
        tr("Measuring %1 (%2, batch %3, %4 px)…").arg(m_current, m_arch->currentText()).arg(m_batch->value()).arg(m_size->value()));
    m_proc->start(findTool(QStringLiteral("mammoscope-train")), args);
}

void BenchView::replot()
{
    m_plot->clearPlottables();
    m_plot->clearItems();
    const int n = int(m_results.size());
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    auto* train = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    auto* infer = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    train->setName(tr("training"));
    infer->setName(tr("inference"));
    train->setBrush(QColor(0x4e, 0x9a, 0xf1));
    infer->setBrush(QColor(0xf0, 0x8c, 0x2e));
    train->setPen(Qt::NoPen);
    infer->setPen(Qt::NoPen);
    auto* group = new QCPBarsGroup(m_plot);
    train->setBarsGroup(group);
    infer->setBarsGroup(group);
    train->setWidth(0.35);
    infer->setWidth(0.35);
    double cpuTrain = 0, cpuInfer = 0, top = 1;
    for (const auto& r : m_results)
        if (r["device_id"].string() == "cpu") {
            cpuTrain = r["train_images_per_s"].number();
            cpuInfer = r["infer_images_per_s"].number();
        }
    for (int i = 0; i < n; ++i) {
        const Json& r = m_results[i];
        const double t = r["train_images_per_s"].number(), in = r["infer_images_per_s"].number();
        train->addData(i + 1, t);
        infer->addData(i + 1, in);
        top = std::max({ top, t, in });
        QString label = QString::fromStdString(r["device"].string());
        if (label.size() > 28)
            label = label.left(26) + QStringLiteral("…");
        if (const long long w = r["world_size"].integer(1); w > 1)
            label += QStringLiteral(" ×%1").arg(w);
        ticker->addTick(i + 1,
            QStringLiteral("%1\n%2, batch %3%4")
                .arg(label, QString::fromStdString(r["arch"].string()))
                .arg(r["batch"].integer())
                .arg(r["amp"].string() == "bf16" ? QStringLiteral(", bf16") : QString()));
        auto* text = new QCPItemText(m_plot);
        text->position->setType(QCPItemPosition::ptPlotCoords);
        text->position->setCoords(i + 1, std::max(t, in));
        text->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        text->setColor(palette().color(QPalette::Text));
        QString s = QStringLiteral("%1 / %2 img/s").arg(t, 0, 'f', 0).arg(in, 0, 'f', 0);
        if (cpuTrain > 0 && r["device_id"].string() != "cpu")
            s += tr("\n×%1 training, ×%2 inference vs CPU").arg(t / cpuTrain, 0, 'f', 1).arg(cpuInfer > 0 ? in / cpuInfer : 0, 0, 'f', 1);
        if (const QString note = scalingNote(m_results, i); !note.isEmpty())
            s += QLatin1Char('\n') + note;
        text->setText(s);
    }
    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setRange(0.3, std::max(1, n) + 0.7);
    m_plot->yAxis->setRange(0, top * 1.3);
    if (n == 0) {
        auto* text = new QCPItemText(m_plot);
        text->position->setType(QCPItemPosition::ptAxisRectRatio);
        text->position->setCoords(0.5, 0.5);
        text->setColor(palette().color(QPalette::Text));
        text->setText(tr("Press \"Run benchmark\" to measure the CPU and each GPU"));
    }
    m_plot->replot();
}

QString BenchView::scalingNote(const QList<Json>& results, int row)
{
    if (row < 0 || row >= results.size())
        return {};
    const Json& r = results[row];
    const long long w = r["world_size"].integer(1);
    if (w < 2)
        return {};
    auto same = [&](const Json& o) {
        return o["device"].string() == r["device"].string() && o["arch"].string() == r["arch"].string()
            && o["batch"].integer() == r["batch"].integer() && o["amp"].string() == r["amp"].string()
            && o["size"].integer() == r["size"].integer();
    };
    for (const auto& o : results)
        if (o["world_size"].integer(1) == 1 && same(o) && o["train_images_per_s"].number() > 0)
            return tr("%1 ranks: %2 % scaling (training)")
                .arg(w)
                .arg(100.0 * r["train_images_per_s"].number() / (double(w) * o["train_images_per_s"].number()), 0, 'f', 1);
    return {};
}

bool BenchView::importResults(const QString& file, QString* error)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = tr("%1: cannot be read (%2)").arg(file, f.errorString());
        return false;
    }
    QList<Json> added;
    int lineNo = 0;
    for (const QByteArray& raw : f.readAll().split('\n')) {
        ++lineNo;
        const QByteArray line = raw.trimmed();
        if (line.isEmpty())
            continue;
        auto j = Json::parse(std::string_view(line.constData(), size_t(line.size())));
        if (!j || !j->isObject() || !((*j)["train_images_per_s"].number(-1) > 0) || (*j)["device"].string().empty()
            || (*j)["world_size"].integer(1) < 1) {
            if (error)
                *error = tr("%1, line %2: not a result of mammoscope-train bench --json").arg(file).arg(lineNo);
            return false;
        }
        Json r = *j;
        if (r["device_id"].string().empty()) {
            const long long w = r["world_size"].integer(1);
            r.set("device_id", w > 1 ? QStringLiteral("cuda×%1").arg(w).toStdString() : r["device"].string());
        }
        added << r;
    }
    if (added.isEmpty()) {
        if (error)
            *error = tr("%1 holds no benchmark results").arg(file);
        return false;
    }
    m_results << added;
    replot();
    saveResults();
    m_status->setText(tr("Imported %n result(s) from %1.", nullptr, int(added.size())).arg(file));
    return true;
}

void BenchView::saveResults() const
{
    QString text;
    for (const auto& r : m_results)
        text += QString::fromStdString(r.dump()) + QLatin1Char('\n');
    (void)writeFileAtomic(resultsFile().toStdString(), text.toStdString());
}

bool BenchView::savePng(const QString& file)
{
    return m_plot->savePng(file, 0, 0, 1.0);
}

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/training/evalview.h"

#include "core/metrics/metrics.h"
#include "core/runs/runreader.h"
#include "core/sampling/sampling.h"
#include "core/sampling/synthsource.h"
#include "core/shards/shards.h"
#include "ui/training/chartstyle.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QTextStream>
#include <QThread>
#include <QVBoxLayout>
#include <QtConcurrent>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace ms::ui
{

namespace
{
constexpr int kRoleIndex = Qt::UserRole + 1;

QString shortClass(const QString& c)
{
    QString s = c;
    s.replace(QStringLiteral("BENIGN_WITHOUT_CALLBACK"), QStringLiteral("BWC"))
        .replace(QStringLiteral("CALCIFICATION"), QStringLiteral("CALC"))
        .replace(QStringLiteral("MALIGNANT"), QStringLiteral("MAL"))
        .replace(QStringLiteral("BENIGN"), QStringLiteral("BEN"))
        .replace(QStringLiteral("BACKGROUND"), QStringLiteral("BKG"))
        .replace(QLatin1Char('_'), QLatin1Char(' '));
    return s;
}

// Thumbnails of the samples a predictions file names, from the shards or from the phantoms regenerated exactly as the
// engine made them (same generator, same seed, same sampler).
QHash<QString, QImage> loadSampleImages(const runs::TrainConfig& train, const QString& split, const QSet<QString>& ids)
{
    QHash<QString, QImage> out;
    const std::string& data = train.data;
    shards::SampleSet set;
    if (data.rfind("synth:", 0) == 0) {
        sampling::SynthSpec spec;
        std::string err;
        if (!sampling::parseSynthSpec(data, spec, err))
            return out;
        sampling::Options opt;
        if (!sampling::parseTask(train.task, opt.task))
            return out;
        opt.size = train.size;
        if (opt.task == sampling::Task::Whole) {
            opt.wholeWidth = opt.size;
            opt.wholeHeight = opt.size * spec.height / spec.width;
        }
        auto splits = sampling::sampleSynthetic(spec, opt, std::max(1, QThread::idealThreadCount()));
        set = std::move(splits[split.toStdString()]);
    } else {
        auto s = shards::loadSplit(data, split.toStdString());
        if (!s)
            return out;
        set = std::move(*s);
    }
    for (size_t i = 0; i < set.size(); ++i) {
        const QString id = QString::fromStdString(set.meta[i].id);
        if (!ids.contains(id))
            continue;
        QImage img(set.sample(i), set.width, set.height, set.width * set.channels,
            set.channels == 3 ? QImage::Format_RGB888 : QImage::Format_Grayscale8);
        out.insert(id, img.scaled(112, 112, Qt::KeepAspectRatio, Qt::SmoothTransformation));
    }
    return out;
}
} // namespace

bool readPredictions(const QString& file, QStringList& classes, QList<Prediction>& out, QString* error)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) {
        if (error)
            *error = QObject::tr("%1: %2").arg(file, f.errorString());
        return false;
    }
    QTextStream in(&f);
    const QStringList header = in.readLine().split(QLatin1Char(','));
    const int first = int(header.indexOf(QStringLiteral("predicted"))) + 1;
    if (header.value(0) != QLatin1String("id") || first <= 0 || first >= header.size()) {
        if (error)
            *error = QObject::tr("%1: not a predictions file (header %2)").arg(file, header.join(QLatin1Char(',')));
        return false;
    }
    classes.clear();
    for (int i = first; i < header.size(); ++i)
        classes << header[i].mid(2); // p_NAME
    out.clear();
    int lineNo = 1;
    while (!in.atEnd()) {
        const QStringList c = in.readLine().split(QLatin1Char(','));
        ++lineNo;
        if (c.size() == 1 && c[0].isEmpty())
            continue;
        if (c.size() != header.size()) {
            if (error)
                *error = QObject::tr("%1 line %2: %3 columns, expected %4").arg(file).arg(lineNo).arg(c.size()).arg(header.size());
            return false;
        }
        Prediction p;
        p.id = c[0];
        p.patient = c[1];
        p.image = c[2];
        p.abnormality = c[3].toInt();
        p.x = c[4].toInt();
        p.y = c[5].toInt();
        p.label = int(classes.indexOf(c[6]));
        p.predicted = int(classes.indexOf(c[7]));
        for (int i = first; i < c.size(); ++i)
            p.probabilities.push_back(c[i].toFloat());
        if (p.label < 0 || p.predicted < 0) {
            if (error)
                *error = QObject::tr("%1 line %2: unknown class").arg(file).arg(lineNo);
            return false;
        }
        out << p;
    }
    return true;
}

EvalView::EvalView(QWidget* parent)
    : QWidget(parent),
      m_source(new QComboBox(this)),
      m_galleryFilter(new QComboBox(this)),
      m_evaluate(new QPushButton(tr("Evaluate on test split"), this)),
      m_summary(new QLabel(this)),
      m_note(new QLabel(this)),
      m_confusion(new QCustomPlot(this)),
      m_roc(new QCustomPlot(this)),
      m_table(new QTableWidget(this)),
      m_gallery(new QListWidget(this)),
      m_thumbWatcher(new QFutureWatcher<QHash<QString, QImage>>(this))
{
    m_source->setObjectName(QStringLiteral("evalSource"));
    m_confusion->setObjectName(QStringLiteral("confusionPlot"));
    m_roc->setObjectName(QStringLiteral("rocPlot"));
    m_gallery->setObjectName(QStringLiteral("gallery"));
    m_evaluate->setToolTip(tr("Runs mammoscope-train eval on the run's best checkpoint: metrics, ROC and the gallery"));
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Results of:"), this));
    top->addWidget(m_source, 1);
    top->addWidget(m_evaluate);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_note->setWordWrap(true);
    m_note->setStyleSheet(QStringLiteral("color: palette(mid);"));

    styleChart(m_confusion, palette());
    styleChart(m_roc, palette());
    m_confusion->setMinimumSize(280, 240);
    m_roc->setMinimumSize(280, 240);
    m_roc->xAxis->setLabel(tr("false positive rate"));
    m_roc->yAxis->setLabel(tr("true positive rate"));
    m_roc->xAxis->setRange(0, 1);
    m_roc->yAxis->setRange(0, 1);
    m_roc->legend->setVisible(true);
    m_roc->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    m_roc->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    m_table->setColumnCount(6);
    m_table->setHorizontalHeaderLabels({ tr("Class"), tr("Precision"), tr("Recall"), tr("F1"), tr("AUC"), tr("Support") });
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);

    m_galleryFilter->addItems({ tr("Misclassified, most confident first"), tr("Least confident first"), tr("All samples") });
    m_gallery->setViewMode(QListView::IconMode);
    m_gallery->setIconSize(QSize(96, 96));
    m_gallery->setGridSize(QSize(150, 150));
    m_gallery->setResizeMode(QListView::Adjust);
    m_gallery->setMovement(QListView::Static);
    m_gallery->setUniformItemSizes(true);
    m_gallery->setWordWrap(true);
    m_gallery->setToolTip(tr("Double-click a sample to open its image at the lesion; right-click to correct its label"));
    m_gallery->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_gallery, &QWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
        QListWidgetItem* item = m_gallery->itemAt(pos);
        const int i = item ? item->data(kRoleIndex).toInt() : -1;
        if (i < 0 || i >= m_predictions.size())
            return;
        const Prediction p = m_predictions[i];
        QMenu menu(this);
        menu.addAction(
            tr("Open in the reading view"), this, [this, p] { emit openSample(p.image, p.abnormality, p.x, p.y, m_sampleW, m_sampleH); });
        menu.addAction(
            tr("Correct the label…"), this, [this, p] { emit correctSample(p.image, p.abnormality, p.x, p.y, m_sampleW, m_sampleH); });
        menu.exec(m_gallery->viewport()->mapToGlobal(pos));
    });

    auto* plots = new QSplitter(Qt::Horizontal, this);
    plots->addWidget(m_confusion);
    plots->addWidget(m_roc);
    auto* lower = new QSplitter(Qt::Horizontal, this);
    lower->addWidget(m_table);
    auto* galleryBox = new QWidget(this);
    auto* gl = new QVBoxLayout(galleryBox);
    gl->setContentsMargins(0, 0, 0, 0);
    gl->addWidget(m_galleryFilter);
    gl->addWidget(m_gallery, 1);
    lower->addWidget(galleryBox);
    lower->setStretchFactor(1, 2);
    lower->setSizes({ 460, 900 });
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(plots);
    split->addWidget(lower);
    auto* lay = new QVBoxLayout(this);
    lay->addLayout(top);
    lay->addWidget(m_summary);
    lay->addWidget(split, 1);
    lay->addWidget(m_note);

    connect(m_source, &QComboBox::currentIndexChanged, this, &EvalView::showSource);
    connect(m_galleryFilter, &QComboBox::currentIndexChanged, this, &EvalView::fillGallery);
    connect(m_evaluate, &QPushButton::clicked, this, [this] { emit evaluateRequested(QStringLiteral("test")); });
    connect(m_gallery, &QListWidget::itemDoubleClicked, this, [this](QListWidgetItem* item) {
        const int i = item->data(kRoleIndex).toInt();
        if (i < 0 || i >= m_predictions.size())
            return;
        const Prediction& p = m_predictions[i];
        emit openSample(p.image, p.abnormality, p.x, p.y, m_sampleW, m_sampleH);
    });
    connect(m_thumbWatcher, &QFutureWatcher<QHash<QString, QImage>>::finished, this, [this] {
        m_thumbs = m_thumbWatcher->result();
        if (m_thumbs.isEmpty())
            setNote(tr("The sample images could not be loaded (the shards or the data they came from are gone)."));
        fillGallery();
    });
    setRun(QString());
}

EvalView::~EvalView()
{
    if (m_thumbWatcher->isRunning())
        m_thumbWatcher->waitForFinished();
}

void EvalView::setRun(const QString& dir)
{
    m_dir = dir;
    m_reader = dir.isEmpty() ? nullptr : std::make_unique<runs::RunReader>(dir.toStdString());
    m_thumbs.clear();
    m_thumbsFor.clear();
    m_evalsSeen = 0;
    m_source->clear();
    m_evaluate->setEnabled(!dir.isEmpty());
    refresh();
}

void EvalView::refresh()
{
    const QString current = m_source->currentData().toString();
    m_source->blockSignals(true);
    m_source->clear();
    if (m_reader) {
        m_reader->poll();
        m_classes.clear();
        for (const auto& c : m_reader->runConfig().classes)
            m_classes << QString::fromStdString(c);
        for (int i = int(m_reader->evals().size()) - 1; i >= 0; --i) {
            const Json& e = m_reader->evals()[size_t(i)];
            m_source->addItem(tr("%1 split, %2 checkpoint (eval)")
                                  .arg(QString::fromStdString(e["split"].string()), QString::fromStdString(e["checkpoint"].string())),
                QStringLiteral("eval:%1").arg(i));
        }
        const auto& ep = m_reader->epochs();
        int best = -1;
        double bestAuc = -2;
        for (size_t i = 0; i < ep.size(); ++i)
            if (ep[i].val.isObject() && ep[i].valAccuracy + std::max(0.0, ep[i].valAuc) > bestAuc) {
                bestAuc = ep[i].valAccuracy + std::max(0.0, ep[i].valAuc);
                best = int(i);
            }
        if (!ep.empty() && ep.back().val.isObject())
            m_source->addItem(tr("validation, last epoch (%1)").arg(ep.back().epoch), QStringLiteral("val:%1").arg(ep.size() - 1));
        if (best >= 0 && best != int(ep.size()) - 1)
            m_source->addItem(tr("validation, best epoch (%1)").arg(ep[size_t(best)].epoch), QStringLiteral("val:%1").arg(best));
    }
    int idx = m_source->findData(current);
    // A new evaluation arrived: show it.
    const int evals = m_reader ? int(m_reader->evals().size()) : 0;
    if (evals > m_evalsSeen)
        idx = 0;
    m_evalsSeen = evals;
    m_source->blockSignals(false);
    m_source->setCurrentIndex(idx >= 0 ? idx : 0);
    showSource(m_source->currentIndex());
}

void EvalView::showSource(int index)
{
    m_predictions.clear();
    m_predictionsFile.clear();
    m_split.clear();
    const QString key = m_source->itemData(index).toString();
    if (!m_reader || key.isEmpty()) {
        showReport(Json(), {});
        m_summary->setText(m_reader ? tr("No validation or evaluation results yet.") : tr("No run selected."));
        setNote(QString());
        showRoc();
        fillGallery();
        return;
    }
    const int i = key.mid(key.indexOf(QLatin1Char(':')) + 1).toInt();
    if (key.startsWith(QLatin1String("eval:"))) {
        const Json& e = m_reader->evals()[size_t(i)];
        m_split = QString::fromStdString(e["split"].string());
        m_predictionsFile = QString::fromStdString(e["predictions"].string());
        if (!QFileInfo(m_predictionsFile).isAbsolute())
            m_predictionsFile = QDir(m_dir).absoluteFilePath(m_predictionsFile);
        QString err;
        QStringList cls;
        if (!QFileInfo::exists(m_predictionsFile)) {
            setNote(tr("The predictions file %1 is gone; evaluate again for ROC curves and the gallery.").arg(m_predictionsFile));
        } else if (!readPredictions(m_predictionsFile, cls, m_predictions, &err)) {
            setNote(err);
        } else {
            m_classes = cls;
            setNote(tr("Predictions: %1").arg(m_predictionsFile));
        }
        showReport(e, m_classes);
        m_summary->setText(
            tr("<b>%1</b> samples · accuracy <b>%2</b> · malignant vs benign AUC <b>%3</b> · macro F1 %4")
                .arg(e["samples"].integer())
                .arg(e["accuracy"].number(), 0, 'f', 3)
                .arg(e["malignant_auc"].isNumber() ? QString::number(e["malignant_auc"].number(), 'f', 3) : QStringLiteral("—"))
                .arg(e["macro_f1"].number(), 0, 'f', 3));
    } else {
        const auto& ep = m_reader->epochs()[size_t(i)];
        showReport(ep.val, m_classes);
        m_summary->setText(tr("Validation after epoch %1 · accuracy <b>%2</b> · malignant vs benign AUC <b>%3</b> · loss %4")
                               .arg(ep.epoch)
                               .arg(ep.valAccuracy, 0, 'f', 3)
                               .arg(ep.valAuc >= 0 ? QString::number(ep.valAuc, 'f', 3) : QStringLiteral("—"))
                               .arg(ep.valLoss, 0, 'f', 4));
        setNote(tr("ROC curves and the gallery need per-sample predictions: press \"Evaluate on test split\"."));
    }
    showRoc();
    // Thumbnails for the gallery, in the background.
    const QString want = m_dir + QLatin1Char('|') + m_split + QLatin1Char('|') + m_predictionsFile;
    if (!m_predictions.isEmpty() && m_thumbsFor != want) {
        m_thumbsFor = want;
        m_thumbs.clear();
        const runs::TrainConfig train = m_reader->runConfig().train;
        m_sampleW = m_reader->runConfig().sampleWidth;
        m_sampleH = m_reader->runConfig().sampleHeight;
        QSet<QString> ids;
        for (const auto& p : std::as_const(m_predictions))
            ids.insert(p.id);
        if (m_thumbWatcher->isRunning())
            m_thumbWatcher->waitForFinished();
        m_thumbWatcher->setFuture(QtConcurrent::run(loadSampleImages, train, m_split, ids));
    }
    fillGallery();
}

void EvalView::showReport(const Json& report, const QStringList& classes)
{
    // Confusion matrix: rows truth, columns prediction, colour = fraction of the row (recall), text = count.
    m_confusion->clearPlottables();
    m_confusion->clearItems();
    m_matrix.clear();
    for (const auto& row : report["confusion"].elements()) {
        std::vector<long> r;
        for (const auto& v : row.elements())
            r.push_back(long(v.integer()));
        m_matrix.push_back(r);
    }
    const int n = int(m_matrix.size());
    if (n > 0) {
        auto* map = new QCPColorMap(m_confusion->xAxis, m_confusion->yAxis);
        map->data()->setSize(n, n);
        map->data()->setRange(QCPRange(0, n - 1), QCPRange(0, n - 1));
        QSharedPointer<QCPAxisTickerText> xt(new QCPAxisTickerText), yt(new QCPAxisTickerText);
        for (int t = 0; t < n; ++t) {
            long rowSum = 0;
            for (long v : m_matrix[size_t(t)])
                rowSum += v;
            const QString name = shortClass(classes.value(t, QString::number(t)));
            xt->addTick(t, name);
            yt->addTick(n - 1 - t, name);
            for (int p = 0; p < n && p < int(m_matrix[size_t(t)].size()); ++p) {
                const long v = m_matrix[size_t(t)][size_t(p)];
                const double frac = rowSum ? double(v) / double(rowSum) : 0.0;
                map->data()->setCell(p, n - 1 - t, frac);
                auto* label = new QCPItemText(m_confusion);
                label->position->setType(QCPItemPosition::ptPlotCoords);
                label->position->setCoords(p, n - 1 - t);
                label->setText(QStringLiteral("%1\n%2%").arg(v).arg(100.0 * frac, 0, 'f', 0));
                label->setColor(frac > 0.55 ? Qt::black : Qt::white);
            }
        }
        QCPColorGradient g(QCPColorGradient::gpThermal);
        map->setGradient(g);
        map->setDataRange(QCPRange(0, 1));
        map->setInterpolate(false);
        m_confusion->xAxis->setTicker(xt);
        m_confusion->yAxis->setTicker(yt);
        m_confusion->xAxis->setTickLabelRotation(n > 3 ? 30 : 0);
        m_confusion->xAxis->setLabel(tr("predicted"));
        m_confusion->yAxis->setLabel(tr("true"));
        m_confusion->xAxis->setRange(-0.5, n - 0.5);
        m_confusion->yAxis->setRange(-0.5, n - 0.5);
        m_confusion->xAxis->grid()->setVisible(false);
        m_confusion->yAxis->grid()->setVisible(false);
    }
    m_confusion->replot();

    m_table->setRowCount(0);
    for (const auto& c : report["classes"].elements()) {
        const int r = m_table->rowCount();
        m_table->insertRow(r);
        const auto num = [](const Json& v) {
            return v.isNumber() && std::isfinite(v.number()) ? QString::number(v.number(), 'f', 3) : QStringLiteral("—");
        };
        const QStringList cells = { QString::fromStdString(c["name"].string()), num(c["precision"]), num(c["recall"]), num(c["f1"]),
            num(c["auc"]), QString::number(c["support"].integer()) };
        for (int col = 0; col < cells.size(); ++col) {
            auto* it = new QTableWidgetItem(cells[col]);
            if (col > 0)
                it->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(r, col, it);
        }
    }
}

void EvalView::showRoc()
{
    m_roc->clearGraphs();
    m_roc->clearItems();
    if (m_predictions.isEmpty()) {
        auto* t = new QCPItemText(m_roc);
        t->position->setType(QCPItemPosition::ptAxisRectRatio);
        t->position->setCoords(0.5, 0.5);
        t->setText(tr("ROC curves need an evaluation\n(per-sample predictions)"));
        t->setColor(palette().color(QPalette::Text));
        m_roc->replot();
        return;
    }
    auto addCurve
        = [this](const std::vector<double>& scores, const std::vector<bool>& pos, const QString& name, const QColor& c, double width) {
              const auto pts = metrics::rocCurve(scores, pos);
              const double auc = metrics::rocAuc(scores, pos);
              if (pts.empty() || !std::isfinite(auc))
                  return;
              QVector<double> x, y;
              for (const auto& p : pts) {
                  x << p.fpr;
                  y << p.tpr;
              }
              auto* curve = new QCPCurve(m_roc->xAxis, m_roc->yAxis);
              curve->setData(x, y);
              curve->setPen(QPen(c, width));
              curve->setName(QStringLiteral("%1 (AUC %2)").arg(name).arg(auc, 0, 'f', 3));
          };
    m_roc->clearPlottables();
    static const QColor colors[] = { QColor(0x9e, 0x9e, 0x9e), QColor(0x4e, 0x9a, 0xf1), QColor(0x3c, 0xb3, 0x71), QColor(0xf0, 0x8c, 0x2e),
        QColor(0xe0, 0x5a, 0x4f), QColor(0x9b, 0x7b, 0xe0) };
    for (int c = 0; c < m_classes.size(); ++c) {
        std::vector<double> s;
        std::vector<bool> pos;
        for (const auto& p : std::as_const(m_predictions)) {
            s.push_back(p.probabilities[size_t(c)]);
            pos.push_back(p.label == c);
        }
        addCurve(s, pos, shortClass(m_classes[c]), colors[c % 6], 1.5);
    }
    // Malignant vs benign over lesion samples: P(malignant classes) against the truth.
    std::vector<double> s;
    std::vector<bool> pos;
    for (const auto& p : std::as_const(m_predictions)) {
        const QString truth = m_classes.value(p.label);
        if (!truth.startsWith(QLatin1String("MALIGNANT")) && !truth.startsWith(QLatin1String("BENIGN")))
            continue;
        double mal = 0, ben = 0;
        for (int c = 0; c < m_classes.size(); ++c) {
            if (m_classes[c].startsWith(QLatin1String("MALIGNANT")))
                mal += p.probabilities[size_t(c)];
            else if (m_classes[c].startsWith(QLatin1String("BENIGN")))
                ben += p.probabilities[size_t(c)];
        }
        s.push_back(mal + ben > 0 ? mal / (mal + ben) : 0.5);
        pos.push_back(truth.startsWith(QLatin1String("MALIGNANT")));
    }
    addCurve(s, pos, tr("malignant vs benign"), palette().color(QPalette::Text), 3);
    auto* diag = new QCPItemLine(m_roc);
    diag->start->setCoords(0, 0);
    diag->end->setCoords(1, 1);
    QColor d = palette().color(QPalette::Text);
    d.setAlpha(80);
    diag->setPen(QPen(d, 1, Qt::DashLine));
    m_roc->xAxis->setRange(0, 1);
    m_roc->yAxis->setRange(0, 1.01);
    m_roc->replot();
}

void EvalView::setNote(const QString& text)
{
    m_noteBase = text;
    m_note->setText(text);
}

void EvalView::fillGallery()
{
    m_gallery->clear();
    m_note->setText(m_noteBase);
    if (m_predictions.isEmpty())
        return;
    QList<int> order;
    const int mode = m_galleryFilter->currentIndex();
    for (int i = 0; i < m_predictions.size(); ++i)
        if (mode != 0 || m_predictions[i].label != m_predictions[i].predicted)
            order << i;
    std::stable_sort(order.begin(), order.end(), [this, mode](int a, int b) {
        const float ca = m_predictions[a].confidence(), cb = m_predictions[b].confidence();
        return mode == 0 ? ca > cb : ca < cb;
    });
    const int shown = int(std::min<qsizetype>(order.size(), 400));
    for (int k = 0; k < shown; ++k) {
        const Prediction& p = m_predictions[order[k]];
        const bool wrong = p.label != p.predicted;
        auto* item = new QListWidgetItem(QStringLiteral("%1 → %2\n%3 %4")
                                             .arg(shortClass(m_classes.value(p.label)), shortClass(m_classes.value(p.predicted)))
                                             .arg(p.confidence(), 0, 'f', 2)
                                             .arg(p.patient));
        item->setData(kRoleIndex, order[k]);
        item->setToolTip(tr("%1\nimage %2\ntrue %3, predicted %4 (p = %5)")
                             .arg(p.id, p.image, m_classes.value(p.label), m_classes.value(p.predicted))
                             .arg(p.confidence(), 0, 'f', 3));
        if (wrong)
            item->setForeground(QColor(0xe0, 0x5a, 0x4f));
        if (auto it = m_thumbs.constFind(p.id); it != m_thumbs.constEnd())
            item->setIcon(QIcon(QPixmap::fromImage(*it)));
        m_gallery->addItem(item);
    }
    if (order.size() > shown)
        m_note->setText(m_noteBase + tr(" (gallery shows the first %1 of %2)").arg(shown).arg(order.size()));
}

} // namespace ms::ui

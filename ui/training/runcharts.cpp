// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/training/runcharts.h"

#include "core/runs/runreader.h"
#include "ui/training/chartstyle.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QGridLayout>
#include <QPdfWriter>
#include <QTextStream>
#include <QTimer>
#include <QToolTip>
#include <qcustomplot.h>

#include <cmath>

namespace ms::ui
{

namespace
{
constexpr double kSmoothing = 0.9; // exponential moving average of the step loss, debiased
const char* kTitles[] = { "Loss", "Accuracy (train vs validation)", "Validation AUC (malignant vs benign)", "Learning rate",
    "Throughput (images/s)", "Device memory (MiB)" };
const char* kYLabels[] = { "loss", "accuracy", "AUC", "learning rate", "images/s", "MiB" };
} // namespace

struct RunCharts::Series {
    std::unique_ptr<runs::RunReader> reader;
    QString name;
    QColor color;
    size_t stepsShown = 0, epochsShown = 0, evalsShown = 0;
    int generation = 0;
    // a crossval run (mammoscope-train crossval): its epochs restart with each fold, its held-out figures come per fold
    bool crossval = false;
    int lastFold = -1;
    double ema = 0, emaWeight = 0;
    QCPGraph *stepRaw = nullptr, *stepSmooth = nullptr, *trainLoss = nullptr, *valLoss = nullptr;
    QCPGraph *trainAcc = nullptr, *valAcc = nullptr, *valAuc = nullptr, *lr = nullptr, *ips = nullptr, *mem = nullptr;
};

QColor RunCharts::runColor(int i)
{
    static const QColor colors[] = { QColor(0x4e, 0x9a, 0xf1), QColor(0xf0, 0x8c, 0x2e), QColor(0x3c, 0xb3, 0x71), QColor(0xd6, 0x4b, 0x8a),
        QColor(0x9b, 0x7b, 0xe0), QColor(0xc9, 0xb0, 0x2a), QColor(0x2a, 0xb7, 0xc9), QColor(0xe0, 0x5a, 0x4f) };
    return colors[i % 8];
}

RunCharts::RunCharts(QWidget* parent) : QWidget(parent), m_timer(new QTimer(this))
{
    buildPlots();
    m_timer->setInterval(200); // 5 Hz: smooth to the eye, and little CPU taken from an engine on the same cores
    connect(m_timer, &QTimer::timeout, this, [this] {
        pollNow();
        replotNow();
    });
}

RunCharts::~RunCharts() = default;

void RunCharts::buildPlots()
{
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(4);
    const QColor fg = palette().color(QPalette::Text);
    for (int c = 0; c < ChartCount; ++c) {
        auto* p = new QCustomPlot(this);
        p->setObjectName(QStringLiteral("chart%1").arg(c));
        p->setMinimumSize(260, 170);
        styleChart(p, palette());
        p->setNoAntialiasingOnDrag(true);
        p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
        p->plotLayout()->insertRow(0);
        auto* title = new QCPTextElement(p, tr(kTitles[c]), QFont(font().family(), font().pointSize(), QFont::Bold));
        m_titles[c] = title;
        title->setTextColor(fg);
        p->plotLayout()->addElement(0, 0, title);
        p->xAxis->setLabel(tr("epoch"));
        p->yAxis->setLabel(tr(kYLabels[c]));
        if (c == Accuracy || c == Auc)
            p->yAxis->setRange(0, 1);
        if (c == LearningRate)
            p->yAxis->setNumberFormat(QStringLiteral("g"));
        p->legend->setVisible(c == Loss || c == Accuracy);
        p->legend->setFont(QFont(font().family(), std::max(7, font().pointSize() - 1)));
        p->axisRect()->insetLayout()->setInsetAlignment(
            0, c == Loss ? (Qt::AlignTop | Qt::AlignRight) : (Qt::AlignBottom | Qt::AlignRight));
        // The user zoomed or panned: stop following; a double-click follows again.
        connect(p, &QCustomPlot::mousePress, this, [this, c] { m_userZoomed[c] = true; });
        connect(p, &QCustomPlot::mouseWheel, this, [this, c] { m_userZoomed[c] = true; });
        connect(p, &QCustomPlot::mouseDoubleClick, this, [this, c] {
            m_userZoomed[c] = false;
            autoscale(c);
            m_plots[c]->replot();
        });
        connect(p, &QCustomPlot::mouseMove, this, [this, c](QMouseEvent* e) { showHover(c, e->pos()); });
        connect(p, &QCustomPlot::afterReplot, this, [this, p] {
            m_maxReplotMs = std::max(m_maxReplotMs, p->replotTime());
            ++m_replots;
        });
        m_plots[c] = p;
        grid->addWidget(p, c / 2, c % 2);
    }
    m_gapLabel = new QCPItemText(m_plots[Accuracy]);
    m_gapLabel->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_gapLabel->position->setCoords(0.02, 0.04);
    m_gapLabel->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_gapLabel->setColor(QColor(0xe0, 0x5a, 0x4f));
    m_gapLabel->setFont(QFont(font().family(), font().pointSize(), QFont::Bold));
    m_gapLabel->setText(QString());
}

void RunCharts::clearGraphs()
{
    for (auto* p : m_plots) {
        p->clearGraphs();
        p->setNotAntialiasedElements(QCP::aeNone);
    }
    m_series.clear();
    for (auto& e : m_extent)
        e.valid = false;
}

void RunCharts::setRuns(const QStringList& dirs, const QStringList& names)
{
    clearGraphs();
    const bool single = dirs.size() == 1;
    for (int i = 0; i < dirs.size(); ++i) {
        auto s = std::make_unique<Series>();
        s->reader = std::make_unique<runs::RunReader>(dirs[i].toStdString());
        s->name = i < names.size() ? names[i] : QFileInfo(dirs[i]).fileName();
        s->color = runColor(i);
        runs::RunConfig rc;
        s->crossval = runs::readRunConfig(dirs[i].toStdString(), rc) && rc.command == "crossval";
        addSeriesGraphs(*s, i, single);
        m_series.push_back(std::move(s));
    }
    for (int c = 0; c < ChartCount; ++c) {
        // Several runs: the legend in two columns, so it covers less of the lines.
        m_plots[c]->legend->setFillOrder(QCPLegend::foColumnsFirst);
        m_plots[c]->legend->setWrap(!single && (c == Loss || c == Accuracy) ? 2 : 0);
        m_userZoomed[c] = false;
        m_dirty[c] = true;
        m_plots[c]->legend->setVisible(c == Loss || c == Accuracy || (!single && !dirs.isEmpty()));
    }
    // Cross-validation runs: the accuracy and AUC charts hold each fold's figures, the network's train images against
    // its held-out ones (the gap is the overfitting).
    const bool allCrossval = !m_series.empty() && std::all_of(m_series.begin(), m_series.end(), [](const auto& s) { return s->crossval; });
    m_titles[Accuracy]->setText(allCrossval ? tr("Mass sensitivity at 1 FP/image: train vs held-out, per fold") : tr(kTitles[Accuracy]));
    m_titles[Auc]->setText(allCrossval ? tr("Held-out AUC, abnormal vs normal, per fold") : tr(kTitles[Auc]));
    m_plots[Accuracy]->yAxis->setLabel(allCrossval ? tr("sensitivity") : tr(kYLabels[Accuracy]));
    for (int c : { Accuracy, Auc })
        m_plots[c]->xAxis->setLabel(allCrossval ? tr("fold") : tr("epoch"));
    m_gapLabel->setText(QString());
    pollNow();
    replotNow();
}

QStringList RunCharts::runs() const
{
    QStringList out;
    for (const auto& s : m_series)
        out << QString::fromStdString(s->reader->dir().string());
    return out;
}

const runs::RunReader* RunCharts::reader(int i) const
{
    return i >= 0 && i < int(m_series.size()) ? m_series[size_t(i)]->reader.get() : nullptr;
}

int RunCharts::stepPointCount(int run) const
{
    return run < int(m_series.size()) && m_series[size_t(run)]->stepRaw ? m_series[size_t(run)]->stepRaw->dataCount() : 0;
}

int RunCharts::epochPointCount(int run) const
{
    return run < int(m_series.size()) ? m_series[size_t(run)]->trainAcc->dataCount() : 0;
}

void RunCharts::addSeriesGraphs(Series& s, int index, bool single)
{
    (void)index;
    const QColor trainC = single ? runColor(0) : s.color, valC = single ? runColor(1) : s.color;
    const QString pre = single ? QString() : s.name + QStringLiteral(": ");
    auto graph = [](QCustomPlot* p, const QColor& c, const QString& name, Qt::PenStyle style = Qt::SolidLine, double width = 2,
                     bool dots = false, bool right = false) {
        QCPGraph* g = p->addGraph(p->xAxis, right ? p->yAxis2 : p->yAxis);
        g->setPen(QPen(c, width, style));
        g->setName(name);
        if (dots)
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, c, 5));
        return g;
    };
    QColor raw = trainC;
    raw.setAlpha(single ? 70 : 40);
    // Raw step loss only for one run: for several runs the smoothed lines are what one compares.
    s.stepRaw = graph(m_plots[Loss], raw, pre + tr("step loss"), Qt::SolidLine, 1);
    if (!single)
        s.stepRaw->removeFromLegend();
    s.stepSmooth = graph(m_plots[Loss], trainC, pre + tr("step loss, smoothed"), Qt::SolidLine, single ? 2 : 1.5);
    s.trainLoss = graph(m_plots[Loss], trainC.darker(130), pre + tr("train loss (epoch)"), Qt::DashLine, 1.5, true);
    s.valLoss = graph(m_plots[Loss], valC, pre + tr("validation loss"), single ? Qt::SolidLine : Qt::DotLine, 2, true);
    if (!single) {
        s.trainLoss->removeFromLegend();
        s.stepSmooth->removeFromLegend();
    }
    s.trainAcc = graph(m_plots[Accuracy], trainC, pre + tr("train"), single ? Qt::SolidLine : Qt::DashLine, 2, true);
    s.valAcc = graph(m_plots[Accuracy], valC, pre + tr("validation"), Qt::SolidLine, 2, true);
    if (single) {
        // The generalisation gap, filled: what the seed's 98 % train vs 38 % validation looked like.
        s.valAcc->setChannelFillGraph(s.trainAcc);
        s.valAcc->setBrush(QColor(0xe0, 0x5a, 0x4f, 60));
    }
    s.valAuc = graph(m_plots[Auc], valC, s.name, Qt::SolidLine, 2, true);
    if (s.crossval) {
        // one loss curve per fold (broken between folds), no validation loss; per-fold figures as points
        s.trainLoss->setName(pre + tr("train loss, each fold"));
        s.trainLoss->setPen(QPen(trainC, 1.5));
        s.trainLoss->setScatterStyle(QCPScatterStyle::ssNone);
        s.trainLoss->addToLegend();
        s.valLoss->removeFromLegend();
        s.trainAcc->setName(pre + tr("train images"));
        s.valAcc->setName(pre + tr("held-out images"));
        s.valAcc->setChannelFillGraph(nullptr);
        s.valAcc->setBrush(Qt::NoBrush);
        s.trainAcc->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, trainC, 8));
        s.valAcc->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, valC, 7));
        s.valAuc->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, valC, 7));
        for (QCPGraph* g : { s.trainAcc, s.valAcc, s.valAuc })
            g->setLineStyle(QCPGraph::lsNone);
    }
    s.lr = graph(m_plots[LearningRate], trainC, s.name);
    s.ips = graph(m_plots[Throughput], trainC, s.name, Qt::SolidLine, 1.5);
    s.mem = graph(m_plots[Memory], trainC, s.name, Qt::SolidLine, 2, true);
}

void RunCharts::feed(Series& s)
{
    const auto& steps = s.reader->steps();
    const auto& epochs = s.reader->epochs();
    if (s.reader->generation() != s.generation || steps.size() < s.stepsShown || epochs.size() < s.epochsShown) {
        s.generation = s.reader->generation();
        // The folder was rewritten (a resume drops what came after its checkpoint): start over.
        for (QCPGraph* g : { s.stepRaw, s.stepSmooth, s.trainLoss, s.valLoss, s.trainAcc, s.valAcc, s.valAuc, s.lr, s.ips, s.mem })
            g->data()->clear();
        s.stepsShown = s.epochsShown = s.evalsShown = 0;
        s.lastFold = -1;
        s.ema = s.emaWeight = 0;
        // Extents are shared by the runs on a chart: recomputed from what the other runs hold as they are fed again.
        for (auto& e : m_extent)
            e.valid = false;
        for (auto& other : m_series)
            if (other.get() != &s) {
                other->stepsShown = other->epochsShown = other->evalsShown = 0;
                other->lastFold = -1;
                other->ema = other->emaWeight = 0;
                for (QCPGraph* g : { other->stepRaw, other->stepSmooth, other->trainLoss, other->valLoss, other->trainAcc, other->valAcc,
                         other->valAuc, other->lr, other->ips, other->mem })
                    g->data()->clear();
            }
        for (bool& d : m_dirty)
            d = true;
    }
    if (steps.size() > s.stepsShown) {
        const size_t n = steps.size() - s.stepsShown;
        QVector<double> x(qsizetype(n), 0), loss(qsizetype(n), 0), smooth(qsizetype(n), 0), lr(qsizetype(n), 0), ips(qsizetype(n), 0);
        for (size_t i = 0; i < n; ++i) {
            const auto& p = steps[s.stepsShown + i];
            x[qsizetype(i)] = p.epoch;
            loss[qsizetype(i)] = std::isfinite(p.loss) ? p.loss : qQNaN();
            if (std::isfinite(p.loss)) {
                s.ema = kSmoothing * s.ema + (1 - kSmoothing) * p.loss;
                s.emaWeight = kSmoothing * s.emaWeight + (1 - kSmoothing);
            }
            smooth[qsizetype(i)] = s.emaWeight > 0 ? s.ema / s.emaWeight : qQNaN();
            lr[qsizetype(i)] = p.lr;
            ips[qsizetype(i)] = p.imagesPerS;
        }
        s.stepRaw->addData(x, loss, true);
        s.stepSmooth->addData(x, smooth, true);
        s.lr->addData(x, lr, true);
        s.ips->addData(x, ips, true);
        for (qsizetype i = 0; i < x.size(); ++i) {
            extend(Loss, x[i], loss[i]);
            extend(LearningRate, x[i], lr[i]);
            extend(Throughput, x[i], ips[i]);
        }
        // Dense lines: antialiasing costs more than it shows.
        if (s.stepRaw->dataCount() > 20000)
            for (int c : { Loss, LearningRate, Throughput })
                m_plots[c]->setNotAntialiasedElements(QCP::aePlottables);
        s.stepsShown = steps.size();
        m_dirty[Loss] = m_dirty[LearningRate] = m_dirty[Throughput] = true;
    }
    const auto& evals = s.reader->evals();
    for (; s.crossval && s.evalsShown < evals.size(); ++s.evalsShown) {
        const Json& v = evals[s.evalsShown];
        if (v["phase"].string() != "fold")
            continue;
        const double x = double(v["fold"].integer()); // these charts count folds for a crossval
        auto put = [&](QCPGraph* g, int c, const char* key) {
            if (v[key].isNumber()) {
                g->addData(x, v[key].number());
                extend(c, x, v[key].number());
            }
        };
        put(s.trainAcc, Accuracy, "train_froc_masses_1fp");
        put(s.valAcc, Accuracy, "froc_masses_1fp");
        put(s.valAuc, Auc, "auc");
        m_dirty[Accuracy] = m_dirty[Auc] = true;
    }
    for (; s.epochsShown < epochs.size(); ++s.epochsShown) {
        const auto& e = epochs[s.epochsShown];
        const double x = e.epoch;
        if (s.crossval) {
            // a new fold (or the final model) starts its curve afresh
            if (e.fold != s.lastFold && s.lastFold != -1) {
                s.trainLoss->addData(x, qQNaN());
                s.lr->addData(x, qQNaN());
            }
            s.lastFold = e.fold;
            s.trainLoss->addData(x, e.trainLoss);
            extend(Loss, x, e.trainLoss);
            s.lr->addData(x, e.lr);
            extend(LearningRate, x, e.lr);
            m_dirty[Loss] = m_dirty[LearningRate] = true;
            continue;
        }
        s.trainLoss->addData(x, e.trainLoss);
        s.trainAcc->addData(x, e.trainAccuracy);
        extend(Loss, x, e.trainLoss);
        extend(Accuracy, x, e.trainAccuracy);
        if (e.valLoss >= 0) {
            s.valLoss->addData(x, e.valLoss);
            extend(Loss, x, e.valLoss);
        }
        if (e.valAccuracy >= 0) {
            s.valAcc->addData(x, e.valAccuracy);
            extend(Accuracy, x, e.valAccuracy);
        }
        if (e.valAuc >= 0) {
            s.valAuc->addData(x, e.valAuc);
            extend(Auc, x, e.valAuc);
        }
        s.mem->addData(x, double(e.deviceMemory) / (1024.0 * 1024.0));
        extend(Memory, x, double(e.deviceMemory) / (1024.0 * 1024.0));
        for (bool& d : m_dirty)
            d = true;
    }
}

void RunCharts::pollNow()
{
    bool any = false;
    for (auto& s : m_series) {
        const size_t before
            = s->reader->steps().size() + s->reader->epochs().size() + s->reader->events().size() + s->reader->evals().size();
        const int lines = s->reader->poll();
        const size_t after
            = s->reader->steps().size() + s->reader->epochs().size() + s->reader->events().size() + s->reader->evals().size();
        if (lines > 0 || before != after || s->stepsShown != s->reader->steps().size() || s->epochsShown != s->reader->epochs().size()) {
            feed(*s);
            any = true;
        }
    }
    if (any) {
        updateGap();
        emit updated();
    }
}

void RunCharts::updateGap()
{
    if (m_series.size() != 1) {
        m_gapLabel->setText(QString());
        return;
    }
    const auto& ep = m_series[0]->reader->epochs();
    if (ep.empty() || ep.back().valAccuracy < 0) {
        m_gapLabel->setText(QString());
        return;
    }
    const auto& e = ep.back();
    const double gap = e.trainAccuracy - e.valAccuracy;
    m_gapLabel->setText(gap > 0.1 ? tr("gap %1 (train %2, val %3): validation far below training")
                                        .arg(gap, 0, 'f', 2)
                                        .arg(e.trainAccuracy, 0, 'f', 2)
                                        .arg(e.valAccuracy, 0, 'f', 2)
                                  : tr("gap %1").arg(gap, 0, 'f', 2));
    m_gapLabel->setColor(gap > 0.1 ? QColor(0xe0, 0x5a, 0x4f) : palette().color(QPalette::Text));
}

void RunCharts::extend(int c, double key, double value)
{
    // Running extents, so that following a run never rescans 100,000 points.
    if (!std::isfinite(key) || !std::isfinite(value))
        return;
    Extent& e = m_extent[c];
    if (!e.valid) {
        e = { true, key, key, value, value };
        return;
    }
    e.keyLo = std::min(e.keyLo, key);
    e.keyHi = std::max(e.keyHi, key);
    e.valueLo = std::min(e.valueLo, value);
    e.valueHi = std::max(e.valueHi, value);
}

void RunCharts::autoscale(int c)
{
    QCustomPlot* p = m_plots[c];
    const Extent& e = m_extent[c];
    if (!e.valid)
        return;
    const QCPRange keys(e.keyLo, e.keyHi), values(e.valueLo, e.valueHi);
    // The run's planned length, so a run in progress shows how far it has come.
    double planned = 1.0;
    for (const auto& sr : m_series)
        if (sr->reader->hasRunConfig() && !sr->crossval)
            planned = std::max(planned, double(sr->reader->runConfig().train.epochs));
    p->xAxis->setRange(std::min(0.0, keys.lower), std::max(keys.upper, planned));
    if (c == Accuracy || c == Auc) {
        p->yAxis->setRange(0, 1.02);
    } else {
        const double lo = (c == Loss || c == Throughput || c == Memory || c == LearningRate) ? 0.0 : values.lower;
        const double hi = values.upper > lo ? values.upper : lo + 1;
        p->yAxis->setRange(lo, hi + 0.06 * (hi - lo));
    }
}

void RunCharts::replotNow()
{
    for (int c = 0; c < ChartCount; ++c) {
        if (!m_dirty[c])
            continue;
        m_dirty[c] = false;
        if (!m_userZoomed[c])
            autoscale(c);
        // Queued: each chart replots in its own event, so the event loop breathes between charts.
        m_plots[c]->replot(m_queued ? QCustomPlot::rpQueuedReplot : QCustomPlot::rpImmediateRefresh);
    }
}

void RunCharts::setLive(bool on)
{
    if (on)
        m_timer->start();
    else
        m_timer->stop();
}

void RunCharts::showHover(int c, const QPoint& pos)
{
    QCustomPlot* p = m_plots[c];
    double best = 15.0; // pixels
    QString text;
    for (int i = 0; i < p->graphCount(); ++i) {
        QCPGraph* g = p->graph(i);
        if (g->dataCount() == 0)
            continue;
        const double key = g->keyAxis()->pixelToCoord(pos.x());
        auto it = g->data()->findBegin(key, true);
        for (int k = 0; k < 2 && it != g->data()->constEnd(); ++k, ++it) {
            if (std::isnan(it->value))
                continue;
            const QPointF px = g->coordsToPixels(it->key, it->value);
            const double d = std::hypot(px.x() - pos.x(), px.y() - pos.y());
            if (d < best) {
                best = d;
                text = QStringLiteral("%1\nepoch %2: %3").arg(g->name()).arg(it->key, 0, 'f', 2).arg(it->value, 0, 'g', 4);
            }
        }
    }
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(p->mapToGlobal(pos), text, p);
}

bool RunCharts::savePng(const QString& file, int width, int height)
{
    // One image of all the charts, as laid out.
    const QPixmap pm = grab();
    if (width > 0 && height > 0)
        return pm.scaled(width, height, Qt::KeepAspectRatio, Qt::SmoothTransformation).save(file, "PNG");
    return pm.save(file, "PNG");
}

bool RunCharts::savePdf(const QString& file)
{
    // One landscape page, the six charts as vector graphics in the on-screen grid.
    QPdfWriter pdf(file);
    pdf.setPageSize(QPageSize(QPageSize::A4));
    pdf.setPageOrientation(QPageLayout::Landscape);
    pdf.setResolution(96);
    pdf.setCreator(QStringLiteral("MammoScope"));
    pdf.setTitle(tr("Training run"));
    QCPPainter painter;
    if (!painter.begin(&pdf))
        return false;
    const QRect page = pdf.pageLayout().paintRectPixels(pdf.resolution());
    const int w = page.width() / 2, h = page.height() / 3;
    for (int c = 0; c < ChartCount; ++c) {
        painter.save();
        painter.translate((c % 2) * w, (c / 2) * h);
        m_plots[c]->toPainter(&painter, w, h);
        painter.restore();
    }
    painter.end();
    return QFileInfo(file).size() > 0;
}

bool RunCharts::saveCsv(const QString& file, QString* error) const
{
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
        if (error)
            *error = tr("cannot write %1: %2").arg(file, f.errorString());
        return false;
    }
    QTextStream out(&f);
    out << "run,kind,step,epoch,loss,lr,images_per_s,train_loss,train_accuracy,val_loss,val_accuracy,val_auc,device_memory\n";
    const auto num = [](double v) { return v < 0 || !std::isfinite(v) ? QString() : QString::number(v, 'g', 8); };
    for (const auto& s : m_series) {
        const QString run = QString(s->name).replace(QLatin1Char(','), QLatin1Char('_'));
        for (const auto& p : s->reader->steps())
            out << run << ",step," << p.step << ',' << p.epoch << ',' << num(p.loss) << ',' << num(p.lr) << ',' << num(p.imagesPerS)
                << ",,,,,,\n";
        for (const auto& e : s->reader->epochs())
            out << run << ",epoch," << e.step << ',' << e.epoch << ",," << num(e.lr) << ",," << num(e.trainLoss) << ','
                << num(e.trainAccuracy) << ',' << num(e.valLoss) << ',' << num(e.valAccuracy) << ',' << num(e.valAuc) << ','
                << e.deviceMemory << "\n";
    }
    return f.error() == QFile::NoError;
}

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/heatmap.h"

#include "core/metrics/heatmap.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QVBoxLayout>

#include <limits>

namespace ms::ui
{

// ------------------------------------------------------------------------------------------------ store

HeatmapStore::HeatmapStore(QObject* parent) : QObject(parent)
{
}

void HeatmapStore::setSettings(const HeatmapSettings& s)
{
    const bool sameRegions = s.channel == m_settings.channel && s.threshold == m_settings.threshold;
    m_settings = s;
    m_images.clear();
    if (!sameRegions) {
        m_regions.clear();
        m_selectedRegion = -1;
    }
    emit changed();
}

void HeatmapStore::put(int imageIndex, HeatmapPtr map)
{
    m_maps.insert(imageIndex, std::move(map));
    m_images.remove(imageIndex);
    m_tissueImages.remove(imageIndex);
    m_regions.remove(imageIndex);
    if (imageIndex == m_selectedImage)
        m_selectedRegion = -1;
    emit changed();
}

void HeatmapStore::clear()
{
    m_maps.clear();
    m_images.clear();
    m_tissueImages.clear();
    m_regions.clear();
    m_selectedRegion = -1;
    emit changed();
}

void HeatmapStore::setSelectedRegion(int imageIndex, int region)
{
    if (imageIndex == m_selectedImage && region == m_selectedRegion)
        return;
    m_selectedImage = imageIndex;
    m_selectedRegion = region;
    emit selectionChanged();
}

QString SuspiciousRegion::label() const
{
    const QString l = QString(className).replace(QLatin1Char('_'), QLatin1Char(' ')).toLower();
    return overPectoral ? QObject::tr("%1 (over the pectoral muscle)").arg(l) : l;
}

QImage HeatmapStore::tissueImage(int imageIndex) const
{
    if (auto it = m_tissueImages.constFind(imageIndex); it != m_tissueImages.constEnd())
        return *it;
    const HeatmapPtr h = get(imageIndex);
    if (!h || !h->tissue || h->tissue->classes.empty())
        return {};
    // at most 1024 pixels on the long side: a tint needs no more
    const Gray8& c = h->tissue->classes;
    const int step = std::max(1, (std::max(c.width, c.height) + 1023) / 1024);
    QImage img((c.width + step - 1) / step, (c.height + step - 1) / step, QImage::Format_ARGB32_Premultiplied);
    for (int y = 0; y < img.height(); ++y) {
        auto* line = reinterpret_cast<QRgb*>(img.scanLine(y));
        for (int x = 0; x < img.width(); ++x) {
            const uint8_t v = c.at(std::min(c.width - 1, x * step), std::min(c.height - 1, y * step));
            line[x] = v == sampling::TissuePectoral ? qPremultiply(qRgba(70, 130, 255, 90))
                : v == sampling::TissueDense        ? qPremultiply(qRgba(90, 230, 120, 70))
                                                    : 0u;
        }
    }
    return *m_tissueImages.insert(imageIndex, img);
}

const std::vector<SuspiciousRegion>& HeatmapStore::regions(int imageIndex) const
{
    static const std::vector<SuspiciousRegion> none;
    if (auto it = m_regions.constFind(imageIndex); it != m_regions.constEnd())
        return *it;
    const HeatmapPtr h = get(imageIndex);
    if (!h || h->width <= 0 || h->classes <= 0)
        return none;
    std::vector<SuspiciousRegion> out;
    for (const ml::Region& g : ml::suspiciousRegions(*h, channelLogOdds(*h), m_settings.threshold)) {
        SuspiciousRegion r;
        r.imageRect = QRectF(g.x, g.y, g.width, g.height);
        r.peak = QPointF(g.peakX, g.peakY);
        r.score = g.score;
        r.className = QString::fromStdString(g.className);
        if (h->tissue && !h->tissue->classes.empty()) {
            const Gray8& t = h->tissue->classes;
            const int px = std::clamp(int(r.peak.x()), 0, t.width - 1), py = std::clamp(int(r.peak.y()), 0, t.height - 1);
            r.overPectoral = t.at(px, py) == sampling::TissuePectoral;
        }
        out.push_back(r);
    }
    return *m_regions.insert(imageIndex, std::move(out));
}

std::vector<float> HeatmapStore::channel(const ml::Heatmap& h) const
{
    const size_t plane = size_t(h.width) * size_t(h.height);
    std::vector<float> out(plane, 0.f);
    if (m_settings.channel == kGradCamChannel) {
        // Not a channel of the dense map (it has its own grid): the detections and scores use the suspicion.
        out = h.suspicion();
    } else if (m_settings.channel == 0) {
        out = h.suspicion();
    } else if (m_settings.channel == 1) {
        out = h.malignancy(m_malignant);
    } else if (m_settings.channel - 2 < h.classes) {
        const size_t c = size_t(m_settings.channel - 2);
        std::copy(h.prob.begin() + long(c * plane), h.prob.begin() + long((c + 1) * plane), out.begin());
    }
    return out;
}

std::vector<float> HeatmapStore::channelLogOdds(const ml::Heatmap& h) const
{
    if (m_settings.channel == kGradCamChannel || m_settings.channel == 0)
        return h.suspicionLogOdds();
    if (m_settings.channel == 1)
        return h.logOdds(m_malignant);
    if (m_settings.channel - 2 < h.classes)
        return h.logOdds({ m_settings.channel - 2 });
    return std::vector<float>(size_t(h.width) * size_t(h.height), metrics::logit(0.f));
}

QImage HeatmapStore::image(int imageIndex) const
{
    if (auto it = m_images.constFind(imageIndex); it != m_images.constEnd())
        return *it;
    const HeatmapPtr h = get(imageIndex);
    if (!h)
        return {};
    const bool cam = m_settings.channel == kGradCamChannel;
    if (cam && !h->hasCam)
        return {};
    const auto v = cam ? h->cam.cam : channel(*h);
    const int W = cam ? h->cam.width : h->width, H = cam ? h->cam.height : h->height;
    QImage img(W, H, QImage::Format_ARGB32);
    for (int y = 0; y < H; ++y) {
        auto* line = reinterpret_cast<QRgb*>(img.scanLine(y));
        for (int x = 0; x < W; ++x) {
            const float p = v[size_t(y) * size_t(W) + size_t(x)];
            if (p < m_settings.threshold) {
                line[x] = qRgba(0, 0, 0, 0);
                continue;
            }
            const auto c = colormap(m_settings.colormap, p);
            line[x] = qRgba(c[0], c[1], c[2], int(255 * m_settings.opacity));
        }
    }
    m_images.insert(imageIndex, img);
    return img;
}

// ------------------------------------------------------------------------------------------------ overlay

void HeatmapOverlay::paint(QPainter& p, const ViewGeometry& g, const LoadedView& view) const
{
    if (!m_store->settings().enabled)
        return;
    const HeatmapPtr h = m_store->get(view.imageIndex);
    if (!h)
        return;
    if (m_store->settings().tissue && h->tissue) {
        // the tint covers the image exactly, under the heatmap
        QImage t = m_store->tissueImage(view.imageIndex);
        if (!t.isNull()) {
            const QPointF a = g.toWidget({ 0, 0 }), b = g.toWidget({ double(h->tissue->classes.width), double(h->tissue->classes.height) });
            if (g.mirror)
                t = t.mirrored(true, false);
            p.save();
            p.setClipRect(g.imageRectOnWidget());
            p.drawImage(QRectF(QPointF(std::min(a.x(), b.x()), a.y()), QPointF(std::max(a.x(), b.x()), b.y())), t);
            p.restore();
        }
    }
    QImage img = m_store->image(view.imageIndex);
    if (img.isNull())
        return;
    // The map covers image pixels [0, width * stride) x [0, height * stride); mirrored views flip it.
    const bool cam = m_store->settings().channel == kGradCamChannel;
    const double w = cam ? h->cam.width * h->cam.stride : h->width * h->stride;
    const double hh = cam ? h->cam.height * h->cam.strideY : h->height * h->stride;
    QPointF a = g.toWidget({ 0, 0 }), b = g.toWidget({ w, hh });
    if (g.mirror)
        img = img.mirrored(true, false);
    const QRectF target(QPointF(std::min(a.x(), b.x()), a.y()), QPointF(std::max(a.x(), b.x()), b.y()));
    p.save();
    p.setClipRect(g.imageRectOnWidget());
    p.setRenderHint(QPainter::SmoothPixmapTransform, true);
    p.drawImage(target, img);
    p.restore();
    if (m_store->settings().regions && !cam)
        paintRegions(p, g, view);
}

// The strongest regions' boxes, numbered as in the panel's list; the one picked there drawn thicker. Dashed cyan, apart
// from the ground truth's pathology colours.
void HeatmapOverlay::paintRegions(QPainter& p, const ViewGeometry& g, const LoadedView& view) const
{
    const auto& regions = m_store->regions(view.imageIndex);
    const int selected = m_store->selectedRegion(view.imageIndex);
    p.save();
    p.setClipRect(g.imageRectOnWidget());
    p.setRenderHint(QPainter::Antialiasing, true);
    QFont f = p.font();
    f.setPointSizeF(std::max(7.0, f.pointSizeF() * 0.9));
    p.setFont(f);
    const QColor colour(80, 220, 255);
    std::vector<QRectF> labels;
    for (int i = 0; i < int(regions.size()); ++i) {
        if (i >= kRegionsDrawn && i != selected)
            continue;
        const auto& r = regions[size_t(i)];
        const QPointF a = g.toWidget(r.imageRect.topLeft()), b = g.toWidget(r.imageRect.bottomRight());
        const QRectF box = QRectF(a, b).normalized();
        QPen pen(colour, i == selected ? 2.5 : 1.2, i == selected ? Qt::SolidLine : Qt::DashLine);
        p.setPen(pen);
        p.setBrush(Qt::NoBrush);
        p.drawRect(box);
        const QString text = QStringLiteral("%1 · %2").arg(i + 1).arg(r.score, 0, 'f', 2);
        const QRectF tr = p.fontMetrics().boundingRect(text).adjusted(-3, -1, 3, 1);
        // Below the box (the ground truth's labels sit above their outlines), above it at the image's bottom edge.
        // A label that would cover an earlier one goes above its box, else to the right of the other.
        QRectF bg = tr.translated(QPointF(box.left(), box.bottom() + 2) - tr.topLeft());
        if (bg.bottom() > g.imageRectOnWidget().bottom())
            bg.moveBottom(box.top() - 2);
        auto collides = [&](const QRectF& rr) {
            return std::any_of(labels.begin(), labels.end(), [&](const QRectF& o) { return o.intersects(rr); });
        };
        if (collides(bg)) {
            QRectF above = bg;
            above.moveBottom(box.top() - 2);
            if (!collides(above))
                bg = above;
            else
                for (int k = 0; k < 8 && collides(bg); ++k)
                    bg.translate(bg.width() + 2, 0);
        }
        labels.push_back(bg);
        p.fillRect(bg, QColor(0, 0, 0, 150));
        p.setPen(colour);
        p.drawText(bg, Qt::AlignCenter, text);
    }
    p.restore();
}

// ------------------------------------------------------------------------------------------------ inference thread

void InferenceWorker::load(const QString& dir, const QString& device)
{
    QString notice;
    auto m = ml::Model::load(dir.toStdString(), device.toStdString());
    if (!m && device != QLatin1String("cpu")) {
        notice = tr("%1 is not usable (%2); the model runs on the CPU.").arg(device, QString::fromStdString(m.error().message));
        m = ml::Model::load(dir.toStdString(), "cpu");
    }
    if (!m) {
        emit loadFailed(QString::fromStdString(m.error().toString()));
        return;
    }
    m_model = std::move(*m);
    m_device = device;
    const auto& i = m_model->info();
    QString id = QString::fromStdString(i.name + "-" + i.weightsSha256.substr(0, 16));
    for (QChar& ch : id)
        if (!ch.isLetterOrNumber() && ch != QLatin1Char('-') && ch != QLatin1Char('_') && ch != QLatin1Char('.'))
            ch = QLatin1Char('_');

    QStringList classes;
    for (const auto& c : i.classes)
        classes << QString::fromStdString(c);
    QVariantMap facts;
    facts[QStringLiteral("domain")] = int(ml::trainingDomain(i));
    if (ml::OperatingPoint op; ml::operatingPoint(i, op)) {
        facts[QStringLiteral("threshold")] = op.threshold;
        facts[QStringLiteral("regions_per_normal")] = op.regionsPerNormalImage;
        facts[QStringLiteral("sensitivity_masses")] = op.sensitivityMasses;
        facts[QStringLiteral("sensitivity_all")] = op.sensitivityAll;
    }
    emit loaded(QString::fromStdString(i.name), QString::fromStdString(m_model->deviceName()), QString::fromStdString(i.notes), classes,
        notice, id, QString::fromStdString(i.task), facts);
}

void InferenceWorker::score(ms::ui::ScoreJob job)
{
    ImageScore s;
    if (!m_model)
        s.error = tr("no model loaded");
    else
        s = scoreImage(*m_model, job);
    emit scored(std::move(job), std::move(s));
}

void InferenceWorker::compute(int imageIndex, ms::ImagePtr image, bool gradCam)
{
    if (!m_model || !image) {
        emit failed(imageIndex, tr("no model loaded"));
        return;
    }
    auto maps = std::make_shared<ImageMaps>();
    int lastPercent = -1;
    const ml::Progress report = [this, imageIndex, &lastPercent](double fraction) {
        const int percent = std::clamp(int(fraction * 100), 0, 100);
        if (percent != lastPercent) {
            lastPercent = percent;
            emit progress(imageIndex, percent);
        }
    };
    report(0);
    // patch classifiers and lesion-map models give dense maps; whole-image and ROI models have only their Grad-CAM
    const bool dense = m_model->info().task == "patches" || m_model->isLesionMap();
    if (dense && !m_tissueTried) {
        m_tissueTried = true;
        const std::string dir = ml::shippedModelDir("tissue");
        auto t = dir.empty() ? Result<std::unique_ptr<ml::Model>>(Error("no tissue model shipped"))
                             : ml::Model::load(dir, m_device.toStdString());
        if (!t && !dir.empty() && m_device != QLatin1String("cpu"))
            t = ml::Model::load(dir, "cpu");
        if (t && (*t)->isTissue())
            m_tissue = std::move(*t);
    }
    if (dense && m_tissue) {
        // a tissue map that fails leaves the heatmap as it was (breast by Otsu's threshold)
        if (auto t = m_tissue->tissueMap(*image))
            maps->tissue = std::make_shared<const ml::TissueMap>(std::move(*t));
    }
    if (dense) {
        auto h = m_model->isLesionMap() ? m_model->lesionMap(*image, nullptr, maps->tissue ? &maps->tissue->classes : nullptr, report)
                                        : m_model->denseMap(*image, 0, report);
        if (!h) {
            emit failed(imageIndex, QString::fromStdString(h.error().toString()));
            return;
        }
        static_cast<ml::Heatmap&>(*maps) = std::move(*h);
    }
    if (gradCam || !dense) {
        auto g = m_model->gradCam(*image);
        if (!g) {
            emit failed(imageIndex, QString::fromStdString(g.error().toString()));
            return;
        }
        maps->hasCam = true;
        maps->cam = std::move(*g);
        if (!dense) {
            maps->classNames = m_model->info().classes;
            maps->imageWidth = image->width;
            maps->imageHeight = image->height;
            maps->imageSpacingMm = image->spacingY;
            for (int c : m_model->info().malignantClasses())
                maps->score += size_t(c) < maps->cam.probabilities.size() ? maps->cam.probabilities[size_t(c)] : 0.f;
            maps->milliseconds = maps->cam.milliseconds;
        }
    }
    emit computed(imageIndex, std::move(maps));
}

InferenceService::InferenceService(HeatmapStore* store, QObject* parent) : QObject(parent), m_store(store), m_worker(new InferenceWorker)
{
    qRegisterMetaType<ms::ImagePtr>("ms::ImagePtr");
    qRegisterMetaType<ms::ui::HeatmapPtr>("ms::ui::HeatmapPtr");
    qRegisterMetaType<ms::ui::ScoreJob>("ms::ui::ScoreJob");
    qRegisterMetaType<ms::ui::ImageScore>("ms::ui::ImageScore");
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &InferenceWorker::loaded, this,
        [this](const QString& name, const QString& device, const QString& notes, const QStringList& classes, const QString& notice,
            const QString& modelId, const QString& task, const QVariantMap& facts) {
            m_loading = false;
            m_domain = ml::Domain(facts.value(QStringLiteral("domain")).toInt());
            m_hasOp = facts.contains(QStringLiteral("threshold"));
            m_op.threshold = facts.value(QStringLiteral("threshold")).toDouble();
            m_op.regionsPerNormalImage = facts.value(QStringLiteral("regions_per_normal")).toDouble();
            m_op.sensitivityMasses = facts.value(QStringLiteral("sensitivity_masses"), -1.0).toDouble();
            m_op.sensitivityAll = facts.value(QStringLiteral("sensitivity_all"), -1.0).toDouble();
            m_modelName = name;
            m_device = device;
            m_notes = notes;
            m_classes = classes;
            m_modelId = modelId;
            m_task = task;
            std::vector<int> mal;
            for (int c = 0; c < classes.size(); ++c)
                if (classes[c].startsWith(QLatin1String("MALIGNANT")))
                    mal.push_back(c);
            m_store->setMalignantClasses(mal);
            m_store->clear(); // maps belong to a model
            if (!notice.isEmpty())
                emit message(notice);
            emit modelChanged();
            next();
        });
    connect(m_worker, &InferenceWorker::loadFailed, this, [this](const QString& m) {
        m_loading = false;
        m_dir = m_previousDir;
        m_chosen = m_previousChosen;
        emit message(tr("The model could not be loaded: %1").arg(m));
        emit modelChanged();
    });
    connect(m_worker, &InferenceWorker::progress, this, &InferenceService::mapProgress);
    connect(m_worker, &InferenceWorker::computed, this, [this](int imageIndex, HeatmapPtr map) {
        m_inFlight = -1;
        emit mapProgress(imageIndex, -1);
        m_store->put(imageIndex, std::move(map));
        emit mapReady(imageIndex);
        next();
    });
    connect(m_worker, &InferenceWorker::scored, this, [this](const ScoreJob& job, const ImageScore& s) {
        m_scoringInFlight = false;
        ++m_batchDone;
        emit scoreReady(job, s);
        emit scoringProgress(m_batchDone, m_batchTotal);
        if (m_batch.empty()) {
            const bool cancelled = m_cancelled;
            m_batchTotal = m_batchDone = 0;
            m_cancelled = false;
            emit scoringFinished(cancelled);
        }
        next();
    });
    connect(m_worker, &InferenceWorker::failed, this, [this](int imageIndex, const QString& m) {
        m_inFlight = -1;
        emit mapProgress(imageIndex, -1);
        emit message(tr("No heatmap for image %1: %2").arg(imageIndex).arg(m));
        next();
    });
    m_thread.setObjectName(QStringLiteral("inference"));
    m_thread.start();
}

InferenceService::~InferenceService()
{
    m_thread.quit();
    m_thread.wait();
}

QString InferenceService::shippedModelDir(const QString& name)
{
    return QString::fromStdString(ml::shippedModelDir(name.toStdString()));
}

QString InferenceService::defaultModelFor(ml::Domain images)
{
    const QString real = realModelDir();
    return images == ml::Domain::Phantoms || real.isEmpty() ? demoModelDir() : real;
}

void InferenceService::loadModel(const QString& dir, const QString& device, bool chosenByUser)
{
    m_previousDir = m_dir; // kept when this load fails: the model in use stays, and so does whose choice it was
    m_previousChosen = m_chosen;
    m_dir = dir;
    m_chosen = chosenByUser;
    m_loading = true;
    m_queue.clear();
    QMetaObject::invokeMethod(m_worker, "load", Qt::QueuedConnection, Q_ARG(QString, dir), Q_ARG(QString, device));
}

void InferenceService::want(const QList<QPair<int, ms::ImagePtr>>& images)
{
    m_queue.clear();
    const bool cam = m_store->settings().channel == kGradCamChannel;
    for (const auto& p : images) {
        const HeatmapPtr have = m_store->get(p.first);
        if (p.second && (!have || (cam && !have->hasCam)) && p.first != m_inFlight)
            m_queue.push_back(p);
    }
    next();
}

void InferenceService::scoreImages(const QVector<ScoreJob>& jobs)
{
    for (const auto& j : jobs)
        m_batch.push_back(j);
    m_batchTotal += int(jobs.size());
    m_cancelled = false;
    emit scoringProgress(m_batchDone, m_batchTotal);
    if (m_batchTotal == 0) {
        emit scoringFinished(false);
        return;
    }
    next();
}

void InferenceService::cancelScoring()
{
    if (m_batchTotal == 0)
        return;
    m_batch.clear();
    if (m_scoringInFlight) {
        m_cancelled = true; // finished when the image in flight comes back
        return;
    }
    m_batchTotal = m_batchDone = 0;
    emit scoringFinished(true);
}

void InferenceService::next()
{
    if (m_inFlight >= 0 || m_scoringInFlight || m_loading || m_modelName.isEmpty())
        return;
    if (m_queue.empty()) {
        // Nothing on screen waits: the batch goes on.
        if (m_batch.empty())
            return;
        ScoreJob j = m_batch.front();
        m_batch.pop_front();
        m_scoringInFlight = true;
        QMetaObject::invokeMethod(m_worker, "score", Qt::QueuedConnection, Q_ARG(ms::ui::ScoreJob, j));
        return;
    }
    auto p = m_queue.front();
    m_queue.pop_front();
    m_inFlight = p.first;
    QMetaObject::invokeMethod(m_worker, "compute", Qt::QueuedConnection, Q_ARG(int, p.first), Q_ARG(ms::ImagePtr, p.second),
        Q_ARG(bool, m_store->settings().channel == kGradCamChannel));
}

// ------------------------------------------------------------------------------------------------ legend and panel

HeatmapLegend::HeatmapLegend(QWidget* parent) : QWidget(parent)
{
    setMinimumHeight(38);
}

void HeatmapLegend::setSettings(const HeatmapSettings& s)
{
    m_s = s;
    update();
}

void HeatmapLegend::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    const QRect bar(8, 4, width() - 16, 14);
    for (int x = 0; x < bar.width(); ++x) {
        const double v = double(x) / std::max(1, bar.width() - 1);
        const auto c = colormap(m_s.colormap, v);
        p.setPen(v < m_s.threshold ? QColor(c[0], c[1], c[2], 60) : QColor(c[0], c[1], c[2]));
        p.drawLine(bar.left() + x, bar.top(), bar.left() + x, bar.bottom());
    }
    p.setPen(palette().color(QPalette::Text));
    const int tx = bar.left() + int(m_s.threshold * bar.width());
    p.drawLine(tx, bar.top() - 2, tx, bar.bottom() + 2);
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 0.85);
    p.setFont(f);
    for (double v : { 0.0, 0.5, 1.0 }) {
        const int x = bar.left() + int(v * bar.width());
        p.drawText(QRect(x - 20, bar.bottom() + 2, 40, 16), Qt::AlignHCenter | Qt::AlignTop, QString::number(v, 'f', 1));
    }
}

HeatmapPanel::HeatmapPanel(HeatmapStore* store, InferenceService* service, QWidget* parent)
    : QWidget(parent),
      m_store(store),
      m_service(service),
      m_enable(new QCheckBox(tr("Show heatmap (H)"), this)),
      m_regionsBox(new QCheckBox(tr("Boxes of the suspicious regions"), this)),
      m_tissueBox(new QCheckBox(tr("Tissue: pectoral muscle, dense tissue"), this)),
      m_model(new QLabel(this)),
      m_score(new QLabel(this)),
      m_notice(new QLabel(this)),
      m_device(new QComboBox(this)),
      m_channel(new QComboBox(this)),
      m_colormap(new QComboBox(this)),
      m_opacity(new QSlider(Qt::Horizontal, this)),
      m_threshold(new QSlider(Qt::Horizontal, this)),
      m_choose(new QPushButton(tr("Choose model…"), this)),
      m_legend(new HeatmapLegend(this)),
      m_detections(new QListWidget(this))
{
    m_detections->setObjectName(QStringLiteral("detections"));
    m_detections->setToolTip(tr("Regions of the map above the threshold; click one to zoom to it"));
    m_enable->setObjectName(QStringLiteral("heatmapEnable"));
    m_model->setWordWrap(true);
    m_score->setWordWrap(true);
    m_score->setObjectName(QStringLiteral("heatmapScore"));
    m_notice->setWordWrap(true);
    QFont small = m_notice->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    m_notice->setFont(small);
    m_notice->setText(tr("Research software, not a medical device."));
    m_warning = new QLabel(this);
    m_warning->setObjectName(QStringLiteral("domainWarning"));
    m_warning->setWordWrap(true);
    m_warning->setStyleSheet(QStringLiteral("QLabel { color: #ffb020; font-weight: bold; }"));
    m_warning->hide();
    m_operating = new QLabel(this);
    m_operating->setObjectName(QStringLiteral("operatingPoint"));
    m_operating->setWordWrap(true);
    m_operating->setFont(small);
    m_operating->hide();
    for (const auto& d : ml::devices())
        m_device->addItem(QString::fromStdString(d.id == "cpu" ? std::string("CPU") : d.id + " " + d.name), QString::fromStdString(d.id));
    m_colormap->addItem(QStringLiteral("inferno"), int(Colormap::Inferno));
    m_colormap->addItem(QStringLiteral("viridis"), int(Colormap::Viridis));
    m_colormap->addItem(QStringLiteral("jet"), int(Colormap::Jet));
    m_opacity->setRange(5, 100);
    m_opacity->setValue(50);
    m_threshold->setRange(0, 95);
    m_threshold->setValue(30);
    auto* form = new QFormLayout;
    form->addRow(m_enable);
    form->addRow(tr("Model"), m_model);
    form->addRow(QString(), m_choose);
    form->addRow(tr("Device"), m_device);
    form->addRow(tr("Map"), m_channel);
    form->addRow(tr("Colours"), m_colormap);
    form->addRow(tr("Opacity"), m_opacity);
    form->addRow(tr("Threshold"), m_threshold);
    m_regionsBox->setObjectName(QStringLiteral("regionBoxes"));
    m_regionsBox->setChecked(true);
    m_regionsBox->setToolTip(tr("Draw the five strongest regions of each view (and the one picked in the list) over the images"));
    form->addRow(QString(), m_regionsBox);
    m_tissueBox->setObjectName(QStringLiteral("tissueTint"));
    m_tissueBox->setToolTip(tr("Tint what the tissue model finds: the pectoral muscle blue, fibroglandular (dense) tissue green. "
                               "The lesion map is limited to the breast it finds."));
    form->addRow(QString(), m_tissueBox);
    auto* lay = new QVBoxLayout(this);
    lay->addWidget(m_warning);
    lay->addLayout(form);
    lay->addWidget(m_legend);
    lay->addWidget(m_operating);
    lay->addWidget(m_score);
    m_mapProgress = new QProgressBar(this);
    m_mapProgress->setObjectName(QStringLiteral("mapProgress"));
    m_mapProgress->setRange(0, 100);
    m_mapProgress->setVisible(false);
    lay->addWidget(m_mapProgress);
    connect(m_service, &InferenceService::mapProgress, this, [this](int imageIndex, int percent) {
        m_mapProgress->setVisible(percent >= 0);
        if (percent < 0)
            return;
        m_mapProgress->setValue(percent);
        m_mapProgress->setFormat(imageIndex == m_current ? tr("Computing this image's map: %p%") : tr("Computing a map: %p%"));
    });
    lay->addWidget(new QLabel(tr("Suspicious regions"), this));
    m_detections->setMinimumHeight(5 * m_detections->fontMetrics().height() + 8);
    lay->addWidget(m_detections, 1);
    // Scoring the dataset in the background, and the agreement with the ground truth.
    lay->addWidget(new QLabel(tr("Dataset"), this));
    auto* scoreRow = new QHBoxLayout;
    m_scoreScope = new QComboBox(this);
    m_scoreScope->addItems({ tr("All images"), tr("Images in the browser") });
    m_scoreButton = new QPushButton(tr("Score"), this);
    m_scoreButton->setObjectName(QStringLiteral("scoreDataset"));
    m_scoreButton->setToolTip(tr("Score every image with this model in the background (cached per model): the browser's Score and "
                                 "Breast columns, and the agreement with the ground-truth ROIs"));
    m_scoreCancel = new QPushButton(tr("Cancel"), this);
    m_scoreCancel->setEnabled(false);
    scoreRow->addWidget(m_scoreScope, 1);
    scoreRow->addWidget(m_scoreButton);
    scoreRow->addWidget(m_scoreCancel);
    lay->addLayout(scoreRow);
    m_scoreProgress = new QProgressBar(this);
    m_scoreProgress->setVisible(false);
    lay->addWidget(m_scoreProgress);
    m_agreement = new QLabel(this);
    m_agreement->setObjectName(QStringLiteral("agreement"));
    m_agreement->setWordWrap(true);
    m_agreement->setTextInteractionFlags(Qt::TextSelectableByMouse);
    lay->addWidget(m_agreement);
    connect(m_scoreButton, &QPushButton::clicked, this, [this] { emit scoreRequested(m_scoreScope->currentIndex() == 1); });
    connect(m_scoreCancel, &QPushButton::clicked, this, &HeatmapPanel::scoreCancelRequested);
    m_promote = new QPushButton(tr("Promote to ROI"), this);
    m_promote->setObjectName(QStringLiteral("promoteToRoi"));
    m_promote->setToolTip(tr("Add the selected region as an abnormality of the image (an ellipse in its box, type and pathology from "
                             "the map's class), recorded in the audit log as proposed by the model; refine it with the ROI tools"));
    m_promote->setEnabled(false);
    lay->addWidget(m_promote);
    connect(m_promote, &QPushButton::clicked, this, &HeatmapPanel::promoteSelected);
    connect(m_detections, &QListWidget::currentRowChanged, this, [this](int row) {
        m_promote->setEnabled(row >= 0);
        m_store->setSelectedRegion(m_current, row);
    });
    lay->addWidget(m_notice);
    connect(m_detections, &QListWidget::itemClicked, this,
        [this](QListWidgetItem* it) { emit detectionActivated(it->data(Qt::UserRole).toRectF()); });

    for (auto* c : { m_channel, m_colormap })
        connect(c, &QComboBox::currentIndexChanged, this, &HeatmapPanel::readControls);
    for (auto* s : { m_opacity, m_threshold })
        connect(s, &QSlider::valueChanged, this, &HeatmapPanel::readControls);
    connect(m_enable, &QCheckBox::toggled, this, &HeatmapPanel::readControls);
    connect(m_regionsBox, &QCheckBox::toggled, this, &HeatmapPanel::readControls);
    connect(m_tissueBox, &QCheckBox::toggled, this, &HeatmapPanel::readControls);
    connect(m_store, &HeatmapStore::changed, this, &HeatmapPanel::updateScore);
    connect(m_service, &InferenceService::modelChanged, this, &HeatmapPanel::updateModel);
    connect(m_device, &QComboBox::activated, this, [this] {
        if (m_service->hasModel())
            m_service->loadModel(m_service->modelDir(), m_device->currentData().toString(), m_service->modelChosenByUser());
    });
    connect(m_choose, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Model folder (card.json) or run folder"));
        if (!d.isEmpty()) {
            m_model->setProperty("dir", d);
            m_model->setText(tr("loading…"));
            m_service->loadModel(d, m_device->currentData().toString(), true);
        }
    });
    const QString demo = InferenceService::demoModelDir();
    m_model->setProperty("dir", demo);
    m_model->setText(demo.isEmpty() ? tr("none (the demo model is not installed)") : tr("loading…"));
    updateModel();
    readControls();
}

void HeatmapPanel::updateModel()
{
    if (m_service->hasModel())
        m_model->setText(tr("%1 on %2").arg(m_service->modelName(), m_service->deviceName()));
    const int cur = m_channel->currentIndex();
    m_channel->blockSignals(true);
    m_channel->clear();
    const bool lesionMap = m_service->task() == QLatin1String("lesion-map");
    if (lesionMap) {
        m_channel->addItem(tr("lesion probability"), 0); // a lesion map is its own answer: no classes, no Grad-CAM
    } else {
        if (m_service->task().isEmpty() || m_service->task() == QLatin1String("patches")) {
            m_channel->addItem(tr("suspicion (1 − background)"), 0);
            m_channel->addItem(tr("malignancy (malignant classes)"), 1);
            for (int c = 0; c < m_service->classes().size(); ++c)
                m_channel->addItem(m_service->classes()[c], 2 + c);
        }
        m_channel->addItem(tr("Grad-CAM of the predicted class"), kGradCamChannel);
    }
    m_channel->setCurrentIndex(std::max(0, std::min(cur, m_channel->count() - 1)));
    m_channel->blockSignals(false);
    if (!m_service->modelNotes().isEmpty())
        m_notice->setText(m_service->modelNotes());
    // A lesion-map model states the threshold chosen on held-out folds and what it had there.
    ml::OperatingPoint op;
    if (m_service->hasModel() && m_service->operatingPoint(op)) {
        m_threshold->setValue(int(std::lround(op.threshold * 100)));
        QString text = tr("Default %1: on held-out mammograms %2 regions per normal image")
                           .arg(op.threshold, 0, 'f', 2)
                           .arg(op.regionsPerNormalImage, 0, 'f', 1);
        if (op.sensitivityMasses >= 0)
            text += tr(", %1 % of masses found").arg(std::lround(op.sensitivityMasses * 100));
        if (op.sensitivityAll >= 0)
            text += tr(" (%1 % of all located lesions)").arg(std::lround(op.sensitivityAll * 100));
        m_operating->setText(text + QLatin1Char('.'));
        m_operating->show();
    } else {
        m_operating->hide();
    }
    setImagesDomain(m_images);
    updateScore();
}

void HeatmapPanel::setImagesDomain(ml::Domain images)
{
    m_images = images;
    const std::string w = m_service->hasModel() ? ml::domainWarning(m_service->domain(), images) : std::string();
    m_warning->setText(QString::fromStdString(w));
    m_warning->setVisible(!w.empty());
}

void HeatmapPanel::readControls()
{
    HeatmapSettings s;
    s.enabled = m_enable->isChecked();
    s.channel = m_channel->currentIndex() >= 0 ? m_channel->currentData().toInt() : 0;
    s.colormap = Colormap(m_colormap->currentData().toInt());
    s.opacity = m_opacity->value() / 100.0;
    s.threshold = m_threshold->value() / 100.0;
    s.regions = m_regionsBox->isChecked();
    s.tissue = m_tissueBox->isChecked();
    m_store->setSettings(s);
    m_legend->setSettings(s);
}

void HeatmapPanel::setCurrentImage(int imageIndex)
{
    m_current = imageIndex;
    updateScore();
}

void HeatmapPanel::setScoringProgress(int done, int total)
{
    m_scoreProgress->setVisible(total > 0);
    m_scoreProgress->setRange(0, std::max(1, total));
    m_scoreProgress->setValue(done);
    m_scoreProgress->setFormat(tr("%1 of %2 images").arg(done).arg(total));
    m_scoreButton->setEnabled(total == 0);
    m_scoreCancel->setEnabled(total > 0);
}

void HeatmapPanel::setAgreement(const QString& text)
{
    m_agreement->setText(text);
}

void HeatmapPanel::promoteSelected()
{
    QListWidgetItem* it = m_detections->currentItem();
    if (!it || m_current < 0)
        return;
    emit promoteRequested(
        m_current, it->data(Qt::UserRole).toRectF(), it->data(Qt::UserRole + 1).toString(), it->data(Qt::UserRole + 2).toString());
}

void HeatmapPanel::updateDetections()
{
    const QSignalBlocker block(m_detections);
    m_detections->clear();
    m_promote->setEnabled(false);
    const HeatmapPtr h = m_store->get(m_current);
    if (!h || !m_store->settings().enabled)
        return;
    const auto& regions = m_store->regions(m_current);
    const double mm = h->imageSpacingMm;
    for (size_t i = 0; i < regions.size(); ++i) {
        const auto& r = regions[i];
        const QRectF& rect = r.imageRect;
        const QString size = mm > 0 ? tr("%1×%2 mm").arg(rect.width() * mm, 0, 'f', 0).arg(rect.height() * mm, 0, 'f', 0)
                                    : tr("%1×%2 px").arg(rect.width(), 0, 'f', 0).arg(rect.height(), 0, 'f', 0);
        auto* it = new QListWidgetItem(tr("%1. %2  %3  (%4)").arg(i + 1).arg(r.score, 0, 'f', 2).arg(r.label(), size));
        it->setData(Qt::UserRole, rect);
        // What the class says for curation: "MALIGNANT_MASS" -> malignant mass; a class without a type -> mass.
        it->setData(
            Qt::UserRole + 1, r.className.contains(QLatin1String("CALC")) ? QStringLiteral("calcification") : QStringLiteral("mass"));
        it->setData(
            Qt::UserRole + 2, r.className.startsWith(QLatin1String("MALIGNANT")) ? QStringLiteral("MALIGNANT") : QStringLiteral("BENIGN"));
        m_detections->addItem(it);
    }
    const int sel = m_store->selectedRegion(m_current);
    if (sel >= 0 && sel < m_detections->count()) {
        m_detections->setCurrentRow(sel);
        m_promote->setEnabled(true);
    }
}

void HeatmapPanel::updateScore()
{
    updateDetections();
    const HeatmapPtr h = m_store->get(m_current);
    if (!h) {
        m_score->setText(m_service->hasModel() ? (m_service->busy() ? tr("computing…") : tr("no map for this image yet")) : QString());
        return;
    }
    const auto suspicion = h->suspicion();
    const float sus = suspicion.empty() ? 0.f : *std::max_element(suspicion.begin(), suspicion.end());
    const QString camLine = h->hasCam
        ? tr("<br>Grad-CAM of %1 (p = %2) · %3×%4 cells · %5 ms")
              .arg(QString::fromStdString(h->cam.className))
              .arg(size_t(h->cam.targetClass) < h->cam.probabilities.size() ? h->cam.probabilities[size_t(h->cam.targetClass)] : 0.f, 0,
                  'f', 2)
              .arg(h->cam.width)
              .arg(h->cam.height)
              .arg(h->cam.milliseconds, 0, 'f', 0)
        : QString();
    if (h->width == 0) { // a whole-image or ROI model: its Grad-CAM is the map
        m_score->setText(tr("<b>Malignancy score %1</b> (the classifier's P(malignant))").arg(h->score, 0, 'f', 2) + camLine);
        return;
    }
    const QString tissueLine = h->tissue
        ? tr("<br>Density: %1 · tissue map %2 ms").arg(densityText(*h->tissue)).arg(h->tissue->milliseconds, 0, 'f', 0)
        : QString();
    if (m_service->task() == QLatin1String("lesion-map")) {
        m_score->setText(tr("<b>Suspicion %1</b> (the map's maximum: P(lesion) over the breast; says nothing of malignancy)<br>%2×%3 "
                            "map, %4 px cells · %5 ms")
                             .arg(h->score, 0, 'f', 2)
                             .arg(h->width)
                             .arg(h->height)
                             .arg(h->stride, 0, 'f', 1)
                             .arg(h->milliseconds, 0, 'f', 0)
            + tissueLine);
        return;
    }
    m_score->setText(
        tr("<b>Malignancy score %1</b> (max P(malignant) over the breast)<br>suspicion max %2 · %3×%4 map, %5 px cells · %6 ms")
            .arg(h->score, 0, 'f', 2)
            .arg(sus, 0, 'f', 2)
            .arg(h->width)
            .arg(h->height)
            .arg(h->stride, 0, 'f', 0)
            .arg(h->milliseconds, 0, 'f', 0)
        + camLine + tissueLine);
}

QString densityText(const ml::TissueMap& t)
{
    const double f = t.stats.denseFraction();
    if (f < 0)
        return {};
    return QObject::tr("%1 % fibroglandular tissue by area (quartile %2 of BI-RADS 4th ed.; a model's area estimate, not a "
                       "radiologist's rating)")
        .arg(100 * f, 0, 'f', 0)
        .arg(QString::fromStdString(sampling::densityQuartile(f)));
}

} // namespace ms::ui

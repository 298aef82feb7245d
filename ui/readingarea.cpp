// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/readingarea.h"

#include <QGridLayout>

#include <cmath>

namespace ms::ui
{

QString layoutName(ReadingLayout l)
{
    switch (l) {
    case ReadingLayout::Single:
        return QStringLiteral("single");
    case ReadingLayout::PairCC:
        return QStringLiteral("cc");
    case ReadingLayout::PairMLO:
        return QStringLiteral("mlo");
    case ReadingLayout::FourView:
        return QStringLiteral("4view");
    }
    return QStringLiteral("single");
}

ReadingLayout layoutFromName(const QString& s, bool* ok)
{
    if (ok)
        *ok = true;
    const QString n = s.toLower();
    if (n == QLatin1String("4view") || n == QLatin1String("four") || n == QLatin1String("4"))
        return ReadingLayout::FourView;
    if (n == QLatin1String("cc"))
        return ReadingLayout::PairCC;
    if (n == QLatin1String("mlo"))
        return ReadingLayout::PairMLO;
    if (ok)
        *ok = n == QLatin1String("single") || n == QLatin1String("1");
    return ReadingLayout::Single;
}

ReadingArea::ReadingArea(QWidget* parent) : QWidget(parent)
{
    m_grid = new QGridLayout(this);
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setSpacing(2);
    setAutoFillBackground(true);
    QPalette p = palette();
    p.setColor(QPalette::Window, QColor(12, 12, 12));
    setPalette(p);
    rebuild();
}

ReadingArea::~ReadingArea()
{
    for (auto* w : m_watchers)
        w->waitForFinished();
}

void ReadingArea::setDataset(DatasetPtr ds)
{
    m_ds = std::move(ds);
    m_cache.clear();
    m_cacheOrder.clear();
    m_current = -1;
    for (auto* v : m_views)
        v->clearView(tr("Select an image in the browser"));
    std::fill(m_slotImage.begin(), m_slotImage.end(), -1);
}

void ReadingArea::updateDataset(DatasetPtr ds, const QVector<int>& touched)
{
    m_ds = std::move(ds);
    for (int imageIndex : touched) {
        LoadedViewPtr old = m_cache.value(imageIndex);
        if (!old || !old->image)
            continue;
        auto nv = std::make_shared<LoadedView>(*old);
        nv->rois = roiOutlines(*m_ds, imageIndex, old->image->width, old->image->height);
        m_cache.insert(imageIndex, nv);
        for (size_t k = 0; k < m_views.size(); ++k)
            if (k < m_slotImage.size() && m_slotImage[k] == imageIndex) {
                m_views[k]->replaceView(nv);
                emit viewLoaded(imageIndex, nv);
            }
    }
}

void ReadingArea::setViewTool(ViewTool* tool)
{
    m_tool = tool;
    for (auto* v : m_views)
        v->setTool(tool);
}

void ReadingArea::setLayoutMode(ReadingLayout l)
{
    if (l == m_layout)
        return;
    m_layout = l;
    rebuild();
    if (m_current >= 0)
        showImage(m_current);
}

void ReadingArea::addOverlayFactory(std::function<std::shared_ptr<OverlayLayer>()> factory)
{
    for (auto* v : m_views)
        v->addOverlay(factory());
    m_overlayFactories.push_back(std::move(factory));
}

void ReadingArea::updateViews()
{
    for (auto* v : m_views)
        v->update();
}

void ReadingArea::rebuild()
{
    for (auto* w : m_watchers) {
        w->disconnect(this);
        w->waitForFinished();
        w->deleteLater();
    }
    m_watchers.clear();
    for (auto* v : m_views)
        v->deleteLater();
    m_views.clear();
    const int n = m_layout == ReadingLayout::Single ? 1 : m_layout == ReadingLayout::FourView ? 4 : 2;
    for (int i = 0; i < n; ++i) {
        auto* v = new ImageView(this);
        v->setTool(m_tool);
        v->setObjectName(QStringLiteral("view%1").arg(i));
        v->setOverlaysVisible(m_overlays);
        v->setOverlayOpacity(m_opacity);
        v->setLabelsVisible(m_labels);
        v->setLoupe(m_loupe);
        for (const auto& f : m_overlayFactories)
            v->addOverlay(f());
        m_grid->addWidget(v, i / 2, i % 2);
        m_views.push_back(v);
        auto* w = new QFutureWatcher<LoadedViewPtr>(this);
        m_watchers.push_back(w);
        connect(v, &ImageView::stateChanged, this, [this, v](const ViewState& s) { onStateChanged(v, s); });
        connect(v, &ImageView::pixelInfo, this, &ReadingArea::pixelInfo);
        connect(v, &ImageView::activated, this, [this, i] {
            m_active = i;
            for (size_t k = 0; k < m_views.size(); ++k)
                m_views[k]->setActive(m_views.size() > 1 && int(k) == m_active);
            if (size_t(i) < m_slotImage.size() && m_slotImage[size_t(i)] >= 0 && m_slotImage[size_t(i)] != m_current) {
                m_current = m_slotImage[size_t(i)];
                emit activeImageChanged(m_current);
            }
        });
    }
    m_slotImage.assign(size_t(n), -1);
    m_slotSide.assign(size_t(n), std::string());
    m_active = 0;
}

int ReadingArea::findView(const std::string& patient, const std::string& side, const std::string& view) const
{
    const auto* p = m_ds->findPatient(patient);
    if (!p)
        return -1;
    for (int ii : p->images) {
        const auto& im = m_ds->images[size_t(ii)];
        if (im.side == side && im.view == view)
            return ii;
    }
    return -1;
}

void ReadingArea::showImage(int imageIndex)
{
    if (!m_ds || imageIndex < 0 || imageIndex >= int(m_ds->images.size()))
        return;
    m_current = imageIndex;
    const auto& im = m_ds->images[size_t(imageIndex)];
    std::vector<std::pair<std::string, std::string>> hang;
    switch (m_layout) {
    case ReadingLayout::Single:
        hang = { { im.side, im.view } };
        break;
    case ReadingLayout::PairCC:
        hang = { { "RIGHT", "CC" }, { "LEFT", "CC" } };
        break;
    case ReadingLayout::PairMLO:
        hang = { { "RIGHT", "MLO" }, { "LEFT", "MLO" } };
        break;
    case ReadingLayout::FourView:
        hang = { { "RIGHT", "CC" }, { "LEFT", "CC" }, { "RIGHT", "MLO" }, { "LEFT", "MLO" } };
        break;
    }
    for (size_t s = 0; s < m_views.size(); ++s) {
        int ii = m_layout == ReadingLayout::Single ? imageIndex : findView(im.patientId, hang[s].first, hang[s].second);
        m_slotSide[s] = hang[s].first;
        const QString caption
            = QStringLiteral("%1 %2").arg(QString::fromStdString(hang[s].first.substr(0, 1)), QString::fromStdString(hang[s].second));
        m_views[s]->setCaption(
            m_layout == ReadingLayout::Single ? QStringLiteral("%1  %2").arg(caption, QString::fromStdString(im.patientId)) : caption);
        if (ii == imageIndex)
            m_active = int(s);
        m_views[s]->setActive(m_views.size() > 1 && int(s) == m_active);
        if (ii == m_slotImage[s] && m_views[s]->view())
            continue;
        m_slotImage[s] = ii;
        m_views[s]->setState(ViewState {});
        if (ii < 0)
            m_views[s]->clearView(tr("No %1 image for %2").arg(caption, QString::fromStdString(im.patientId)));
        else
            load(s, ii);
    }
    relayoutGeometry();
    emit activeImageChanged(imageIndex);
}

void ReadingArea::load(size_t slot, int imageIndex)
{
    if (auto cached = m_cache.value(imageIndex)) {
        m_views[slot]->setView(cached);
        emit viewLoaded(imageIndex, cached);
        relayoutGeometry();
        if (allLoaded())
            emit allViewsLoaded();
        return;
    }
    m_views[slot]->setLoading(QString::fromStdString(m_ds->images[size_t(imageIndex)].key));
    auto* w = m_watchers[slot];
    w->disconnect(this);
    connect(w, &QFutureWatcherBase::finished, this, [this, slot, w, imageIndex] {
        LoadedViewPtr v = w->result();
        if (slot >= m_slotImage.size() || m_slotImage[slot] != imageIndex)
            return; // the slot moved on
        m_cache.insert(imageIndex, v);
        m_cacheOrder.removeAll(imageIndex);
        m_cacheOrder.append(imageIndex);
        while (m_cacheOrder.size() > 12)
            m_cache.remove(m_cacheOrder.takeFirst());
        m_views[slot]->setView(v);
        relayoutGeometry();
        emit viewLoaded(imageIndex, v);
        if (allLoaded())
            emit allViewsLoaded();
    });
    w->setFuture(loadViewAsync(m_ds, imageIndex));
}

bool ReadingArea::allLoaded() const
{
    for (size_t s = 0; s < m_views.size(); ++s)
        if (m_slotImage[s] >= 0 && !m_views[s]->view())
            return false;
    return true;
}

void ReadingArea::relayoutGeometry()
{
    if (m_views.empty())
        return;
    // One physical scale for all hang: the largest mm-per-screen-pixel any image needs to fit its slot.
    double pxPerMm = 0;
    bool any = false;
    for (size_t s = 0; s < m_views.size(); ++s) {
        auto v = m_views[s]->view();
        if (!v || !v->image)
            continue;
        const double sp = v->spacingMm > 0 ? v->spacingMm : 1.0;
        const double fit
            = std::min((m_views[s]->width() - 12.0) / (v->image->width * sp), (m_views[s]->height() - 12.0) / (v->image->height * sp));
        pxPerMm = any ? std::min(pxPerMm, fit) : fit;
        any = true;
    }
    for (size_t s = 0; s < m_views.size(); ++s) {
        auto v = m_views[s]->view();
        if (!v || !v->image)
            continue;
        const double sp = v->spacingMm > 0 ? v->spacingMm : 1.0;
        const std::string& side = m_layout == ReadingLayout::Single && m_ds ? m_ds->images[size_t(m_slotImage[s])].side : m_slotSide[s];
        // Hanging convention: right breasts with the chest wall on the right, left breasts on the left.
        const bool right = side == "RIGHT", left = side == "LEFT";
        const bool mirror = right ? v->chestWallLeft : left ? !v->chestWallLeft : false;
        Anchor anchor = m_layout == ReadingLayout::Single ? Anchor::Center : right ? Anchor::Right : Anchor::Left;
        m_views[s]->setLayoutGeometry(m_layout == ReadingLayout::Single ? 0.0 : pxPerMm * sp, anchor, mirror);
    }
}

void ReadingArea::resizeEvent(QResizeEvent* e)
{
    QWidget::resizeEvent(e);
    relayoutGeometry();
}

void ReadingArea::onStateChanged(ImageView* source, const ViewState& s)
{
    if (m_propagating || !m_linked)
        return;
    m_propagating = true;
    for (auto* v : m_views) {
        if (v == source || !v->view())
            continue;
        ViewState t = v->state();
        t.zoom = s.zoom;
        t.pan = s.pan;
        if (m_linkWindow) {
            t.window = s.window;
            t.voiLut = s.voiLut;
            t.invert = s.invert;
        }
        v->setState(t);
    }
    m_propagating = false;
}

void ReadingArea::setLinked(bool on)
{
    m_linked = on;
}

void ReadingArea::setOverlaysVisible(bool on)
{
    m_overlays = on;
    for (auto* v : m_views)
        v->setOverlaysVisible(on);
}

void ReadingArea::setOverlayOpacity(double o)
{
    m_opacity = o;
    for (auto* v : m_views)
        v->setOverlayOpacity(o);
}

void ReadingArea::setLabelsVisible(bool on)
{
    m_labels = on;
    for (auto* v : m_views)
        v->setLabelsVisible(on);
}

void ReadingArea::setLoupe(bool on)
{
    m_loupe = on;
    for (auto* v : m_views)
        v->setLoupe(on);
}

void ReadingArea::setHighlightedAbnormality(int a)
{
    m_highlight = a;
    for (auto* v : m_views)
        v->setHighlightedAbnormality(a);
}

void ReadingArea::zoomToAbnormality(int ai)
{
    if (!m_ds || ai < 0 || ai >= int(m_ds->abnormalities.size()))
        return;
    const int ii = m_ds->abnormalities[size_t(ai)].image;
    for (size_t s = 0; s < m_views.size(); ++s)
        if (m_slotImage[s] == ii && m_views[s]->view())
            for (const auto& roi : m_views[s]->view()->rois)
                if (roi.abnormality == ai && !roi.bounds.isEmpty()) {
                    setHighlightedAbnormality(ai);
                    m_views[s]->zoomToImageRect(roi.bounds);
                }
}

ImageView* ReadingArea::activeView() const
{
    return m_views.empty() ? nullptr : m_views[size_t(std::clamp(m_active, 0, int(m_views.size()) - 1))];
}

void ReadingArea::applyWindowToAll(const WindowLevel& w, int voiLut)
{
    for (auto* v : m_views) {
        if (!m_linkWindow && v != activeView())
            continue;
        ViewState s = v->state();
        s.window = w;
        s.voiLut = voiLut;
        v->setState(s);
    }
}

void ReadingArea::resetViews()
{
    for (auto* v : m_views) {
        ViewState s = v->state();
        s.zoom = 1;
        s.pan = {};
        v->setState(s);
    }
}

} // namespace ms::ui

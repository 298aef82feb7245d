// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/imageview.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>

#include <cmath>

namespace ms::ui
{

namespace
{
constexpr double kMargin = 6;

QString fmt(double v)
{
    return std::fabs(v) >= 100 ? QString::number(v, 'f', 0) : QString::number(v, 'g', 4);
}
} // namespace

ImageView::ImageView(QWidget* parent) : QWidget(parent), m_roi(std::make_shared<RoiOverlay>())
{
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumSize(120, 120);
    m_overlays.push_back(m_roi);
    m_overlays.push_back(std::make_shared<CadOverlay>());
    connect(&m_worker, &RenderWorker::rendered, this, [this](quint64 id, const QImage& img, double ms) {
        if (id != m_requestId)
            return; // an older request finished after a newer one was made
        m_frame = img;
        m_frameGeometry = geometry();
        m_lastRenderMs = ms;
        ++m_framesRendered;
        update();
        emit frameReady();
    });
}

ImageView::~ImageView() = default;

void ImageView::setView(LoadedViewPtr view)
{
    m_view = std::move(view);
    m_message.clear();
    m_frame = QImage();
    if (m_view && !m_view->error.isEmpty())
        m_message = m_view->error;
    requestRender();
    update();
}

void ImageView::replaceView(LoadedViewPtr view)
{
    if (!m_view || !view || view->image != m_view->image) {
        setView(std::move(view));
        return;
    }
    m_view = std::move(view);
    update();
}

void ImageView::setLoading(const QString& what)
{
    m_message = tr("Loading %1…").arg(what);
    m_view.reset();
    m_frame = QImage();
    update();
}

void ImageView::clearView(const QString& message)
{
    m_view.reset();
    m_message = message;
    m_frame = QImage();
    update();
}

void ImageView::setLayoutGeometry(double fitScale, Anchor anchor, bool mirror)
{
    m_layoutFit = fitScale;
    m_anchor = anchor;
    m_mirror = mirror;
    requestRender();
}

double ImageView::fitScale() const
{
    if (m_layoutFit > 0)
        return m_layoutFit;
    if (!m_view || !m_view->image)
        return 1;
    const auto& im = *m_view->image;
    return std::max(1e-4, std::min((width() - 2 * kMargin) / im.width, (height() - 2 * kMargin) / im.height));
}

ViewGeometry ImageView::geometry() const
{
    ViewGeometry g;
    if (!m_view || !m_view->image)
        return g;
    const auto& im = *m_view->image;
    g.imageWidth = im.width;
    g.imageHeight = im.height;
    g.mirror = m_mirror;
    g.scale = fitScale() * m_state.zoom;
    const double w = im.width * g.scale, h = im.height * g.scale;
    switch (m_anchor) {
    case Anchor::Left:
        g.originX = kMargin;
        break;
    case Anchor::Right:
        g.originX = width() - kMargin - w;
        break;
    case Anchor::Center:
        g.originX = (width() - w) / 2;
        break;
    }
    g.originY = m_anchor == Anchor::Center ? (height() - h) / 2 : kMargin;
    const double sign = m_anchor == Anchor::Right ? -1 : 1;
    g.originX += sign * m_state.pan.x();
    g.originY += m_state.pan.y();
    return g;
}

void ImageView::setState(const ViewState& s, bool emitChange)
{
    m_state = s;
    m_state.zoom = std::clamp(m_state.zoom, 0.05, 400.0);
    requestRender();
    if (emitChange)
        emit stateChanged(m_state);
}

WindowLevel ImageView::effectiveWindow() const
{
    if (m_state.window.width > 0 || !m_view || !m_view->image)
        return m_state.window;
    return defaultWindow(*m_view->image);
}

RenderRequest ImageView::makeRequest(QSize size) const
{
    RenderRequest r;
    r.pyramid = &m_view->pyramid;
    r.keepAlive = m_view;
    r.size = size;
    ViewGeometry g = geometry();
    r.scale = g.scale;
    r.originX = g.originX;
    r.originY = g.originY;
    r.mirror = g.mirror;
    r.window = effectiveWindow();
    r.voiLut = m_state.voiLut;
    r.invert = m_state.invert;
    return r;
}

void ImageView::requestRender()
{
    if (!m_view || !m_view->image || width() <= 0 || height() <= 0) {
        update();
        return;
    }
    RenderRequest r = makeRequest(size());
    r.id = ++m_requestId;
    m_worker.request(r);
}

void ImageView::renderNow()
{
    if (!m_view || !m_view->image)
        return;
    RenderRequest r = makeRequest(size());
    r.id = ++m_requestId;
    m_frame = renderView(r);
    m_frameGeometry = geometry();
    ++m_framesRendered;
    update();
}

void ImageView::userChanged()
{
    requestRender();
    emit stateChanged(m_state);
}

void ImageView::fit()
{
    m_state.zoom = 1;
    m_state.pan = {};
    userChanged();
}

void ImageView::oneToOne()
{
    m_state.zoom = 1.0 / fitScale();
    userChanged();
}

void ImageView::autoWindow()
{
    if (!m_view || !m_view->image)
        return;
    m_state.window = ms::autoWindow(*m_view->image);
    m_state.voiLut = -1;
    userChanged();
}

void ImageView::resetWindow()
{
    m_state.window = { 0, 0 };
    m_state.voiLut = -1;
    userChanged();
}

void ImageView::zoomToImageRect(const QRectF& r)
{
    if (!m_view || !m_view->image || r.isEmpty())
        return;
    const double want = std::min(width() / (r.width() * 2.5), height() / (r.height() * 2.5));
    m_state.zoom = std::clamp(want / fitScale(), 1.0, 400.0);
    m_state.pan = {};
    ViewGeometry g0 = geometry();
    QPointF d = QPointF(width() / 2.0, height() / 2.0) - g0.toWidget(r.center());
    const double sign = m_anchor == Anchor::Right ? -1 : 1;
    m_state.pan = { sign * d.x(), d.y() };
    userChanged();
}

void ImageView::setLoupe(bool on)
{
    m_loupe = on;
    setCursor(on ? Qt::BlankCursor : Qt::ArrowCursor);
    update();
}

void ImageView::setOverlaysVisible(bool on)
{
    for (auto& o : m_overlays)
        o->visible = on;
    update();
}

void ImageView::setOverlayOpacity(double o)
{
    for (auto& l : m_overlays)
        l->opacity = o;
    update();
}

void ImageView::setLabelsVisible(bool on)
{
    m_roi->labels = on;
    update();
}

void ImageView::setHighlightedAbnormality(int a)
{
    m_roi->highlighted = a;
    update();
}

void ImageView::addOverlay(std::shared_ptr<OverlayLayer> layer)
{
    m_overlays.push_back(std::move(layer));
    update();
}

void ImageView::setActive(bool on)
{
    m_active = on;
    update();
}

// ---------------------------------------------------------------- painting

void ImageView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), QColor(0, 0, 0));
    if (m_view && m_view->image) {
        const ViewGeometry g = geometry();
        if (!m_frame.isNull()) {
            if (std::fabs(m_frameGeometry.scale - g.scale) < 1e-9 && m_frameGeometry.originX == g.originX
                && m_frameGeometry.originY == g.originY && m_frameGeometry.mirror == g.mirror) {
                p.drawImage(0, 0, m_frame);
            } else {
                // The frame for this geometry is on its way: show the last one moved into place meanwhile.
                const double k = g.scale / m_frameGeometry.scale;
                const double dx = g.mirror
                    ? (g.originX + g.imageWidth * g.scale) - (m_frameGeometry.originX + g.imageWidth * m_frameGeometry.scale) * k
                    : g.originX - m_frameGeometry.originX * k;
                p.save();
                p.setRenderHint(QPainter::SmoothPixmapTransform, false);
                p.translate(dx, g.originY - m_frameGeometry.originY * k);
                p.scale(k, k);
                p.drawImage(0, 0, m_frame);
                p.restore();
            }
        }
        for (const auto& o : m_overlays)
            if (o->visible)
                o->paint(p, g, *m_view);
        paintScaleBar(p, g);
        if (m_loupe && rect().contains(m_cursor.toPoint()))
            paintLoupe(p, g);
    }
    if (!m_message.isEmpty()) {
        p.setPen(QColor(230, 190, 120));
        QFont f = font();
        f.setPointSizeF(f.pointSizeF() * 1.1);
        p.setFont(f);
        p.drawText(rect().adjusted(20, 20, -20, -20), Qt::AlignCenter | Qt::TextWordWrap, m_message);
    }
    paintCorners(p);
    if (m_active) {
        p.setPen(QPen(palette().color(QPalette::Highlight), 2));
        p.drawRect(rect().adjusted(1, 1, -1, -1));
    }
}

void ImageView::paintCorners(QPainter& p)
{
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 1.25);
    f.setBold(true);
    p.setFont(f);
    p.setPen(QColor(240, 240, 240));
    if (!m_caption.isEmpty())
        p.drawText(rect().adjusted(10, 8, -10, -8),
            m_anchor == Anchor::Right ? (Qt::AlignRight | Qt::AlignTop) : (Qt::AlignLeft | Qt::AlignTop), m_caption);
    if (!m_view || !m_view->image)
        return;
    f.setBold(false);
    f.setPointSizeF(font().pointSizeF() * 0.95);
    p.setFont(f);
    p.setPen(QColor(200, 200, 200));
    const WindowLevel w = effectiveWindow();
    QString wl = m_state.voiLut >= 0 && m_state.voiLut < int(m_view->image->voiLuts.size())
        ? tr("VOI LUT: %1").arg(QString::fromStdString(m_view->image->voiLuts[size_t(m_state.voiLut)].explanation))
        : tr("W %1  L %2").arg(fmt(w.width), fmt(w.center));
    if (m_state.invert)
        wl += tr("  inverted");
    const ViewGeometry g = geometry();
    QString zoom = tr("%1%").arg(g.scale * 100, 0, 'f', g.scale < 0.1 ? 1 : 0);
    if (g.mirror)
        zoom += tr("  mirrored");
    const Qt::Alignment side = m_anchor == Anchor::Right ? Qt::AlignLeft : Qt::AlignRight;
    p.drawText(rect().adjusted(10, 8, -10, -8), side | Qt::AlignTop, wl);
    p.drawText(rect().adjusted(10, 8, -10, -8), side | Qt::AlignBottom, zoom);
}

void ImageView::paintScaleBar(QPainter& p, const ViewGeometry& g)
{
    if (!m_view || m_view->spacingMm <= 0)
        return;
    const double pxPerMm = g.scale / m_view->spacingMm;
    static const double steps[] = { 0.5, 1, 2, 5, 10, 20, 50, 100 };
    double mm = steps[0];
    for (double s : steps)
        if (s * pxPerMm <= 160)
            mm = s;
    const double len = mm * pxPerMm;
    if (len < 20)
        return;
    const bool right = m_anchor == Anchor::Left; // keep it away from the chest wall side's text
    const double x0 = right ? width() - 14 - len : 14, y0 = height() - 34;
    p.save();
    p.setRenderHint(QPainter::Antialiasing, false);
    p.setPen(QPen(QColor(240, 240, 240), 2));
    p.drawLine(QPointF(x0, y0), QPointF(x0 + len, y0));
    p.drawLine(QPointF(x0, y0 - 5), QPointF(x0, y0 + 5));
    p.drawLine(QPointF(x0 + len, y0 - 5), QPointF(x0 + len, y0 + 5));
    p.drawText(QRectF(x0, y0 - 22, len, 18), Qt::AlignCenter, tr("%1 mm").arg(mm));
    p.restore();
}

void ImageView::paintLoupe(QPainter& p, const ViewGeometry& g)
{
    const int s = m_loupeSize;
    const QPointF imgPt = g.toImage(m_cursor);
    RenderRequest r = makeRequest(QSize(s, s));
    r.scale = g.scale * m_loupeZoom;
    const double x = g.mirror ? g.imageWidth - imgPt.x() : imgPt.x();
    r.originX = s / 2.0 - x * r.scale;
    r.originY = s / 2.0 - imgPt.y() * r.scale;
    QImage mag = renderView(r);
    QRectF target(m_cursor.x() - s / 2.0, m_cursor.y() - s / 2.0, s, s);
    p.save();
    p.setRenderHint(QPainter::Antialiasing, true);
    QPainterPath clip;
    clip.addEllipse(target);
    p.setClipPath(clip);
    p.drawImage(target.topLeft(), mag);
    // Overlays inside the loupe, in the loupe's geometry.
    ViewGeometry lg = g;
    lg.scale = r.scale;
    lg.originX = target.left() + r.originX;
    lg.originY = target.top() + r.originY;
    for (const auto& o : m_overlays)
        if (o->visible)
            o->paint(p, lg, *m_view);
    p.setClipping(false);
    p.setPen(QPen(QColor(250, 200, 80), 2));
    p.drawEllipse(target);
    p.drawLine(m_cursor + QPointF(-6, 0), m_cursor + QPointF(6, 0));
    p.drawLine(m_cursor + QPointF(0, -6), m_cursor + QPointF(0, 6));
    p.drawText(target.adjusted(0, 0, 0, -8), Qt::AlignHCenter | Qt::AlignBottom, tr("×%1").arg(m_loupeZoom, 0, 'g', 3));
    p.restore();
}

void ImageView::resizeEvent(QResizeEvent*)
{
    requestRender();
}

// ---------------------------------------------------------------- interaction

void ImageView::wheelEvent(QWheelEvent* e)
{
    if (!m_view || !m_view->image)
        return;
    const double steps = e->angleDelta().y() / 120.0;
    if (e->modifiers() & Qt::ControlModifier && m_loupe) {
        setLoupeZoom(m_loupeZoom * std::pow(1.2, steps));
        return;
    }
    if (e->modifiers() & Qt::ShiftModifier && m_loupe) {
        setLoupeSize(int(m_loupeSize * std::pow(1.15, steps)));
        return;
    }
    const QPointF cursor = e->position();
    const QPointF imgPt = geometry().toImage(cursor);
    m_state.zoom = std::clamp(m_state.zoom * std::pow(1.15, steps), 0.05, 400.0);
    const QPointF now = geometry().toWidget(imgPt);
    const QPointF d = cursor - now;
    const double sign = m_anchor == Anchor::Right ? -1 : 1;
    m_state.pan += QPointF(sign * d.x(), d.y());
    userChanged();
    e->accept();
}

void ImageView::mousePressEvent(QMouseEvent* e)
{
    emit activated();
    setFocus();
    if (m_tool && m_tool->active() && m_tool->mousePress(this, e))
        return;
    m_dragButton = e->button();
    m_dragStart = e->position();
    m_dragState = m_state;
    if (m_dragButton == Qt::RightButton)
        m_dragState.window = effectiveWindow();
}

void ImageView::mouseMoveEvent(QMouseEvent* e)
{
    m_cursor = e->position();
    updatePixelInfo(m_cursor);
    if (m_tool && m_tool->active() && m_tool->mouseMove(this, e))
        return;
    if (m_dragButton == Qt::LeftButton) {
        const QPointF d = e->position() - m_dragStart;
        const double sign = m_anchor == Anchor::Right ? -1 : 1;
        m_state.pan = m_dragState.pan + QPointF(sign * d.x(), d.y());
        userChanged();
    } else if (m_dragButton == Qt::RightButton && m_view && m_view->image) {
        const QPointF d = e->position() - m_dragStart;
        const auto& im = *m_view->image;
        double range = std::fabs(im.modality(im.maxValue()) - im.modality(im.minValue()));
        range = std::max(range, 16.0);
        m_state.window.width = std::max(1.0, m_dragState.window.width + d.x() * range / 400.0);
        m_state.window.center = m_dragState.window.center + d.y() * range / 400.0;
        m_state.voiLut = -1;
        userChanged();
    } else if (m_loupe) {
        update();
    }
}

void ImageView::mouseReleaseEvent(QMouseEvent* e)
{
    m_dragButton = Qt::NoButton;
    if (m_tool && m_tool->active())
        m_tool->mouseRelease(this, e);
}

void ImageView::mouseDoubleClickEvent(QMouseEvent* e)
{
    if (m_tool && m_tool->active() && m_tool->mouseDoubleClick(this, e))
        return;
    fit();
}

void ImageView::leaveEvent(QEvent*)
{
    m_cursor = { -1, -1 };
    if (m_loupe)
        update();
}

void ImageView::keyPressEvent(QKeyEvent* e)
{
    if (m_tool && m_tool->active() && m_tool->keyPress(this, e))
        return;
    switch (e->key()) {
    case Qt::Key_I:
        m_state.invert = !m_state.invert;
        userChanged();
        return;
    case Qt::Key_F:
        fit();
        return;
    case Qt::Key_A:
        autoWindow();
        return;
    case Qt::Key_R:
        resetWindow();
        return;
    case Qt::Key_Z:
        setLoupe(!m_loupe);
        return;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        m_state.zoom *= 1.25;
        userChanged();
        return;
    case Qt::Key_Minus:
        m_state.zoom /= 1.25;
        userChanged();
        return;
    default:
        QWidget::keyPressEvent(e);
    }
}

void ImageView::updatePixelInfo(QPointF w)
{
    if (!m_view || !m_view->image)
        return;
    const ViewGeometry g = geometry();
    const QPointF ip = g.toImage(w);
    const auto& im = *m_view->image;
    const int x = int(std::floor(ip.x())), y = int(std::floor(ip.y()));
    if (x < 0 || y < 0 || x >= im.width || y >= im.height) {
        emit pixelInfo(tr("zoom %1%").arg(g.scale * 100, 0, 'f', 1));
        return;
    }
    const uint16_t v = im.at(x, y);
    QString text = tr("x %1  y %2").arg(x).arg(y);
    if (m_view->spacingMm > 0)
        text += tr("  (%1, %2 mm)").arg(x * m_view->spacingMm, 0, 'f', 1).arg(y * m_view->spacingMm, 0, 'f', 1);
    text += tr("   value %1").arg(fmt(im.modality(v)));
    if (im.slope != 1 || im.intercept != 0)
        text += tr(" (stored %1)").arg(v);
    text += tr("   zoom %1%").arg(g.scale * 100, 0, 'f', 1);
    emit pixelInfo(text);
}

} // namespace ms::ui

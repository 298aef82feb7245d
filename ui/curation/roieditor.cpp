// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/curation/roieditor.h"

#include "core/annotations/effective.h"
#include "ui/curation/curation.h"
#include "ui/imageview.h"
#include "ui/readingarea.h"

#include <QPainterPath>

namespace ms::ui
{

namespace
{

class RoiEditOverlay : public OverlayLayer
{
public:
    explicit RoiEditOverlay(const RoiEditor* e) : m_editor(e) { }
    QString name() const override { return QStringLiteral("ROI editing"); }
    void paint(QPainter& p, const ViewGeometry& g, const LoadedView& view) const override { m_editor->paintPreview(p, g, view.imageIndex); }

private:
    const RoiEditor* m_editor;
};

QTransform imageToWidget(const ViewGeometry& g)
{
    QTransform t;
    t.translate(g.originX, g.originY);
    t.scale(g.scale, g.scale);
    if (g.mirror) {
        t.translate(g.imageWidth, 0);
        t.scale(-1, 1);
    }
    return t;
}

} // namespace

RoiEditor::RoiEditor(CurationController* curation, ReadingArea* area, QObject* parent) : QObject(parent), m_curation(curation), m_area(area)
{
}

std::shared_ptr<OverlayLayer> RoiEditor::makeOverlay()
{
    return std::make_shared<RoiEditOverlay>(this);
}

void RoiEditor::setTool(Tool t)
{
    if (t == m_tool)
        return;
    m_tool = t;
    m_editing = false;
    m_poly.clear();
    m_work = QImage();
    updateCursors();
    refresh();
    emit toolChanged(t);
}

void RoiEditor::setBrushRadius(int px)
{
    m_radius = std::clamp(px, 1, 400);
    refresh();
}

void RoiEditor::setTarget(int imageIndex, const QString& key)
{
    if (imageIndex == m_image && key == m_key)
        return;
    m_image = imageIndex;
    m_key = key;
    m_editing = false;
    m_poly.clear();
    m_work = QImage();
    refresh();
}

void RoiEditor::updateCursors()
{
    for (auto* v : m_area->views())
        v->setCursor(m_tool == Tool::None ? Qt::ArrowCursor : Qt::CrossCursor);
}

void RoiEditor::refresh()
{
    m_area->updateViews();
}

bool RoiEditor::viewMatches(ImageView* view, bool tell)
{
    auto v = view->view();
    if (!v || !v->image)
        return false;
    if (v->imageIndex != m_image) {
        if (tell)
            emit message(tr("The ROI tools edit the selected image; click it first."));
        return false;
    }
    return true;
}

RleMask RoiEditor::baseMask() const
{
    auto ds = m_curation->effective();
    if (!ds || m_key.isEmpty())
        return RleMask(m_w, m_h);
    for (const auto& a : ds->abnormalities)
        if (a.key == m_key.toStdString()) {
            auto m = annotations::roiMask(a, m_w, m_h);
            if (m)
                return *m;
            break;
        }
    return RleMask(m_w, m_h);
}

bool RoiEditor::loadBase(ImageView* view)
{
    auto v = view->view();
    m_w = v->image->width;
    m_h = v->image->height;
    m_view = view;
    RleMask base = baseMask();
    m_work = QImage(m_w, m_h, QImage::Format_Alpha8);
    m_work.fill(0);
    Gray8 g = base.toGray(255);
    for (int y = 0; y < m_h && !g.empty(); ++y)
        std::memcpy(m_work.scanLine(y), g.pixels.data() + size_t(y) * size_t(m_w), size_t(m_w));
    return true;
}

RleMask RoiEditor::workMask() const
{
    if (m_work.isNull())
        return {};
    std::vector<uint8_t> px(size_t(m_w) * size_t(m_h));
    for (int y = 0; y < m_h; ++y)
        std::memcpy(px.data() + size_t(y) * size_t(m_w), m_work.constScanLine(y), size_t(m_w));
    return RleMask::fromBinary(px.data(), m_w, m_h, 128);
}

void RoiEditor::commit(const RleMask& mask, const QString& text)
{
    if (mask.empty()) {
        emit message(m_key.isEmpty() ? tr("Nothing drawn.") : tr("That would leave the ROI empty; use Delete to remove the abnormality."));
        return;
    }
    if (m_key.isEmpty()) {
        QString key = m_curation->addAbnormality(m_image, m_newType, &mask);
        if (!key.isEmpty()) {
            m_key = key;
            emit targetCreated(key);
        }
    } else {
        m_curation->setRoi(m_key, mask, text);
    }
}

void RoiEditor::paintBrush(QPointF from, QPointF to)
{
    QPainter p(&m_work);
    p.setRenderHint(QPainter::Antialiasing, false);
    if (m_tool == Tool::Eraser)
        p.setCompositionMode(QPainter::CompositionMode_Clear);
    QPen pen(QColor(0, 0, 0, 255), 2.0 * m_radius, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    if (from == to) {
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(0, 0, 0, 255));
        p.drawEllipse(to, m_radius, m_radius);
    } else {
        p.setPen(pen);
        p.drawLine(from, to);
    }
}

bool RoiEditor::mousePress(ImageView* view, QMouseEvent* e)
{
    if (e->button() != Qt::LeftButton)
        return false; // right-drag still sets the window, the wheel still zooms
    if (!viewMatches(view, true))
        return true;
    const QPointF ip = view->geometry().toImage(e->position());
    switch (m_tool) {
    case Tool::Brush:
    case Tool::Eraser:
        loadBase(view);
        m_editing = true;
        m_last = ip;
        paintBrush(ip, ip);
        break;
    case Tool::Ellipse:
        loadBase(view);
        m_editing = true;
        m_dragStart = m_last = ip;
        break;
    case Tool::Polygon:
        if (m_poly.isEmpty()) {
            m_w = view->view()->image->width;
            m_h = view->view()->image->height;
            m_view = view;
        }
        m_poly << ip;
        break;
    case Tool::None:
        return false;
    }
    refresh();
    return true;
}

bool RoiEditor::mouseMove(ImageView* view, QMouseEvent* e)
{
    const QPointF ip = view->geometry().toImage(e->position());
    const bool hoverChanged = m_hover != ip;
    m_hover = ip;
    m_view = view;
    if (m_editing && (m_tool == Tool::Brush || m_tool == Tool::Eraser)) {
        paintBrush(m_last, ip);
        m_last = ip;
    } else if (m_editing && m_tool == Tool::Ellipse) {
        m_last = ip;
    }
    if (hoverChanged)
        view->update();
    return m_editing;
}

bool RoiEditor::mouseRelease(ImageView*, QMouseEvent* e)
{
    if (!m_editing || e->button() != Qt::LeftButton)
        return false;
    m_editing = false;
    if (m_tool == Tool::Brush || m_tool == Tool::Eraser) {
        commit(workMask(), m_tool == Tool::Brush ? tr("Brush stroke") : tr("Erase"));
    } else if (m_tool == Tool::Ellipse) {
        QRectF r = QRectF(m_dragStart, m_last).normalized();
        if (r.width() >= 2 && r.height() >= 2) {
            RleMask el = RleMask::ellipse(m_w, m_h, r.center().x(), r.center().y(), r.width() / 2, r.height() / 2);
            const bool subtract = e->modifiers() & Qt::ShiftModifier;
            RleMask base = baseMask();
            commit(subtract ? base.subtract(el) : base.unite(el), subtract ? tr("Cut ellipse") : tr("Ellipse"));
        }
    }
    m_work = QImage();
    refresh();
    return true;
}

void RoiEditor::closePolygon(bool subtract)
{
    if (m_poly.size() >= 3) {
        std::vector<std::pair<double, double>> pts;
        for (const auto& p : std::as_const(m_poly))
            pts.emplace_back(p.x(), p.y());
        RleMask poly = RleMask::polygon(m_w, m_h, pts);
        RleMask base = baseMask();
        commit(subtract ? base.subtract(poly) : base.unite(poly), subtract ? tr("Cut polygon") : tr("Polygon"));
    } else {
        emit message(tr("A polygon needs at least three points."));
    }
    m_poly.clear();
    refresh();
}

bool RoiEditor::mouseDoubleClick(ImageView* view, QMouseEvent* e)
{
    if (m_tool != Tool::Polygon || !viewMatches(view, false))
        return m_tool != Tool::None; // no fit-to-window while drawing
    // The press of the double-click already added the point.
    closePolygon(e->modifiers() & Qt::ShiftModifier);
    return true;
}

bool RoiEditor::keyPress(ImageView*, QKeyEvent* e)
{
    if (e->key() == Qt::Key_Escape) {
        if (!m_poly.isEmpty() || m_editing) {
            m_poly.clear();
            m_editing = false;
            m_work = QImage();
            refresh();
        } else {
            setTool(Tool::None);
        }
        return true;
    }
    if (m_tool == Tool::Polygon && (e->key() == Qt::Key_Return || e->key() == Qt::Key_Enter)) {
        closePolygon(e->modifiers() & Qt::ShiftModifier);
        return true;
    }
    if (m_tool == Tool::Polygon && e->key() == Qt::Key_Backspace && !m_poly.isEmpty()) {
        m_poly.removeLast();
        refresh();
        return true;
    }
    return false;
}

bool RoiEditor::fillHoles()
{
    auto ds = m_curation->effective();
    if (!ds || m_key.isEmpty() || m_image < 0)
        return false;
    // The image size: from the loaded view when shown, else the mask itself.
    if (auto lv = m_area->loaded(m_image); lv && lv->image) {
        m_w = lv->image->width;
        m_h = lv->image->height;
    }
    RleMask base = baseMask();
    if (base.empty())
        return false;
    RleMask filled = base.fillHoles();
    if (filled == base) {
        emit message(tr("The ROI has no holes."));
        return false;
    }
    commit(filled, tr("Fill holes"));
    return true;
}

void RoiEditor::paintPreview(QPainter& p, const ViewGeometry& g, int imageIndex) const
{
    if (m_tool == Tool::None || imageIndex != m_image)
        return;
    p.save();
    const QTransform t = imageToWidget(g);
    const QColor c(255, 200, 40);
    if (m_editing && !m_work.isNull() && m_work.width() == g.imageWidth && m_work.height() == g.imageHeight) {
        // The working mask, tinted: an 8-bit indexed view of the same bytes, only the visible part converted.
        QImage idx(m_work.constBits(), m_work.width(), m_work.height(), m_work.bytesPerLine(), QImage::Format_Indexed8);
        QVector<QRgb> table(256);
        for (int i = 0; i < 256; ++i)
            table[i] = qRgba(c.red(), c.green(), c.blue(), i * 110 / 255);
        idx.setColorTable(table);
        QRect visible
            = t.inverted().mapRect(QRectF(p.viewport())).toAlignedRect().intersected(QRect(0, 0, m_work.width(), m_work.height()));
        if (!visible.isEmpty()) {
            p.setTransform(t, true);
            p.drawImage(visible.topLeft(), idx.copy(visible));
            p.resetTransform();
        }
    }
    p.setRenderHint(QPainter::Antialiasing, true);
    QPen pen(c, 1.6);
    pen.setCosmetic(true);
    p.setPen(pen);
    p.setBrush(Qt::NoBrush);
    if (m_tool == Tool::Ellipse && m_editing) {
        QRectF r = QRectF(m_dragStart, m_last).normalized();
        QPainterPath path;
        path.addEllipse(r);
        p.drawPath(t.map(path));
    }
    if (m_tool == Tool::Polygon && !m_poly.isEmpty()) {
        QPolygonF w;
        for (const auto& pt : m_poly)
            w << t.map(pt);
        if (m_hover.x() >= 0)
            w << t.map(m_hover);
        p.drawPolyline(w);
        for (const auto& pt : m_poly)
            p.drawEllipse(t.map(pt), 3, 3);
    }
    if ((m_tool == Tool::Brush || m_tool == Tool::Eraser) && m_hover.x() >= 0) {
        const double r = m_radius * g.scale;
        pen.setStyle(m_tool == Tool::Eraser ? Qt::DashLine : Qt::SolidLine);
        p.setPen(pen);
        p.drawEllipse(t.map(m_hover), r, r);
    }
    p.restore();
}

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/overlay.h"

#include <QFontMetrics>

namespace ms::ui
{

void RoiOverlay::paint(QPainter& p, const ViewGeometry& g, const LoadedView& view) const
{
    p.save();
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setOpacity(opacity);
    for (const auto& roi : view.rois) {
        QColor c = pathologyColor(roi.pathology);
        const bool hi = roi.abnormality == highlighted;
        QPen pen(c, hi ? 3.0 : 1.8);
        pen.setCosmetic(true);
        p.setPen(pen);
        p.setBrush(Qt::NoBrush);
        for (const auto& poly : roi.contours) {
            QPolygonF w;
            w.reserve(poly.size());
            for (const auto& pt : poly)
                w << g.toWidget(pt);
            p.drawPolygon(w);
        }
        if (labels && !roi.contours.isEmpty()) {
            QRectF b = QRectF(g.toWidget(roi.bounds.topLeft()), g.toWidget(roi.bounds.bottomRight())).normalized();
            QFont f = p.font();
            f.setPointSizeF(9);
            f.setBold(hi);
            p.setFont(f);
            QFontMetrics fm(f);
            QRectF tr = fm.boundingRect(roi.label).adjusted(-3, -1, 3, 1);
            tr.moveBottomLeft(QPointF(b.left(), b.top() - 3));
            p.fillRect(tr, QColor(0, 0, 0, 160));
            p.setPen(c);
            p.drawText(tr, Qt::AlignCenter, roi.label);
        }
    }
    p.restore();
}

void CadOverlay::paint(QPainter& p, const ViewGeometry& g, const LoadedView& view) const
{
    if (view.cadMarks.isEmpty())
        return;
    p.save();
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setOpacity(opacity);
    const QColor c(255, 170, 40);
    QPen pen(c, 1.6, Qt::DashLine);
    pen.setCosmetic(true);
    QFont f = p.font();
    f.setPointSizeF(8.5);
    p.setFont(f);
    const QFontMetrics fm(f);
    for (const auto& m : view.cadMarks) {
        p.setPen(pen);
        p.setBrush(Qt::NoBrush);
        QRectF box;
        if (!m.outline.isEmpty()) {
            QPolygonF w;
            for (const auto& pt : m.outline)
                w << g.toWidget(pt);
            p.drawPolygon(w);
            box = w.boundingRect();
        } else {
            const QPointF centre = g.toWidget(m.centre);
            const double r = std::max(4.0, m.radius * g.scale);
            p.drawEllipse(centre, r, r);
            box = QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r);
        }
        QRectF tr = fm.boundingRect(m.label).adjusted(-3, -1, 3, 1);
        tr.moveTopLeft(QPointF(box.left(), box.bottom() + 3));
        p.fillRect(tr, QColor(0, 0, 0, 160));
        p.setPen(c);
        p.drawText(tr, Qt::AlignCenter, m.label);
    }
    p.restore();
}

} // namespace ms::ui

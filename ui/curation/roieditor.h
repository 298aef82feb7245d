// SPDX-License-Identifier: GPL-3.0-or-later
// ROI tools on the reading view: brush, eraser, polygon, ellipse, fill holes. The tool edits the target
// abnormality's mask (its curated RLE, else its mask file, else its circle) at the image's full resolution; a stroke,
// polygon or ellipse becomes one undo step when the mouse is released. With no target abnormality the first
// stroke adds a new one (a missed lesion). The live mask shows in an overlay while drawing.
#pragma once

#include "core/image/mask.h"
#include "ui/overlay.h"

#include <QImage>
#include <QObject>
#include <QPointer>
#include <QVector>

namespace ms::ui
{

class CurationController;
class ReadingArea;

class RoiEditor : public QObject, public ViewTool
{
    Q_OBJECT
public:
    enum class Tool { None, Brush, Eraser, Polygon, Ellipse };

    RoiEditor(CurationController* curation, ReadingArea* area, QObject* parent = nullptr);

    void setTool(Tool t);
    Tool tool() const { return m_tool; }
    void setBrushRadius(int px); // image pixels
    int brushRadius() const { return m_radius; }
    // What the tools edit: an abnormality of an image, or (empty key) a new abnormality of type `newType`.
    void setTarget(int imageIndex, const QString& abnormalityKey);
    int targetImage() const { return m_image; }
    QString targetKey() const { return m_key; }
    void setNewType(const QString& type) { m_newType = type; }
    // Fills the holes of the target's ROI (one undo step). False when there is nothing to fill.
    bool fillHoles();
    bool editing() const { return m_editing; }

    std::shared_ptr<OverlayLayer> makeOverlay();

    bool active() const override { return m_tool != Tool::None; }
    bool mousePress(ImageView* view, QMouseEvent* e) override;
    bool mouseMove(ImageView* view, QMouseEvent* e) override;
    bool mouseRelease(ImageView* view, QMouseEvent* e) override;
    bool mouseDoubleClick(ImageView* view, QMouseEvent* e) override;
    bool keyPress(ImageView* view, QKeyEvent* e) override;

    // For the overlay.
    void paintPreview(QPainter& p, const ViewGeometry& g, int imageIndex) const;

signals:
    void toolChanged(ms::ui::RoiEditor::Tool tool);
    void targetCreated(const QString& abnormalityKey);
    void message(const QString& text);

private:
    bool viewMatches(ImageView* view, bool tell);
    bool loadBase(ImageView* view); // m_work <- the target's current ROI
    RleMask workMask() const;
    RleMask baseMask() const;
    void commit(const RleMask& mask, const QString& text);
    void paintBrush(QPointF from, QPointF to);
    void closePolygon(bool subtract);
    void updateCursors();
    void refresh();

    CurationController* m_curation;
    ReadingArea* m_area;
    Tool m_tool = Tool::None;
    int m_radius = 12;
    int m_image = -1;
    QString m_key, m_newType = QStringLiteral("mass");
    bool m_editing = false;
    QPointer<ImageView> m_view;
    int m_w = 0, m_h = 0;
    QImage m_work; // Format_Alpha8 at the image's size: 255 inside the ROI
    QPointF m_last, m_hover { -1, -1 }, m_dragStart;
    QVector<QPointF> m_poly;
};

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
// The overlay layer of the reading view: anything drawn over the image in image coordinates (ground-truth ROI
// outlines now; heatmaps, detections and editing tools plug in the same way).
#pragma once

#include "ui/caseloader.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPointF>
#include <QString>

namespace ms::ui
{

// Maps image pixel coordinates to widget coordinates and back (mirroring included).
struct ViewGeometry {
    double scale = 1; // widget px per image px
    double originX = 0, originY = 0; // widget position of image (0,0) before mirroring
    bool mirror = false;
    int imageWidth = 0, imageHeight = 0;

    QPointF toWidget(QPointF p) const
    {
        double x = mirror ? imageWidth - p.x() : p.x();
        return { originX + x * scale, originY + p.y() * scale };
    }
    QPointF toImage(QPointF w) const
    {
        double x = (w.x() - originX) / scale, y = (w.y() - originY) / scale;
        return { mirror ? imageWidth - x : x, y };
    }
    QRectF imageRectOnWidget() const { return { originX, originY, imageWidth * scale, imageHeight * scale }; }
};

class ImageView;

// An editing tool that takes the mouse and keys of the reading views while it is active (ROI brush, polygon, ...).
// Each handler returns true when it used the event; the view then does not pan, zoom or change the window.
class ViewTool
{
public:
    virtual ~ViewTool() = default;
    virtual bool active() const = 0;
    virtual bool mousePress(ImageView* view, QMouseEvent* e) = 0;
    virtual bool mouseMove(ImageView* view, QMouseEvent* e) = 0;
    virtual bool mouseRelease(ImageView* view, QMouseEvent* e) = 0;
    virtual bool mouseDoubleClick(ImageView* view, QMouseEvent* e) = 0;
    virtual bool keyPress(ImageView* view, QKeyEvent* e) = 0;
};

class OverlayLayer
{
public:
    virtual ~OverlayLayer() = default;
    virtual QString name() const = 0;
    virtual void paint(QPainter& p, const ViewGeometry& g, const LoadedView& view) const = 0;
    bool visible = true;
    double opacity = 1.0;
};

// Ground-truth ROI outlines from the masks, coloured by pathology, with labels.
class RoiOverlay : public OverlayLayer
{
public:
    QString name() const override { return QStringLiteral("Ground truth"); }
    void paint(QPainter& p, const ViewGeometry& g, const LoadedView& view) const override;
    bool labels = true;
    int highlighted = -1; // abnormality index drawn thicker
};

// Findings of structured reports beside the image (another CAD's, or a model's exported earlier): dashed, amber,
// labelled with type, score and algorithm; never mistaken for the ground truth's solid outlines.
class CadOverlay : public OverlayLayer
{
public:
    QString name() const override { return QStringLiteral("Structured report findings"); }
    void paint(QPainter& p, const ViewGeometry& g, const LoadedView& view) const override;
};

} // namespace ms::ui

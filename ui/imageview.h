// SPDX-License-Identifier: GPL-3.0-or-later
// One mammogram on screen: window/level, zoom about the cursor, pan, fit/1:1, a magnifier loupe, a scale bar in mm,
// overlays, and viewer conventions (wheel zooms, left-drag pans, right-drag changes window/level, double-click fits).
// Rendering runs on the view's RenderWorker; the widget paints the latest frame.
#pragma once

#include "ui/caseloader.h"
#include "ui/overlay.h"
#include "ui/renderworker.h"

#include <QImage>
#include <QWidget>

#include <memory>
#include <vector>

namespace ms::ui
{

enum class Anchor { Center, Left, Right };

// What linked views share. pan is in widget pixels, positive x meaning "toward the nipple" so mirrored
// neighbours move together; zoom is relative to the fit scale.
struct ViewState {
    double zoom = 1.0;
    QPointF pan;
    WindowLevel window { 0, 0 }; // width 0: not set yet (the image's default is used)
    int voiLut = -1;
    bool invert = false;
};

class ImageView : public QWidget
{
    Q_OBJECT
public:
    explicit ImageView(QWidget* parent = nullptr);
    ~ImageView() override;

    void setView(LoadedViewPtr view);
    // The same image with new ROI outlines (a curator's edit): no re-render of the pixels.
    void replaceView(LoadedViewPtr view);
    void setTool(ViewTool* tool) { m_tool = tool; }
    void setLoading(const QString& what);
    void clearView(const QString& message = {});
    LoadedViewPtr view() const { return m_view; }

    // Geometry set by the layout: the fit scale (widget px per image px; 0 = fit this widget), anchor, mirror.
    void setLayoutGeometry(double fitScale, Anchor anchor, bool mirror);
    bool mirrored() const { return m_mirror; }
    double fitScale() const;
    ViewGeometry geometry() const;

    ViewState state() const { return m_state; }
    void setState(const ViewState& s, bool emitChange = false);
    WindowLevel effectiveWindow() const;

    void setLoupe(bool on);
    bool loupe() const { return m_loupe; }
    void setLoupeZoom(double z)
    {
        m_loupeZoom = std::clamp(z, 1.5, 16.0);
        update();
    }
    void setLoupeSize(int px)
    {
        m_loupeSize = std::clamp(px, 80, 600);
        update();
    }
    double loupeZoom() const { return m_loupeZoom; }
    int loupeSize() const { return m_loupeSize; }
    void setOverlaysVisible(bool on);
    void setOverlayOpacity(double o);
    void setLabelsVisible(bool on);
    void setHighlightedAbnormality(int a);
    void addOverlay(std::shared_ptr<OverlayLayer> layer);
    void setActive(bool on);
    void setCaption(const QString& c)
    {
        m_caption = c;
        update();
    }

    // Zooms to show an image rectangle (an abnormality) with a margin.
    void zoomToImageRect(const QRectF& r);
    void fit();
    void oneToOne();
    void autoWindow();
    void resetWindow();

    // For tests and screenshots.
    quint64 framesRendered() const { return m_framesRendered; }
    const QImage& lastFrame() const { return m_frame; }
    double lastRenderMs() const { return m_lastRenderMs; }
    void renderNow(); // synchronous, replaces the frame

signals:
    void stateChanged(const ms::ui::ViewState& s); // by the user
    void pixelInfo(const QString& text);
    void activated();
    void frameReady();

protected:
    void paintEvent(QPaintEvent*) override;
    void resizeEvent(QResizeEvent*) override;
    void wheelEvent(QWheelEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;
    void mouseReleaseEvent(QMouseEvent*) override;
    void mouseDoubleClickEvent(QMouseEvent*) override;
    void keyPressEvent(QKeyEvent*) override;
    void leaveEvent(QEvent*) override;

private:
    void requestRender();
    RenderRequest makeRequest(QSize size) const;
    void paintScaleBar(QPainter& p, const ViewGeometry& g);
    void paintLoupe(QPainter& p, const ViewGeometry& g);
    void paintCorners(QPainter& p);
    void userChanged();
    void updatePixelInfo(QPointF widgetPos);

    LoadedViewPtr m_view;
    QString m_message;
    QString m_caption;
    ViewState m_state;
    double m_layoutFit = 0;
    Anchor m_anchor = Anchor::Center;
    bool m_mirror = false;
    bool m_active = false;
    bool m_loupe = false;
    double m_loupeZoom = 3.0;
    int m_loupeSize = 220;
    QPointF m_cursor { -1, -1 };
    Qt::MouseButton m_dragButton = Qt::NoButton;
    QPointF m_dragStart;
    ViewState m_dragState;
    RenderWorker m_worker;
    quint64 m_requestId = 0;
    quint64 m_framesRendered = 0;
    QImage m_frame;
    ViewGeometry m_frameGeometry;
    double m_lastRenderMs = 0;
    std::shared_ptr<RoiOverlay> m_roi;
    ViewTool* m_tool = nullptr;
    std::vector<std::shared_ptr<OverlayLayer>> m_overlays;
};

} // namespace ms::ui

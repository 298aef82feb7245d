// SPDX-License-Identifier: GPL-3.0-or-later
// One render thread per view: window/level through a lookup table and resampling from the pyramid level that fits
// the zoom, producing the widget-sized 8-bit picture. The latest request wins (Qt's mandelbrot RenderThread
// pattern): a request arriving while one renders replaces any that waits.
#pragma once

#include "core/image/resample.h"
#include "core/image/window.h"

#include <QImage>
#include <QMutex>
#include <QThread>
#include <QWaitCondition>

namespace ms::ui
{

struct RenderRequest {
    quint64 id = 0;
    const Pyramid* pyramid = nullptr; // owned by the view's LoadedView (kept alive by `keepAlive`)
    std::shared_ptr<const void> keepAlive;
    QSize size; // output size, device pixels
    double scale = 1; // output pixels per image pixel
    double originX = 0, originY = 0; // output position of image pixel (0,0) before mirroring
    bool mirror = false; // image x -> width-1-x
    WindowLevel window;
    int voiLut = -1; // index into the image's VOI LUTs, -1: linear window
    bool invert = false;
};

// Renders synchronously (also used by tests and screenshots).
QImage renderView(const RenderRequest& r);

class RenderWorker : public QThread
{
    Q_OBJECT
public:
    explicit RenderWorker(QObject* parent = nullptr);
    ~RenderWorker() override;
    void request(const RenderRequest& r);

signals:
    void rendered(quint64 id, const QImage& image, double ms);

protected:
    void run() override;

private:
    QMutex m_mutex;
    QWaitCondition m_cond;
    RenderRequest m_pending;
    bool m_hasPending = false;
    bool m_abort = false;
};

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/renderworker.h"

#include <QElapsedTimer>

#include <cmath>

namespace ms::ui
{

QImage renderView(const RenderRequest& r)
{
    QImage out(r.size, QImage::Format_Grayscale8);
    out.fill(0);
    if (!r.pyramid || r.pyramid->levels.empty() || r.size.isEmpty())
        return out;
    const Image16& base = *r.pyramid->levels.front();
    int level = 0;
    const Image16& img = *r.pyramid->levelFor(r.scale, &level);
    const double f = double(img.width) / base.width; // level pixels per image pixel
    const DisplayLut lut = r.voiLut >= 0 && r.voiLut < int(base.voiLuts.size())
        ? buildVoiLut(base, base.voiLuts[size_t(r.voiLut)], r.invert)
        : buildWindowLut(base, r.window, r.invert);
    const uint8_t* t = lut.data();
    // Column lookup once per frame: output x -> level x (or -1 outside).
    std::vector<int> colMap(size_t(r.size.width()));
    for (int ox = 0; ox < r.size.width(); ++ox) {
        double ix = (ox + 0.5 - r.originX) / r.scale;
        if (r.mirror)
            ix = base.width - ix;
        int lx = int(std::floor(ix * f));
        colMap[size_t(ox)] = (ix < 0 || lx < 0 || lx >= img.width) ? -1 : lx;
    }
    for (int oy = 0; oy < r.size.height(); ++oy) {
        double iy = (oy + 0.5 - r.originY) / r.scale;
        int ly = int(std::floor(iy * f));
        if (iy < 0 || ly < 0 || ly >= img.height)
            continue;
        const uint16_t* src = &img.pixels[size_t(ly) * size_t(img.width)];
        uchar* dst = out.scanLine(oy);
        for (int ox = 0; ox < r.size.width(); ++ox) {
            int lx = colMap[size_t(ox)];
            if (lx >= 0)
                dst[ox] = t[src[lx]];
        }
    }
    return out;
}

RenderWorker::RenderWorker(QObject* parent) : QThread(parent)
{
}

RenderWorker::~RenderWorker()
{
    {
        QMutexLocker l(&m_mutex);
        m_abort = true;
        m_cond.wakeOne();
    }
    wait();
}

void RenderWorker::request(const RenderRequest& r)
{
    QMutexLocker l(&m_mutex);
    m_pending = r;
    m_hasPending = true;
    if (!isRunning())
        start(QThread::HighPriority);
    else
        m_cond.wakeOne();
}

void RenderWorker::run()
{
    for (;;) {
        RenderRequest r;
        {
            QMutexLocker l(&m_mutex);
            while (!m_hasPending && !m_abort)
                m_cond.wait(&m_mutex);
            if (m_abort)
                return;
            r = m_pending;
            m_hasPending = false;
        }
        QElapsedTimer t;
        t.start();
        QImage img = renderView(r);
        emit rendered(r.id, img, double(t.nsecsElapsed()) / 1e6);
    }
}

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/thumbnails.h"

#include "core/common/paths.h"
#include "core/dataset/loader.h"
#include "core/image/resample.h"
#include "core/image/window.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QPointer>
#include <QRunnable>

namespace ms::ui
{

namespace
{

QString diskPath(const QString& path)
{
    QFileInfo fi(path);
    QByteArray key = (path + QString::number(fi.size()) + QString::number(fi.lastModified().toMSecsSinceEpoch())).toUtf8();
    QString dir = QString::fromStdString((appCacheDir() / "thumbs").string());
    return dir + QLatin1Char('/') + QString::fromLatin1(QCryptographicHash::hash(key, QCryptographicHash::Sha1).toHex())
        + QStringLiteral(".png");
}

QImage makeThumbnail(const QString& path)
{
    const QString cached = diskPath(path);
    QImage img;
    if (img.load(cached))
        return img;
    auto li = dataset::loadImage(path.toStdString());
    if (!li)
        return {};
    Image16 small = fitWithin(li->image, ThumbnailCache::kSize, ThumbnailCache::kSize);
    Gray8 g = renderWindow(small, autoWindow(li->image));
    QImage out(g.width, g.height, QImage::Format_Grayscale8);
    for (int y = 0; y < g.height; ++y)
        memcpy(out.scanLine(y), &g.pixels[size_t(y) * size_t(g.width)], size_t(g.width));
    QDir().mkpath(QFileInfo(cached).path());
    out.save(cached + QStringLiteral(".tmp.png"));
    QFile::rename(cached + QStringLiteral(".tmp.png"), cached);
    return out;
}

} // namespace

ThumbnailCache::ThumbnailCache(QObject* parent) : QObject(parent), m_memory(2000)
{
    m_pool.setMaxThreadCount(2);
}

ThumbnailCache::~ThumbnailCache()
{
    m_pool.clear();
    m_pool.waitForDone();
}

void ThumbnailCache::clear()
{
    ++m_generation;
    m_pool.clear();
    m_memory.clear();
    m_pending.clear();
}

QVariant ThumbnailCache::thumbnail(int imageIndex, const QString& path)
{
    if (QImage* img = m_memory.object(imageIndex))
        return *img;
    if (path.isEmpty() || m_pending.contains(imageIndex))
        return {};
    m_pending.insert(imageIndex, true);
    QPointer<ThumbnailCache> self(this);
    const quint64 gen = m_generation;
    m_pool.start([self, imageIndex, path, gen] {
        QImage img = makeThumbnail(path);
        QMetaObject::invokeMethod(
            self.data(),
            [self, imageIndex, img, gen] {
                if (!self || gen != self->m_generation)
                    return;
                self->m_pending.remove(imageIndex);
                if (img.isNull())
                    return;
                self->m_memory.insert(imageIndex, new QImage(img));
                emit self->ready(imageIndex);
            },
            Qt::QueuedConnection);
    });
    return {};
}

} // namespace ms::ui

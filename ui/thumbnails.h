// SPDX-License-Identifier: GPL-3.0-or-later
// Thumbnails for the browser: made lazily in a small thread pool, kept in memory and on disk
// (<cache>/thumbs, keyed by path, size and modification time), never inside the dataset.
#pragma once

#include <QCache>
#include <QHash>
#include <QImage>
#include <QObject>
#include <QThreadPool>

namespace ms::ui
{

class ThumbnailCache : public QObject
{
    Q_OBJECT
public:
    explicit ThumbnailCache(QObject* parent = nullptr);
    ~ThumbnailCache() override;
    // The thumbnail when ready (null QVariant otherwise; ready() follows).
    QVariant thumbnail(int imageIndex, const QString& path);
    void clear();
    static constexpr int kSize = 72;

signals:
    void ready(int imageIndex);

private:
    QCache<int, QImage> m_memory;
    QHash<int, bool> m_pending;
    QThreadPool m_pool;
    quint64 m_generation = 0;
};

} // namespace ms::ui

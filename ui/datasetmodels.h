// SPDX-License-Identifier: GPL-3.0-or-later
// Item models over the dataset: a patient -> image tree, a sortable image table, and the filter proxy that the
// browser's filter bar drives. Every image row carries its index in Dataset::images under ImageIndexRole.
#pragma once

#include "ui/datasetcontroller.h"

#include <QAbstractItemModel>
#include <QAbstractTableModel>
#include <QHash>
#include <QSortFilterProxyModel>

namespace ms::ui
{

class ThumbnailCache;

enum Roles { ImageIndexRole = Qt::UserRole + 1, PatientRole, SortRole };

// Summary of an image's abnormalities, used by both models and the filter.
struct ImageSummary {
    QString types, pathology, assessment, subtlety;
    int malignant = 0, abnormalities = 0;
};
ImageSummary summarize(const dataset::Dataset& ds, const dataset::Image& im);

class DatasetTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    explicit DatasetTreeModel(QObject* parent = nullptr);
    void setDataset(DatasetPtr ds);

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;
    QModelIndex indexForImage(int imageIndex) const;

private:
    DatasetPtr m_ds;
};

class ImageTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        Thumbnail,
        Patient,
        Side,
        View,
        Split,
        Type,
        Pathology,
        Assessment,
        Density,
        Subtlety,
        Abnormalities,
        Review,
        Score,
        BreastScore,
        File,
        ColumnCount
    };
    explicit ImageTableModel(QObject* parent = nullptr);
    void setDataset(DatasetPtr ds);
    // Same images, corrected annotations: refreshes the touched rows without a reset (selection and sort stay).
    void updateDataset(DatasetPtr ds, const QVector<int>& touched);
    void setThumbnails(ThumbnailCache* cache);
    DatasetPtr dataset() const { return m_ds; }
    // The model's malignancy score per image (index -> score); the Breast column is the maximum over the views of
    // the same breast of the same patient.
    void setScores(const QHash<int, float>& scores);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

private:
    DatasetPtr m_ds;
    std::vector<ImageSummary> m_summary;
    QHash<int, float> m_scores;
    std::vector<float> m_breast; // per image: max score of its breast, -1 none
    ThumbnailCache* m_thumbs = nullptr;
};

struct BrowserFilter {
    QString split, type, pathology, view, side; // empty = any
    int assessment = -1, density = -1, subtlety = -1;
    QString text; // matches patient id, key, shapes/types
    bool operator==(const BrowserFilter&) const = default;
};

class ImageFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit ImageFilterProxy(QObject* parent = nullptr);
    void setFilter(const BrowserFilter& f);
    const BrowserFilter& filter() const { return m_filter; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    BrowserFilter m_filter;
};

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/datasetmodels.h"

#include "ui/thumbnails.h"

#include <QBrush>
#include <QColor>
#include <QFileInfo>
#include <QSet>

namespace ms::ui
{

namespace
{

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

QString joinSet(QStringList l)
{
    l.removeDuplicates();
    l.sort();
    return l.join(QStringLiteral(", "));
}

} // namespace

ImageSummary summarize(const dataset::Dataset& ds, const dataset::Image& im)
{
    ImageSummary s;
    QStringList types, path, assess, subtle;
    for (int ai : im.abnormalities) {
        const auto& a = ds.abnormalities[size_t(ai)];
        types << q(a.type);
        if (!a.pathology.empty())
            path << q(a.pathology);
        if (a.assessment >= 0)
            assess << QString::number(a.assessment);
        if (a.subtlety >= 0)
            subtle << QString::number(a.subtlety);
        s.malignant += a.pathology == "MALIGNANT";
    }
    s.abnormalities = int(im.abnormalities.size());
    s.types = !types.isEmpty() ? joinSet(types) : im.groundTruth ? QStringLiteral("normal") : QStringLiteral("no ground truth");
    s.pathology = joinSet(path);
    s.assessment = joinSet(assess);
    s.subtlety = joinSet(subtle);
    return s;
}

// ---------------------------------------------------------------- tree
// Internal id: 0 for patient rows; image rows carry (patient row + 1).

DatasetTreeModel::DatasetTreeModel(QObject* parent) : QAbstractItemModel(parent)
{
}

void DatasetTreeModel::setDataset(DatasetPtr ds)
{
    beginResetModel();
    m_ds = std::move(ds);
    endResetModel();
}

QModelIndex DatasetTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    if (!parent.isValid())
        return createIndex(row, column, quintptr(0));
    return createIndex(row, column, quintptr(parent.row() + 1));
}

QModelIndex DatasetTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid() || child.internalId() == 0)
        return {};
    return createIndex(int(child.internalId() - 1), 0, quintptr(0));
}

int DatasetTreeModel::rowCount(const QModelIndex& parent) const
{
    if (!m_ds)
        return 0;
    if (!parent.isValid())
        return int(m_ds->patients.size());
    if (parent.internalId() == 0 && parent.column() == 0)
        return int(m_ds->patients[size_t(parent.row())].images.size());
    return 0;
}

int DatasetTreeModel::columnCount(const QModelIndex&) const
{
    return 3;
}

QVariant DatasetTreeModel::data(const QModelIndex& index, int role) const
{
    if (!m_ds || !index.isValid())
        return {};
    if (index.internalId() == 0) {
        const auto& p = m_ds->patients[size_t(index.row())];
        int abn = 0, mal = 0;
        bool truth = true;
        for (int ii : p.images)
            truth = truth && m_ds->images[size_t(ii)].groundTruth;
        for (int ii : p.images)
            for (int ai : m_ds->images[size_t(ii)].abnormalities) {
                ++abn;
                mal += m_ds->abnormalities[size_t(ai)].pathology == "MALIGNANT";
            }
        if (role == Qt::DisplayRole) {
            if (index.column() == 0)
                return q(p.id);
            if (index.column() == 1)
                return tr("%n image(s)", nullptr, int(p.images.size()));
            if (index.column() == 2)
                return abn ? tr("%1 abnormalities, %2 malignant").arg(abn).arg(mal) : truth ? tr("normal") : tr("no ground truth");
        }
        if (role == PatientRole)
            return q(p.id);
        if (role == ImageIndexRole)
            return p.images.empty() ? -1 : p.images.front();
        return {};
    }
    const auto& p = m_ds->patients[size_t(index.internalId() - 1)];
    const int ii = p.images[size_t(index.row())];
    const auto& im = m_ds->images[size_t(ii)];
    if (role == ImageIndexRole)
        return ii;
    if (role == PatientRole)
        return q(im.patientId);
    if (role == Qt::DisplayRole) {
        if (index.column() == 0)
            return im.side.empty() && im.view.empty() ? q(im.key) : q(im.side + " " + im.view);
        auto s = summarize(*m_ds, im);
        if (index.column() == 1)
            return s.types;
        if (index.column() == 2)
            return s.pathology;
    }
    if (role == Qt::ToolTipRole)
        return im.path.empty() ? tr("%1\nfile not found: %2").arg(q(im.key), q(im.csvPath)) : q(im.path);
    if (role == Qt::ForegroundRole && im.path.empty())
        return QBrush(QColor(150, 150, 150));
    return {};
}

QVariant DatasetTreeModel::headerData(int section, Qt::Orientation o, int role) const
{
    if (o != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case 0:
        return tr("Patient / image");
    case 1:
        return tr("Findings");
    case 2:
        return tr("Pathology");
    }
    return {};
}

QModelIndex DatasetTreeModel::indexForImage(int imageIndex) const
{
    if (!m_ds || imageIndex < 0 || imageIndex >= int(m_ds->images.size()))
        return {};
    const auto& id = m_ds->images[size_t(imageIndex)].patientId;
    for (size_t p = 0; p < m_ds->patients.size(); ++p)
        if (m_ds->patients[p].id == id) {
            const auto& imgs = m_ds->patients[p].images;
            for (size_t r = 0; r < imgs.size(); ++r)
                if (imgs[r] == imageIndex)
                    return index(int(r), 0, index(int(p), 0));
        }
    return {};
}

// ---------------------------------------------------------------- table

ImageTableModel::ImageTableModel(QObject* parent) : QAbstractTableModel(parent)
{
}

void ImageTableModel::setDataset(DatasetPtr ds)
{
    beginResetModel();
    m_ds = std::move(ds);
    m_scores.clear();
    m_breast.clear();
    m_summary.clear();
    if (m_ds)
        for (const auto& im : m_ds->images)
            m_summary.push_back(summarize(*m_ds, im));
    endResetModel();
}

void ImageTableModel::updateDataset(DatasetPtr ds, const QVector<int>& touched)
{
    if (!m_ds || !ds || ds->images.size() != m_ds->images.size()) {
        setDataset(std::move(ds));
        return;
    }
    m_ds = std::move(ds);
    for (int i : touched)
        if (i >= 0 && i < int(m_summary.size())) {
            m_summary[size_t(i)] = summarize(*m_ds, m_ds->images[size_t(i)]);
            emit dataChanged(index(i, 0), index(i, ColumnCount - 1));
        }
}

void ImageTableModel::setScores(const QHash<int, float>& scores)
{
    m_scores = scores;
    m_breast.assign(m_ds ? m_ds->images.size() : 0, -1.f);
    if (m_ds) {
        QHash<QString, float> best;
        for (auto it = m_scores.begin(); it != m_scores.end(); ++it)
            if (it.key() >= 0 && it.key() < int(m_ds->images.size())) {
                const auto& im = m_ds->images[size_t(it.key())];
                const QString b = q(im.patientId) + QLatin1Char('/') + q(im.side);
                best[b] = std::max(best.value(b, -1.f), it.value());
            }
        for (const auto& im : m_ds->images)
            m_breast[size_t(im.index)] = best.value(q(im.patientId) + QLatin1Char('/') + q(im.side), -1.f);
    }
    if (rowCount() > 0)
        emit dataChanged(index(0, Score), index(rowCount() - 1, BreastScore));
}

void ImageTableModel::setThumbnails(ThumbnailCache* cache)
{
    m_thumbs = cache;
    connect(cache, &ThumbnailCache::ready, this, [this](int imageIndex) {
        if (m_ds && imageIndex >= 0 && imageIndex < rowCount())
            emit dataChanged(index(imageIndex, Thumbnail), index(imageIndex, Thumbnail), { Qt::DecorationRole });
    });
}

int ImageTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_ds ? 0 : int(m_ds->images.size());
}
int ImageTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ImageTableModel::data(const QModelIndex& index, int role) const
{
    if (!m_ds || !index.isValid())
        return {};
    const auto& im = m_ds->images[size_t(index.row())];
    const auto& s = m_summary[size_t(index.row())];
    if (role == ImageIndexRole)
        return index.row();
    if (role == PatientRole)
        return q(im.patientId);
    if (role == Qt::DecorationRole && index.column() == Thumbnail && m_thumbs)
        return m_thumbs->thumbnail(index.row(), q(im.path));
    if (role == Qt::DisplayRole || role == SortRole) {
        switch (index.column()) {
        case Thumbnail:
            return role == SortRole ? QVariant(index.row()) : QVariant();
        case Patient:
            return q(im.patientId);
        case Side:
            return q(im.side);
        case View:
            return q(im.view);
        case Split:
            return im.split == dataset::Split::Unknown ? QString() : q(dataset::splitName(im.split));
        case Type:
            return s.types;
        case Pathology:
            return s.pathology;
        case Assessment:
            return s.assessment;
        case Density:
            return im.density > 0 ? QVariant(im.density) : QVariant();
        case Subtlety:
            return s.subtlety;
        case Abnormalities:
            return s.abnormalities;
        case Review:
            return im.review == "unreviewed" ? QString() : q(im.review);
        case Score: {
            auto it = m_scores.find(index.row());
            if (it == m_scores.end())
                return role == SortRole ? QVariant(-1.0) : QVariant();
            return role == SortRole ? QVariant(double(*it)) : QVariant(QString::number(*it, 'f', 3));
        }
        case BreastScore: {
            const float b = size_t(index.row()) < m_breast.size() ? m_breast[size_t(index.row())] : -1.f;
            if (b < 0)
                return role == SortRole ? QVariant(-1.0) : QVariant();
            return role == SortRole ? QVariant(double(b)) : QVariant(QString::number(b, 'f', 3));
        }
        case File:
            return im.path.empty() ? tr("missing") : QFileInfo(q(im.path)).fileName();
        }
    }
    if (role == Qt::ToolTipRole)
        return im.path.empty() ? tr("File not found: %1").arg(q(im.csvPath)) : q(im.path);
    if (role == Qt::ForegroundRole) {
        if (im.path.empty())
            return QBrush(QColor(150, 150, 150));
        if (index.column() == Pathology && s.malignant)
            return QBrush(QColor(235, 95, 80));
        if (index.column() == Review)
            return QBrush(im.review == "flagged" ? QColor(240, 170, 60)
                    : im.review == "corrected"   ? QColor(120, 170, 240)
                                                 : QColor(110, 200, 130));
    }
    return {};
}

QVariant ImageTableModel::headerData(int section, Qt::Orientation o, int role) const
{
    if (o != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* names[] = { "", "Patient", "Side", "View", "Split", "Type", "Pathology", "BI-RADS", "Density", "Subtlety", "Abn.",
        "Review", "Score", "Breast", "File" };
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

// ---------------------------------------------------------------- filter

ImageFilterProxy::ImageFilterProxy(QObject* parent) : QSortFilterProxyModel(parent)
{
    setSortRole(SortRole);
    setDynamicSortFilter(true);
}

void ImageFilterProxy::setFilter(const BrowserFilter& f)
{
    if (f == m_filter)
        return;
    m_filter = f;
    invalidateFilter();
}

bool ImageFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex&) const
{
    auto* m = qobject_cast<ImageTableModel*>(sourceModel());
    if (!m || !m->dataset())
        return true;
    const auto& ds = *m->dataset();
    const auto& im = ds.images[size_t(sourceRow)];
    const BrowserFilter& f = m_filter;
    if (!f.split.isEmpty() && q(dataset::splitName(im.split)) != f.split)
        return false;
    if (!f.view.isEmpty() && q(im.view) != f.view)
        return false;
    if (!f.side.isEmpty() && q(im.side) != f.side)
        return false;
    if (f.density >= 0 && im.density != f.density)
        return false;
    const bool needAbn = !f.type.isEmpty() || !f.pathology.isEmpty() || f.assessment >= 0 || f.subtlety >= 0;
    if (needAbn) {
        if (f.type == QLatin1String("normal"))
            return im.abnormalities.empty() && im.groundTruth;
        if (f.type == QLatin1String("no ground truth"))
            return !im.groundTruth;
        bool any = false;
        for (int ai : im.abnormalities) {
            const auto& a = ds.abnormalities[size_t(ai)];
            if ((f.type.isEmpty() || q(a.type) == f.type) && (f.pathology.isEmpty() || q(a.pathology) == f.pathology)
                && (f.assessment < 0 || a.assessment == f.assessment) && (f.subtlety < 0 || a.subtlety == f.subtlety)) {
                any = true;
                break;
            }
        }
        if (!any)
            return false;
    }
    if (!f.text.isEmpty()) {
        QString hay = q(im.patientId + " " + im.key);
        for (int ai : im.abnormalities) {
            const auto& a = ds.abnormalities[size_t(ai)];
            hay += q(
                " " + a.massShape + " " + a.massMargins + " " + a.calcType + " " + a.calcDistribution + " " + a.pathology + " " + a.type);
        }
        for (const auto& word : f.text.split(QLatin1Char(' '), Qt::SkipEmptyParts))
            if (!hay.contains(word, Qt::CaseInsensitive))
                return false;
    }
    return true;
}

} // namespace ms::ui

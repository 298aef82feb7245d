// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/casepanel.h"

#ifdef MS_WITH_ML
#include "ui/heatmap.h"
#endif

#include "core/annotations/vocabulary.h"
#include "core/dataset/csv.h"

#include <QCheckBox>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QTabWidget>
#include <QTableWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace ms::ui
{

namespace
{
QString q(const std::string& s)
{
    return QString::fromStdString(s);
}
} // namespace

CasePanel::CasePanel(QWidget* parent) : QWidget(parent)
{
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(4, 4, 4, 4);
    m_header = new QLabel(this);
    m_header->setWordWrap(true);
    m_header->setTextFormat(Qt::RichText);
    lay->addWidget(m_header);
    m_density = new QLabel(this);
    m_density->setObjectName(QStringLiteral("densityEstimate"));
    m_density->setWordWrap(true);
    m_density->setToolTip(tr("From the tissue model (models/tissue), computed with the heatmap: fibroglandular share of the "
                             "breast tissue by area. BI-RADS 5th edition rates density by how much it could mask a lesion, "
                             "which an area fraction does not measure."));
    m_density->hide();
    lay->addWidget(m_density);
    m_tabs = new QTabWidget(this);
    lay->addWidget(m_tabs, 1);

    m_findings = new QTreeWidget(this);
    m_findings->setObjectName(QStringLiteral("findings"));
    m_findings->setColumnCount(2);
    m_findings->setHeaderLabels({ tr("Attribute"), tr("Value") });
    m_findings->setRootIsDecorated(true);
    m_findings->setAlternatingRowColors(true);
    connect(m_findings, &QTreeWidget::itemClicked, this, [this](QTreeWidgetItem* item) {
        while (item && item->parent())
            item = item->parent();
        if (item && item->data(0, Qt::UserRole).isValid())
            emit abnormalityActivated(item->data(0, Qt::UserRole).toInt());
    });
    m_tabs->addTab(m_findings, tr("Findings"));

    auto* info = new QWidget(this);
    auto* il = new QVBoxLayout(info);
    m_imageInfo = new QLabel(info);
    m_imageInfo->setWordWrap(true);
    m_imageInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_imageInfo->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    il->addWidget(m_imageInfo);
    il->addStretch();
    m_tabs->addTab(info, tr("Image"));

    auto* tagPage = new QWidget(this);
    auto* tl = new QVBoxLayout(tagPage);
    tl->setContentsMargins(0, 4, 0, 0);
    m_tagSearch = new QLineEdit(tagPage);
    m_tagSearch->setPlaceholderText(tr("Search tags (name, number or value)"));
    m_tagSearch->setClearButtonEnabled(true);
    m_identifying = new QCheckBox(tr("Show identifying tags (patient name, birth date, …)"), tagPage);
    m_tags = new QTreeWidget(tagPage);
    m_tags->setObjectName(QStringLiteral("tags"));
    m_tags->setColumnCount(4);
    m_tags->setHeaderLabels({ tr("Tag"), tr("VR"), tr("Name"), tr("Value") });
    m_tags->setRootIsDecorated(true);
    m_tags->setUniformRowHeights(true);
    m_tags->header()->setStretchLastSection(true);
    tl->addWidget(m_tagSearch);
    tl->addWidget(m_identifying);
    tl->addWidget(m_tags, 1);
    m_tabs->addTab(tagPage, tr("DICOM tags"));
    connect(m_tagSearch, &QLineEdit::textChanged, this, [this] { fillTags(); });
    connect(m_identifying, &QCheckBox::toggled, this, [this] { fillTags(); });
}

void CasePanel::setDataset(DatasetPtr ds)
{
    m_ds = std::move(ds);
    m_image = -1;
    m_view.reset();
    m_findings->clear();
    m_tags->clear();
    m_header->setText(tr("<i>No image selected</i>"));
}

void CasePanel::setHeatmapStore(const HeatmapStore* store)
{
    m_heat = store;
#ifdef MS_WITH_ML
    if (store)
        connect(store, &HeatmapStore::changed, this, &CasePanel::updateDensity);
#endif
    updateDensity();
}

QString CasePanel::densityText() const
{
    return m_density->text();
}

void CasePanel::updateDensity()
{
#ifdef MS_WITH_ML
    const HeatmapPtr h = m_heat && m_image >= 0 ? m_heat->get(m_image) : nullptr;
    const QString t = h && h->tissue ? ui::densityText(*h->tissue) : QString();
#else
    const QString t;
#endif
    m_density->setText(t.isEmpty() ? QString() : tr("Density estimate: %1").arg(t));
    m_density->setVisible(!t.isEmpty());
}

void CasePanel::showImage(int imageIndex, LoadedViewPtr view)
{
    if (!m_ds || imageIndex < 0 || imageIndex >= int(m_ds->images.size()))
        return;
    m_image = imageIndex;
    m_view = std::move(view);
    updateDensity();
    const auto& im = m_ds->images[size_t(imageIndex)];
    m_header->setText(tr("<b>%1</b> &nbsp; %2 %3 &nbsp; <span style='color:gray'>%4 · density %5</span>")
                          .arg(q(im.patientId), q(im.side), q(im.view), q(dataset::splitName(im.split)),
                              im.density > 0 ? QString::number(im.density) : tr("unknown")));

    // Findings: one branch per abnormality, every attribute of its source row under it.
    m_findings->clear();
    for (int ai : im.abnormalities) {
        const auto& a = m_ds->abnormalities[size_t(ai)];
        const QColor c = pathologyColor(q(a.pathology));
        QString title = tr("%1  %2 %3").arg(a.number).arg(q(a.pathology), q(a.type));
        const std::string morph = a.type == "mass" ? a.massShape + " / " + a.massMargins : a.calcType + " / " + a.calcDistribution;
        auto* top = new QTreeWidgetItem({ title, morph == " / " ? QString() : q(morph) });
        top->setData(0, Qt::UserRole, a.index);
        top->setForeground(0, c);
        QFont f = top->font(0);
        f.setBold(true);
        top->setFont(0, f);
        top->setToolTip(0, tr("%1, line %2. Click to zoom to it.").arg(q(a.sourceFile)).arg(a.sourceLine));
        if (a.added)
            top->setText(0, title + tr("  (added by a curator)"));
        for (const auto& [k, v] : a.attributes) {
            auto* child = new QTreeWidgetItem({ q(k), q(v) });
            child->setToolTip(1, q(v));
            if (q(k) == QLatin1String("pathology"))
                child->setForeground(1, pathologyColor(q(v)));
            // A curator's correction: badged, the dataset's own value on hover.
            const std::string col = CsvTable::normalise(k);
            for (const auto& [field, original] : a.corrected) {
                const auto* info = annotations::fieldInfo(field);
                if (!info || (CsvTable::normalise(info->csvColumn) != col && !(field == "density" && col == "breast density")))
                    continue;
                child->setText(1, QStringLiteral("✎ ") + q(v));
                child->setForeground(1, QColor(240, 176, 64));
                child->setToolTip(
                    1, tr("Corrected by a curator; the dataset says: %1").arg(original.empty() ? tr("(empty)") : q(original)));
            }
            top->addChild(child);
        }
        if (!a.roiRle.empty()) {
            auto* roi = new QTreeWidgetItem({ tr("ROI"), QStringLiteral("✎ ") + tr("drawn by a curator") });
            roi->setForeground(1, QColor(240, 176, 64));
            roi->setToolTip(1, a.maskPath.empty() ? QString() : tr("The dataset's mask: %1").arg(q(a.maskPath)));
            top->addChild(roi);
        }
        auto* src = new QTreeWidgetItem({ tr("source"),
            a.added ? tr("annotation store") : tr("%1, line %2").arg(QFileInfo(q(a.sourceFile)).fileName()).arg(a.sourceLine) });
        top->addChild(src);
        m_findings->addTopLevelItem(top);
        top->setExpanded(true);
    }
    if (im.abnormalities.empty())
        m_findings->addTopLevelItem(new QTreeWidgetItem(
            { im.groundTruth ? tr("No abnormality recorded for this image")
                             : tr("No ground truth: the dataset does not say what this image shows (not the same as normal)") }));
    m_findings->resizeColumnToContents(0);

    QString info = tr("<b>File</b><br>%1<br>").arg(im.path.empty() ? tr("<i>missing: %1</i>").arg(q(im.csvPath)) : q(im.path));
    if (m_view && m_view->image) {
        const auto& img = *m_view->image;
        info += tr("<b>Size</b> %1 × %2 px, %3 bits stored, %4<br>")
                    .arg(img.width)
                    .arg(img.height)
                    .arg(img.bitsStored)
                    .arg(img.photometric == Photometric::Monochrome1 ? QStringLiteral("MONOCHROME1") : QStringLiteral("MONOCHROME2"));
        info
            += m_view->spacingMm > 0 ? tr("<b>Pixel spacing</b> %1 mm<br>").arg(m_view->spacingMm) : tr("<b>Pixel spacing</b> unknown<br>");
        for (const auto& w : img.windows)
            info += tr("<b>Window preset</b> %1: C %2 W %3<br>").arg(q(w.name)).arg(w.center).arg(w.width);
        for (const auto& l : img.voiLuts)
            info += tr("<b>VOI LUT</b> %1<br>").arg(q(l.explanation));
        if (m_view->header)
            info += tr("<b>Transfer syntax</b> %1<br><b>Series</b> %2<br>")
                        .arg(q(m_view->header->transferSyntaxName), q(m_view->header->seriesUid));
        info += tr("<b>Decode</b> %1 ms, with pyramid and ROIs %2 ms<br>").arg(m_view->decodeMs, 0, 'f', 1).arg(m_view->totalMs, 0, 'f', 1);
        for (const auto& roi : m_view->rois)
            if (!roi.problem.isEmpty())
                info += tr("<b>ROI %1</b>: %2<br>").arg(roi.label, roi.problem.toHtmlEscaped());
    } else if (m_view && !m_view->error.isEmpty()) {
        info += tr("<b>Cannot show</b> %1").arg(m_view->error.toHtmlEscaped());
    }
    m_imageInfo->setText(info);
    fillTags();
}

void CasePanel::fillTags()
{
    m_tags->clear();
    if (!m_view)
        return;
    const QString needle = m_tagSearch->text().trimmed();
    const bool showId = m_identifying->isChecked();
    std::vector<QTreeWidgetItem*> stack;
    for (const auto& t : m_view->tags) {
        QString value = t.identifying && !showId ? tr("(hidden)") : q(t.value);
        const bool match = needle.isEmpty() || q(t.tag).contains(needle, Qt::CaseInsensitive)
            || q(t.name).contains(needle, Qt::CaseInsensitive)
            || (!(t.identifying && !showId) && value.contains(needle, Qt::CaseInsensitive));
        if (!match)
            continue;
        auto* item = new QTreeWidgetItem({ q(t.tag), q(t.vr), q(t.name), value });
        if (t.identifying && !showId)
            item->setForeground(3, QColor(140, 140, 140));
        stack.resize(size_t(std::max(0, t.depth)));
        if (needle.isEmpty() && t.depth > 0 && !stack.empty() && stack.back())
            stack.back()->addChild(item);
        else
            m_tags->addTopLevelItem(item);
        stack.push_back(item);
    }
    m_tags->resizeColumnToContents(0);
    m_tags->resizeColumnToContents(1);
    m_tags->resizeColumnToContents(2);
    m_tags->setColumnWidth(2, std::min(170, m_tags->columnWidth(2)));
}

int CasePanel::tagCount() const
{
    int n = 0;
    QTreeWidgetItemIterator it(m_tags);
    while (*it) {
        ++n;
        ++it;
    }
    return n;
}

void CasePanel::setTagFilter(const QString& text)
{
    m_tagSearch->setText(text);
}
void CasePanel::setShowIdentifying(bool on)
{
    m_identifying->setChecked(on);
}

} // namespace ms::ui

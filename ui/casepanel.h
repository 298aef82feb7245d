// SPDX-License-Identifier: GPL-3.0-or-later
// The case panel: every attribute of the current image's abnormalities (as the dataset's CSV or Info.txt gives
// them), the image's facts, and a searchable DICOM tag browser that hides identifying tags unless asked.
#pragma once

#include "ui/caseloader.h"
#include "ui/datasetcontroller.h"

#include <QWidget>

class QTableWidget;
class QTreeWidget;
class QLineEdit;
class QCheckBox;
class QLabel;
class QTabWidget;

namespace ms::ui
{

class CasePanel : public QWidget
{
    Q_OBJECT
public:
    explicit CasePanel(QWidget* parent = nullptr);
    void setDataset(DatasetPtr ds);
    void showImage(int imageIndex, LoadedViewPtr view);
    int tagCount() const; // rows currently shown in the tag browser
    QTreeWidget* tagTree() const { return m_tags; }
    QTreeWidget* findings() const { return m_findings; }
    void setTagFilter(const QString& text);
    void setShowIdentifying(bool on);
    // Where the breast density estimate comes from: the tissue map that the heatmap's inference made for the image.
    void setHeatmapStore(const class HeatmapStore* store);
    QString densityText() const;

signals:
    void abnormalityActivated(int abnormalityIndex);

private:
    void fillTags();
    void updateDensity();

    DatasetPtr m_ds;
    LoadedViewPtr m_view;
    int m_image = -1;
    QTabWidget* m_tabs = nullptr;
    QLabel* m_header = nullptr;
    QLabel* m_density = nullptr;
    const class HeatmapStore* m_heat = nullptr;
    QTreeWidget* m_findings = nullptr;
    QLabel* m_imageInfo = nullptr;
    QTreeWidget* m_tags = nullptr;
    QLineEdit* m_tagSearch = nullptr;
    QCheckBox* m_identifying = nullptr;
};

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
// The curation dock: review status of the current image (accept, flag with a comment, next unreviewed, progress),
// the abnormality's attributes with the CBIS-DDSM vocabularies (corrected values badged, the dataset's value on
// hover), the ROI tools, the review queue, and the undo history with the audit log of the image.
#pragma once

#include "ui/curation/roieditor.h"
#include "ui/datasetcontroller.h"

#include <QHash>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QSpinBox;
class QTableWidget;
class QToolButton;
class QPushButton;
class QFormLayout;
class QAction;

namespace ms::ui
{

class CurationController;

class CurationPanel : public QWidget
{
    Q_OBJECT
public:
    CurationPanel(CurationController* curation, RoiEditor* editor, QWidget* parent = nullptr);

    void showImage(int imageIndex);
    // Selects an abnormality (index in the effective dataset) as the one edited.
    void selectAbnormality(int abnormalityIndex);
    QString currentKey() const;
    int currentImage() const { return m_image; }

    // Review actions (also on keys: Y accept, X flag, N next unreviewed).
    void accept();
    void flag();
    void nextUnreviewed();
    void addAbnormality();
    void deleteAbnormality();

    // The actions with their shortcuts, for the main window's Curation menu.
    QList<QAction*> actions() const { return m_actions; }

    // For tests.
    QComboBox* editor(const QString& field) const { return m_editors.value(field); }
    QLabel* badge(const QString& field) const { return m_badges.value(field); }
    QComboBox* abnormalityCombo() const { return m_abnormality; }
    QLabel* errorLabel() const { return m_error; }
    QLabel* progressLabel() const { return m_progressText; }
    QListWidget* queue() const { return m_queue; }
    QLineEdit* comment() const { return m_comment; }
    QTableWidget* auditTable() const { return m_audit; }
    QToolButton* toolButton(RoiEditor::Tool t) const { return m_tools.value(int(t)); }

signals:
    void showImageRequested(int imageIndex);
    void abnormalitySelected(int abnormalityIndex);

private:
    void refresh();
    void fillImage();
    void fillEditors();
    void fillQueue();
    void fillAudit();
    void commitField(const QString& field);
    void onAbnormalityChosen();

    CurationController* m_c;
    RoiEditor* m_editor;
    int m_image = -1;
    QString m_key; // the abnormality edited; empty: "new"
    bool m_filling = false;

    QLabel* m_storeLabel = nullptr;
    QLabel* m_imageLabel = nullptr;
    QLineEdit* m_comment = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_progressText = nullptr;
    QComboBox* m_abnormality = nullptr;
    QComboBox* m_newType = nullptr;
    QFormLayout* m_form = nullptr;
    QHash<QString, QComboBox*> m_editors;
    QHash<QString, QLabel*> m_badges;
    QHash<QString, int> m_rows; // form row of each field
    QLabel* m_error = nullptr;
    QHash<int, QToolButton*> m_tools;
    QSpinBox* m_brush = nullptr;
    QComboBox* m_queueFilter = nullptr;
    QListWidget* m_queue = nullptr;
    QTableWidget* m_audit = nullptr;
    QList<QAction*> m_actions;
};

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
// The main window: dataset browser (table and tree, filters, thumbnails), reading area, case panel, problems list,
// status bar with pixel value, position in mm and zoom. Docks can be rearranged; layout and last dataset are
// remembered with QSettings.
#pragma once

#ifdef MS_WITH_ML
#include "core/ml/inference.h"
#endif
#include "ui/appservices.h"
#include "ui/datasetcontroller.h"
#include "ui/datasetmodels.h"
#include "ui/readingarea.h"

#include <QHash>
#include <QMainWindow>

class QTableView;
class QTreeView;
class QLineEdit;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QActionGroup;
class QSlider;
class QTabWidget;
class QMenu;

namespace ms::ui
{

class CasePanel;
class ProblemsPanel;
class ThumbnailCache;
class TrainingPanel;
class HeatmapStore;
class InferenceService;
class HeatmapPanel;
class CurationController;
class CurationPanel;
class RoiEditor;
class PacsDialog;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // The services are made by the caller (app/mammoscope's main is the composition root) and outlive the window.
    explicit MainWindow(AppServices& services, QWidget* parent = nullptr);
    ~MainWindow() override;

    ReadingArea* readingArea() const { return m_area; }
    QTableView* imageTable() const { return m_table; }
    QTreeView* patientTree() const { return m_tree; }
    ImageFilterProxy* filterProxy() const { return m_proxy; }
    ImageTableModel* tableModel() const { return m_tableModel; }
    DatasetTreeModel* treeModel() const { return m_treeModel; }
    CasePanel* casePanel() const { return m_case; }
    ProblemsPanel* problemsPanel() const { return m_problems; }
    QLabel* statusPixel() const { return m_pixel; }
    QLabel* countLabel() const { return m_count; }

    void setLayoutMode(ReadingLayout l);
    // Selects an image by index (the browser follows) and shows it.
    void selectImage(int imageIndex);
    // Moves through the browser's current (filtered, sorted) order.
    void stepImage(int delta);
    void stepPatient(int delta);
    void stepAbnormality(int delta);
    void setFilter(const BrowserFilter& f);
    TrainingPanel* trainingPanel() const { return m_training; }
    HeatmapStore* heatmaps() const { return m_heatStore; }
    InferenceService* inference() const { return m_infer; }
    HeatmapPanel* heatmapPanel() const { return m_heatPanel; }
    CurationController* curation() const { return m_curation; }
    CurationPanel* curationPanel() const { return m_curationPanel; }
    RoiEditor* roiEditor() const { return m_roiEditor; }
    // Scores every image (or those the browser shows) with the heatmap model in the background.
    void scoreImages(bool filteredOnly);
    // Exports the effective (corrected) dataset; blocks until done when `wait` (tests), else shows progress.
    // deidentify (DICOM SEG only): the SEGs and the dataset's DICOM images de-identified together (core/dicom/deid.h).
    bool exportCorrected(const QString& dir, const QString& format, bool wait, QString* message = nullptr, bool deidentify = false);
    QTabWidget* workspaces() const { return m_mainTabs; }
    // 0 reading, 1 training.
    void showWorkspace(int index);
    // Opens a training sample's image in the reading view at its lesion (from the training panel's gallery).
    void openSample(const QString& imageKey, int abnormality, int x, int y, int width, int height);
    // openSample, then the Curation panel on that abnormality (or on the image, to add a missed lesion).
    void correctSample(const QString& imageKey, int abnormality, int x, int y, int width, int height);

signals:
    void datasetShown(ms::ui::DatasetPtr ds);

public:
    // A message in the banner above the views (not modal).
    void showNotice(const QString& text);

protected:
    void closeEvent(QCloseEvent*) override;
    void dragEnterEvent(QDragEnterEvent*) override;
    void dropEvent(QDropEvent*) override;

private:
    void buildActions(); // the menus and the toolbar, in this order:
    QMenu* buildFileMenu();
    void buildViewMenu();
    void buildImageMenu();
    void buildNavigateMenu();
    void buildHelpMenu();
    void buildToolbar();
    void buildBrowser();
    void buildDocks();
    void onDatasetOpened(DatasetPtr ds);
    void showDataset(DatasetPtr ds);
    void onEffectiveChanged(DatasetPtr ds, const QVector<int>& touched);
    void buildCuration();
    void buildScoring(); // with the heatmaps: batch scores in the browser and the agreement figures
    void buildCurationMenus(QMenu* fileMenu);
    void exportDialog();
    void onImageShown(int imageIndex);
    void updateCount();
    void updateWindowMenu();
    void readFilterBar();
    void openFolderDialog();
    void openPacsDialog();
    void about();
    static void applyThemeByName(const QString& name);
    void shortcutsHelp();
    int proxyRowOf(int imageIndex) const;
    void onWorkspaceChanged(int index);
    void buildHeatmaps();
    void requestHeatmaps();

    DatasetController* m_controller;
    DatasetPtr m_ds;
    ReadingArea* m_area = nullptr;
    ImageTableModel* m_tableModel = nullptr;
    DatasetTreeModel* m_treeModel = nullptr;
    ImageFilterProxy* m_proxy = nullptr;
    ThumbnailCache* m_thumbs = nullptr;
    QTableView* m_table = nullptr;
    QTreeView* m_tree = nullptr;
    CasePanel* m_case = nullptr;
    ProblemsPanel* m_problems = nullptr;
    PacsDialog* m_pacs = nullptr; // File ▸ Open from PACS (made on first use)
    QDockWidget* m_browserDock = nullptr;
    QDockWidget* m_caseDock = nullptr;
    QDockWidget* m_problemsDock = nullptr;
    QDockWidget* m_curationDock = nullptr;
    QDockWidget* m_heatmapDock = nullptr;
    QAction* m_actOpen = nullptr;
    QLabel* m_pixel = nullptr;
    QLabel* m_datasetLabel = nullptr;
    QLabel* m_count = nullptr;
    QLabel* m_banner = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    QLineEdit* m_search = nullptr;
    QComboBox *m_fSplit = nullptr, *m_fType = nullptr, *m_fPath = nullptr, *m_fBirads = nullptr, *m_fDensity = nullptr,
              *m_fSubtlety = nullptr, *m_fView = nullptr, *m_fSide = nullptr;
    QComboBox* m_windowCombo = nullptr;
    QSlider* m_opacity = nullptr;
    QActionGroup* m_layoutGroup = nullptr;
    QAction *m_actSingle = nullptr, *m_actCC = nullptr, *m_actMLO = nullptr, *m_act4 = nullptr;
    QAction *m_actLink = nullptr, *m_actLinkWindow = nullptr, *m_actOverlay = nullptr, *m_actLabels = nullptr, *m_actLoupe = nullptr;
    QAction* m_actInvert = nullptr;
    bool m_selecting = false;
    int m_currentAbnormality = -1;
    QTabWidget* m_mainTabs = nullptr;
    TrainingPanel* m_training = nullptr;
    QHash<QString, bool> m_dockVisible;
    QMetaObject::Connection m_pendingZoom;
    HeatmapStore* m_heatStore = nullptr;
    InferenceService* m_infer = nullptr;
    HeatmapPanel* m_heatPanel = nullptr;
    CurationController* m_curation = nullptr;
    CurationPanel* m_curationPanel = nullptr;
    RoiEditor* m_roiEditor = nullptr;
    bool m_fullReset = false;
    struct Scoring;
    std::shared_ptr<Scoring> m_scoring; // batch scores (with the heatmaps only)
#ifdef MS_WITH_ML
    ml::Domain m_imagesDomain = ml::Domain::Unknown; // of the open dataset: phantoms or real mammograms
#endif
};

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
// The main window's curation wiring: the controller, the ROI editor on the reading views, the Curation dock, the
// Edit and Curation menus, the export of the corrected dataset, and the incremental update of every view after an
// edit (the browser keeps its selection, the reading view its zoom).
#include "core/annotations/effective.h"
#include "core/annotations/export.h"
#include "core/common/paths.h"
#include "core/dicom/deid.h"
#include "ui/casepanel.h"
#include "ui/curation/curation.h"
#include "ui/curation/curationpanel.h"
#include "ui/curation/roieditor.h"
#include "ui/mainwindow.h"
#ifdef MS_WITH_ML
#include "ui/heatmap.h"
#endif
#include "ui/training/trainingpanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QStatusBar>
#include <QTimer>
#include <QTreeView>
#include <QUndoGroup>
#include <QtConcurrent>

namespace ms::ui
{

void MainWindow::buildCuration()
{
    m_roiEditor = new RoiEditor(m_curation, m_area, this);
    m_area->setViewTool(m_roiEditor);
    RoiEditor* editor = m_roiEditor;
    m_area->addOverlayFactory([editor] { return editor->makeOverlay(); });

    auto* dock = m_curationDock = new QDockWidget(tr("Curation"), this);
    dock->setObjectName(QStringLiteral("curationDock"));
    m_curationPanel = new CurationPanel(m_curation, m_roiEditor, dock);
    dock->setWidget(m_curationPanel);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    tabifyDockWidget(m_caseDock, dock);
    m_caseDock->raise();

    connect(m_curation, &CurationController::effectiveChanged, this, &MainWindow::onEffectiveChanged);
    connect(m_curation, &CurationController::failed, this, [this](const QString& m) { statusBar()->showMessage(m, 15000); });
    connect(m_curation, &CurationController::changedElsewhere, this, [this] {
        statusBar()->showMessage(tr("Another MammoScope changed the annotation store: reloaded (the undo history was cleared)."), 15000);
    });
    connect(m_roiEditor, &RoiEditor::message, this, [this](const QString& m) { statusBar()->showMessage(m, 8000); });
    connect(m_area, &ReadingArea::activeImageChanged, m_curationPanel, &CurationPanel::showImage);
    connect(m_case, &CasePanel::abnormalityActivated, m_curationPanel, &CurationPanel::selectAbnormality);
    connect(m_curationPanel, &CurationPanel::showImageRequested, this, &MainWindow::selectImage);
    connect(m_curationPanel, &CurationPanel::abnormalitySelected, this, [this](int ai) {
        m_currentAbnormality = ai;
        m_area->setHighlightedAbnormality(ai);
    });
#ifdef MS_WITH_ML
    // A heatmap region promoted to an ROI: a new abnormality proposed by the model, for the curator to refine.
    connect(m_heatPanel, &HeatmapPanel::promoteRequested, this,
        [this](int image, const QRectF& r, const QString& type, const QString& pathology) {
            auto lv = m_area->loaded(image);
            if (!lv || !lv->image)
                return;
            const RleMask mask
                = RleMask::ellipse(lv->image->width, lv->image->height, r.center().x(), r.center().y(), r.width() / 2, r.height() / 2);
            const QString key = m_curation->addAbnormality(image, type, &mask, pathology, annotations::Source::Model);
            if (key.isEmpty())
                return;
            m_curationDock->show();
            m_curationDock->raise();
            for (const auto& a : m_ds->abnormalities)
                if (QString::fromStdString(a.key) == key)
                    m_curationPanel->selectAbnormality(a.index);
            statusBar()->showMessage(
                tr("Added %1 from the heatmap (audited as the model's proposal); refine its ROI and labels.").arg(key), 15000);
        });
#endif
    auto* poll = new QTimer(this);
    connect(poll, &QTimer::timeout, m_curation, &CurationController::checkExternalChanges);
    poll->start(3000);
}

void MainWindow::buildCurationMenus(QMenu* fileMenu)
{
    // File ▸ Export corrected dataset, before "Save screenshot".
    auto* exportAct = new QAction(tr("&Export corrected dataset…"), this);
    exportAct->setShortcut(QKeySequence(QStringLiteral("Ctrl+E")));
    connect(exportAct, &QAction::triggered, this, &MainWindow::exportDialog);
    QAction* before = nullptr;
    for (auto* a : fileMenu->actions())
        if (a->isSeparator()) {
            before = a;
            break;
        }
    fileMenu->insertAction(before, exportAct);

    auto* edit = new QMenu(tr("&Edit"), this);
    QAction* undo = m_curation->undoGroup()->createUndoAction(this, tr("&Undo"));
    undo->setShortcuts({ QKeySequence::Undo });
    QAction* redo = m_curation->undoGroup()->createRedoAction(this, tr("&Redo"));
    redo->setShortcuts({ QKeySequence(QStringLiteral("Ctrl+Shift+Z")), QKeySequence(QStringLiteral("Ctrl+Y")) });
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    edit->addAction(tr("Reviewer &name…"), this, [this] {
        bool ok = false;
        QString name = QInputDialog::getText(this, tr("Reviewer name"), tr("Name written to the audit log with each change:"),
            QLineEdit::Normal, CurationController::reviewer(), &ok);
        if (ok && !name.trimmed().isEmpty())
            CurationController::setReviewer(name);
    });
    auto* cur = new QMenu(tr("&Curation"), this);
    for (auto* a : m_curationPanel->actions())
        cur->addAction(a);
    cur->addSeparator();
    auto* noTool = cur->addAction(tr("Pan and zoom (no tool)"), this, [this] { m_roiEditor->setTool(RoiEditor::Tool::None); });
    noTool->setShortcut(QKeySequence(QStringLiteral("V")));
    cur->addAction(tr("Fill holes of the ROI"), m_roiEditor, &RoiEditor::fillHoles);
    cur->addAction(tr("Show the Curation panel"), this, [this] {
        m_curationDock->show();
        m_curationDock->raise();
    });
    // After File.
    QAction* second = menuBar()->actions().value(1);
    menuBar()->insertMenu(second, edit);
    menuBar()->insertMenu(second, cur);
}

void MainWindow::onEffectiveChanged(DatasetPtr ds, const QVector<int>& touched)
{
    if (auto* store = m_curation->store())
        m_training->setAnnotations(QString::fromStdString(store->path().string()), store->auditCount(), !store->snapshot().items.empty());
    else
        m_training->setAnnotations({}, 0, false);
    if (m_fullReset || !m_ds || m_ds->images.size() != ds->images.size()) {
        m_fullReset = false;
        showDataset(ds);
        return;
    }
    m_ds = ds;
    m_selecting = true;
    m_tableModel->updateDataset(ds, touched);
    m_treeModel->setDataset(ds);
    m_selecting = false;
    m_area->updateDataset(ds, touched);
    m_case->setDataset(ds);
    const int cur = m_area->currentImage();
    if (cur >= 0)
        m_case->showImage(cur, m_area->loaded(cur));
}

void MainWindow::correctSample(const QString& imageKey, int abnormality, int x, int y, int width, int height)
{
    openSample(imageKey, abnormality, x, y, width, height);
    if (!m_ds || m_area->currentImage() < 0)
        return;
    m_curationDock->show();
    m_curationDock->raise();
    int image = -1;
    for (const auto& im : m_ds->images)
        if (QString::fromStdString(im.key) == imageKey)
            image = im.index;
    if (image < 0)
        return;
    if (abnormality >= 0 && abnormality < int(m_ds->abnormalities.size()) && m_ds->abnormalities[size_t(abnormality)].image == image)
        m_curationPanel->selectAbnormality(abnormality);
    else
        m_curationPanel->showImage(image); // a background sample: the curator may add a missed lesion here
}

bool MainWindow::exportCorrected(const QString& dir, const QString& format, bool wait, QString* message, bool deidentify)
{
    annotations::ExportOptions opt;
    if (!annotations::parseExportFormat(format.toStdString(), opt.format) || !m_ds)
        return false;
    if (deidentify && opt.format != annotations::ExportFormat::DicomSeg) {
        if (message)
            *message
                = tr("De-identification is for DICOM SEG exports (the other formats keep file names and CSV fields that may identify).");
        return false;
    }
    if (m_curation->storeDamaged()) {
        // Exporting now would write the dataset as if no correction had been made.
        const QString m = tr("Export refused: %1").arg(m_curation->storeProblem());
        if (message)
            *message = m;
        if (!wait)
            QMessageBox::warning(this, tr("Export"), m);
        return false;
    }
    auto ds = m_ds;
    auto* store = m_curation->store();
    auto cancel = std::make_shared<CancelFlag>();
    auto deidReport = std::make_shared<annotations::DeidExportReport>();
    auto summary = [dir, format, deidentify, deidReport](const Result<annotations::ExportReport>& r) {
        if (!r)
            return tr("Export failed: %1").arg(QString::fromStdString(r.error().toString()));
        QString m;
        if (deidentify) {
            m = tr("Exported %1 DICOM SEG objects with %2 images, de-identified (pseudonyms, dates shifted, UIDs remapped), to %3.")
                    .arg(deidReport->objects)
                    .arg(deidReport->images)
                    .arg(dir);
            if (!deidReport->burnedIn.empty())
                m += tr("\n%1 image(s) say their pixels carry burned-in text: check them before sharing.").arg(deidReport->burnedIn.size());
            if (!deidReport->problems.empty())
                m += tr("\n%1 file(s) left out; first: %2")
                         .arg(deidReport->problems.size())
                         .arg(QString::fromStdString(deidReport->problems[0]));
        } else {
            m = tr("Exported %1 images and %2 abnormalities as %3 to %4 (%5 new masks) in %6 s.")
                    .arg(r->images)
                    .arg(r->abnormalities)
                    .arg(format, dir)
                    .arg(r->masksWritten)
                    .arg(r->seconds, 0, 'f', 1);
        }
        if (!r->problems.empty())
            m += tr("\n%1 item(s) could not be exported; first: %2 %3")
                     .arg(r->problems.size())
                     .arg(QString::fromStdString(r->problems[0].where), QString::fromStdString(r->problems[0].message));
        return m;
    };
    // The store is read on the GUI thread's connection: take the audit now, export on the pool.
    const std::string storePath = store ? store->path().string() : std::string();
    const std::string root = ds->root;
    auto work = [ds, storePath, root, opt, cancel, dir, deidentify, deidReport]() -> Result<annotations::ExportReport> {
        std::unique_ptr<annotations::Store> own;
        if (!storePath.empty()) {
            annotations::Store::Options so;
            so.datasetRoot = root;
            so.readOnly = true;
            if (auto s = annotations::Store::open(storePath, so))
                own = std::move(*s);
        }
        if (!deidentify)
            return annotations::exportDataset(*ds, own.get(), dir.toStdString(), opt, *cancel);
        // The SEGs into a staging folder beside the export, then they and the images, de-identified, into it.
        const std::filesystem::path staged = annotations::stagingFolderFor(dir.toStdString());
        auto r = annotations::exportDataset(*ds, own.get(), staged, opt, *cancel);
        auto key = r ? dicom::deidKey(std::nullopt) : Result<std::string>(Error(""));
        if (!r || !key) {
            removeTree(staged);
            return r ? Result<annotations::ExportReport>(key.error()) : r;
        }
        auto d = annotations::deidentifyExport(*ds, staged, dir.toStdString(), *key, *cancel);
        if (!d)
            return d.error();
        *deidReport = std::move(*d);
        return r;
    };
    if (wait) {
        auto r = work();
        if (message)
            *message = summary(r);
        return r.ok();
    }
    auto* dlg = new QProgressDialog(tr("Exporting the corrected dataset…"), tr("Cancel"), 0, 0, this);
    dlg->setWindowModality(Qt::WindowModal);
    dlg->setMinimumDuration(300);
    connect(dlg, &QProgressDialog::canceled, this, [cancel] { cancel->cancel(); });
    auto* watcher = new QFutureWatcher<Result<annotations::ExportReport>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, dlg, summary] {
        dlg->deleteLater();
        watcher->deleteLater();
        const auto r = watcher->result();
        const QString m = summary(r);
        statusBar()->showMessage(m, 20000);
        if (r)
            QMessageBox::information(this, tr("Export"), m);
        else
            QMessageBox::warning(this, tr("Export"), m);
    });
    watcher->setFuture(QtConcurrent::run(work));
    return true;
}

void MainWindow::exportDialog()
{
    if (!m_ds) {
        statusBar()->showMessage(tr("Open a dataset first."), 8000);
        return;
    }
    QDialog dlg(this);
    dlg.setWindowTitle(tr("Export corrected dataset"));
    auto* form = new QFormLayout(&dlg);
    auto* fmt = new QComboBox(&dlg);
    fmt->addItem(tr("CBIS-DDSM (CSVs, DICOM masks; indexable again)"), QStringLiteral("cbis"));
    fmt->addItem(tr("COCO JSON (polygons)"), QStringLiteral("coco"));
    fmt->addItem(tr("PNG masks + CSV"), QStringLiteral("masks"));
    fmt->addItem(tr("DICOM SEG (for PACS and DICOM viewers; DICOM images only)"), QStringLiteral("dicom-seg"));
    if (m_ds->format != dataset::Format::CbisDdsm)
        fmt->setCurrentIndex(1);
    form->addRow(tr("Format"), fmt);
    auto* row = new QHBoxLayout;
    auto* path = new QLineEdit(&dlg);
    path->setText(QDir::home().filePath(QStringLiteral("mammoscope-export")));
    auto* browse = new QPushButton(tr("Browse…"), &dlg);
    connect(browse, &QPushButton::clicked, &dlg, [&] {
        QString d = QFileDialog::getExistingDirectory(&dlg, tr("Export folder (empty, outside the dataset)"), path->text());
        if (!d.isEmpty())
            path->setText(d);
    });
    row->addWidget(path, 1);
    row->addWidget(browse);
    form->addRow(tr("Folder"), row);
    auto* deid = new QCheckBox(tr("De-identify, with the images (for sharing: pseudonyms, dates shifted, UIDs remapped)"), &dlg);
    deid->setToolTip(tr("PS3.15 basic confidentiality profile, keyed by this account's de-identification key so that "
                        "exports agree with each other; the SEGs keep pointing at their de-identified images"));
    auto syncDeid = [fmt, deid] {
        const bool dicom = fmt->currentData().toString() == QLatin1String("dicom-seg");
        deid->setEnabled(dicom);
        if (!dicom)
            deid->setChecked(false);
    };
    syncDeid();
    connect(fmt, qOverload<int>(&QComboBox::currentIndexChanged), &dlg, syncDeid);
    form->addRow(deid);
    auto* note
        = new QLabel(tr("Unchanged images are hard-linked (copied across file systems); the dataset folder is never written."), &dlg);
    note->setWordWrap(true);
    form->addRow(note);
    auto* bb = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dlg);
    connect(bb, &QDialogButtonBox::accepted, &dlg, &QDialog::accept);
    connect(bb, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    form->addRow(bb);
    if (dlg.exec() != QDialog::Accepted)
        return;
    exportCorrected(path->text(), fmt->currentData().toString(), false, nullptr, deid->isChecked());
}

} // namespace ms::ui

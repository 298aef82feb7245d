// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/mainwindow.h"

#include "ui/casepanel.h"
#include "ui/curation/curation.h"
#include "ui/pacs/pacsdialog.h"
#ifdef MS_WITH_ML
#include "ui/heatmap.h"
#endif
#include "ui/problemspanel.h"
#include "ui/theme.h"
#include "ui/thumbnails.h"
#include "ui/training/trainingpanel.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

namespace ms::ui
{

namespace
{
QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

QComboBox* filterCombo(QWidget* parent, const QString& any, const QStringList& items, const QString& name)
{
    auto* c = new QComboBox(parent);
    c->setObjectName(name);
    c->addItem(any, QString());
    for (const auto& i : items)
        c->addItem(i, i);
    // Compressible: the filter bar must fit a narrow dock at 1366x768.
    c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    c->setMinimumContentsLength(7);
    return c;
}
} // namespace

MainWindow::MainWindow(AppServices& services, QWidget* parent)
    : QMainWindow(parent),
      m_controller(services.dataset),
      m_thumbs(services.thumbnails.get())
#ifdef MS_WITH_ML
      ,
      m_heatStore(services.heatmaps.get()),
      m_infer(services.inference.get())
#endif
      ,
      m_curation(services.curation.get())
{
    setWindowTitle(tr("MammoScope"));
    setObjectName(QStringLiteral("MainWindow"));
    setAcceptDrops(true);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks | QMainWindow::AllowNestedDocks);

    auto* central = new QWidget(this);
    auto* cl = new QVBoxLayout(central);
    cl->setContentsMargins(0, 0, 0, 0);
    cl->setSpacing(0);
    m_banner = new QLabel(central);
    m_banner->setObjectName(QStringLiteral("banner"));
    m_banner->setStyleSheet(QStringLiteral("QLabel { background: #7a4b12; color: white; padding: 4px 8px; }"));
    m_banner->hide();
    cl->addWidget(m_banner);
    m_area = new ReadingArea(central);
    cl->addWidget(m_area, 1);
    // Two workspaces: reading (with the browser and case docks) and training (the docks step aside).
    m_mainTabs = new QTabWidget(this);
    m_mainTabs->setObjectName(QStringLiteral("mainTabs"));
    m_mainTabs->setDocumentMode(true);
    m_mainTabs->addTab(central, tr("Reading"));
    m_training = new TrainingPanel(m_mainTabs);
    m_mainTabs->addTab(m_training, tr("Training"));
    setCentralWidget(m_mainTabs);
    connect(m_mainTabs, &QTabWidget::currentChanged, this, &MainWindow::onWorkspaceChanged);
    connect(m_training, &TrainingPanel::openSample, this, &MainWindow::openSample);
    connect(m_training, &TrainingPanel::correctSample, this, &MainWindow::correctSample);
    connect(m_training, &TrainingPanel::message, this, [this](const QString& m) { statusBar()->showMessage(m, 15000); });

    m_tableModel = new ImageTableModel(this);
    m_tableModel->setThumbnails(m_thumbs);
    m_treeModel = new DatasetTreeModel(this);
    m_proxy = new ImageFilterProxy(this);
    m_proxy->setSourceModel(m_tableModel);

    buildBrowser();
    buildDocks();
    buildHeatmaps();
    buildCuration();
    buildScoring();
    buildActions();

    // Status bar.
    m_pixel = new QLabel(this);
    m_pixel->setObjectName(QStringLiteral("pixelInfo"));
    m_pixel->setMinimumWidth(360);
    m_datasetLabel = new QLabel(this);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(220);
    m_progress->hide();
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->hide();
    statusBar()->addWidget(m_pixel, 1);
    statusBar()->addPermanentWidget(m_datasetLabel);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);
    connect(m_cancel, &QPushButton::clicked, m_controller, &DatasetController::cancel);
    connect(m_area, &ReadingArea::pixelInfo, m_pixel, &QLabel::setText);

    connect(m_controller, &DatasetController::progress, this, [this](double f, const QString& m) {
        m_progress->setValue(int(f * 1000));
        m_progress->setFormat(m + QStringLiteral(" %p%"));
        m_progress->setTextVisible(true);
    });
    connect(m_controller, &DatasetController::busyChanged, this, [this](bool busy) {
        m_progress->setVisible(busy);
        m_cancel->setVisible(busy);
        if (busy)
            m_progress->setValue(0);
    });
    connect(m_controller, &DatasetController::opened, this, &MainWindow::onDatasetOpened);
    // the views of a freshly opened dataset are on screen: its opening finished (the crash-loop guard is cleared)
    connect(m_area, &ReadingArea::allViewsLoaded, this, [] { DatasetController::openFinished(); });
    connect(m_controller, &DatasetController::failed, this, [this](const QString& msg) {
        statusBar()->showMessage(tr("Could not open the dataset: %1").arg(msg), 15000);
        m_banner->setText(tr("Could not open the dataset: %1").arg(msg));
        m_banner->show();
    });
    connect(m_controller, &DatasetController::vanished, this, [this](const QString& root) {
        m_banner->setText(tr("The dataset folder %1 is no longer there (unmounted or moved). Images already loaded stay visible; "
                             "open it again when it is back.")
                              .arg(root));
        m_banner->show();
    });
    auto* watchdog = new QTimer(this);
    connect(watchdog, &QTimer::timeout, m_controller, &DatasetController::checkStillThere);
    watchdog->start(4000);

    connect(m_area, &ReadingArea::activeImageChanged, this, &MainWindow::onImageShown);
    connect(m_area, &ReadingArea::viewLoaded, this, [this](int imageIndex, LoadedViewPtr v) {
        if (imageIndex == m_area->currentImage()) {
            m_case->showImage(imageIndex, v);
            updateWindowMenu();
        }
        requestHeatmaps();
    });
#ifdef MS_WITH_ML
    connect(m_area, &ReadingArea::activeImageChanged, m_heatPanel, &HeatmapPanel::setCurrentImage);
#endif

    QSettings s;
    restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    const bool hadState = restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    if (!s.contains(QStringLiteral("window/geometry")))
        resize(1600, 960);
    if (!hadState) {
        // First start: give the images most of the width, at 1366x768 as at 1920x1080.
        QTimer::singleShot(0, this, [this] {
            resizeDocks({ m_browserDock, m_caseDock }, { int(width() * 0.27), int(width() * 0.2) }, Qt::Horizontal);
        });
    }
}

MainWindow::~MainWindow() = default;

void MainWindow::buildBrowser()
{
    auto* dock = m_browserDock = new QDockWidget(tr("Dataset"), this);
    dock->setObjectName(QStringLiteral("browserDock"));
    auto* w = new QWidget(dock);
    auto* lay = new QVBoxLayout(w);
    lay->setContentsMargins(4, 4, 4, 4);
    m_search = new QLineEdit(w);
    m_search->setObjectName(QStringLiteral("search"));
    m_search->setPlaceholderText(tr("Search patient, shape, type… (Ctrl+F)"));
    m_search->setClearButtonEnabled(true);
    lay->addWidget(m_search);
    auto* filters = new QWidget(w);
    auto* fl = new QGridLayout(filters);
    fl->setContentsMargins(0, 0, 0, 0);
    fl->setHorizontalSpacing(4);
    fl->setVerticalSpacing(2);
    m_fSplit = filterCombo(filters, tr("Any split"), { "train", "test" }, QStringLiteral("fSplit"));
    m_fType = filterCombo(filters, tr("Any type"), { "mass", "calcification", "normal", "no ground truth" }, QStringLiteral("fType"));
    m_fPath = filterCombo(filters, tr("Any pathology"), { "MALIGNANT", "BENIGN", "BENIGN_WITHOUT_CALLBACK" }, QStringLiteral("fPathology"));
    m_fBirads = filterCombo(filters, tr("Any BI-RADS"), { "0", "1", "2", "3", "4", "5" }, QStringLiteral("fBirads"));
    m_fDensity = filterCombo(filters, tr("Any density"), { "1", "2", "3", "4" }, QStringLiteral("fDensity"));
    m_fSubtlety = filterCombo(filters, tr("Any subtlety"), { "1", "2", "3", "4", "5" }, QStringLiteral("fSubtlety"));
    m_fView = filterCombo(filters, tr("Any view"), { "CC", "MLO" }, QStringLiteral("fView"));
    m_fSide = filterCombo(filters, tr("Any side"), { "LEFT", "RIGHT" }, QStringLiteral("fSide"));
    QComboBox* all[] = { m_fSplit, m_fType, m_fPath, m_fBirads, m_fDensity, m_fSubtlety, m_fView, m_fSide };
    for (int i = 0; i < 8; ++i) {
        fl->addWidget(all[i], i / 4, i % 4);
        connect(all[i], &QComboBox::currentIndexChanged, this, &MainWindow::readFilterBar);
    }
    lay->addWidget(filters);
    connect(m_search, &QLineEdit::textChanged, this, &MainWindow::readFilterBar);

    auto* tabs = new QTabWidget(w);
    m_table = new QTableView(tabs);
    m_table->setObjectName(QStringLiteral("imageTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(ImageTableModel::Patient, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->setDefaultSectionSize(ThumbnailCache::kSize + 4);
    m_table->verticalHeader()->hide();
    m_table->setIconSize(QSize(ThumbnailCache::kSize, ThumbnailCache::kSize));
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->setColumnWidth(ImageTableModel::Thumbnail, ThumbnailCache::kSize + 8);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    tabs->addTab(m_table, tr("Images"));
    m_tree = new QTreeView(tabs);
    m_tree->setObjectName(QStringLiteral("patientTree"));
    m_tree->setModel(m_treeModel);
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    tabs->addTab(m_tree, tr("Patients"));
    lay->addWidget(tabs, 1);
    m_count = new QLabel(w);
    m_count->setObjectName(QStringLiteral("count"));
    lay->addWidget(m_count);
    dock->setWidget(w);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& cur) {
        if (m_selecting || !cur.isValid())
            return;
        m_area->showImage(cur.data(ImageIndexRole).toInt());
    });
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex& cur) {
        if (m_selecting || !cur.isValid())
            return;
        int ii = cur.data(ImageIndexRole).toInt();
        if (ii >= 0)
            selectImage(ii);
    });
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateCount);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateCount);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &MainWindow::updateCount);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &MainWindow::updateCount);
}

void MainWindow::buildDocks()
{
    m_caseDock = new QDockWidget(tr("Case"), this);
    m_caseDock->setObjectName(QStringLiteral("caseDock"));
    m_case = new CasePanel(m_caseDock);
    m_caseDock->setWidget(m_case);
    addDockWidget(Qt::RightDockWidgetArea, m_caseDock);
    connect(m_case, &CasePanel::abnormalityActivated, this, [this](int ai) {
        m_currentAbnormality = ai;
        m_area->zoomToAbnormality(ai);
    });

    m_problemsDock = new QDockWidget(tr("Problems"), this);
    m_problemsDock->setObjectName(QStringLiteral("problemsDock"));
    m_problems = new ProblemsPanel(m_problemsDock);
    m_problemsDock->setWidget(m_problems);
    addDockWidget(Qt::BottomDockWidgetArea, m_problemsDock);
    m_problemsDock->hide();
    connect(m_problems, &ProblemsPanel::problemActivated, this, [this](const QString& file, const QString& where) {
        if (!m_ds)
            return;
        // A problem in an image file selects that image; one in a CSV row selects the image that row describes.
        const std::string f = file.toStdString();
        for (const auto& im : m_ds->images)
            if (!im.path.empty() && im.path == f) {
                selectImage(im.index);
                return;
            }
        const int line = where.startsWith(QLatin1String("line ")) ? where.mid(5).toInt() : -1;
        for (const auto& a : m_ds->abnormalities)
            if (a.sourceFile == f && a.sourceLine == line) {
                selectImage(a.image);
                m_currentAbnormality = a.index;
                return;
            }
        statusBar()->showMessage(tr("%1 %2 is not an image of this dataset").arg(file, where), 6000);
    });
}

void MainWindow::buildActions()
{
    QMenu* fileMenu = buildFileMenu();
    buildViewMenu();
    buildImageMenu();
    buildNavigateMenu();
    buildCurationMenus(fileMenu);
    buildHelpMenu();
    buildToolbar();
}

QMenu* MainWindow::buildFileMenu()
{
    auto* fileMenu = menuBar()->addMenu(tr("&File"));
    m_actOpen = fileMenu->addAction(tr("&Open dataset folder…"), this, &MainWindow::openFolderDialog);
    m_actOpen->setShortcut(QKeySequence::Open);
    fileMenu->addAction(tr("Open &demo dataset"), m_controller, [this] { m_controller->openDemo(); });
    fileMenu->addAction(tr("Open from &PACS…"), this, &MainWindow::openPacsDialog);
    fileMenu->addAction(tr("&Reload dataset"), this, [this] {
        if (!m_controller->root().isEmpty())
            m_controller->open(m_controller->root());
    });
    fileMenu->addSeparator();
    fileMenu->addAction(tr("Save &screenshot…"), this, [this] {
        QString f = QFileDialog::getSaveFileName(this, tr("Save screenshot"), QStringLiteral("mammoscope.png"), tr("PNG images (*.png)"));
        if (!f.isEmpty())
            grab().save(f);
    });
    fileMenu->addSeparator();
    auto* quit = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    return fileMenu;
}

void MainWindow::buildViewMenu()
{
    auto* view = menuBar()->addMenu(tr("&View"));
    auto* toReading = view->addAction(tr("&Reading workspace"), this, [this] { showWorkspace(0); });
    toReading->setShortcut(QKeySequence(QStringLiteral("Alt+1")));
    auto* toTraining = view->addAction(tr("&Training workspace"), this, [this] { showWorkspace(1); });
    toTraining->setShortcut(QKeySequence(QStringLiteral("Alt+2")));
    view->addSeparator();
    m_layoutGroup = new QActionGroup(this);
    auto addLayout = [&](const QString& text, const QString& key, ReadingLayout l) {
        QAction* a = view->addAction(text);
        a->setCheckable(true);
        a->setShortcut(QKeySequence(key));
        m_layoutGroup->addAction(a);
        connect(a, &QAction::triggered, this, [this, l] { setLayoutMode(l); });
        return a;
    };
    m_actSingle = addLayout(tr("Single image"), QStringLiteral("1"), ReadingLayout::Single);
    m_actCC = addLayout(tr("CC pair"), QStringLiteral("2"), ReadingLayout::PairCC);
    m_actMLO = addLayout(tr("MLO pair"), QStringLiteral("3"), ReadingLayout::PairMLO);
    m_act4 = addLayout(tr("Four views (hanging protocol)"), QStringLiteral("4"), ReadingLayout::FourView);
    m_actSingle->setChecked(true);
    view->addSeparator();
    m_actLink = view->addAction(tr("&Link zoom and pan"));
    m_actLink->setCheckable(true);
    m_actLink->setChecked(true);
    m_actLink->setShortcut(QKeySequence(QStringLiteral("L")));
    connect(m_actLink, &QAction::toggled, m_area, &ReadingArea::setLinked);
    m_actLinkWindow = view->addAction(tr("Link &window/level"));
    m_actLinkWindow->setCheckable(true);
    m_actLinkWindow->setChecked(true);
    connect(m_actLinkWindow, &QAction::toggled, m_area, &ReadingArea::setLinkWindow);
    m_actOverlay = view->addAction(tr("Ground-truth &outlines"));
    m_actOverlay->setCheckable(true);
    m_actOverlay->setChecked(true);
    m_actOverlay->setShortcut(QKeySequence(QStringLiteral("O")));
    connect(m_actOverlay, &QAction::toggled, m_area, &ReadingArea::setOverlaysVisible);
    m_actLabels = view->addAction(tr("Outline la&bels"));
    m_actLabels->setCheckable(true);
    m_actLabels->setChecked(true);
    connect(m_actLabels, &QAction::toggled, m_area, &ReadingArea::setLabelsVisible);
    m_actLoupe = view->addAction(tr("&Magnifier"));
    m_actLoupe->setCheckable(true);
    m_actLoupe->setShortcut(QKeySequence(QStringLiteral("Z")));
    connect(m_actLoupe, &QAction::toggled, m_area, &ReadingArea::setLoupe);
    view->addSeparator();
    auto* fit = view->addAction(tr("&Fit"), this, [this] {
        if (m_area->linked())
            m_area->resetViews();
        else if (auto* v = m_area->activeView())
            v->fit();
    });
    fit->setShortcut(QKeySequence(QStringLiteral("F")));
    auto* one = view->addAction(tr("1:1 pixels"), this, [this] {
        if (auto* v = m_area->activeView())
            v->oneToOne();
    });
    one->setShortcut(QKeySequence(QStringLiteral("Ctrl+1")));
    view->addSeparator();
    auto* dark = view->addAction(tr("Dark theme"));
    auto* light = view->addAction(tr("Light theme"));
    dark->setCheckable(true);
    light->setCheckable(true);
    auto* themeGroup = new QActionGroup(this);
    themeGroup->addAction(dark);
    themeGroup->addAction(light);
    const bool isLight = QSettings().value(QStringLiteral("theme")).toString() == QLatin1String("light");
    (isLight ? light : dark)->setChecked(true);
    connect(dark, &QAction::triggered, this, [] {
        QSettings().setValue(QStringLiteral("theme"), QStringLiteral("dark"));
        applyThemeByName(QStringLiteral("dark"));
    });
    connect(light, &QAction::triggered, this, [] {
        QSettings().setValue(QStringLiteral("theme"), QStringLiteral("light"));
        applyThemeByName(QStringLiteral("light"));
    });

#ifdef MS_WITH_ML
    view->addSeparator();
    auto* heat = view->addAction(tr("&Heatmap"));
    heat->setCheckable(true);
    heat->setShortcut(QKeySequence(QStringLiteral("H")));
    heat->setToolTip(tr("Suspicious-region heatmap of the loaded model over every view"));
    connect(heat, &QAction::toggled, m_heatPanel->enableBox(), &QCheckBox::setChecked);
    connect(m_heatPanel->enableBox(), &QCheckBox::toggled, heat, &QAction::setChecked);
#endif
}

void MainWindow::buildImageMenu()
{
    auto* image = menuBar()->addMenu(tr("&Image"));
    m_actInvert = image->addAction(tr("&Invert"), this, [this] {
        if (auto* v = m_area->activeView()) {
            ViewState s = v->state();
            s.invert = !s.invert;
            v->setState(s, true);
        }
    });
    m_actInvert->setShortcut(QKeySequence(QStringLiteral("I")));
    auto* autoW = image->addAction(tr("&Auto window (breast histogram)"), this, [this] {
        if (auto* v = m_area->activeView())
            v->autoWindow();
    });
    autoW->setShortcut(QKeySequence(QStringLiteral("A")));
    auto* resetW = image->addAction(tr("&Reset window"), this, [this] {
        if (auto* v = m_area->activeView())
            v->resetWindow();
    });
    resetW->setShortcut(QKeySequence(QStringLiteral("R")));
}

void MainWindow::buildNavigateMenu()
{
    auto* nav = menuBar()->addMenu(tr("&Navigate"));
    auto addNav = [&](const QString& text, const QList<QKeySequence>& keys, std::function<void()> f) {
        QAction* a = nav->addAction(text, this, f);
        a->setShortcuts(keys);
        return a;
    };
    addNav(tr("Next image"), { QKeySequence(Qt::Key_PageDown), QKeySequence(Qt::Key_Space) }, [this] { stepImage(1); });
    addNav(tr("Previous image"), { QKeySequence(Qt::Key_PageUp), QKeySequence(Qt::SHIFT | Qt::Key_Space) }, [this] { stepImage(-1); });
    addNav(
        tr("Next patient"), { QKeySequence(Qt::CTRL | Qt::Key_PageDown), QKeySequence(Qt::Key_BracketRight) }, [this] { stepPatient(1); });
    addNav(tr("Previous patient"), { QKeySequence(Qt::CTRL | Qt::Key_PageUp), QKeySequence(Qt::Key_BracketLeft) },
        [this] { stepPatient(-1); });
    addNav(tr("Next abnormality"), { QKeySequence(Qt::Key_Period) }, [this] { stepAbnormality(1); });
    addNav(tr("Previous abnormality"), { QKeySequence(Qt::Key_Comma) }, [this] { stepAbnormality(-1); });
    addNav(tr("Search"), { QKeySequence::Find }, [this] {
        m_search->setFocus();
        m_search->selectAll();
    });
}

void MainWindow::buildHelpMenu()
{
    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard and mouse"), this, &MainWindow::shortcutsHelp);
    help->addAction(tr("&About MammoScope"), this, &MainWindow::about);
}

void MainWindow::buildToolbar()
{
    auto* tb = addToolBar(tr("Reading"));
    tb->setObjectName(QStringLiteral("readingToolbar"));
    tb->setToolButtonStyle(Qt::ToolButtonTextOnly);
    tb->addAction(m_actOpen);
    tb->addSeparator();
    for (QAction* a : { m_actSingle, m_actCC, m_actMLO, m_act4 })
        tb->addAction(a);
    tb->addSeparator();
    tb->addAction(m_actLink);
    tb->addAction(m_actOverlay);
    tb->addAction(m_actLoupe);
    tb->addAction(m_actInvert);
    tb->addSeparator();
    tb->addWidget(new QLabel(tr(" Window "), tb));
    m_windowCombo = new QComboBox(tb);
    m_windowCombo->setObjectName(QStringLiteral("windowPresets"));
    m_windowCombo->setMinimumWidth(180);
    tb->addWidget(m_windowCombo);
    connect(m_windowCombo, &QComboBox::activated, this, [this](int i) {
        auto* v = m_area->activeView();
        if (!v || !v->view() || !v->view()->image)
            return;
        const auto& img = *v->view()->image;
        const QVariantList d = m_windowCombo->itemData(i).toList();
        if (d.size() != 3)
            return;
        const QString kind = d[0].toString();
        if (kind == QLatin1String("voi"))
            m_area->applyWindowToAll({ 0, 0 }, d[1].toInt());
        else if (kind == QLatin1String("auto"))
            m_area->applyWindowToAll(ms::autoWindow(img), -1);
        else if (kind == QLatin1String("full"))
            m_area->applyWindowToAll(fullRangeWindow(img), -1);
        else
            m_area->applyWindowToAll({ d[1].toDouble(), d[2].toDouble() }, -1);
    });
    tb->addSeparator();
    tb->addWidget(new QLabel(tr(" Outline opacity "), tb));
    m_opacity = new QSlider(Qt::Horizontal, tb);
    m_opacity->setObjectName(QStringLiteral("opacity"));
    m_opacity->setRange(10, 100);
    m_opacity->setValue(100);
    m_opacity->setMaximumWidth(110);
    tb->addWidget(m_opacity);
    connect(m_opacity, &QSlider::valueChanged, this, [this](int v) { m_area->setOverlayOpacity(v / 100.0); });
}

void MainWindow::applyThemeByName(const QString& name)
{
    if (auto* app = qobject_cast<QApplication*>(QCoreApplication::instance()))
        applyTheme(*app, themeFromString(name));
}

void MainWindow::setLayoutMode(ReadingLayout l)
{
    QAction* a = l == ReadingLayout::Single ? m_actSingle
        : l == ReadingLayout::PairCC        ? m_actCC
        : l == ReadingLayout::PairMLO       ? m_actMLO
                                            : m_act4;
    a->setChecked(true);
    m_area->setLayoutMode(l);
    m_area->setLinked(m_actLink->isChecked());
    m_area->setOverlaysVisible(m_actOverlay->isChecked());
    m_area->setLoupe(m_actLoupe->isChecked());
    QSettings().setValue(QStringLiteral("reading/layout"), layoutName(l));
}

void MainWindow::onDatasetOpened(DatasetPtr ds)
{
    // The effective dataset (the folder's + the curator's corrections) is what every view shows.
    m_fullReset = true;
    m_curation->setDataset(ds);
}

void MainWindow::showNotice(const QString& text)
{
    m_banner->setText(text);
    m_banner->setWordWrap(true);
    m_banner->setVisible(!text.isEmpty());
}

void MainWindow::showDataset(DatasetPtr ds)
{
    m_ds = ds;
    m_banner->hide();
    m_thumbs->clear();
    m_selecting = true;
    m_tableModel->setDataset(ds);
    m_treeModel->setDataset(ds);
    m_selecting = false;
    m_area->setDataset(ds);
    m_case->setDataset(ds);
#ifdef MS_WITH_ML
    // The heatmap model that suits these images, unless the user chose one; a mismatch is said in the panel.
    m_imagesDomain = dataset::isPhantomDataset(ds->root) ? ml::Domain::Phantoms : ml::Domain::Real;
    if (m_heatPanel) {
        m_heatPanel->setImagesDomain(m_imagesDomain);
        const QString dir = InferenceService::defaultModelFor(m_imagesDomain);
        if (!m_infer->modelDir().isEmpty() && !m_infer->modelChosenByUser() && !dir.isEmpty() && dir != m_infer->modelDir())
            m_infer->loadModel(dir, m_infer->hasModel() ? m_infer->deviceName() : QStringLiteral("cpu"), false);
    }
#endif
    m_problems->setDataset(ds);
    if (!ds->problems.empty())
        m_problemsDock->show();
    m_tree->resizeColumnToContents(0);
    for (int c = ImageTableModel::Patient; c < ImageTableModel::ColumnCount; ++c)
        m_table->resizeColumnToContents(c);
    m_datasetLabel->setText(tr("%1 · %2 patients · %3 images · %4 abnormalities%5")
                                .arg(q(dataset::formatName(ds->format)))
                                .arg(ds->patients.size())
                                .arg(ds->images.size())
                                .arg(ds->abnormalities.size())
                                .arg(ds->fromCache ? tr(" (cached index)") : QString()));
    setWindowTitle(tr("MammoScope — %1").arg(m_controller->root()));
    QSettings().setValue(QStringLiteral("dataset/last"), m_controller->root());
    if (m_proxy->rowCount() == 0)
        DatasetController::openFinished(); // nothing to show: the open is done
    updateCount();
    if (m_proxy->rowCount() > 0)
        selectImage(m_proxy->index(0, 0).data(ImageIndexRole).toInt());
    m_table->setFocus();
    m_training->setDataset(ds);
    emit datasetShown(ds);
}

void MainWindow::buildHeatmaps()
{
#ifdef MS_WITH_ML
    const HeatmapStore* store = m_heatStore;
    m_case->setHeatmapStore(m_heatStore);
    m_area->addOverlayFactory([store] { return std::make_shared<HeatmapOverlay>(store); });
    connect(m_heatStore, &HeatmapStore::changed, m_area, &ReadingArea::updateViews);
    connect(m_heatStore, &HeatmapStore::selectionChanged, m_area, &ReadingArea::updateViews);
    // A map missing for the chosen channel (Grad-CAM is computed on demand) is asked for.
    connect(m_heatStore, &HeatmapStore::changed, this, &MainWindow::requestHeatmaps);
    auto* dock = m_heatmapDock = new QDockWidget(tr("Heatmap"), this);
    dock->setObjectName(QStringLiteral("heatmapDock"));
    m_heatPanel = new HeatmapPanel(m_heatStore, m_infer, dock);
    // Scrolled rather than squeezed: on a short screen the model's notes would crush the controls above them.
    auto* heatScroll = new QScrollArea(dock);
    heatScroll->setObjectName(QStringLiteral("heatmapScroll"));
    heatScroll->setWidgetResizable(true);
    heatScroll->setFrameShape(QFrame::NoFrame);
    heatScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    heatScroll->setWidget(m_heatPanel);
    dock->setWidget(heatScroll);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    tabifyDockWidget(m_caseDock, dock);
    m_caseDock->raise();
    connect(m_infer, &InferenceService::message, this, [this](const QString& m) { statusBar()->showMessage(m, 15000); });
    connect(m_heatPanel->enableBox(), &QCheckBox::toggled, this, [this, dock](bool on) {
        if (on) {
            dock->show();
            dock->raise();
            const QString dir = InferenceService::defaultModelFor(m_imagesDomain);
            if (m_infer->modelDir().isEmpty() && !dir.isEmpty()) // none loaded or loading
                m_infer->loadModel(dir, QStringLiteral("cpu"), false);
        }
        requestHeatmaps();
    });
    connect(m_infer, &InferenceService::modelChanged, this, &MainWindow::requestHeatmaps);
    connect(m_heatPanel, &HeatmapPanel::detectionActivated, this, [this](const QRectF& r) {
        // The view showing the current image centres the region (zoomToImageRect leaves surroundings around it).
        for (auto* v : m_area->views())
            if (v->view() && v->view()->imageIndex == m_area->currentImage())
                v->zoomToImageRect(r);
    });
#endif
}

void MainWindow::requestHeatmaps()
{
#ifdef MS_WITH_ML
    if (!m_heatStore || !m_heatStore->settings().enabled)
        return;
    QList<QPair<int, ms::ImagePtr>> wanted;
    // The active view first: the one the reader looks at.
    std::vector<ImageView*> views = m_area->views();
    std::stable_partition(views.begin(), views.end(), [this](ImageView* v) { return v == m_area->activeView(); });
    for (auto* v : views)
        if (v->view() && v->view()->image)
            wanted.append({ v->view()->imageIndex, v->view()->image });
    m_infer->want(wanted);
#endif
}

void MainWindow::showWorkspace(int index)
{
    m_mainTabs->setCurrentIndex(index);
}

void MainWindow::onWorkspaceChanged(int index)
{
    // The browser, case and problems docks belong to reading; training gets the whole window. Their visibility is
    // remembered and restored on the way back.
    QList<QWidget*> docks;
    for (auto* d : findChildren<QDockWidget*>(QString(), Qt::FindDirectChildrenOnly))
        docks << d;
    for (auto* t : findChildren<QToolBar*>(QString(), Qt::FindDirectChildrenOnly))
        docks << t;
    if (index == 1) {
        m_dockVisible.clear();
        for (auto* d : docks) {
            m_dockVisible.insert(d->objectName(), d->isVisible());
            d->hide();
        }
    } else {
        for (auto* d : docks)
            d->setVisible(m_dockVisible.value(d->objectName(), d->objectName() != QLatin1String("problemsDock")));
        m_dockVisible.clear();
    }
}

void MainWindow::openSample(const QString& imageKey, int abnormality, int x, int y, int width, int height)
{
    if (!m_ds) {
        statusBar()->showMessage(tr("Open the dataset the run was trained on to see its samples."), 10000);
        return;
    }
    int index = -1;
    for (const auto& im : m_ds->images)
        if (QString::fromStdString(im.key) == imageKey) {
            index = im.index;
            break;
        }
    if (index < 0) {
        statusBar()->showMessage(imageKey.isEmpty() || imageKey.startsWith(QLatin1String("synth"))
                ? tr("This sample comes from phantoms generated in memory; there is no image on disk to open.")
                : tr("Image %1 is not in the open dataset (%2): open the dataset the run was trained on.")
                      .arg(imageKey, m_controller->root()),
            15000);
        return;
    }
    showWorkspace(0);
    const bool validAbn
        = abnormality >= 0 && abnormality < int(m_ds->abnormalities.size()) && m_ds->abnormalities[size_t(abnormality)].image == index;
    const QRectF rect(x - width, y - height, 3.0 * width, 3.0 * height); // the sample with its surroundings
    auto zoom = [this, validAbn, abnormality, rect] {
        if (validAbn) {
            m_currentAbnormality = abnormality;
            m_area->zoomToAbnormality(abnormality);
        } else if (auto* v = m_area->activeView(); v && !rect.isEmpty()) {
            v->zoomToImageRect(rect);
        }
    };
    if (m_area->currentImage() == index) {
        zoom();
        return;
    }
    disconnect(m_pendingZoom);
    m_pendingZoom = connect(m_area, &ReadingArea::allViewsLoaded, this, [this, zoom] {
        disconnect(m_pendingZoom);
        zoom();
    });
    selectImage(index);
}

void MainWindow::updateCount()
{
    if (!m_ds) {
        m_count->clear();
        return;
    }
    int abn = 0;
    QSet<QString> patients;
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        int ii = m_proxy->index(r, 0).data(ImageIndexRole).toInt();
        abn += int(m_ds->images[size_t(ii)].abnormalities.size());
        patients.insert(q(m_ds->images[size_t(ii)].patientId));
    }
    m_count->setText(tr("%1 of %2 images · %3 patients · %4 abnormalities")
                         .arg(m_proxy->rowCount())
                         .arg(m_ds->images.size())
                         .arg(patients.size())
                         .arg(abn));
}

void MainWindow::readFilterBar()
{
    BrowserFilter f;
    f.split = m_fSplit->currentData().toString();
    f.type = m_fType->currentData().toString();
    f.pathology = m_fPath->currentData().toString();
    f.assessment = m_fBirads->currentData().toString().isEmpty() ? -1 : m_fBirads->currentData().toInt();
    f.density = m_fDensity->currentData().toString().isEmpty() ? -1 : m_fDensity->currentData().toInt();
    f.subtlety = m_fSubtlety->currentData().toString().isEmpty() ? -1 : m_fSubtlety->currentData().toInt();
    f.view = m_fView->currentData().toString();
    f.side = m_fSide->currentData().toString();
    f.text = m_search->text().trimmed();
    m_proxy->setFilter(f);
    updateCount();
}

void MainWindow::setFilter(const BrowserFilter& f)
{
    auto set = [](QComboBox* c, const QString& v) { c->setCurrentIndex(std::max(0, c->findData(v))); };
    set(m_fSplit, f.split);
    set(m_fType, f.type);
    set(m_fPath, f.pathology);
    set(m_fBirads, f.assessment < 0 ? QString() : QString::number(f.assessment));
    set(m_fDensity, f.density < 0 ? QString() : QString::number(f.density));
    set(m_fSubtlety, f.subtlety < 0 ? QString() : QString::number(f.subtlety));
    set(m_fView, f.view);
    set(m_fSide, f.side);
    m_search->setText(f.text);
    readFilterBar();
}

int MainWindow::proxyRowOf(int imageIndex) const
{
    QModelIndex src = m_tableModel->index(imageIndex, 0);
    QModelIndex p = m_proxy->mapFromSource(src);
    return p.isValid() ? p.row() : -1;
}

void MainWindow::selectImage(int imageIndex)
{
    if (!m_ds || imageIndex < 0 || imageIndex >= int(m_ds->images.size()))
        return;
    m_selecting = true;
    int row = proxyRowOf(imageIndex);
    if (row >= 0) {
        m_table->selectionModel()->setCurrentIndex(m_proxy->index(row, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        m_table->scrollTo(m_proxy->index(row, 0));
    }
    QModelIndex ti = m_treeModel->indexForImage(imageIndex);
    if (ti.isValid()) {
        m_tree->selectionModel()->setCurrentIndex(ti, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        m_tree->scrollTo(ti);
    }
    m_selecting = false;
    m_area->showImage(imageIndex);
}

void MainWindow::onImageShown(int imageIndex)
{
    if (!m_ds)
        return;
    m_currentAbnormality = -1;
    m_area->setHighlightedAbnormality(-1);
    m_case->showImage(imageIndex, m_area->loaded(imageIndex));
    updateWindowMenu();
}

void MainWindow::stepImage(int delta)
{
    if (!m_ds || m_proxy->rowCount() == 0)
        return;
    int row = proxyRowOf(m_area->currentImage());
    row = row < 0 ? 0 : std::clamp(row + delta, 0, m_proxy->rowCount() - 1);
    selectImage(m_proxy->index(row, 0).data(ImageIndexRole).toInt());
}

void MainWindow::stepPatient(int delta)
{
    if (!m_ds || m_proxy->rowCount() == 0)
        return;
    const int cur = m_area->currentImage();
    const QString patient = cur >= 0 ? q(m_ds->images[size_t(cur)].patientId) : QString();
    int row = std::max(0, proxyRowOf(cur));
    for (int r = row + delta; r >= 0 && r < m_proxy->rowCount(); r += delta) {
        QModelIndex i = m_proxy->index(r, 0);
        if (i.data(PatientRole).toString() != patient) {
            if (delta < 0) { // go to the first image of that patient
                const QString p = i.data(PatientRole).toString();
                while (r - 1 >= 0 && m_proxy->index(r - 1, 0).data(PatientRole).toString() == p)
                    --r;
                i = m_proxy->index(r, 0);
            }
            selectImage(i.data(ImageIndexRole).toInt());
            return;
        }
    }
}

void MainWindow::stepAbnormality(int delta)
{
    if (!m_ds)
        return;
    const int cur = m_area->currentImage();
    if (cur < 0)
        return;
    const auto& abns = m_ds->images[size_t(cur)].abnormalities;
    if (abns.empty()) {
        stepImage(delta);
        return;
    }
    auto it = std::find(abns.begin(), abns.end(), m_currentAbnormality);
    int pos = it == abns.end() ? (delta > 0 ? -1 : int(abns.size())) : int(it - abns.begin());
    pos += delta;
    if (pos < 0 || pos >= int(abns.size())) {
        stepImage(delta);
        return;
    }
    m_currentAbnormality = abns[size_t(pos)];
    m_area->zoomToAbnormality(m_currentAbnormality);
}

void MainWindow::updateWindowMenu()
{
    m_windowCombo->clear();
    auto* v = m_area->activeView();
    if (!v || !v->view() || !v->view()->image)
        return;
    const auto& img = *v->view()->image;
    for (const auto& w : img.windows)
        m_windowCombo->addItem(
            tr("%1 (C %2 W %3)").arg(q(w.name)).arg(w.center).arg(w.width), QVariantList { QStringLiteral("file"), w.center, w.width });
    for (size_t i = 0; i < img.voiLuts.size(); ++i)
        m_windowCombo->addItem(tr("VOI LUT: %1").arg(q(img.voiLuts[i].explanation)), QVariantList { QStringLiteral("voi"), int(i), 0 });
    m_windowCombo->addItem(tr("Auto (breast histogram)"), QVariantList { QStringLiteral("auto"), 0, 0 });
    m_windowCombo->addItem(tr("Full range"), QVariantList { QStringLiteral("full"), 0, 0 });
    const WindowLevel w = v->effectiveWindow();
    m_windowCombo->setToolTip(tr("Current: C %1 W %2 (right-drag in the image to change)").arg(w.center).arg(w.width));
}

void MainWindow::openFolderDialog()
{
    QString dir = QFileDialog::getExistingDirectory(
        this, tr("Open a dataset folder (CBIS-DDSM, Kaggle JPEG, mini-MIAS or images)"), m_controller->root());
    if (!dir.isEmpty())
        m_controller->open(dir);
}

void MainWindow::openPacsDialog()
{
    if (!m_pacs) {
        m_pacs = new PacsDialog(this);
        connect(m_pacs, &PacsDialog::studyRetrieved, m_controller, [this](const QString& folder) { m_controller->open(folder); });
    }
    m_pacs->show();
    m_pacs->raise();
    m_pacs->activateWindow();
}

void MainWindow::about()
{
    QMessageBox::about(this, tr("About MammoScope"),
        tr("<h3>MammoScope %1</h3>"
           "<p>A workbench for screening-mammography research: browse CBIS-DDSM and similar datasets, read "
           "mammograms, curate labels, train and inspect CNNs.</p>"
           "<p><b>Research software, not a medical device.</b> It is not intended for diagnosis, screening or any "
           "clinical decision. The demo dataset and demo model are synthetic and have never seen a real patient.</p>"
           "<p>License: GPL-3.0-or-later. Uses Qt, DCMTK, OpenCV, SQLite, LibTorch and QCustomPlot.</p>")
            .arg(QCoreApplication::applicationVersion()));
}

void MainWindow::shortcutsHelp()
{
    QMessageBox::information(this, tr("Keyboard and mouse"),
        tr("<table>"
           "<tr><td><b>Wheel</b></td><td>zoom about the cursor</td></tr>"
           "<tr><td><b>Left drag</b></td><td>pan</td></tr>"
           "<tr><td><b>Right drag</b></td><td>window (horizontal) and level (vertical)</td></tr>"
           "<tr><td><b>Double-click / F</b></td><td>fit</td></tr>"
           "<tr><td><b>Ctrl+1</b></td><td>one screen pixel per image pixel</td></tr>"
           "<tr><td><b>1 2 3 4</b></td><td>single, CC pair, MLO pair, four views</td></tr>"
           "<tr><td><b>Z</b></td><td>magnifier (Ctrl+wheel: zoom, Shift+wheel: size)</td></tr>"
           "<tr><td><b>I / A / R</b></td><td>invert / auto window / reset window</td></tr>"
           "<tr><td><b>O / L</b></td><td>outlines / link views</td></tr>"
           "<tr><td><b>Page Down / Up, Space</b></td><td>next / previous image</td></tr>"
           "<tr><td><b>] [ or Ctrl+Page Down / Up</b></td><td>next / previous patient</td></tr>"
           "<tr><td><b>. ,</b></td><td>next / previous abnormality (zooms to it)</td></tr>"
           "<tr><td colspan=2><br><b>Curation</b></td></tr>"
           "<tr><td><b>Y / X / N</b></td><td>accept and next / flag and next / next unreviewed image</td></tr>"
           "<tr><td><b>B / E / P / G</b></td><td>brush / eraser / polygon / ellipse ROI tool (again: off)</td></tr>"
           "<tr><td><b>Esc</b></td><td>cancel the polygon, then leave the tool</td></tr>"
           "<tr><td><b>Del</b></td><td>delete the selected abnormality</td></tr>"
           "<tr><td><b>Ctrl+Z / Ctrl+Shift+Z</b></td><td>undo / redo (per image)</td></tr>"
           "</table>"));
}

void MainWindow::closeEvent(QCloseEvent* e)
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    QMainWindow::closeEvent(e);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e)
{
    if (e->mimeData()->hasUrls())
        e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e)
{
    const auto urls = e->mimeData()->urls();
    if (!urls.isEmpty() && QFileInfo(urls.first().toLocalFile()).isDir())
        m_controller->open(urls.first().toLocalFile());
}

} // namespace ms::ui

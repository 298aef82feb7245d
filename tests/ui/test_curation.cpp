// SPDX-License-Identifier: GPL-3.0-or-later
// Curation in the GUI, driven with QTest mouse and key events on the offscreen platform: attribute edits with
// validation and badges, a brush stroke drawn with the mouse and its undo/redo, a polygon that adds a missed
// lesion, review with the keyboard, delete and undo, a write refused while another instance holds the store,
// the export re-indexed, and the dataset folder untouched.
#include "core/annotations/effective.h"
#include "core/common/sha256.h"
#include "core/synthio/synthio.h"
#include "ui/casepanel.h"
#include "ui/curation/curation.h"
#include "ui/curation/curationpanel.h"
#include "ui/curation/roieditor.h"
#include "ui/datasetcontroller.h"
#include "ui/imageview.h"
#include "ui/mainwindow.h"
#include "ui/readingarea.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QTableWidget>
#include <QToolButton>
#include <QTreeWidget>
#include <QUndoGroup>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <sqlite3.h>

using namespace ms;
using namespace ms::ui;
namespace fs = std::filesystem;

namespace
{

std::map<std::string, std::string> folderHashes(const fs::path& root)
{
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file())
            out[fs::relative(e.path(), root).string()] = sha256File(e.path());
    return out;
}

void mouse(QWidget* w, QEvent::Type type, QPointF pos, Qt::MouseButton button, Qt::MouseButtons buttons, Qt::KeyboardModifiers mods = {})
{
    QMouseEvent e(type, pos, w->mapToGlobal(pos), button, buttons, mods);
    QApplication::sendEvent(w, &e);
}

} // namespace

class TestCuration : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString m_root;
    std::map<std::string, std::string> m_before;
    DatasetController* m_controller = nullptr;
    AppServices* m_services = nullptr;
    MainWindow* m_window = nullptr;

    CurationController* cur() const { return m_window->curation(); }
    CurationPanel* panel() const { return m_window->curationPanel(); }
    DatasetPtr eff() const { return cur()->effective(); }
    const dataset::Abnormality* byKey(const QString& key) const
    {
        for (const auto& a : eff()->abnormalities)
            if (QString::fromStdString(a.key) == key)
                return &a;
        return nullptr;
    }
    ImageView* viewOf(int imageIndex) const
    {
        for (auto* v : m_window->readingArea()->views())
            if (v->view() && v->view()->imageIndex == imageIndex)
                return v;
        return nullptr;
    }
    void showImage(int imageIndex)
    {
        m_window->selectImage(imageIndex);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->readingArea()->allLoaded() && viewOf(imageIndex), 20000);
        QCOMPARE(panel()->currentImage(), imageIndex);
    }
    int firstImageWithAbnormality() const
    {
        for (const auto& im : eff()->images)
            if (!im.abnormalities.empty() && !im.path.empty())
                return im.index;
        return -1;
    }

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("MammoScopeCurationTest"));
        QSettings().clear();
        CurationController::setReviewer(QStringLiteral("dr. tester"));
        qputenv("MAMMOSCOPE_ANNOTATIONS", (m_tmp.path() + QStringLiteral("/curation.sqlite")).toUtf8());
        synthio::WriteOptions o;
        o.patients = 6;
        o.synth.seed = 5;
        o.synth.width = 256;
        o.synth.height = 416;
        m_root = m_tmp.path() + QStringLiteral("/ds");
        QVERIFY(synthio::writeDataset(m_root.toStdString(), o).ok());
        m_before = folderHashes(m_root.toStdString());
        m_controller = new DatasetController;
        m_services = new AppServices(m_controller);
        m_window = new MainWindow(*m_services);
        // the window works with the services it was given (main is the composition root), it makes none of its own
        QCOMPARE(m_window->curation(), m_services->curation.get());
#ifdef MS_WITH_ML
        QCOMPARE(m_window->heatmaps(), m_services->heatmaps.get());
        QCOMPARE(m_window->inference(), m_services->inference.get());
#endif
        m_window->resize(1400, 900);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
        QSignalSpy shown(m_window, &MainWindow::datasetShown);
        m_controller->open(m_root);
        QVERIFY(shown.wait(60000));
        QTRY_VERIFY_WITH_TIMEOUT(m_window->readingArea()->allLoaded(), 20000);
        QVERIFY(cur()->writable());
    }
    void cleanupTestCase()
    {
        delete m_window;
        delete m_services;
        delete m_controller;
    }

    void attributeEditWithBadgeAndAudit()
    {
        const int image = firstImageWithAbnormality();
        QVERIFY(image >= 0);
        showImage(image);
        const QString key = panel()->currentKey();
        QVERIFY(!key.isEmpty());
        const std::string was = byKey(key)->pathology;
        const QString now = was == "MALIGNANT" ? QStringLiteral("BENIGN") : QStringLiteral("MALIGNANT");
        QComboBox* combo = panel()->editor(QStringLiteral("pathology"));
        QVERIFY(combo && combo->isEnabled());
        combo->setCurrentIndex(combo->findText(now));
        emit combo->activated(combo->currentIndex());
        QCOMPARE(QString::fromStdString(byKey(key)->pathology), now);
        QCOMPARE(QString::fromStdString(*cur()->store()->value(key.toStdString(), "pathology")), now);
        QCOMPARE(panel()->badge(QStringLiteral("pathology"))->text(), QStringLiteral("✎"));
        QVERIFY(panel()->badge(QStringLiteral("pathology"))->toolTip().contains(QString::fromStdString(was)));
        // the browser row follows without losing the selection
        auto* table = m_window->tableModel();
        QVERIFY(table->index(image, ImageTableModel::Pathology).data().toString().contains(now));
        // the audit names the reviewer and the dataset's value
        auto audit = cur()->store()->audit(key.toStdString());
        QCOMPARE(audit.size(), size_t(1));
        QCOMPARE(audit[0].user, std::string("dr. tester"));
        QCOMPARE(audit[0].oldValue, was);
        QVERIFY(panel()->auditTable()->rowCount() >= 1);
        // the case panel badges the corrected value and tells the dataset's on hover
        bool badged = false;
        QTreeWidget* findings = m_window->casePanel()->findings();
        for (int t = 0; t < findings->topLevelItemCount(); ++t)
            for (int c = 0; c < findings->topLevelItem(t)->childCount(); ++c) {
                QTreeWidgetItem* it = findings->topLevelItem(t)->child(c);
                if (it->text(0) == QStringLiteral("pathology") && it->text(1) == QStringLiteral("✎ ") + now)
                    badged = it->toolTip(1).contains(QString::fromStdString(was));
            }
        QVERIFY(badged);
        // two more edits of the same field merge into one undo step
        QUndoStack* stack = cur()->undoGroup()->activeStack();
        QVERIFY(stack);
        const int steps = stack->count();
        combo->setCurrentIndex(combo->findText(QStringLiteral("BENIGN_WITHOUT_CALLBACK")));
        emit combo->activated(combo->currentIndex());
        QCOMPARE(stack->count(), steps);
        stack->undo();
        QCOMPARE(byKey(key)->pathology, was);
        QVERIFY(!cur()->store()->value(key.toStdString(), "pathology"));
        QCOMPARE(panel()->badge(QStringLiteral("pathology"))->text(), QString());
        stack->redo();
        QCOMPARE(byKey(key)->pathology, std::string("BENIGN_WITHOUT_CALLBACK"));
    }

    void invalidValueRefusedWithMessage()
    {
        const QString key = panel()->currentKey();
        const int before = byKey(key)->assessment;
        const long long rows = cur()->store()->auditCount();
        QComboBox* combo = panel()->editor(QStringLiteral("assessment"));
        combo->lineEdit()->setText(QStringLiteral("7"));
        emit combo->lineEdit()->editingFinished();
        QVERIFY2(panel()->errorLabel()->text().contains(QStringLiteral("BI-RADS")), qPrintable(panel()->errorLabel()->text()));
        QCOMPARE(byKey(key)->assessment, before);
        QCOMPARE(cur()->store()->auditCount(), rows);
        QCOMPARE(combo->currentText(), QString::number(before)); // the editor shows the stored value again
    }

    // A brush stroke drawn with the mouse is one undo step; undo -> redo -> undo leaves the store as it was.
    void brushStrokeUndoRedo()
    {
        const int image = panel()->currentImage();
        const QString key = panel()->currentKey();
        ImageView* view = viewOf(image);
        QVERIFY(view);
        const auto snapBefore = cur()->store()->snapshot();
        const int steps = cur()->undoGroup()->activeStack()->count();
        auto original = annotations::roiMask(*byKey(key), 256, 416);
        QVERIFY(original.ok());

        QTest::mouseClick(panel()->toolButton(RoiEditor::Tool::Brush), Qt::LeftButton);
        QCOMPARE(m_window->roiEditor()->tool(), RoiEditor::Tool::Brush);
        m_window->roiEditor()->setBrushRadius(5);
        const ViewGeometry g = view->geometry();
        const QPointF a(30, 40), b(90, 40); // image pixels, a horizontal stroke
        mouse(view, QEvent::MouseButtonPress, g.toWidget(a), Qt::LeftButton, Qt::LeftButton);
        for (int k = 1; k <= 10; ++k)
            mouse(view, QEvent::MouseMove, g.toWidget(a + (b - a) * (k / 10.0)), Qt::NoButton, Qt::LeftButton);
        QVERIFY(m_window->roiEditor()->editing());
        mouse(view, QEvent::MouseButtonRelease, g.toWidget(b), Qt::LeftButton, Qt::NoButton);
        QVERIFY(!m_window->roiEditor()->editing());

        auto rle = cur()->store()->value(key.toStdString(), "roi");
        QVERIFY(rle);
        auto m = RleMask::fromString(*rle);
        QVERIFY(m.ok());
        QCOMPARE(m->width(), 256);
        for (double x = 31; x <= 89; x += 4)
            QVERIFY2(m->contains(int(x), 40), qPrintable(QString::number(x)));
        QVERIFY(!m->contains(60, 50) || original->contains(60, 50)); // 10 px below: outside a radius-5 brush
        QVERIFY(m->unite(*original) == *m); // the stroke added to the mask it started from
        QCOMPARE(cur()->undoGroup()->activeStack()->count(), steps + 1);
        // the reading view's outline follows
        bool outlined = false;
        for (const auto& roi : view->view()->rois)
            if (roi.abnormality == byKey(key)->index)
                outlined = roi.bounds.contains(QPointF(60, 40));
        QVERIFY(outlined);
        const auto snapAfter = cur()->store()->snapshot();

        QTest::keyClick(m_window, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(cur()->store()->snapshot(), snapBefore);
        auto back = annotations::roiMask(*byKey(key), 256, 416);
        QVERIFY(back.ok() && *back == *original);
        QTest::keyClick(m_window, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(cur()->store()->snapshot(), snapAfter);
        QTest::keyClick(m_window, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(cur()->store()->snapshot(), snapBefore);
        QVERIFY(cur()->store()->verify().ok());
    }

    // Add a missed lesion: "Add", then a polygon clicked on the image and closed with Enter.
    void polygonAddsAMissedLesion()
    {
        const int image = panel()->currentImage();
        ImageView* view = viewOf(image);
        const size_t count = eff()->abnormalities.size();
        panel()->addAbnormality();
        QVERIFY(panel()->currentKey().isEmpty());
        QTest::mouseClick(panel()->toolButton(RoiEditor::Tool::Polygon), Qt::LeftButton);
        QCOMPARE(m_window->roiEditor()->tool(), RoiEditor::Tool::Polygon);
        const ViewGeometry g = view->geometry();
        for (QPointF p : { QPointF(150, 200), QPointF(190, 200), QPointF(190, 240), QPointF(150, 240) }) {
            mouse(view, QEvent::MouseButtonPress, g.toWidget(p), Qt::LeftButton, Qt::LeftButton);
            mouse(view, QEvent::MouseButtonRelease, g.toWidget(p), Qt::LeftButton, Qt::NoButton);
        }
        QTest::keyClick(view, Qt::Key_Return);
        QCOMPARE(eff()->abnormalities.size(), count + 1);
        const QString key = panel()->currentKey();
        QVERIFY(!key.isEmpty());
        const auto* a = byKey(key);
        QVERIFY(a && a->added);
        QCOMPARE(a->image, image);
        auto m = annotations::roiMask(*a, 256, 416);
        QVERIFY(m.ok());
        QVERIFY(m->contains(170, 220));
        QVERIFY(!m->contains(120, 220));
        // its attributes are edited like any other's
        QComboBox* combo = panel()->editor(QStringLiteral("pathology"));
        combo->setCurrentIndex(combo->findText(QStringLiteral("MALIGNANT")));
        emit combo->activated(combo->currentIndex());
        QCOMPARE(byKey(key)->pathology, std::string("MALIGNANT"));
        QTest::keyClick(view, Qt::Key_Escape); // leave the tool
        QCOMPARE(m_window->roiEditor()->tool(), RoiEditor::Tool::None);
    }

    void deleteAndUndo()
    {
        const QString key = panel()->currentKey();
        QVERIFY(byKey(key));
        panel()->deleteAbnormality();
        QVERIFY(!byKey(key));
        cur()->undoGroup()->activeStack()->undo();
        QVERIFY(byKey(key));
    }

    // Y accepts (as "corrected": the image was changed) and moves to the next unreviewed image; X flags.
    void reviewWithTheKeyboard()
    {
        const int image = panel()->currentImage();
        auto progressBefore = annotations::reviewProgress(*eff());
        QTest::keyClick(m_window, Qt::Key_Y);
        QCOMPARE(eff()->images[size_t(image)].review, std::string("corrected"));
        QTRY_VERIFY(panel()->currentImage() != image);
        const int next = panel()->currentImage();
        QCOMPARE(eff()->images[size_t(next)].review, std::string("unreviewed"));
        panel()->comment()->setText(QStringLiteral("density looks wrong"));
        QTest::keyClick(m_window, Qt::Key_X);
        QCOMPARE(eff()->images[size_t(next)].review, std::string("flagged"));
        QCOMPARE(eff()->images[size_t(next)].reviewComment, std::string("density looks wrong"));
        auto p = annotations::reviewProgress(*eff());
        QCOMPARE(p.done(), progressBefore.done() + 2);
        QVERIFY(panel()->progressLabel()->text().startsWith(QString::number(p.done()) + QStringLiteral(" of ")));
        QTRY_VERIFY(panel()->currentImage() != next);
        // the browser shows the status
        QCOMPARE(m_window->tableModel()->index(next, ImageTableModel::Review).data().toString(), QStringLiteral("flagged"));
    }

    // Another instance holds the store's write lock: the edit is refused with a message and leaves nothing behind;
    // a change another instance saved shows up here.
    void secondInstance()
    {
        const int image = firstImageWithAbnormality();
        showImage(image);
        const QString key = panel()->currentKey();
        const std::string file = cur()->store()->path().string();
        const int steps = cur()->undoGroup()->activeStack()->count();
        sqlite3* other = nullptr;
        QCOMPARE(sqlite3_open(file.c_str(), &other), SQLITE_OK);
        QCOMPARE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
        QVERIFY(!cur()->setAttribute(key, QStringLiteral("subtlety"), QStringLiteral("1")));
        QVERIFY2(panel()->errorLabel()->text().contains(QStringLiteral("another MammoScope")), qPrintable(panel()->errorLabel()->text()));
        QCOMPARE(cur()->undoGroup()->activeStack()->count(), steps);
        QCOMPARE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(other);

        annotations::Store::Options o;
        o.datasetRoot = m_root.toStdString();
        auto second = annotations::Store::open(file, o);
        QVERIFY(second.ok());
        QVERIFY((*second)->set({ key.toStdString(), "subtlety", std::string("2"), "" }).ok());
        cur()->checkExternalChanges();
        QCOMPARE(byKey(key)->subtlety, 2);
    }

    // Twenty images as a curator works through them: for each, a label fixed with its editor and a brush stroke on
    // its ROI where it has an abnormality, then Y (accept and next). Prints the app's own time for the session.
    void twentyImagesWithKeyboardAndMouse()
    {
        QElapsedTimer t;
        t.start();
        int edited = 0, reviewed = 0;
        double slowest = 0;
        const long long rows0 = cur()->store()->auditCount();
        const int start = panel()->currentImage();
        QTest::keyClick(m_window, Qt::Key_N); // to the first unreviewed image
        QTRY_VERIFY(panel()->currentImage() != start);
        for (int n = 0; n < 20; ++n) {
            QElapsedTimer step;
            step.start();
            const int image = panel()->currentImage();
            QVERIFY(image >= 0);
            QTRY_VERIFY_WITH_TIMEOUT(m_window->readingArea()->allLoaded() && viewOf(image), 20000);
            if (!panel()->currentKey().isEmpty()) {
                QComboBox* combo = panel()->editor(QStringLiteral("subtlety"));
                const QString next = combo->currentText() == QStringLiteral("5") ? QStringLiteral("4") : QStringLiteral("5");
                combo->setCurrentIndex(combo->findText(next));
                emit combo->activated(combo->currentIndex());
                m_window->roiEditor()->setTool(RoiEditor::Tool::Brush);
                ImageView* view = viewOf(image);
                const ViewGeometry g = view->geometry();
                mouse(view, QEvent::MouseButtonPress, g.toWidget({ 100, 100 }), Qt::LeftButton, Qt::LeftButton);
                mouse(view, QEvent::MouseMove, g.toWidget({ 110, 104 }), Qt::NoButton, Qt::LeftButton);
                mouse(view, QEvent::MouseButtonRelease, g.toWidget({ 110, 104 }), Qt::LeftButton, Qt::NoButton);
                m_window->roiEditor()->setTool(RoiEditor::Tool::None);
                ++edited;
            }
            QCOMPARE(eff()->images[size_t(image)].review, std::string("unreviewed"));
            QTest::keyClick(m_window, Qt::Key_Y);
            QVERIFY(eff()->images[size_t(image)].review != "unreviewed");
            ++reviewed;
            slowest = std::max(slowest, step.nsecsElapsed() / 1e6);
            if (annotations::reviewProgress(*eff()).unreviewed == 0)
                break;
            QTRY_VERIFY(panel()->currentImage() != image);
        }
        QVERIFY(reviewed >= 15);
        QVERIFY(edited >= 4);
        QVERIFY2(cur()->store()->auditCount() >= rows0 + reviewed + 2 * edited,
            qPrintable(QStringLiteral("%1 audit rows added, %2 reviewed, %3 edited")
                           .arg(cur()->store()->auditCount() - rows0)
                           .arg(reviewed)
                           .arg(edited)));
        QVERIFY(cur()->store()->verify().ok());
        qInfo("%d images reviewed (%d with a label fix and a brush stroke) in %.1f s of app time; slowest image %.0f ms", reviewed, edited,
            t.nsecsElapsed() / 1e9, slowest);
    }

    void exportReindexesAndDatasetUntouched()
    {
        const QString out = m_tmp.path() + QStringLiteral("/export");
        QString message;
        QVERIFY(m_window->exportCorrected(out, QStringLiteral("cbis"), true, &message));
        QVERIFY2(message.contains(QStringLiteral("Exported")), qPrintable(message));
        dataset::OpenOptions oo;
        oo.useCache = false;
        auto re = dataset::open(out.toStdString(), oo);
        QVERIFY(re.ok());
        auto reEff = annotations::effective(*re, {});
        QCOMPARE(reEff.abnormalities.size(), eff()->abnormalities.size());
        for (const auto& a : eff()->abnormalities) {
            bool found = false;
            for (const auto& b : reEff.abnormalities)
                if (b.key == a.key) {
                    found = true;
                    QCOMPARE(b.pathology, a.pathology);
                    QCOMPARE(b.subtlety, a.subtlety);
                }
            QVERIFY2(found, a.key.c_str());
        }
        QVERIFY(fs::exists(out.toStdString() + "/audit.csv"));
        QVERIFY(folderHashes(m_root.toStdString()) == m_before);
    }

    // File ▸ Export as DICOM SEG, de-identified: the curated ROIs and the images in one folder that opens with the same
    // women, images and abnormalities (the corrected ones), no patient ID in any byte, the dataset untouched.
    void exportDeidentified()
    {
        qputenv("MAMMOSCOPE_DEID_KEY", "a test key for the curation export");
        const QString out = m_tmp.path() + QStringLiteral("/export-deid");
        QString message;
        QVERIFY(!m_window->exportCorrected(out, QStringLiteral("coco"), true, &message, true)); // only DICOM SEG de-identifies
        QVERIFY(!fs::exists(out.toStdString()));
        QVERIFY2(m_window->exportCorrected(out, QStringLiteral("dicom-seg"), true, &message, true), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("de-identified")), qPrintable(message));
        dataset::OpenOptions oo;
        oo.useCache = false;
        auto re = dataset::open(out.toStdString(), oo);
        QVERIFY(re.ok());
        size_t dicomImages = 0;
        for (const auto& im : eff()->images)
            dicomImages += im.path.size() > 4 && im.path.substr(im.path.size() - 4) == ".dcm";
        QCOMPARE(re->images.size(), dicomImages);
        QCOMPARE(re->patients.size(), eff()->patients.size());
        QCOMPARE(re->abnormalities.size(), eff()->abnormalities.size());
        for (const auto& e : fs::recursive_directory_iterator(out.toStdString())) {
            if (!e.is_regular_file())
                continue;
            std::ifstream in(e.path(), std::ios::binary);
            const std::string bytes((std::istreambuf_iterator<char>(in)), {});
            QVERIFY2(bytes.find("P_000") == std::string::npos, e.path().c_str());
        }
        QVERIFY(folderHashes(m_root.toStdString()) == m_before);
        qunsetenv("MAMMOSCOPE_DEID_KEY");
    }
};

QTEST_MAIN(TestCuration)
#include "test_curation.moc"

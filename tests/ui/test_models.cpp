// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/synthio/synthio.h"
#include "ui/datasetcontroller.h"
#include "ui/datasetmodels.h"

#include <QAbstractItemModelTester>
#include <QtTest>

using namespace ms;
using namespace ms::ui;

class TestModels : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;
    DatasetPtr m_ds;

private slots:
    void initTestCase()
    {
        synthio::WriteOptions o;
        o.patients = 6;
        o.synth.seed = 77;
        o.synth.width = 160;
        o.synth.height = 256;
        const std::string root = m_tmp.path().toStdString() + "/ds";
        QVERIFY(synthio::writeDataset(root, o).ok());
        DatasetController c;
        QSignalSpy opened(&c, &DatasetController::opened);
        c.open(QString::fromStdString(root));
        QVERIFY(opened.wait(60000));
        m_ds = c.dataset();
        QVERIFY(m_ds);
        QCOMPARE(m_ds->images.size(), size_t(24));
    }

    void treeModelIsConsistent()
    {
        DatasetTreeModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setDataset(m_ds);
        QCOMPARE(m.rowCount(), 6);
        QModelIndex p0 = m.index(0, 0);
        QCOMPARE(m.rowCount(p0), 4);
        QCOMPARE(m.data(p0).toString(), QStringLiteral("P_00001"));
        QModelIndex img = m.index(2, 0, p0);
        QCOMPARE(m.parent(img), p0);
        const int ii = img.data(ImageIndexRole).toInt();
        QCOMPARE(m.indexForImage(ii), img);
        m.setDataset(nullptr);
        QCOMPARE(m.rowCount(), 0);
    }

    void tableAndProxyAreConsistent()
    {
        ImageTableModel table;
        ImageFilterProxy proxy;
        proxy.setSourceModel(&table);
        QAbstractItemModelTester t1(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester t2(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        table.setDataset(m_ds);
        QCOMPARE(proxy.rowCount(), 24);
        proxy.sort(ImageTableModel::Patient, Qt::DescendingOrder);
        QCOMPARE(proxy.index(0, ImageTableModel::Patient).data().toString(), QStringLiteral("P_00006"));
    }

    void filters_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("pathology");
        QTest::addColumn<QString>("view");
        QTest::addColumn<QString>("text");
        QTest::newRow("masses") << "mass"
                                << ""
                                << ""
                                << "";
        QTest::newRow("calcifications") << "calcification"
                                        << ""
                                        << ""
                                        << "";
        QTest::newRow("normal") << "normal"
                                << ""
                                << ""
                                << "";
        QTest::newRow("malignant") << ""
                                   << "MALIGNANT"
                                   << ""
                                   << "";
        QTest::newRow("mlo") << ""
                             << ""
                             << "MLO"
                             << "";
        QTest::newRow("text P_00003") << ""
                                      << ""
                                      << ""
                                      << "p_00003";
    }
    void filters()
    {
        QFETCH(QString, type);
        QFETCH(QString, pathology);
        QFETCH(QString, view);
        QFETCH(QString, text);
        ImageTableModel table;
        ImageFilterProxy proxy;
        proxy.setSourceModel(&table);
        table.setDataset(m_ds);
        BrowserFilter f;
        f.type = type;
        f.pathology = pathology;
        f.view = view;
        f.text = text;
        proxy.setFilter(f);
        // Count the expected rows independently from the dataset.
        int expected = 0;
        for (const auto& im : m_ds->images) {
            bool ok = view.isEmpty() || QString::fromStdString(im.view) == view;
            if (!text.isEmpty())
                ok = ok && QString::fromStdString(im.patientId).contains(text, Qt::CaseInsensitive);
            if (type == QLatin1String("normal"))
                ok = ok && im.abnormalities.empty();
            else if (!type.isEmpty() || !pathology.isEmpty()) {
                bool any = false;
                for (int ai : im.abnormalities) {
                    const auto& a = m_ds->abnormalities[size_t(ai)];
                    any = any
                        || ((type.isEmpty() || QString::fromStdString(a.type) == type)
                            && (pathology.isEmpty() || QString::fromStdString(a.pathology) == pathology));
                }
                ok = ok && any;
            }
            expected += ok;
        }
        QCOMPARE(proxy.rowCount(), expected);
        for (int r = 0; r < proxy.rowCount(); ++r) {
            const auto& im = m_ds->images[size_t(proxy.index(r, 0).data(ImageIndexRole).toInt())];
            if (!view.isEmpty())
                QCOMPARE(QString::fromStdString(im.view), view);
        }
    }

    // A plain folder of real images: no ground truth, so the browser says so instead of "normal", the "normal" filter
    // finds none of them and the "no ground truth" filter all.
    void imagesWithoutGroundTruthAreNotNormal()
    {
        DatasetController c;
        QSignalSpy opened(&c, &DatasetController::opened);
        c.open(QStringLiteral(MS_REALDATA_DIR) + QStringLiteral("/ddsm-png"));
        QVERIFY(opened.wait(60000));
        DatasetPtr ds = c.dataset();
        QVERIFY(ds && !ds->images.empty());
        ImageTableModel table;
        ImageFilterProxy proxy;
        proxy.setSourceModel(&table);
        table.setDataset(ds);
        for (int r = 0; r < table.rowCount(); ++r)
            QCOMPARE(table.index(r, ImageTableModel::Type).data().toString(), QStringLiteral("no ground truth"));
        BrowserFilter f;
        f.type = QStringLiteral("normal");
        proxy.setFilter(f);
        QCOMPARE(proxy.rowCount(), 0);
        f.type = QStringLiteral("no ground truth");
        proxy.setFilter(f);
        QCOMPARE(proxy.rowCount(), int(ds->images.size()));
        DatasetTreeModel tree;
        tree.setDataset(ds);
        QCOMPARE(tree.index(0, 2).data().toString(), QStringLiteral("no ground truth"));
    }
};

QTEST_MAIN(TestModels)
#include "test_models.moc"

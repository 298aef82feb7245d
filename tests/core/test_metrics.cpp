// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/metrics.h"

#include <QtTest>

#include <cmath>

using namespace ms;

class TestMetrics : public QObject
{
    Q_OBJECT
private slots:
    void auc_data()
    {
        QTest::addColumn<QVector<double>>("scores");
        QTest::addColumn<QVector<int>>("labels");
        QTest::addColumn<double>("expected");
        QTest::newRow("perfect") << QVector<double> { 0.1, 0.2, 0.8, 0.9 } << QVector<int> { 0, 0, 1, 1 } << 1.0;
        QTest::newRow("inverted") << QVector<double> { 0.9, 0.8, 0.2, 0.1 } << QVector<int> { 0, 0, 1, 1 } << 0.0;
        QTest::newRow("all tied") << QVector<double> { 0.5, 0.5, 0.5, 0.5 } << QVector<int> { 0, 1, 0, 1 } << 0.5;
        QTest::newRow("one swap") << QVector<double> { 0.1, 0.4, 0.35, 0.8 } << QVector<int> { 0, 0, 1, 1 } << 0.75;
        QTest::newRow("partial tie") << QVector<double> { 0.2, 0.5, 0.5, 0.9 } << QVector<int> { 0, 0, 1, 1 } << 0.875;
    }
    void auc()
    {
        QFETCH(QVector<double>, scores);
        QFETCH(QVector<int>, labels);
        QFETCH(double, expected);
        std::vector<double> s(scores.begin(), scores.end());
        std::vector<bool> p;
        for (int l : labels)
            p.push_back(l == 1);
        QCOMPARE(metrics::rocAuc(s, p), expected);
        auto curve = metrics::rocCurve(s, p);
        QCOMPARE(curve.front().fpr, 0.0);
        QCOMPARE(curve.back().tpr, 1.0);
        QCOMPARE(curve.back().fpr, 1.0);
    }
    void aucUndefinedWithOneClass() { QVERIFY(std::isnan(metrics::rocAuc({ 0.1, 0.2 }, { true, true }))); }
    void report()
    {
        // Three classes; truth 0,0,1,1,2,2; predictions 0,1,1,1,2,0.
        std::vector<float> probs
            = { 0.8f, 0.1f, 0.1f, 0.3f, 0.6f, 0.1f, 0.1f, 0.8f, 0.1f, 0.2f, 0.7f, 0.1f, 0.1f, 0.1f, 0.8f, 0.5f, 0.2f, 0.3f };
        std::vector<int> labels = { 0, 0, 1, 1, 2, 2 };
        auto r = metrics::evaluate(probs, labels, { "BG", "BENIGN", "MALIGNANT" }, { 2 }, { 1 });
        QCOMPARE(r.samples, size_t(6));
        QCOMPARE(r.accuracy, 4.0 / 6.0);
        QCOMPARE(r.confusion[0][1], 1L);
        QCOMPARE(r.confusion[2][0], 1L);
        QCOMPARE(r.classes[1].precision, 2.0 / 3.0);
        QCOMPARE(r.classes[1].recall, 1.0);
        QCOMPARE(r.classes[2].precision, 1.0);
        QCOMPARE(r.classes[2].recall, 0.5);
        // Malignant vs benign over the four lesion samples: malignant scores 0.8/(0.8+0.1), 0.3/(0.3+0.2); benign
        // 0.1/(0.1+0.8), 0.1/(0.1+0.7): both malignant ones rank above both benign ones.
        QCOMPARE(r.malignantAuc, 1.0);
        // The probability given to the true class, per sample: 0.8, 0.3, 0.8, 0.7, 0.8, 0.3.
        const double expectedLoss = -(std::log(0.8) + std::log(0.3) + std::log(0.8) + std::log(0.7) + std::log(0.8) + std::log(0.3)) / 6;
        QVERIFY(std::abs(r.loss - expectedLoss) < 1e-6);
        auto j = r.toJson();
        QCOMPARE(j["confusion"].size(), size_t(3));
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "test_metrics.moc"

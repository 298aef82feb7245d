// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/heatmap.h"
#include "core/metrics/metrics.h"
#include "core/metrics/realism.h"

#include <QtTest>

#include <random>

#include <cmath>
#include <limits>

using namespace ms;

namespace
{
constexpr float kConnected = std::numeric_limits<float>::infinity(); // no peak stands out: connected regions
}

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
    // The realism measures: the power spectrum's slope (white noise is flat, smoothed noise steep), the breast's area
    // and histogram, and a classifier that separates what differs and cannot separate what does not.
    void realismMeasures()
    {
        std::mt19937_64 rng(3);
        std::normal_distribution<double> nd(0, 1);
        const int n = 64;
        std::vector<double> white(size_t(n) * n), smooth(size_t(n) * n, 0.0);
        for (auto& v : white)
            v = nd(rng);
        for (int y = 0; y < n; ++y)
            for (int x = 0; x < n; ++x) {
                double s = 0; // a 7x7 box average: power falls with frequency
                for (int dy = -3; dy <= 3; ++dy)
                    for (int dx = -3; dx <= 3; ++dx)
                        s += white[size_t((y + dy + n) % n) * n + size_t((x + dx + n) % n)];
                smooth[size_t(y) * n + size_t(x)] = s;
            }
        const double bw = metrics::spectrumSlope(white, n), bs = metrics::spectrumSlope(smooth, n);
        QVERIFY2(std::abs(bw) < 0.5, qPrintable(QString::number(bw)));
        QVERIFY2(bs > 2, qPrintable(QString::number(bs)));
        QVERIFY(std::isnan(metrics::spectrumSlope(white, 60))); // not a power of two
        // a half-disc breast of radius 100 px at 0.5 mm, textured, on black
        Gray8 g(300, 300, 0);
        for (int y = 0; y < 300; ++y)
            for (int x = 0; x < 300; ++x)
                if (std::hypot(x, y - 150) <= 100)
                    g.at(x, y) = uint8_t(100 + (x * 7 + y * 13) % 50);
        const auto f = metrics::realismFeatures(g, 0.5);
        QVERIFY(f.ok);
        QVERIFY(std::abs(f.areaMm2 - 3.14159265 * 100 * 100 / 2 * 0.25) < 0.02 * f.areaMm2);
        QVERIFY(std::abs(f.heightMm - 201 * 0.5) < 1.0);
        QVERIFY(f.p10 >= 100 && f.p90 < 150);
        QCOMPARE(int(metrics::RealismFeatures::names().size()), int(f.vector().size()));
        QVERIFY(!metrics::realismFeatures(Gray8(50, 50, 0), 0.5).ok);
        // separable classes: found; the same distribution twice: chance
        std::vector<std::vector<double>> x;
        std::vector<int> y;
        std::vector<std::string> groups;
        for (int i = 0; i < 200; ++i) {
            x.push_back({ nd(rng) + (i % 2 ? 3.0 : 0.0), nd(rng) });
            y.push_back(i % 2);
            groups.push_back(std::to_string(i / 2));
        }
        const auto sep = metrics::logisticCrossValidated(x, y, groups, 5, 1);
        QVERIFY2(sep.accuracy > 0.9 && sep.auc > 0.95, qPrintable(QString::number(sep.accuracy)));
        for (auto& v : x)
            v[0] = nd(rng);
        const auto same = metrics::logisticCrossValidated(x, y, groups, 5, 1);
        QVERIFY2(same.accuracy > 0.35 && same.accuracy < 0.65, qPrintable(QString::number(same.accuracy)));
        QCOMPARE(metrics::logisticCrossValidated({}, {}, {}, 5, 1).accuracy, -1.0);
    }
    void pearson()
    {
        QCOMPARE(metrics::pearson({ 1, 2, 3, 4 }, { 2, 4, 6, 8 }), 1.0);
        QCOMPARE(metrics::pearson({ 1, 2, 3, 4 }, { 8, 6, 4, 2 }), -1.0);
        // x = 1..4, y = 1, 3, 2, 4: cov 1.25 / (1.25)
        QCOMPARE(metrics::pearson({ 1, 2, 3, 4 }, { 1, 3, 2, 4 }), 0.8);
        QVERIFY(std::isnan(metrics::pearson({ 1, 2 }, { 1, 2 })));
        QVERIFY(std::isnan(metrics::pearson({ 1, 2, 3 }, { 5, 5, 5 })));
        QVERIFY(std::isnan(metrics::pearson({ 1, 2, 3 }, { 1, 2 })));
    }
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

    void detectionsFromAMap()
    {
        metrics::Heatmap m;
        m.width = 10;
        m.height = 8;
        m.values.assign(80, 0.f);
        m.values[1 * 10 + 1] = 0.6f; // blob 1: (1,1)-(2,2)
        m.values[1 * 10 + 2] = 0.7f;
        m.values[2 * 10 + 2] = 0.9f;
        m.values[6 * 10 + 8] = 0.95f; // blob 2: a single pixel
        // Infinite prominence: every connected region above the threshold is one candidate.
        auto d = metrics::detectPeaks(m, 0.5f, kConnected);
        QCOMPARE(d.size(), size_t(2));
        QCOMPARE(d[0].score, 0.95f);
        QCOMPARE(d[0].area, 1L);
        QCOMPARE(d[1].box, (Rect { 1, 1, 2, 2 }));
        QCOMPARE(d[1].peakX, 2);
        QCOMPARE(d[1].peakY, 2);
        QCOMPARE(metrics::detectPeaks(m, 0.5f, kConnected, 2).size(), size_t(1)); // minimum area
        // Pointing game.
        QCOMPARE(metrics::pointingGame(m, { RleMask::ellipse(10, 8, 8, 6, 1, 1) }), 1);
        QCOMPARE(metrics::pointingGame(m, { RleMask::ellipse(10, 8, 2, 2, 1, 1) }), 0);
        QCOMPARE(metrics::pointingGame(m, {}), -1);
    }
    // Two lesions bridged by suspicious tissue: one connected blob above the threshold, two peaks.
    void peaksSplitABridgedBlob()
    {
        metrics::Heatmap m;
        m.width = 9;
        m.height = 3;
        //                 x: 0    1    2    3    4    5    6    7    8
        const float row[] = { 0.f, 0.6f, 3.0f, 1.0f, 0.8f, 1.2f, 2.0f, 0.5f, 0.f };
        for (int y = 0; y < 3; ++y)
            for (float v : row)
                m.values.push_back(y == 1 ? v : 0.f);
        // As connected regions: one blob, its peak the stronger lesion.
        auto blob = metrics::detectPeaks(m, 0.4f, kConnected);
        QCOMPARE(blob.size(), size_t(1));
        QCOMPARE(blob[0].peakX, 2);
        // As peaks: the weaker lesion (2.0) rises 1.2 above the bridge's lowest point (0.8) where the basins meet.
        auto two = metrics::detectPeaks(m, 0.4f, 1.0f);
        QCOMPARE(two.size(), size_t(2));
        QCOMPARE(two[0].peakX, 2);
        QCOMPARE(two[0].score, 3.0f);
        QCOMPARE(two[1].peakX, 6);
        QCOMPARE(two[1].score, 2.0f);
        // The meeting cell (0.8) goes to the higher peak's basin: 0.6 .. 0.8, then 1.2 .. 0.5.
        QCOMPARE(two[0].box, (Rect { 1, 1, 4, 1 }));
        QCOMPARE(two[1].box, (Rect { 5, 1, 3, 1 }));
        QCOMPARE(two[0].area + two[1].area, 7L);
        // Boxes over the cells within `extent` of each peak: 3.0 alone; 2.0 with its 1.2 neighbour.
        auto tops = metrics::detectPeaks(m, 0.4f, 1.0f, 1, 1.0f);
        QCOMPARE(tops.size(), size_t(2));
        QCOMPARE(tops[0].box, (Rect { 2, 1, 1, 1 }));
        QCOMPARE(tops[0].area, 1L);
        QCOMPARE(tops[1].box, (Rect { 5, 1, 2, 1 }));
        QCOMPARE(tops[1].area, 2L);
        QCOMPARE(tops[1].peakX, 6);
        // Less prominent than asked: one region, as the connected blob.
        auto one = metrics::detectPeaks(m, 0.4f, 1.5f);
        QCOMPARE(one.size(), size_t(1));
        QCOMPARE(one[0].box, blob[0].box);
        QCOMPARE(one[0].area, blob[0].area);
        // The threshold still cuts.
        QCOMPARE(metrics::detectPeaks(m, 2.5f, 0.f).size(), size_t(1));
        QCOMPARE(metrics::detectPeaks(m, 5.f, 0.f).size(), size_t(0));
        QCOMPARE(metrics::detectPeaks(m, 0.4f, 1.0f, 5).size(), size_t(0)); // minimum area: the regions have 4 and 3 cells
    }
    // A plateau (equal values) is one region with its first cell as the peak, whatever the prominence.
    void peaksOnAPlateau()
    {
        metrics::Heatmap m;
        m.width = 4;
        m.height = 4;
        m.values.assign(16, 0.f);
        for (int i : { 5, 6, 9, 10 })
            m.values[size_t(i)] = 1.f;
        auto d = metrics::detectPeaks(m, 0.5f, 0.f);
        QCOMPARE(d.size(), size_t(1));
        QCOMPARE(d[0].peakX, 1);
        QCOMPARE(d[0].peakY, 1);
        QCOMPARE(d[0].area, 4L);
    }
    void logOddsRoundTrip_data()
    {
        QTest::addColumn<float>("p");
        QTest::addColumn<float>("logOdds");
        QTest::newRow("half") << 0.5f << 0.f;
        QTest::newRow("0.3") << 0.3f << float(std::log(0.3 / 0.7));
        QTest::newRow("0.99") << 0.99f << float(std::log(0.99 / 0.01));
        QTest::newRow("1e-6") << 1e-6f << float(std::log(1e-6 / (1 - 1e-6)));
    }
    void logOddsRoundTrip()
    {
        QFETCH(float, p);
        QFETCH(float, logOdds);
        QVERIFY(std::abs(metrics::logit(p) - logOdds) < 1e-4f);
        QVERIFY(std::abs(metrics::sigmoid(metrics::logit(p)) - p) < 1e-6f * std::max(1.f, p));
        QVERIFY(std::isfinite(metrics::logit(0.f)));
        QVERIFY(std::isfinite(metrics::logit(1.f)));
    }
    void frocByHand()
    {
        auto det = [](float score, int x, int y) {
            metrics::Detection d;
            d.score = score;
            d.peakX = x;
            d.peakY = y;
            return d;
        };
        metrics::FrocCase a, b;
        a.lesions = { RleMask::ellipse(20, 20, 5, 5, 2, 2) };
        a.detections = { det(0.9f, 5, 5), det(0.8f, 15, 15), det(0.7f, 5, 6) }; // the third finds A again: ignored
        b.lesions = { RleMask::ellipse(20, 20, 10, 10, 2, 2) };
        b.detections = { det(0.95f, 1, 1), det(0.5f, 10, 10) };
        auto f = metrics::froc({ a, b });
        QCOMPARE(f.size(), size_t(5));
        QCOMPARE(f[0].sensitivity, 0.0); // 0.25 FP/image: none allowed before the first hit
        QCOMPARE(f[1].sensitivity, 0.5); // 0.5 FP/image: A found after one false positive
        QCOMPARE(f[2].sensitivity, 1.0); // 1 FP/image: both
        QCOMPARE(f[4].sensitivity, 1.0);
    }

    // A lesion mask on a map's grid: every cell holding a lesion pixel, even a lesion smaller than a cell.
    void lesionOnTheGrid()
    {
        const RleMask big = RleMask::ellipse(160, 160, 80, 40, 20, 10); // x 60..100, y 30..50
        const RleMask g = metrics::toGrid(big, 10, 10, 16.0);
        QCOMPARE(g.width(), 10);
        QVERIFY(g.contains(5, 2)); // (80, 40) / 16
        QVERIFY(g.contains(3, 2)); // x 60 -> cell 3
        QVERIFY(!g.contains(2, 2));
        QVERIFY(!g.contains(5, 4)); // y 64 and below: no lesion
        const RleMask dot = RleMask::ellipse(160, 160, 150.5, 3.5, 1, 1);
        const RleMask gd = metrics::toGrid(dot, 10, 10, 16.0);
        QCOMPARE(gd.area(), uint64_t(1));
        QVERIFY(gd.contains(9, 0));
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "test_metrics.moc"

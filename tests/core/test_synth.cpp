// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dataset/dataset.h"
#include "core/dicom/dicom.h"
#include "core/synth/phantom.h"
#include "core/synthio/synthio.h"

#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace ms;
namespace fs = std::filesystem;

namespace
{

std::map<std::string, std::string> readTree(const fs::path& root)
{
    std::map<std::string, std::string> m;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file()) {
            std::ifstream f(e.path(), std::ios::binary);
            std::stringstream ss;
            ss << f.rdbuf();
            m[fs::relative(e.path(), root).string()] = ss.str();
        }
    return m;
}

double meanIn(const Image16& img, const RleMask& m)
{
    Gray8 g = m.toGray(1);
    double s = 0;
    size_t n = 0;
    for (size_t i = 0; i < g.pixels.size(); ++i)
        if (g.pixels[i]) {
            s += img.pixels[i];
            ++n;
        }
    return n ? s / double(n) : 0;
}

} // namespace

class TestSynth : public QObject
{
    Q_OBJECT
private slots:
    // anatomy 2 (closer to real mammograms): the same patients' lesions, breasts of varied and on average smaller size.
    void anatomyTwoKeepsTheLesions()
    {
        synth::Options a1, a2;
        a1.width = a2.width = 128;
        a1.height = a2.height = 208;
        a2.anatomy = 2;
        double area1 = 0, area2 = 0, minRatio = 10, maxRatio = 0;
        for (int i = 0; i < 12; ++i) {
            const auto p1 = synth::generatePatient(a1, i), p2 = synth::generatePatient(a2, i);
            QCOMPARE(p1.density, p2.density);
            QCOMPARE(p1.views.size(), p2.views.size());
            for (size_t v = 0; v < p1.views.size(); ++v) {
                QCOMPARE(p1.views[v].lesions.size(), p2.views[v].lesions.size());
                for (size_t l = 0; l < p1.views[v].lesions.size(); ++l)
                    QCOMPARE(QString::fromStdString(p1.views[v].lesions[l].spec.pathology),
                        QString::fromStdString(p2.views[v].lesions[l].spec.pathology));
            }
            const double r = double(p2.views[0].breast.area()) / double(p1.views[0].breast.area());
            minRatio = std::min(minRatio, r);
            maxRatio = std::max(maxRatio, r);
            area1 += double(p1.views[0].breast.area());
            area2 += double(p2.views[0].breast.area());
            QVERIFY(p1.views[0].image.pixels != p2.views[0].image.pixels);
        }
        QVERIFY(area2 < area1);
        QVERIFY2(maxRatio - minRatio > 0.2, qPrintable(QString("%1-%2").arg(minRatio).arg(maxRatio))); // sizes vary
    }
    void sameSeedSameBytes()
    {
        QTemporaryDir d;
        fs::path a = fs::path(d.path().toStdString()) / "a", b = fs::path(d.path().toStdString()) / "b",
                 c = fs::path(d.path().toStdString()) / "c";
        synthio::WriteOptions o;
        o.patients = 4;
        o.synth.seed = 42;
        o.synth.width = 192;
        o.synth.height = 320;
        o.threads = 2;
        QVERIFY(synthio::writeDataset(a, o).ok());
        o.threads = 1; // thread count must not matter
        QVERIFY(synthio::writeDataset(b, o).ok());
        o.synth.seed = 43;
        QVERIFY(synthio::writeDataset(c, o).ok());
        auto ta = readTree(a), tb = readTree(b), tc = readTree(c);
        QVERIFY(ta.size() > 16);
        QVERIFY(ta == tb);
        QVERIFY(ta != tc);
        // Refuses to write into a folder that holds data.
        auto again = synthio::writeDataset(a, o);
        QVERIFY(!again.ok());
        QVERIFY(again.error().message.find("not empty") != std::string::npos);
    }

    // --one-study: a woman's full mammograms are one study under her ID (as a PACS holds them); the CBIS-DDSM reader sees
    // the same dataset as without it.
    void oneStudyPerWoman()
    {
        QTemporaryDir d;
        const fs::path cbis = fs::path(d.path().toStdString()) / "cbis", pacs = fs::path(d.path().toStdString()) / "pacs";
        synthio::WriteOptions o;
        o.patients = 2;
        o.synth.seed = 8;
        o.synth.width = 160;
        o.synth.height = 256;
        QVERIFY(synthio::writeDataset(cbis, o).ok());
        o.oneStudyPerWoman = true;
        QVERIFY(synthio::writeDataset(pacs, o).ok());
        const auto a = dataset::open(cbis), b = dataset::open(pacs);
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(b->images.size(), a->images.size());
        QCOMPARE(b->abnormalities.size(), a->abnormalities.size());
        QCOMPARE(b->patients.size(), size_t(2));
        std::map<std::string, std::set<std::string>> studies, series; // woman -> UIDs of her full mammograms
        for (const auto& im : b->images) {
            const auto h = dicom::readHeader(im.path);
            QVERIFY(h.ok());
            QCOMPARE(h->patientId, im.patientId);
            studies[im.patientId].insert(h->studyUid);
            series[im.patientId].insert(h->seriesUid);
        }
        for (const auto& [woman, uids] : studies) {
            QCOMPARE(uids.size(), size_t(1));
            QCOMPARE(series[woman].size(), size_t(4));
        }
        QVERIFY(*studies.begin()->second.begin() != *studies.rbegin()->second.begin());
        for (const auto& im : a->images) // CBIS-DDSM's own form: one ID per image
            QVERIFY(dicom::readHeader(im.path)->patientId != im.patientId);
    }

    // Pathology is drawn first and morphology from it, as BI-RADS describes, with overlap.
    void morphologyPredictsPathology()
    {
        std::map<std::string, std::pair<int, int>> margin, calcType; // value -> (malignant, total)
        for (uint64_t i = 0; i < 6000; ++i) {
            auto m = synth::sampleLesion(i * 7919 + 1, synth::LesionType::Mass);
            auto& e = margin[m.margins];
            e.first += m.pathology == "MALIGNANT";
            ++e.second;
            auto c = synth::sampleLesion(i * 104729 + 3, synth::LesionType::Calcification);
            auto& t = calcType[c.calcType];
            t.first += c.pathology == "MALIGNANT";
            ++t.second;
        }
        auto rate = [](std::pair<int, int> p) { return double(p.first) / std::max(1, p.second); };
        QVERIFY(rate(margin["SPICULATED"]) > 0.75);
        QVERIFY(rate(margin["CIRCUMSCRIBED"]) < 0.25);
        QVERIFY(rate(margin["CIRCUMSCRIBED"]) > 0.0); // not a perfect cue
        QVERIFY(rate(calcType["FINE_LINEAR_BRANCHING"]) > 0.9);
        QVERIFY(rate(calcType["PLEOMORPHIC"]) > 0.6);
        QVERIFY(rate(calcType["VASCULAR"]) == 0.0);
        QVERIFY(rate(calcType["PUNCTATE"]) < 0.4);
    }

    // The best any reader can do from the drawn morphology: rank lesions by the likelihood ratio of their
    // (shape, margins) or (type, distribution). High enough for the synthetic benchmark's targets (AUC 0.95), short of
    // a perfect cue.
    void morphologyCeiling_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<double>("atLeast");
        QTest::newRow("mass") << int(synth::LesionType::Mass) << 0.97;
        QTest::newRow("calcification") << int(synth::LesionType::Calcification) << 0.98;
    }
    void morphologyCeiling()
    {
        QFETCH(int, type);
        QFETCH(double, atLeast);
        std::map<std::string, std::pair<double, double>> cells; // morphology -> (malignant, benign) counts
        double nMal = 0, nBen = 0;
        for (uint64_t i = 0; i < 40000; ++i) {
            auto s = synth::sampleLesion(i * 2654435761ull + 17, synth::LesionType(type));
            const std::string key = s.type == synth::LesionType::Mass ? s.shape + "/" + s.margins : s.calcType + "/" + s.calcDistribution;
            const bool mal = s.pathology == "MALIGNANT";
            (mal ? cells[key].first : cells[key].second) += 1;
            (mal ? nMal : nBen) += 1;
        }
        QVERIFY(nMal > 10000 && nBen > 10000);
        // AUC of the likelihood-ratio score: P(score(malignant) > score(benign)) + ties / 2.
        std::vector<std::pair<double, double>> mass; // (P(cell | malignant), P(cell | benign))
        for (const auto& [k, c] : cells)
            mass.emplace_back(c.first / nMal, c.second / nBen);
        double auc = 0;
        for (const auto& a : mass)
            for (const auto& b : mass) {
                const double ra = a.first / std::max(a.second, 1e-12), rb = b.first / std::max(b.second, 1e-12);
                auc += a.first * b.second * (ra > rb ? 1.0 : ra == rb ? 0.5 : 0.0);
            }
        qInfo("%s: %zu morphology cells, ceiling AUC %.4f", QTest::currentDataTag(), cells.size(), auc);
        QVERIFY2(auc >= atLeast, qPrintable(QString::number(auc)));
        QVERIFY2(auc < 0.999, "morphology must not give the pathology away");
    }

    void lesionsAreWhereTheirMasksAre()
    {
        synth::Options o;
        o.seed = 5;
        o.width = 384;
        o.height = 624;
        int masses = 0, calcs = 0;
        for (int p = 0; p < 12; ++p) {
            auto pc = synth::generatePatient(o, p);
            QCOMPARE(pc.views.size(), size_t(4));
            for (const auto& v : pc.views) {
                QCOMPARE(v.image.width, o.width);
                for (const auto& l : v.lesions) {
                    QVERIFY(!l.mask.empty());
                    QVERIFY(l.mask.intersect(v.breast).area() == l.mask.area()); // inside the breast
                    Rect bb = l.mask.boundingBox();
                    RleMask ring = RleMask::ellipse(o.width, o.height, bb.x + bb.w / 2.0, bb.y + bb.h / 2.0, bb.w * 1.2 + 6, bb.h * 1.2 + 6)
                                       .subtract(RleMask::ellipse(
                                           o.width, o.height, bb.x + bb.w / 2.0, bb.y + bb.h / 2.0, bb.w * 0.8 + 3, bb.h * 0.8 + 3))
                                       .intersect(v.breast);
                    if (ring.area() < 20)
                        continue;
                    if (l.spec.type == synth::LesionType::Mass) {
                        QVERIFY2(meanIn(v.image, l.mask) > meanIn(v.image, ring), "a mass is denser than its surroundings");
                        ++masses;
                    } else {
                        // Calcifications: the brightest pixel of the ROI stands out from the surrounding tissue.
                        Gray8 g = l.mask.toGray(1);
                        uint16_t peak = 0;
                        for (size_t i = 0; i < g.pixels.size(); ++i)
                            if (g.pixels[i])
                                peak = std::max(peak, v.image.pixels[i]);
                        QVERIFY(peak > meanIn(v.image, ring) + 3000);
                        ++calcs;
                    }
                }
            }
        }
        QVERIFY(masses > 0);
        QVERIFY(calcs > 0);
    }

    void anatomy()
    {
        synth::Options o;
        o.seed = 9;
        auto pc = synth::generatePatient(o, 0);
        for (const auto& v : pc.views) {
            const bool left = v.side == "LEFT";
            // The chest wall is at the left edge for LEFT breasts, at the right edge for RIGHT ones.
            int chestX = left ? 2 : o.width - 3, farX = left ? o.width - 3 : 2;
            QVERIFY(v.breast.contains(chestX, o.height / 2));
            QVERIFY(!v.breast.contains(farX, o.height / 2));
            // Air is dark, tissue is not.
            QVERIFY(v.image.at(farX, 5) < 6000);
            QVERIFY(v.image.at(chestX, o.height / 2) > 6000);
            if (v.view == "MLO") // the pectoral muscle fills the upper chest-wall corner
                QVERIFY(v.image.at(chestX, 10) > 15000);
        }
        QVERIFY(pc.views[2].image.at(o.width - 3, 10) > pc.views[0].image.at(o.width - 3, 10)); // R-MLO vs R-CC
    }

    void denserBreastsAreBrighter()
    {
        synth::Options o;
        o.width = 192;
        o.height = 320;
        double sum[5] = {}, n[5] = {};
        for (int p = 0; p < 60; ++p) {
            o.seed = 100;
            auto pc = synth::generatePatient(o, p);
            const auto& v = pc.views[0];
            sum[pc.density] += meanIn(v.image, v.breast);
            n[pc.density] += 1;
        }
        QVERIFY(n[1] > 0 && n[4] > 0);
        QVERIFY(sum[4] / n[4] > sum[1] / n[1]);
    }
};

QTEST_GUILESS_MAIN(TestSynth)
#include "test_synth.moc"

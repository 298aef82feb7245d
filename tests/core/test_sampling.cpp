// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/imageio/imageio.h"
#include "core/sampling/lesionmap.h"
#include "core/sampling/sampling.h"
#include "core/sampling/synthsource.h"
#include "core/sampling/tissue.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include <QtTest>

using namespace ms;

class TestSampling : public QObject
{
    Q_OBJECT
private slots:
    void patchesOverlapTheirLesionsAndBackgroundAvoidsThem()
    {
        // A 400x400 image: breast on the left 300 columns, a malignant mass and a benign calcification cluster.
        Image16 img(400, 400, 500);
        for (int y = 0; y < 400; ++y)
            for (int x = 0; x < 300; ++x)
                img.at(x, y) = uint16_t(20000 + (x * 13 + y * 7) % 3000);
        sampling::ImageInput in;
        in.image = &img;
        in.patient = "P_1";
        in.imageKey = "img";
        sampling::Lesion mass;
        mass.mask = RleMask::ellipse(400, 400, 100, 100, 20, 15);
        mass.malignant = true;
        mass.mass = true;
        sampling::Lesion calc;
        calc.mask = RleMask::ellipse(400, 400, 200, 300, 12, 12);
        calc.malignant = false;
        calc.mass = false;
        in.lesions = { mass, calc };
        sampling::Options opt;
        opt.size = 64;
        opt.lesionPatches = 5;
        opt.backgroundPatches = 6;
        opt.edgePatches = 3;
        auto set = sampling::makeSet(opt);
        sampling::sampleImage(in, opt, 42, set);
        int bg = 0, mm = 0, bc = 0, edge = 0;
        for (size_t i = 0; i < set.size(); ++i) {
            const auto& m = set.meta[i];
            const Rect patch { m.x, m.y, 64, 64 };
            auto overlaps = [&](const RleMask& k) {
                for (int y = patch.y; y < patch.y + patch.h; ++y)
                    for (int x = patch.x; x < patch.x + patch.w; ++x)
                        if (k.contains(x, y))
                            return true;
                return false;
            };
            if (m.label == 0) {
                QVERIFY(!overlaps(mass.mask) && !overlaps(calc.mask));
                const int breastColumns = std::clamp(300 - patch.x, 0, 64);
                if (m.id.find("#edge") != std::string::npos) {
                    ++edge; // across the breast's edge at x = 300: 30-85 % breast
                    QVERIFY2(breastColumns * 100 >= 64 * 28 && breastColumns * 100 <= 64 * 87, m.id.c_str());
                } else {
                    ++bg;
                    QVERIFY(patch.x < 300 - 16); // at least half in the breast
                }
            } else if (m.label == 4) {
                ++mm;
                QVERIFY(overlaps(mass.mask));
            } else if (m.label == 1) {
                ++bc;
                QVERIFY(overlaps(calc.mask));
            } else {
                QFAIL("unexpected label");
            }
        }
        QCOMPARE(mm, 5);
        QCOMPARE(bc, 5);
        QCOMPARE(bg, 6);
        QCOMPARE(edge, 3);
        QCOMPARE(set.width, 64);
    }
    void roiAndWhole()
    {
        Image16 img(300, 500, 30000);
        sampling::ImageInput in;
        in.image = &img;
        sampling::Lesion l;
        l.mask = RleMask::ellipse(300, 500, 150, 250, 30, 30);
        l.malignant = true;
        in.lesions = { l };
        sampling::Options o;
        o.task = sampling::Task::Roi;
        o.size = 32;
        auto roi = sampling::makeSet(o);
        sampling::sampleImage(in, o, 1, roi);
        QCOMPARE(roi.size(), size_t(1));
        QCOMPARE(roi.meta[0].label, 1);
        o.task = sampling::Task::Whole;
        o.wholeWidth = 60;
        o.wholeHeight = 100;
        auto whole = sampling::makeSet(o);
        sampling::sampleImage(in, o, 1, whole);
        QCOMPARE(whole.size(), size_t(1));
        QCOMPARE(whole.width, 60);
        QCOMPARE(whole.meta[0].label, 1);
    }
    // Lesion-map samples: the breast turned to the left, a lesion's pixels land where toSample puts them, and toSource
    // takes them back (the geometry the app uses to draw the map on the image). `gap`: air between the chest wall and
    // the image's edge (mini-MIAS films, CDD-CESM's padded squares), with a bright label tag and a film edge strip at
    // the other side: the chest wall still goes to the canvas's left edge (the old rule compared the image's outer
    // bands and turned 37 of the 314 mini-MIAS images the wrong way).
    void lesionMapGeometry_data()
    {
        QTest::addColumn<bool>("breastOnRight");
        QTest::addColumn<double>("pixelMm");
        QTest::addColumn<int>("gap");
        QTest::newRow("left, 0.2 mm") << false << 0.2 << 0;
        QTest::newRow("right, 0.2 mm") << true << 0.2 << 0;
        QTest::newRow("right, 0.1 mm") << true << 0.1 << 0;
        QTest::newRow("left, air at the chest wall") << false << 0.2 << 120;
        QTest::newRow("right, air at the chest wall") << true << 0.2 << 120;
    }
    void lesionMapGeometry()
    {
        QFETCH(bool, breastOnRight);
        QFETCH(double, pixelMm);
        QFETCH(int, gap);
        const int W = 800 + gap, H = 1000;
        Image16 img(W, H, 100);
        img.bitsStored = 12;
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                const int fromWall = (breastOnRight ? W - 1 - x : x) - gap;
                if (fromWall >= 0 && fromWall < 500 - std::abs(y - H / 2) / 3)
                    img.at(x, y) = uint16_t(2000 + (x * 7 + y * 3) % 200);
            }
        if (gap > 0) { // a label tag and a film edge on the nipple side, as bright as the breast's brightest tissue
            for (int y = 60; y < 160; ++y)
                for (int k = 40; k < 100; ++k)
                    img.at(breastOnRight ? k : W - 1 - k, y) = 2199;
            for (int y = 0; y < H; ++y)
                for (int k = 0; k < 12; ++k)
                    img.at(breastOnRight ? k : W - 1 - k, y) = 2199;
        }
        // a bright lesion, 40 px across, in the breast
        const int lx = breastOnRight ? W - 1 - gap - 150 : gap + 150, ly = 300;
        for (int y = ly - 20; y <= ly + 20; ++y)
            for (int x = lx - 20; x <= lx + 20; ++x)
                if ((x - lx) * (x - lx) + (y - ly) * (y - ly) <= 400)
                    img.at(x, y) = 4000;
        sampling::MapOptions opt;
        opt.targetMm = 0.8;
        opt.width = 160;
        opt.height = 256;
        sampling::MapGeometry g;
        const Gray8 s = sampling::mapSample(img, pixelMm, opt, &g);
        QCOMPARE(s.width, 160);
        QCOMPARE(s.height, 256);
        QCOMPARE(g.flipped, breastOnRight);
        // the reading view hangs the image by the same rule (the old one counted Otsu-bright pixels in the outer bands
        // and took the film edge strip for the chest wall)
        QCOMPARE(sampling::chestWallOnLeft(img), !breastOnRight);
        QVERIFY(std::abs(g.scale - pixelMm / 0.8) < 0.01);
        // the chest wall (breast tissue) is at the canvas's left edge, air at its right
        QVERIFY(s.at(1, 128) > s.at(s.width - 1 - int(g.scale * 50), 128));
        double wallX = 0, wallY = 0;
        g.toSample(breastOnRight ? W - gap : gap, H / 2, wallX, wallY);
        QVERIFY2(std::abs(wallX) <= 1.0, qPrintable(QString("the chest wall lands at x = %1").arg(wallX)));
        double sx = 0, sy = 0;
        g.toSample(lx, ly, sx, sy);
        QVERIFY(sx >= 0 && sx < s.width && sy >= 0 && sy < s.height);
        const int v = s.at(int(sx), int(sy));
        QVERIFY2(v >= 250, qPrintable(QString("lesion centre maps to (%1, %2) = %3").arg(sx).arg(sy).arg(v)));
        double bx = 0, by = 0;
        g.toSource(sx, sy, bx, by);
        QVERIFY(std::abs(bx - lx) < 1e-6 && std::abs(by - ly) < 1e-6);
        const auto c = sampling::circleToSample(g, lx, ly, 20, "CIRC", true);
        QVERIFY(std::abs(c.r - 20 * g.scale) < 1e-4);
        QVERIFY(sampling::isMassKind(c.kind) && !sampling::isMassKind("CALC"));
        const auto two = sampling::twoChannels(s, nullptr);
        QCOMPARE(two.size(), s.pixels.size() * 2);
        QVERIFY(std::equal(s.pixels.begin(), s.pixels.end(), two.begin() + long(s.pixels.size())));
    }

    // On real films (the 20 mini-MIAS images of ../shared/realdata/mias, 0.2 mm): the reading view's chest-wall side
    // is the lesion map's, and both breasts of a woman (mdbNNN, odd and even) face each other.
    void chestWallOnRealFilms()
    {
        const std::filesystem::path dir = std::filesystem::path(MS_REALDATA_DIR) / "mias";
        if (!std::filesystem::is_directory(dir))
            QSKIP("../shared/realdata/mias is not there");
        std::map<std::string, bool> left;
        for (const auto& e : std::filesystem::directory_iterator(dir)) {
            if (e.path().extension() != ".pgm")
                continue;
            auto img = imageio::read(e.path());
            QVERIFY2(img.ok(), e.path().c_str());
            sampling::MapGeometry g;
            (void)sampling::mapSample(*img, 0.2, sampling::MapOptions(), &g);
            const bool l = sampling::chestWallOnLeft(*img);
            QVERIFY2(l == !g.flipped, e.path().c_str());
            left[e.path().stem().string()] = l;
        }
        QVERIFY(left.size() >= 20);
        int pairs = 0;
        for (const auto& [name, l] : left) {
            const int n = std::stoi(name.substr(3));
            char partner[16];
            std::snprintf(partner, sizeof partner, "mdb%03d", n + 1);
            if (n % 2 == 1 && left.count(partner)) {
                ++pairs;
                QVERIFY2(l != left[partner], qPrintable(QString::fromStdString(name + " and " + partner + " face the same way")));
            }
        }
        QVERIFY(pairs >= 2);
    }

    // Tissue label maps: the DDSM convention's values and what lies between them, Dice, the density figures, the
    // breast kept whole, and a label map taken onto the model's canvas with the image.
    void tissueValues_data()
    {
        QTest::addColumn<int>("value");
        QTest::addColumn<int>("cls");
        QTest::newRow("0 outside the image") << 0 << 0;
        QTest::newRow("64") << 64 << 0;
        QTest::newRow("95 rounds down") << 95 << 0;
        QTest::newRow("97 rounds up") << 97 << 1;
        QTest::newRow("128") << 128 << 1;
        QTest::newRow("189 (JPEG)") << 189 << 2;
        QTest::newRow("192") << 192 << 2;
        QTest::newRow("230") << 230 << 3;
        QTest::newRow("255") << 255 << 3;
    }
    void tissueValues()
    {
        QFETCH(int, value);
        QFETCH(int, cls);
        QCOMPARE(sampling::tissueClassOfValue(value), cls);
        Gray8 g(1, 1, uint8_t(value));
        QCOMPARE(int(sampling::tissueClasses(g).pixels[0]), cls);
        QCOMPARE(int(sampling::tissueLabels(sampling::tissueClasses(g)).pixels[0]), int(sampling::tissueValue(cls)));
    }
    void tissueFigures()
    {
        // truth: 10x10, left 4 columns pectoral (rows 0-3) / fatty, middle dense, right 3 columns background
        Gray8 truth(10, 10, sampling::TissueFatty);
        for (int y = 0; y < 10; ++y)
            for (int x = 0; x < 10; ++x) {
                if (x >= 7)
                    truth.at(x, y) = sampling::TissueBackground;
                else if (x >= 4)
                    truth.at(x, y) = sampling::TissueDense;
                else if (y < 4)
                    truth.at(x, y) = sampling::TissuePectoral;
            }
        auto d = sampling::tissueDice(truth, truth);
        for (int c = 0; c < sampling::kTissueClasses; ++c)
            QCOMPARE(d.perClass[c], 1.0);
        QCOMPARE(d.breast, 1.0);
        // predicted: the pectoral muscle called fatty, one background column called dense
        Gray8 pred = truth;
        for (int y = 0; y < 4; ++y)
            for (int x = 0; x < 4; ++x)
                pred.at(x, y) = sampling::TissueFatty;
        for (int y = 0; y < 10; ++y)
            pred.at(7, y) = sampling::TissueDense;
        d = sampling::tissueDice(pred, truth);
        QCOMPARE(d.perClass[sampling::TissuePectoral], 0.0);
        QCOMPARE(d.perClass[sampling::TissueFatty], 2.0 * 24 / (40 + 24)); // truth fatty 24 px, predicted 40
        QCOMPARE(d.perClass[sampling::TissueDense], 2.0 * 30 / (40 + 30));
        QCOMPARE(d.perClass[sampling::TissueBackground], 2.0 * 20 / (20 + 30));
        QCOMPARE(d.breast, 2.0 * 70 / (80 + 70));
        // a class in neither map has no Dice; maps of different sizes have none at all
        Gray8 allFat(10, 10, sampling::TissueFatty);
        QCOMPARE(sampling::tissueDice(allFat, allFat).perClass[sampling::TissuePectoral], -1.0);
        QCOMPARE(sampling::tissueDice(allFat, Gray8(5, 5, 1)).breast, -1.0);
        // density: dense over fatty + dense, the pectoral muscle left out
        const auto st = sampling::tissueStats(truth);
        QCOMPARE(st.breastPixels(), 70LL);
        QCOMPARE(st.denseFraction(), 30.0 / 54.0);
        QCOMPARE(QString::fromStdString(sampling::densityQuartile(st.denseFraction())), QString("c"));
        QCOMPARE(QString::fromStdString(sampling::densityQuartile(0.249)), QString("a"));
        QCOMPARE(QString::fromStdString(sampling::densityQuartile(0.25)), QString("b"));
        QCOMPARE(QString::fromStdString(sampling::densityQuartile(0.75)), QString("d"));
        QCOMPARE(QString::fromStdString(sampling::densityQuartile(-1)), QString());
        QCOMPARE(sampling::tissueStats(Gray8(4, 4, 0)).denseFraction(), -1.0);
    }
    void keepLargestBreast()
    {
        Gray8 c(20, 20, sampling::TissueBackground);
        for (int y = 2; y < 18; ++y)
            for (int x = 0; x < 12; ++x)
                c.at(x, y) = sampling::TissueFatty;
        c.at(5, 9) = sampling::TissueBackground; // a hole in the breast
        c.at(6, 9) = sampling::TissueBackground;
        c.at(17, 1) = sampling::TissueDense; // the label tag: an island
        c.at(18, 1) = sampling::TissueDense;
        sampling::keepLargestBreast(c);
        QCOMPARE(int(c.at(5, 9)), int(sampling::TissueFatty));
        QCOMPARE(int(c.at(6, 9)), int(sampling::TissueFatty));
        QCOMPARE(int(c.at(17, 1)), int(sampling::TissueBackground));
        QCOMPARE(int(c.at(18, 1)), int(sampling::TissueBackground));
        QCOMPARE(sampling::tissueStats(c).breastPixels(), 16LL * 12);
        // the background touching the border stays background
        QCOMPARE(int(c.at(15, 10)), int(sampling::TissueBackground));
    }
    void tissueOnTheCanvas()
    {
        // a right breast (chest wall right), the pectoral muscle in its top-right corner
        const int W = 300, H = 600;
        Image16 img(W, H, 10);
        img.bitsStored = 12;
        Gray8 labels(W, H, sampling::TissueBackground);
        for (int y = 0; y < H; ++y)
            for (int x = 120; x < W; ++x) {
                img.at(x, y) = uint16_t(2000 + (x * 7 + y * 3) % 200);
                labels.at(x, y) = x > 240 && y < 100 ? sampling::TissuePectoral : sampling::TissueFatty;
            }
        sampling::MapGeometry g;
        const Gray8 s = sampling::mapSample(img, 0, sampling::tissueCanvas(128), &g);
        QCOMPARE(s.width, 128);
        QVERIFY(g.flipped);
        QCOMPARE(g.scale, 128.0 / 600.0);
        const Gray8 c = sampling::classesToSample(labels, g);
        QCOMPARE(c.width, 128);
        // the pectoral muscle lands top-left, beside the chest wall; the canvas past the image is background
        QCOMPARE(int(c.at(3, 3)), int(sampling::TissuePectoral));
        QCOMPARE(int(c.at(3, 100)), int(sampling::TissueFatty));
        QCOMPARE(int(c.at(127, 64)), int(sampling::TissueBackground));
        QCOMPARE(int(c.at(60, 64)), int(sampling::TissueBackground)); // the air beside the breast, mirrored
    }

    void splitsByPatientAreStable()
    {
        QCOMPARE(QString::fromStdString(sampling::splitFor("P_00001", true)), QStringLiteral("test"));
        int val = 0;
        for (int i = 0; i < 2000; ++i) {
            const std::string p = "P_" + std::to_string(i);
            QCOMPARE(sampling::splitFor(p, false), sampling::splitFor(p, false));
            val += sampling::splitFor(p, false) == "val";
        }
        QVERIFY(val > 220 && val < 380); // ~15 %
    }
    void synthSourceIsDeterministicAndBalanced()
    {
        sampling::SynthSpec spec;
        std::string err;
        QVERIFY(sampling::parseSynthSpec("synth:10:3:192x320", spec, err));
        QVERIFY(!sampling::parseSynthSpec("synth:x:3", spec, err));
        QVERIFY(err.find("PATIENTS") != std::string::npos);
        QVERIFY(sampling::parseSynthSpec("synth:10:3:192x320", spec, err));
        sampling::Options o;
        o.size = 48;
        auto a = sampling::sampleSynthetic(spec, o, 2);
        auto b = sampling::sampleSynthetic(spec, o, 1);
        size_t total = 0;
        for (const char* s : { "train", "val", "test" }) {
            QCOMPARE(a[s].pixels, b[s].pixels);
            total += a[s].size();
        }
        QVERIFY(total > 40);
        auto counts = a["train"].classCounts();
        QVERIFY(counts[0] > 0); // background
        long lesions = 0;
        for (size_t c = 1; c < counts.size(); ++c)
            lesions += counts[c];
        QVERIFY(lesions > 0);
    }
};

QTEST_GUILESS_MAIN(TestSampling)
#include "test_sampling.moc"

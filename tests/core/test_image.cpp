// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/image/components.h"
#include "core/image/image.h"
#include "core/image/mask.h"
#include "core/image/resample.h"
#include "core/image/window.h"

#include <QtTest>

#include <cmath>

using namespace ms;

class TestImage : public QObject
{
    Q_OBJECT
private slots:
    // Lesion masks with a stroke beside the lesion (CDD-CESM's re-released masks trace the breast's outline along the
    // skin: a bounding box of the whole mask then spans the breast): the open line goes, the regions stay; a closed
    // outline is a region; a mask of nothing but a line comes back whole.
    void withoutStrokes()
    {
        const int W = 300, H = 300;
        auto disk = [](Gray8& g, int cx, int cy, int r) {
            for (int y = cy - r; y <= cy + r; ++y)
                for (int x = cx - r; x <= cx + r; ++x)
                    if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
                        g.at(x, y) = 255;
        };
        auto arc = [](Gray8& g, int thick) { // a quarter circle of radius 250 about (0, 0), `thick` pixels wide
            long n = 0;
            for (int y = 0; y < 300; ++y)
                for (int x = 0; x < 300; ++x) {
                    const double d = std::hypot(double(x), double(y));
                    if (d >= 250 && d < 250 + thick) {
                        g.at(x, y) = 255;
                        ++n;
                    }
                }
            return n;
        };
        Gray8 g(W, H, 0);
        disk(g, 100, 100, 30);
        disk(g, 150, 60, 8); // a second, small lesion stays
        const long line = arc(g, 3);
        long long removed = -1;
        const RleMask clean = ms::withoutStrokes(RleMask::fromGray(g), &removed);
        QCOMPARE(removed, (long long)line);
        const Rect b = clean.boundingBox();
        QVERIFY2(b.x == 70 && b.y == 52 && b.x + b.w == 159 && b.y + b.h == 131,
            qPrintable(QString("%1 %2 %3 %4").arg(b.x).arg(b.y).arg(b.w).arg(b.h)));
        // a diagonal line one pixel wide (8-connected only) is one stroke, not many small regions
        Gray8 d(W, H, 0);
        disk(d, 200, 200, 20);
        for (int k = 10; k < 150; ++k)
            d.at(k, k / 2 + 5) = 255;
        QCOMPARE(ms::withoutStrokes(RleMask::fromGray(d)).boundingBox().x, 180);
        // a closed outline (a lesion drawn as its contour) is a region
        Gray8 ring(W, H, 0);
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                const double r = std::hypot(x - 150.0, y - 150.0);
                if (r >= 40 && r < 42)
                    ring.at(x, y) = 255;
            }
        disk(ring, 30, 30, 10);
        ms::withoutStrokes(RleMask::fromGray(ring), &removed);
        QCOMPARE(removed, 0LL);
        // large round and oval lesions keep their rims (an opening shaves bits off them, short or thick ones)
        for (int r : { 60, 120, 200 }) {
            Gray8 big(512, 512, 0);
            disk(big, 256, 256, r);
            for (int y = 0; y < 512; ++y)
                for (int x = 0; x < 512; ++x)
                    if ((x - 256) * (x - 256) / 9 + (y - 60) * (y - 60) <= 400)
                        big.at(x, y) = 255; // an oval 3:1 beside it
            ms::withoutStrokes(RleMask::fromGray(big), &removed);
            QCOMPARE(removed, 0LL);
        }
        // nothing but a line: whole
        Gray8 only(W, H, 0);
        arc(only, 2);
        const RleMask same = ms::withoutStrokes(RleMask::fromGray(only), &removed);
        QCOMPARE(removed, 0LL);
        QCOMPARE(same.toString(), RleMask::fromGray(only).toString());
    }
    void windowLinear_data()
    {
        QTest::addColumn<double>("center");
        QTest::addColumn<double>("width");
        QTest::addColumn<int>("value");
        QTest::addColumn<int>("expected");
        // DICOM PS3.3 C.11.2.1.2: below c-0.5-(w-1)/2 -> min, above c-0.5+(w-1)/2 -> max.
        QTest::newRow("full range low") << 2048.0 << 4096.0 << 0 << 0;
        QTest::newRow("full range high") << 2048.0 << 4096.0 << 4095 << 255;
        QTest::newRow("full range mid") << 2048.0 << 4096.0 << 2048 << 128;
        QTest::newRow("narrow below") << 1000.0 << 200.0 << 899 << 0;
        QTest::newRow("narrow above") << 1000.0 << 200.0 << 1100 << 255;
        QTest::newRow("narrow centre") << 1000.0 << 200.0 << 1000 << 128;
        QTest::newRow("width 1 threshold low") << 100.0 << 1.0 << 99 << 0;
        QTest::newRow("width 1 threshold high") << 100.0 << 1.0 << 100 << 255;
    }
    void windowLinear()
    {
        QFETCH(double, center);
        QFETCH(double, width);
        QFETCH(int, value);
        QFETCH(int, expected);
        Image16 img(1, 1, uint16_t(value));
        img.bitsStored = 12;
        Gray8 g = renderWindow(img, { center, width });
        QCOMPARE(int(g.at(0, 0)), expected);
    }
    void monochrome1IsInverted()
    {
        Image16 img(2, 1);
        img.pixels = { 0, 4095 };
        img.bitsStored = 12;
        img.photometric = Photometric::Monochrome1;
        Gray8 g = renderWindow(img, { 2048, 4096 });
        QCOMPARE(int(g.at(0, 0)), 255); // low values are bright in MONOCHROME1
        QCOMPARE(int(g.at(1, 0)), 0);
        Gray8 inv = renderWindow(img, { 2048, 4096 }, true); // the user's invert undoes it
        QCOMPARE(int(inv.at(0, 0)), 0);
    }
    void rescaleAppliesBeforeWindow()
    {
        // Signed CT-like data: stored = value + 1024, intercept -1024; window in modality units.
        Image16 img(1, 1, uint16_t(1024 + 40));
        img.intercept = -1024;
        QCOMPARE(int(renderWindow(img, { 40, 400 }).at(0, 0)), 128);
    }
    void voiLutTable()
    {
        Image16 img(3, 1);
        img.pixels = { 10, 11, 12 };
        VoiLut lut;
        lut.firstMapped = 10;
        lut.bits = 8;
        lut.data = { 0, 128, 255 };
        Gray8 g = applyLut(img, buildVoiLut(img, lut));
        QCOMPARE(int(g.at(0, 0)), 0);
        QCOMPARE(int(g.at(1, 0)), 128);
        QCOMPARE(int(g.at(2, 0)), 255);
    }
    // The per-pixel passes run on several threads for large images: the answers must not depend on it.
    void threadedPassesEqualSerial()
    {
        Image16 img(1500, 2600);
        uint32_t x = 12345;
        for (auto& v : img.pixels) {
            x = x * 1664525u + 1013904223u;
            v = uint16_t((x >> 16) % 4096);
        }
        for (int y = 0; y < img.height; ++y) // a dark background band, as mammograms have
            for (int c = 0; c < 300; ++c)
                img.at(c, y) = uint16_t(img.at(c, y) % 40);
        img.bitsStored = 12;
        setPixelThreads(1);
        const WindowLevel w1 = autoWindow(img);
        const uint16_t t1 = otsuThreshold(img);
        const Gray8 g1 = renderWindow(img, w1);
        for (int threads : { 2, 3, 8, 16 }) {
            setPixelThreads(threads);
            const WindowLevel wn = autoWindow(img);
            QCOMPARE(wn.center, w1.center);
            QCOMPARE(wn.width, w1.width);
            QCOMPARE(otsuThreshold(img), t1);
            QVERIFY(renderWindow(img, wn).pixels == g1.pixels);
        }
        setPixelThreads(0);
    }

    void autoWindowIgnoresBackground()
    {
        // 70 % background at 100, tissue spread 20000..30000: the window must cover the tissue, not the background.
        Image16 img(100, 100, 100);
        for (int y = 0; y < 30; ++y)
            for (int x = 0; x < 100; ++x)
                img.at(x, y) = uint16_t(20000 + (x * 100 + y * 7) % 10000);
        WindowLevel w = autoWindow(img);
        QVERIFY(w.center - w.width / 2 > 15000);
        QVERIFY(w.center + w.width / 2 < 31000);
    }
    void halveAndResize()
    {
        Image16 img(4, 2);
        img.pixels = { 0, 4, 8, 12, 0, 4, 8, 12 };
        img.spacingX = img.spacingY = 0.1;
        Image16 h = halve(img);
        QCOMPARE(h.width, 2);
        QCOMPARE(h.height, 1);
        QCOMPARE(int(h.at(0, 0)), 2);
        QCOMPARE(int(h.at(1, 0)), 10);
        QCOMPARE(h.spacingX, 0.2);
        Image16 r = resize(img, 2, 1); // area average equals halve here
        QCOMPARE(r.pixels, h.pixels);
        Image16 up = resize(img, 8, 4);
        QCOMPARE(up.width, 8);
        QCOMPARE(int(up.at(0, 0)), 0);
        QCOMPARE(int(up.at(7, 3)), 12);
    }
    void pyramidLevels()
    {
        auto img = std::make_shared<const Image16>(1000, 600, 7);
        Pyramid p = buildPyramid(img, 256);
        QCOMPARE(int(p.levels.size()), 3); // 1000, 500, 250
        int level = -1;
        p.levelFor(0.3, &level);
        QCOMPARE(level, 1); // 0.5 >= 0.3 but 0.25 < 0.3
        p.levelFor(1.0, &level);
        QCOMPARE(level, 0);
        p.levelFor(0.01, &level);
        QCOMPARE(level, 2);
    }
    void rleRoundTrip()
    {
        RleMask e = RleMask::ellipse(64, 48, 30, 20, 10, 6);
        QVERIFY(e.area() > 150 && e.area() < 230); // pi*10*6 = 188
        Rect bb = e.boundingBox();
        QCOMPARE(bb.x, 20);
        QCOMPARE(bb.w, 21);
        auto back = RleMask::fromString(e.toString());
        QVERIFY(back.ok());
        QVERIFY(*back == e);
        QVERIFY(e.contains(30, 20));
        QVERIFY(!e.contains(0, 0));
        Gray8 g = e.toGray();
        QVERIFY(RleMask::fromGray(g) == e);
        QCOMPARE(e.flippedHorizontal().flippedHorizontal(), e);
    }
    void rleSetOperations()
    {
        RleMask a = RleMask::ellipse(50, 50, 20, 25, 10, 10), b = RleMask::ellipse(50, 50, 30, 25, 10, 10);
        QVERIFY(a.unite(b).area() > a.area());
        QVERIFY(a.intersect(b).area() < a.area());
        QCOMPARE(a.subtract(b).area() + a.intersect(b).area(), a.area());
        // A ring's hole is filled.
        RleMask ring = RleMask::ellipse(50, 50, 25, 25, 15, 15).subtract(RleMask::ellipse(50, 50, 25, 25, 7, 7));
        QCOMPARE(ring.fillHoles(), RleMask::ellipse(50, 50, 25, 25, 15, 15));
        RleMask poly = RleMask::polygon(20, 20, { { 2, 2 }, { 12, 2 }, { 12, 12 }, { 2, 12 } });
        QCOMPARE(poly.area(), uint64_t(100));
    }
    void rleParseErrors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("runs do not cover") << "4 4 3 2";
        QTest::newRow("letters") << "4 4 x";
        QTest::newRow("negative size") << "-1 4 4";
        // a negative run wraps to 2^64 - 1 when read as unsigned, and the wrapped sum equals 16 (#18 item 3)
        QTest::newRow("negative run") << "4 4 0 -1 17";
        QTest::newRow("plus sign") << "4 4 +16";
        QTest::newRow("run longer than the image") << "4 4 0 18446744073709551615 17";
        QTest::newRow("huge digits") << "4 4 000000000000000016";
        QTest::newRow("decimal") << "4 4 15.5 0.5";
        QTest::newRow("glued letters") << "4 4 16x";
        QTest::newRow("empty") << "";
        QTest::newRow("10^10 pixels") << "100000 100000 0 1 9999999999";
    }
    void rleParseErrors()
    {
        QFETCH(QString, text);
        QVERIFY(!RleMask::fromString(text.toStdString()).ok());
    }
    void rleParsesItsOwnForm()
    {
        auto m = RleMask::fromString(" 4 4\t0 5 11 ");
        QVERIFY(m.ok());
        QCOMPARE(m->area(), uint64_t(5));
        auto e = RleMask::fromString("0 0");
        QVERIFY(e.ok() && e->empty());
    }
    void cropAndFlip()
    {
        Image16 img(3, 2);
        img.pixels = { 1, 2, 3, 4, 5, 6 };
        Image16 c = img.crop(1, 0, 5, 5); // clamped
        QCOMPARE(c.width, 2);
        QCOMPARE(c.height, 2);
        QCOMPARE(int(c.at(0, 1)), 5);
        img.flipHorizontal();
        QCOMPARE(int(img.at(0, 0)), 3);
        QCOMPARE(int(img.at(2, 1)), 4);
    }
};

QTEST_GUILESS_MAIN(TestImage)
#include "test_image.moc"

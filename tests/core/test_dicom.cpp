// SPDX-License-Identifier: GPL-3.0-or-later
// Every DICOM file in ../shared/realdata decodes to an image or fails with a message naming the file and the reason.
#include "core/common/paths.h"
#include "core/dicom/dicom.h"
#include "core/dicom/j2k.h"
#include "core/dicom/jpegll.h"
#include "core/dicom/nesting.h"
#include "core/image/window.h"

#include <QtTest>

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

using namespace ms;
namespace fs = std::filesystem;

namespace
{

const fs::path kData = MS_REALDATA_DIR;

struct Expect {
    int width = 0, height = 0; // 0: an error is expected
    const char* error = ""; // substring of the message
    const char* photometric = "MONOCHROME2";
};

const std::map<std::string, Expect>& expectations()
{
    static const std::map<std::string, Expect> m = {
        { "MG-Im-GE-SenDS-scaled.dcm", { 4, 4, "", "MONOCHROME1" } },
        { "MG-Im-GE_Seno_1_ForPresentation.dcm", { 2, 1, "", "MONOCHROME2" } },
        { "MG-Im-GE_Seno_1_ForProcessing.dcm", { 2, 1, "", "MONOCHROME1" } },
        { "MG-Im-Hologic-PropProj.dcm", { 0, 0, "truncated or damaged" } },
        { "MG-RDSR-Hologic_2D.dcm", { 0, 0, "contains no image" } },
        { "CT_small.dcm", { 128, 128 } },
        { "DX-Im-GE_XR220-1.dcm", { 2, 2, "", "MONOCHROME1" } },
        { "J2K_pixelrep_mismatch.dcm", { 512, 512 } },
        { "JPEG-LL.dcm", { 256, 1024 } },
        { "JPEG-lossy.dcm", { 256, 1024 } },
        { "JPEG2000-embedded-sequence-delimiter.dcm", { 0, 0, "JPEG 2000 header cannot be read" } },
        { "JPEG2KLossless_1s_1f_u_16_16.dcm", { 1420, 1416 } },
        { "JPEGLossless_1s_1f_i_16_16_bad.dcm", { 512, 512 } },
        { "MR_small.dcm", { 64, 64 } },
        { "MR_small_RLE.dcm", { 64, 64 } },
        { "MR_small_bigendian.dcm", { 64, 64 } },
        { "MR_small_jpeg_ls_lossless.dcm", { 64, 64 } },
        { "MR_truncated.dcm", { 0, 0, "truncated" } },
        { "RG3_J2KR.dcm", { 1760, 1760, "", "MONOCHROME1" } },
        { "badVR.dcm", { 0, 0, "Bits Allocated 32" } },
        { "bad_sequence.dcm", { 512, 512 } },
        { "emri_small.dcm", { 64, 64 } },
        { "emri_small_RLE.dcm", { 64, 64 } },
        { "emri_small_jpeg_2k_lossless_too_short.dcm", { 0, 0, "truncated or damaged" } },
        { "image_dfl.dcm", { 512, 512 } },
        { "meta_missing_tsyntax.dcm", { 0, 0, "contains no image" } },
        { "mlut_18.dcm", { 512, 512 } },
        { "no_meta.dcm", { 128, 128 } },
        { "rtplan_truncated.dcm", { 0, 0, "not a DICOM file" } },
        { "vlut_04.dcm", { 512, 512 } },
    };
    return m;
}

// A data set whose sequences nest `depth` levels deep (each level one item holding the next sequence), with a SOP Class
// UID first: explicit or implicit VR Little Endian, undefined or (implicit VR, a dictionary SQ tag) defined lengths.
std::string nestedDataSet(int depth, bool explicitVr, bool definedLengths)
{
    auto le16 = [](std::string& o, uint16_t v) { o.push_back(char(v & 0xFF)), o.push_back(char(v >> 8)); };
    auto le32 = [&](std::string& o, uint32_t v) { le16(o, uint16_t(v & 0xFFFF)), le16(o, uint16_t(v >> 16)); };
    std::string ds;
    const std::string sop = "1.2.840.10008.5.1.4.1.1.7"; // 26 bytes with the padding NUL
    le16(ds, 0x0008), le16(ds, 0x0016);
    if (explicitVr)
        ds += "UI", le16(ds, 26);
    else
        le32(ds, 26);
    ds += sop + std::string(1, '\0');
    // (0008,1115) Referenced Series Sequence, an SQ in the dictionary; headers top-down (lengths known in advance),
    // then the delimiters of undefined lengths bottom-up
    const uint32_t seqHeader = explicitVr ? 12 : 8, itemHeader = 8;
    auto seqSize = [&](int levels) { return uint32_t(levels) * (seqHeader + itemHeader); }; // defined lengths
    for (int d = depth; d >= 1; --d) {
        le16(ds, 0x0008), le16(ds, 0x1115);
        if (explicitVr)
            ds += "SQ", le16(ds, 0);
        le32(ds, definedLengths ? itemHeader + seqSize(d - 1) : 0xFFFFFFFFu);
        le16(ds, 0xFFFE), le16(ds, 0xE000), le32(ds, definedLengths ? seqSize(d - 1) : 0xFFFFFFFFu);
    }
    if (!definedLengths)
        for (int d = 0; d < depth; ++d) {
            le16(ds, 0xFFFE), le16(ds, 0xE00D), le32(ds, 0);
            le16(ds, 0xFFFE), le16(ds, 0xE0DD), le32(ds, 0);
        }
    return ds;
}

// With a Part 10 header naming the transfer syntax (explicit VR Little Endian, or deflated explicit VR).
std::string withMetaHeader(const std::string& dataSet, const std::string& ts)
{
    auto le16 = [](std::string& o, uint16_t v) { o.push_back(char(v & 0xFF)), o.push_back(char(v >> 8)); };
    std::string tsv = ts;
    if (tsv.size() & 1)
        tsv.push_back('\0');
    std::string meta;
    le16(meta, 0x0002), le16(meta, 0x0010), meta += "UI", le16(meta, uint16_t(tsv.size())), meta += tsv;
    std::string group;
    le16(group, 0x0002), le16(group, 0x0000), group += "UL", le16(group, 4);
    const uint32_t n = uint32_t(meta.size());
    group.push_back(char(n & 0xFF)), group.push_back(char(n >> 8 & 0xFF)), group.push_back(char(n >> 16 & 0xFF)),
        group.push_back(char(n >> 24));
    return std::string(128, '\0') + "DICM" + group + meta + dataSet;
}
} // namespace

class TestDicom : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { QVERIFY2(fs::is_directory(kData / "dicom"), "../shared/realdata/dicom is missing"); }

    void everyRealFile_data()
    {
        QTest::addColumn<QString>("path");
        int n = 0;
        for (const char* sub : { "mg", "robustness" })
            for (const auto& e : fs::directory_iterator(kData / "dicom" / sub))
                if (e.path().extension() == ".dcm") {
                    QTest::newRow(e.path().filename().c_str()) << QString::fromStdString(e.path().string());
                    ++n;
                }
        QVERIFY(n >= 30);
    }
    void everyRealFile()
    {
        QFETCH(QString, path);
        const fs::path p = path.toStdString();
        auto it = expectations().find(p.filename().string());
        QVERIFY2(it != expectations().end(), "a new file in realdata/dicom: add its expectation");
        const Expect& ex = it->second;
        auto r = dicom::read(p);
        if (ex.width == 0) {
            QVERIFY2(!r.ok(), "expected an error");
            QCOMPARE(QString::fromStdString(r.error().file), path);
            QVERIFY2(r.error().message.find(ex.error) != std::string::npos, r.error().message.c_str());
            QVERIFY(r.error().toString().find(p.filename().string()) != std::string::npos);
        } else {
            QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
            QCOMPARE(r->image.width, ex.width);
            QCOMPARE(r->image.height, ex.height);
            QCOMPARE(int(r->image.pixels.size()), ex.width * ex.height);
            QCOMPARE(r->image.photometric == Photometric::Monochrome1 ? QStringLiteral("MONOCHROME1") : QStringLiteral("MONOCHROME2"),
                QString(ex.photometric));
            // A header-only read agrees on the size.
            auto h = dicom::readHeader(p);
            QVERIFY(h.ok());
            QCOMPARE(h->rows, ex.height);
            QCOMPARE(h->columns, ex.width);
        }
    }

    // The same MR image in five transfer syntaxes decodes to identical modality values.
    void codecsAgree()
    {
        auto ref = dicom::read(kData / "dicom/robustness/MR_small.dcm");
        QVERIFY(ref.ok());
        for (const char* f : { "MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_jpeg_ls_lossless.dcm" }) {
            auto r = dicom::read(kData / "dicom/robustness" / f);
            QVERIFY2(r.ok(), f);
            QCOMPARE(r->image.width, ref->image.width);
            for (size_t i = 0; i < ref->image.size(); ++i)
                QCOMPARE(r->image.modality(r->image.pixels[i]), ref->image.modality(ref->image.pixels[i]));
        }
        // Signed data: the modality range matches the known MR_small range.
        QCOMPARE(ref->image.modality(ref->image.minValue()), 127.0);
        QCOMPARE(ref->image.modality(ref->image.maxValue()), 2145.0);
        QCOMPARE(ref->image.windows.size(), size_t(1));
        QCOMPARE(ref->image.windows[0].center, 600.0);
        QCOMPARE(ref->image.windows[0].width, 1600.0);
    }
    void signedCtRescale()
    {
        auto r = dicom::read(kData / "dicom/robustness/CT_small.dcm");
        QVERIFY(r.ok());
        // CT_small holds signed values with rescale intercept -1024: air near -1000 HU.
        QVERIFY(r->image.modality(r->image.minValue()) < -800);
    }
    void mammographyHeader()
    {
        auto r = dicom::read(kData / "dicom/mg/MG-Im-GE_Seno_1_ForPresentation.dcm", { true });
        QVERIFY(r.ok());
        const auto& h = r->header;
        QCOMPARE(QString::fromStdString(h.modality), QStringLiteral("MG"));
        QCOMPARE(QString::fromStdString(h.laterality), QStringLiteral("L"));
        QCOMPARE(QString::fromStdString(h.view), QStringLiteral("CC"));
        QVERIFY(h.spacingX > 0);
        QCOMPARE(r->image.windows.size(), size_t(3)); // multi-valued Window Center/Width: every value a preset
        QCOMPARE(r->image.windows[2].width, 500.0);
        QVERIFY(!r->image.voiLuts.empty());
        QVERIFY(!r->tags.empty());
        bool nameHidden = false;
        for (const auto& t : r->tags)
            if (t.tag == "(0010,0010)")
                nameHidden = t.identifying;
        QVERIFY(nameHidden);
    }
    void modalityLut()
    {
        auto r = dicom::read(kData / "dicom/robustness/mlut_18.dcm");
        QVERIFY(r.ok());
        QCOMPARE(r->image.slope, 1.0);
        QVERIFY(r->image.maxValue() > 4095); // the LUT maps 12-bit signed input to a 16-bit output range
    }
    void multiFrameGivesFirstFrame()
    {
        auto r = dicom::read(kData / "dicom/robustness/emri_small.dcm");
        QVERIFY(r.ok());
        QCOMPARE(r->header.frames, 10);
        auto rle = dicom::read(kData / "dicom/robustness/emri_small_RLE.dcm");
        QVERIFY(rle.ok());
        QCOMPARE(rle->image.pixels, r->image.pixels);
    }
    void writeReadRoundTrip_data()
    {
        QTest::addColumn<int>("compression");
        QTest::addColumn<int>("bits");
        QTest::newRow("uncompressed 16") << int(dicom::Compression::None) << 16;
        QTest::newRow("jpeg lossless 16") << int(dicom::Compression::JpegLossless) << 16;
        QTest::newRow("rle 16") << int(dicom::Compression::Rle) << 16;
        QTest::newRow("uncompressed 8") << int(dicom::Compression::None) << 8;
    }
    void writeReadRoundTrip()
    {
        QFETCH(int, compression);
        QFETCH(int, bits);
        Image16 img(37, 23);
        for (size_t i = 0; i < img.size(); ++i)
            img.pixels[i] = uint16_t(bits == 8 ? (i * 7) % 256 : (i * 2654435761u) % 65536);
        img.bitsStored = bits;
        img.spacingX = 0.07;
        img.spacingY = 0.05;
        img.windows.push_back({ 30000, 20000, "" });
        QTemporaryDir dir;
        fs::path f = fs::path(dir.path().toStdString()) / "x.dcm";
        dicom::WriteInfo wi;
        wi.patientId = "P_00001";
        wi.studyUid = dicom::uidFromHash(1, 2);
        wi.seriesUid = dicom::uidFromHash(1, 3);
        wi.sopInstanceUid = dicom::uidFromHash(1, 4);
        wi.laterality = "R";
        wi.view = "MLO";
        auto st = dicom::write(f, img, wi, dicom::Compression(compression));
        QVERIFY2(st.ok(), st.ok() ? "" : st.error().toString().c_str());
        auto r = dicom::read(f);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        QCOMPARE(r->image.pixels, img.pixels);
        QCOMPARE(r->image.spacingX, 0.07);
        QCOMPARE(r->image.spacingY, 0.05);
        QCOMPARE(QString::fromStdString(r->header.laterality), QStringLiteral("R"));
        QCOMPARE(QString::fromStdString(r->header.view), QStringLiteral("MLO"));
        QCOMPARE(QString::fromStdString(r->header.seriesUid), QString::fromStdString(wi.seriesUid));
        QCOMPARE(QString::fromStdString(r->header.modality), QStringLiteral("MG"));
    }
    // Our lossless JPEG decoder gives exactly DCMTK's pixels on every real process-14 file here.
    void builtinJpegLosslessMatchesDcmtk_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("JPEG-LL signed 16") << "JPEG-LL.dcm";
        QTest::newRow("bad_sequence 12 bit") << "bad_sequence.dcm";
        QTest::newRow("process 14 bad") << "JPEGLossless_1s_1f_i_16_16_bad.dcm";
    }
    void builtinJpegLosslessMatchesDcmtk()
    {
        QFETCH(QString, file);
        const fs::path p = kData / "dicom/robustness" / file.toStdString();
        dicom::ReadOptions ours, theirs;
        theirs.builtinJpegLossless = false;
        auto a = dicom::read(p, ours), b = dicom::read(p, theirs);
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(QString::fromStdString(b->decoder), QStringLiteral("dcmtk"));
        QCOMPARE(a->image.pixels, b->image.pixels);
        QCOMPARE(a->image.intercept, b->image.intercept);
        if (file != QLatin1String("JPEGLossless_1s_1f_i_16_16_bad.dcm"))
            QCOMPARE(QString::fromStdString(a->decoder), QStringLiteral("builtin-jpeg-lossless"));
    }
    void builtinJpegLosslessSurvivesDamage()
    {
        // A valid stream, then truncated and corrupted copies: an error or an image, never a crash.
        Image16 img(64, 48);
        for (size_t i = 0; i < img.size(); ++i)
            img.pixels[i] = uint16_t(20000 + (i * 37) % 5000);
        QTemporaryDir dir;
        fs::path f = fs::path(dir.path().toStdString()) / "j.dcm";
        dicom::WriteInfo wi;
        wi.studyUid = wi.seriesUid = wi.sopInstanceUid = "2.25.5";
        QVERIFY(dicom::write(f, img, wi, dicom::Compression::JpegLossless).ok());
        auto r = dicom::read(f);
        QVERIFY(r.ok());
        QCOMPARE(QString::fromStdString(r->decoder), QStringLiteral("builtin-jpeg-lossless"));
        QCOMPARE(r->image.pixels, img.pixels);
        // Pull the JPEG stream out of the file (from SOI to EOI) and damage it.
        std::ifstream in(f, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        size_t soi = bytes.find("\xFF\xD8\xFF");
        QVERIFY(soi != std::string::npos);
        std::string jpeg = bytes.substr(soi);
        std::vector<uint16_t> out(img.size());
        QVERIFY(dicom::decodeJpegLossless(reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size(), out.data(), out.size()).empty());
        for (size_t cut : { size_t(2), size_t(10), size_t(40), jpeg.size() / 2 })
            (void)dicom::decodeJpegLossless(reinterpret_cast<const uint8_t*>(jpeg.data()), cut, out.data(), out.size());
        uint64_t x = 88172645463325252ull;
        for (int k = 0; k < 200; ++k) {
            std::string bad = jpeg;
            for (int e = 0; e < 4; ++e) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                bad[x % bad.size()] = char(x >> 32);
            }
            (void)dicom::decodeJpegLossless(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), out.data(), out.size());
        }
        std::vector<uint16_t> small(10);
        QVERIFY(!dicom::decodeJpegLossless(reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size(), small.data(), small.size()).empty());
    }

    // Crafted Huffman tables (#18 item 2): counts that do not fit their code lengths wrote past the decoder's lookup
    // tables before they were refused; a symbol above 16 sized a shift. Each is refused before anything is written
    // (run under ASan/UBSan to see the difference).
    void jpegLosslessCraftedHuffmanTables_data()
    {
        QTest::addColumn<int>("oneBitCodes");
        QTest::addColumn<int>("symbol");
        QTest::newRow("3 one-bit codes") << 3 << 0;
        QTest::newRow("255 one-bit codes") << 255 << 0;
        QTest::newRow("symbol 200") << 1 << 200;
    }
    void jpegLosslessCraftedHuffmanTables()
    {
        QFETCH(int, oneBitCodes);
        QFETCH(int, symbol);
        std::string s = "\xFF\xD8"; // SOI
        const int len = 2 + 17 + oneBitCodes;
        s += "\xFF\xC4";
        s += char(len >> 8);
        s += char(len & 255);
        s += char(0); // class 0 (DC), table 0
        s += char(oneBitCodes);
        s += std::string(15, '\0');
        s += std::string(size_t(oneBitCodes), char(symbol));
        s += "\xFF\xD9";
        std::vector<uint16_t> out(16);
        const std::string r = dicom::decodeJpegLossless(reinterpret_cast<const uint8_t*>(s.data()), s.size(), out.data(), out.size());
        QVERIFY2(r.find("Huffman") != std::string::npos, r.c_str());
    }
    // A small file whose header claims 65535 x 65535 pixels (#18 item 2): refused before anything of that size is
    // allocated, naming the file and the tags.
    void lyingSizeIsRefusedBeforeAllocating()
    {
        QTemporaryDir dir;
        const fs::path f = fs::path(dir.path().toStdString()) / "lying.dcm";
        Image16 img(4, 4, 100);
        dicom::WriteInfo wi;
        wi.studyUid = wi.seriesUid = wi.sopInstanceUid = "2.25.6";
        QVERIFY(dicom::write(f, img, wi).ok());
        std::string bytes;
        QVERIFY(readFile(f, bytes));
        for (const char* tag : { "\x28\x00\x10\x00US\x02\x00", "\x28\x00\x11\x00US\x02\x00" }) {
            const size_t at = bytes.find(std::string(tag, 8));
            QVERIFY(at != std::string::npos);
            bytes[at + 8] = bytes[at + 9] = char(0xFF);
        }
        QVERIFY(writeFileAtomic(f, bytes).empty());
        QVERIFY(bytes.size() < 2000);
        auto r = dicom::read(f);
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.find("more than this") != std::string::npos, r.error().message.c_str());
        QCOMPARE(QString::fromStdString(r.error().file), QString::fromStdString(f.string()));
    }

    // RLE headers that point outside their fragment (#18 item 2): DCMTK's decoder read past it and crashed (exit 139 in
    // `mammoscope-cli render`); now the file is refused with the segment and the fragment named.
    // JPEG 2000 through OpenJPEG. The real files against values another decoder (GDCM) gave for them, as pydicom's
    // pixel-data tests record them; the decoder named; the stored range what Bits Stored allows.
    void jpeg2000RealFiles()
    {
        auto a = dicom::read(kData / "dicom/robustness/JPEG2KLossless_1s_1f_u_16_16.dcm");
        QVERIFY2(a.ok(), a.ok() ? "" : a.error().toString().c_str());
        QCOMPARE(QString::fromStdString(a->decoder), QStringLiteral("openjpeg"));
        const std::vector<int> gdcm = { 55680, 57220, 58518, 61083, 64624, 65535, 65535, 65535, 65535 }; // rows 1402-1410, column 1388
        for (int k = 0; k < 9; ++k)
            QCOMPARE(int(a->image.at(1388, 1402 + k)), gdcm[size_t(k)]);
        auto rg3 = dicom::read(kData / "dicom/robustness/RG3_J2KR.dcm");
        QVERIFY(rg3.ok());
        QCOMPARE(QString::fromStdString(rg3->decoder), QStringLiteral("openjpeg"));
        QVERIFY(rg3->image.maxValue() <= 1023); // 10 bits stored
        QVERIFY(rg3->image.maxValue() - rg3->image.minValue() > 500); // a radiograph, not a flat frame
        // Lossless means lossless: the decoded CR written again as JPEG 2000 (and as JPEG lossless) reads back identical.
        QTemporaryDir dir;
        for (auto c : { dicom::Compression::Jpeg2000Lossless, dicom::Compression::JpegLossless }) {
            const fs::path f = fs::path(dir.path().toStdString()) / "rg3.dcm";
            dicom::WriteInfo wi;
            wi.studyUid = wi.seriesUid = wi.sopInstanceUid = "2.25.7";
            QVERIFY(dicom::write(f, rg3->image, wi, c).ok());
            auto back = dicom::read(f);
            QVERIFY2(back.ok(), back.ok() ? "" : back.error().toString().c_str());
            QCOMPARE(back->image.pixels, rg3->image.pixels);
        }
    }
    void jpeg2000RoundTrip_data()
    {
        QTest::addColumn<int>("bitsStored");
        QTest::addColumn<bool>("lossless");
        QTest::newRow("16-bit lossless") << 16 << true;
        QTest::newRow("12-bit lossless") << 12 << true;
        QTest::newRow("8-bit lossless") << 8 << true;
        QTest::newRow("12-bit lossy") << 12 << false;
    }
    void jpeg2000RoundTrip()
    {
        QFETCH(int, bitsStored);
        QFETCH(bool, lossless);
        // A smooth image with texture and an edge (what mammograms have), odd size (tiles and code blocks do not divide it).
        Image16 img(301, 217);
        img.bitsStored = bitsStored;
        const double top = double((1 << bitsStored) - 1);
        for (int y = 0; y < img.height; ++y)
            for (int x = 0; x < img.width; ++x) {
                double v = 0.35 + 0.25 * std::sin(x * 0.05) * std::cos(y * 0.04) + (x > 150 ? 0.2 : 0.0) + 0.02 * ((x * 7 + y * 13) % 5);
                img.pixels[size_t(y) * size_t(img.width) + size_t(x)] = uint16_t(std::clamp(v, 0.0, 1.0) * top);
            }
        QTemporaryDir dir;
        const fs::path f = fs::path(dir.path().toStdString()) / "j2k.dcm";
        dicom::WriteInfo wi;
        wi.studyUid = wi.seriesUid = wi.sopInstanceUid = "2.25.8";
        QVERIFY(dicom::write(f, img, wi, lossless ? dicom::Compression::Jpeg2000Lossless : dicom::Compression::Jpeg2000).ok());
        auto r = dicom::read(f);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        QCOMPARE(QString::fromStdString(r->decoder), QStringLiteral("openjpeg"));
        QCOMPARE(QString::fromStdString(r->header.transferSyntaxUid),
            lossless ? QStringLiteral("1.2.840.10008.1.2.4.90") : QStringLiteral("1.2.840.10008.1.2.4.91"));
        QCOMPARE(r->image.width, img.width);
        QCOMPARE(r->image.height, img.height);
        if (lossless) {
            QCOMPARE(r->image.pixels, img.pixels);
            return;
        }
        double se = 0;
        size_t differ = 0;
        for (size_t i = 0; i < img.size(); ++i) {
            const double d = double(r->image.pixels[i]) - double(img.pixels[i]);
            se += d * d;
            differ += d != 0;
        }
        const double psnr = 10 * std::log10(top * top / std::max(1e-9, se / double(img.size())));
        QVERIFY2(psnr > 35, qPrintable(QString("PSNR %1 dB").arg(psnr)));
        QVERIFY(differ > 0); // it is lossy
    }
    // A codestream that does not match its header, damaged or cut: a message naming the problem, never a crash.
    void jpeg2000Damage()
    {
        Image16 img(64, 48);
        img.bitsStored = 12;
        for (size_t i = 0; i < img.size(); ++i)
            img.pixels[i] = uint16_t((i * 37) % 4096);
        std::vector<uint8_t> code;
        QVERIFY(dicom::encodeJpeg2000(img.pixels.data(), 64, 48, 12, true, 0, code).empty());
        std::vector<uint16_t> out(img.size());
        QVERIFY(dicom::decodeJpeg2000(code.data(), code.size(), 64, 48, 2, out.data()).empty());
        QCOMPARE(out, img.pixels);
        const std::string wrongSize = dicom::decodeJpeg2000(code.data(), code.size(), 48, 64, 2, out.data());
        QVERIFY2(wrongSize.find("64 x 48 pixels, the DICOM header says 48 x 64") != std::string::npos, wrongSize.c_str());
        QVERIFY(!dicom::decodeJpeg2000(code.data(), code.size(), 64, 48, 1, out.data()).empty()); // 12 bits in 8
        QVERIFY(!dicom::decodeJpeg2000(code.data() + 2, code.size() - 2, 64, 48, 2, out.data()).empty()); // no SOC
        for (size_t cut : { size_t(12), size_t(40), code.size() / 2, code.size() - 3 })
            (void)dicom::decodeJpeg2000(code.data(), cut, 64, 48, 2, out.data());
        uint64_t x = 88172645463325252ull;
        for (int k = 0; k < 300; ++k) {
            std::vector<uint8_t> bad = code;
            for (int e = 0; e < 3; ++e) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                bad[4 + x % (bad.size() - 4)] = uint8_t(x >> 32);
            }
            (void)dicom::decodeJpeg2000(bad.data(), bad.size(), 64, 48, 2, out.data());
        }
    }
    // Sequences nested thousands deep overflowed DCMTK's recursive parser (the index and the GUI died on a folder
    // holding one): refused before DCMTK parses, in each encoding a crafted file can use; real depths still read.
    void deepSequenceNesting_data()
    {
        QTest::addColumn<int>("depth");
        QTest::addColumn<QString>("encoding");
        QTest::addColumn<bool>("refused");
        for (const char* e : { "explicit", "implicit-raw", "implicit-defined", "deflated" }) {
            QTest::newRow((std::string(e) + " 20000").c_str()) << 20000 << QString(e) << true;
            QTest::newRow((std::string(e) + " 40").c_str()) << 40 << QString(e) << false;
        }
    }
    void deepSequenceNesting()
    {
        QFETCH(int, depth);
        QFETCH(QString, encoding);
        QFETCH(bool, refused);
        std::string bytes;
        if (encoding == "explicit") {
            bytes = withMetaHeader(nestedDataSet(depth, true, false), "1.2.840.10008.1.2.1");
        } else if (encoding == "implicit-raw") {
            bytes = nestedDataSet(depth, false, false); // no Part 10 header
        } else if (encoding == "implicit-defined") {
            bytes = withMetaHeader(nestedDataSet(depth, false, true), "1.2.840.10008.1.2");
        } else {
            const std::string ds = nestedDataSet(depth, true, false);
            std::string z(ds.size() + 1024, '\0');
            z_stream st {};
            QCOMPARE(deflateInit2(&st, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
            st.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(ds.data()));
            st.avail_in = uInt(ds.size());
            st.next_out = reinterpret_cast<Bytef*>(z.data());
            st.avail_out = uInt(z.size());
            QCOMPARE(deflate(&st, Z_FINISH), Z_STREAM_END);
            z.resize(st.total_out);
            deflateEnd(&st);
            bytes = withMetaHeader(z, "1.2.840.10008.1.2.1.99");
        }
        QTemporaryDir dir;
        const fs::path f = fs::path(dir.path().toStdString()) / "nested.dcm";
        std::ofstream(f, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
        const dicom::NestingScan scan = dicom::scanNesting(f, 1000000);
        QCOMPARE(scan.maxDepth, depth);
        auto h = dicom::readHeader(f);
        auto r = dicom::read(f);
        QVERIFY(!r.ok()); // no pixels either way
        if (refused) {
            QVERIFY(!h.ok());
            QVERIFY2(h.error().message.find("nested more than 128 levels") != std::string::npos, h.error().message.c_str());
            QVERIFY2(r.error().message.find("nested more than 128 levels") != std::string::npos, r.error().message.c_str());
        } else {
            QVERIFY2(h.ok(), h.ok() ? "" : h.error().toString().c_str());
            QCOMPARE(QString::fromStdString(h->sopClassUid), QStringLiteral("1.2.840.10008.5.1.4.1.1.7"));
            QVERIFY2(r.error().message.find("contains no image") != std::string::npos, r.error().message.c_str());
        }
    }
    // The walk follows every real file to its end and finds their (shallow) nesting.
    void nestingOfRealFiles()
    {
        int complete = 0, files = 0;
        for (const char* sub : { "mg", "robustness" })
            for (const auto& e : fs::directory_iterator(kData / "dicom" / sub)) {
                const auto scan = dicom::scanNesting(e.path(), 1000);
                QVERIFY2(scan.maxDepth <= 8, e.path().filename().c_str());
                complete += scan.complete;
                ++files;
            }
        QVERIFY2(complete >= files - 8, qPrintable(QString("%1 of %2 walked to the end").arg(complete).arg(files)));
    }
    void rleSegmentOffsetsAreChecked_data()
    {
        QTest::addColumn<int>("field"); // byte in the first fragment's RLE header
        QTest::addColumn<quint32>("value");
        QTest::addColumn<QString>("message");
        QTest::newRow("second segment beyond the fragment") << 8 << quint32(0x7ffffff0) << "RLE segment 2 starts at byte";
        QTest::newRow("first segment inside the header") << 4 << quint32(8) << "RLE segment 1 starts at byte";
        QTest::newRow("200 segments") << 0 << quint32(200) << "says 200 RLE segments";
        QTest::newRow("no segment") << 0 << quint32(0) << "says 0 RLE segments";
    }
    void rleSegmentOffsetsAreChecked()
    {
        QFETCH(int, field);
        QFETCH(quint32, value);
        QFETCH(QString, message);
        const fs::path src = kData / "dicom/robustness/MR_small_RLE.dcm";
        QVERIFY(dicom::read(src).ok());
        std::string bytes;
        QVERIFY(readFile(src, bytes));
        // the first fragment: the item after the (empty) basic offset table
        const size_t pixel = bytes.find(std::string("\xe0\x7f\x10\x00", 4));
        QVERIFY(pixel != std::string::npos);
        const std::string item("\xfe\xff\x00\xe0", 4);
        const size_t bot = bytes.find(item, pixel);
        QVERIFY(bot != std::string::npos);
        uint32_t botLen = 0;
        std::memcpy(&botLen, bytes.data() + bot + 4, 4);
        const size_t frag = bot + 8 + botLen;
        QCOMPARE(bytes.substr(frag, 4), item);
        std::memcpy(bytes.data() + frag + 8 + size_t(field), &value, 4);
        QTemporaryDir dir;
        const fs::path f = fs::path(dir.path().toStdString()) / "crafted-rle.dcm";
        QVERIFY(writeFileAtomic(f, bytes).empty());
        auto r = dicom::read(f);
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error().message).contains(message), r.error().message.c_str());
        QCOMPARE(QString::fromStdString(r.error().file), QString::fromStdString(f.string()));
    }

    void uidsAreValid()
    {
        std::string u = dicom::uidFromHash(~0ull, ~0ull);
        QVERIFY(u.size() <= 64);
        QVERIFY(u.rfind("2.25.", 0) == 0);
        QCOMPARE(QString::fromStdString(dicom::uidFromHash(0, 7)), QStringLiteral("2.25.7"));
    }
    void missingFile()
    {
        auto r = dicom::read("/nonexistent/x.dcm");
        QVERIFY(!r.ok());
        QCOMPARE(QString::fromStdString(r.error().message), QStringLiteral("file not found"));
    }
};

QTEST_GUILESS_MAIN(TestDicom)
#include "test_dicom.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/common/paths.h"
#include "core/dataset/csv.h"
#include "core/dataset/dataset.h"
#include "core/dataset/loader.h"
#include "core/imageio/imageio.h"
#include "core/synthio/synthio.h"

#include <QtTest>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace ms;
namespace fs = std::filesystem;

namespace
{

const fs::path kData = MS_REALDATA_DIR;

dataset::OpenOptions noCache()
{
    dataset::OpenOptions o;
    o.useCache = false;
    return o;
}

// path -> (size, mtime): a snapshot to prove a folder was not written to.
std::map<std::string, std::pair<uintmax_t, long long>> snapshot(const fs::path& root)
{
    std::map<std::string, std::pair<uintmax_t, long long>> m;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file())
            m[e.path().string()] = { e.file_size(), (long long)e.last_write_time().time_since_epoch().count() };
    return m;
}

} // namespace

class TestDataset : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;
    fs::path m_synth; // CBIS layout
    fs::path m_kaggle; // Kaggle layout
    synthio::WriteReport m_rep, m_kaggleRep;

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_synth = fs::path(m_tmp.path().toStdString()) / "synth";
        m_kaggle = fs::path(m_tmp.path().toStdString()) / "kaggle";
        synthio::WriteOptions o;
        o.patients = 8;
        o.synth.seed = 11;
        o.synth.width = 256;
        o.synth.height = 416;
        auto r = synthio::writeDataset(m_synth, o);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        m_rep = *r;
        o.layout = synthio::Layout::Kaggle;
        auto k = synthio::writeDataset(m_kaggle, o);
        QVERIFY2(k.ok(), k.ok() ? "" : k.error().toString().c_str());
        m_kaggleRep = *k;
    }

    void realCsvCounts()
    {
        auto ds = dataset::open(kData / "cbis-ddsm-csv", noCache());
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        Json s = dataset::summaryJson(*ds);
        QCOMPARE(QString::fromStdString(s["format"].string()), QStringLiteral("cbis-ddsm"));
        QCOMPARE(s["patients"].integer(), 1566LL);
        QCOMPARE(s["images"].integer(), 3103LL);
        QCOMPARE(s["abnormalities"].integer(), 3568LL);
        QCOMPARE(s["splits"]["train"].integer(), 2864LL);
        QCOMPARE(s["splits"]["test"].integer(), 704LL);
        QCOMPARE(s["types"]["mass"].integer(), 1696LL);
        QCOMPARE(s["types"]["calcification"].integer(), 1872LL);
        QCOMPARE(s["pathology"]["MALIGNANT"].integer(), 1457LL);
        QCOMPARE(s["pathology"]["BENIGN"].integer(), 1429LL);
        QCOMPARE(s["pathology"]["BENIGN_WITHOUT_CALLBACK"].integer(), 682LL);
        // Only CSVs here: every referenced file is missing, and that is said once, not 10,239 times.
        QCOMPARE(s["missing_files"].integer(), 3103LL + 2 * 3568LL);
        // The real quirks found: density 0 twice (calc test), subtlety 0 twice (mass train).
        int density0 = 0, subtlety0 = 0;
        for (const auto& p : ds->problems) {
            if (p.message.find("breast density '0'") != std::string::npos) {
                ++density0;
                QVERIFY(p.file.find("calc_case_description_test_set.csv") != std::string::npos);
                QVERIFY(p.where.rfind("line ", 0) == 0);
            }
            if (p.message.find("subtlety '0'") != std::string::npos)
                ++subtlety0;
        }
        QCOMPARE(density0, 2);
        QCOMPARE(subtlety0, 2);
        QCOMPARE(ds->problems.size(), size_t(5));
        // Every attribute of a row is kept, in the file's own spelling.
        const auto& a = ds->abnormalities.front();
        QCOMPARE(a.attributes.size(), size_t(14));
        QVERIFY(!a.cropCsvPath.empty() && a.cropCsvPath.back() != '\n'); // the embedded newline is trimmed
    }

    void synthRoundTrip()
    {
        auto before = snapshot(m_synth);
        auto ds = dataset::open(m_synth, noCache());
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(int(ds->patients.size()), m_rep.patients);
        QCOMPARE(int(ds->images.size()), m_rep.images);
        QCOMPARE(int(ds->abnormalities.size()), m_rep.abnormalities);
        QCOMPARE(int(ds->missingFiles.size()), 0);
        QCOMPARE(int(ds->problems.size()), 0);
        for (const auto& p : ds->patients)
            QCOMPARE(p.images.size(), size_t(4)); // all four views, normal ones from the sidecar list
        // Crop and mask told apart by content, whichever way TCIA numbered them.
        for (const auto& a : ds->abnormalities) {
            QVERIFY(!a.maskPath.empty());
            QVERIFY(!a.cropPath.empty());
            QVERIFY(a.maskPath != a.cropPath);
            auto full = dataset::loadImage(ds->images[size_t(a.image)].path);
            auto mask = dataset::loadImage(a.maskPath);
            auto crop = dataset::loadImage(a.cropPath);
            QVERIFY(full.ok() && mask.ok() && crop.ok());
            QCOMPARE(mask->image.width, full->image.width);
            QCOMPARE(mask->image.height, full->image.height);
            QVERIFY(crop->image.width < full->image.width);
            QVERIFY(mask->image.maxValue() == 255 && mask->image.minValue() == 0);
            QCOMPARE(QString::fromStdString(full->header->laterality), QString::fromStdString(a.side.substr(0, 1)));
            QCOMPARE(QString::fromStdString(full->header->view), QString::fromStdString(a.view));
        }
        QVERIFY(snapshot(m_synth) == before); // indexing never writes into the dataset
    }

    void kaggleRoundTrip()
    {
        auto ds = dataset::open(m_kaggle, noCache());
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(QString::fromStdString(dataset::formatName(ds->format)), QStringLiteral("kaggle-jpeg"));
        QCOMPARE(int(ds->images.size()), m_kaggleRep.images);
        QCOMPARE(int(ds->abnormalities.size()), m_kaggleRep.abnormalities);
        QCOMPARE(int(ds->missingFiles.size()), 0);
        QCOMPARE(int(ds->problems.size()), 0);
        for (const auto& a : ds->abnormalities) {
            QVERIFY(a.maskPath.size() > 4 && a.maskPath.substr(a.maskPath.size() - 4) == ".jpg");
            QVERIFY(a.maskPath != a.cropPath);
        }
    }

    void realKaggleInfoExcerpt()
    {
        // The real dicom_info.csv excerpt parses with its 38 columns on every row.
        auto t = readCsv(kData / "cbis-ddsm-csv/kaggle_dicom_info_excerpt.csv");
        QVERIFY(t.ok());
        QCOMPARE(t->header.size(), size_t(38));
        QCOMPARE(t->rows.size(), size_t(24));
        for (const auto& r : t->rows)
            QCOMPARE(r.cells.size(), size_t(38));
        QVERIFY(t->column("SeriesInstanceUID") >= 0);
    }

    void cacheMakesReopenInstantAndNotices()
    {
        fs::path cache = fs::path(m_tmp.path().toStdString()) / "cache.sqlite";
        dataset::OpenOptions o;
        o.cacheFile = cache;
        auto first = dataset::open(m_synth, o);
        QVERIFY(first.ok());
        QVERIFY(!first->fromCache);
        auto second = dataset::open(m_synth, o);
        QVERIFY(second.ok());
        QVERIFY(second->fromCache);
        QCOMPARE(dataset::toJson(*second).dump(), dataset::toJson(*first).dump());
        // A copy of the set with one more file is re-indexed.
        fs::path copy = fs::path(m_tmp.path().toStdString()) / "copy";
        fs::copy(m_synth, copy, fs::copy_options::recursive);
        auto c1 = dataset::open(copy, o);
        QVERIFY(c1.ok() && !c1->fromCache);
        std::ofstream(copy / "notes.txt") << "x";
        auto c2 = dataset::open(copy, o);
        QVERIFY(c2.ok());
        QVERIFY(!c2->fromCache);
    }

    void malformedRows()
    {
        fs::path dir = fs::path(m_tmp.path().toStdString()) / "bad";
        fs::create_directories(dir);
        std::ofstream f(dir / "mass_case_description_test_set.csv", std::ios::binary);
        f << "patient_id,breast_density,left or right breast,image view,abnormality id,abnormality type,mass shape,mass margins,"
             "assessment,pathology,subtlety,image file path,cropped image file path,ROI mask file path\r\n"
          << "P_00001,2,LEFT,CC,1,mass,OVAL,CIRCUMSCRIBED,7,maybe,3,Mass-Test_P_00001_LEFT_CC/1/2/000000.dcm,a/b/c/000000.dcm,a/b/d/"
             "000000.dcm\r\n"
          << "P_00002,2,LEFT,CC,1,mass\r\n"
          << "P_00003,2,UP,XX,1,mass,ODD_SHAPE,CIRCUMSCRIBED,3,BENIGN,3,Mass-Test_P_00003_LEFT_CC/1/2/000000.dcm,a/b/c/000000.dcm,a/b/d/"
             "000000.dcm\r\n";
        f.close();
        auto ds = dataset::open(dir, noCache());
        QVERIFY(ds.ok());
        QCOMPARE(ds->abnormalities.size(), size_t(2)); // the short row is skipped, the others kept with problems
        auto has = [&](const std::string& where, const std::string& text) {
            for (const auto& p : ds->problems)
                if (p.where == where && p.message.find(text) != std::string::npos)
                    return true;
            return false;
        };
        QVERIFY(has("line 2", "assessment '7'"));
        QVERIFY(has("line 2", "pathology is 'MAYBE'"));
        QVERIFY(has("line 3", "row has 6 cells"));
        QVERIFY(has("line 4", "'UP'"));
        QVERIFY(has("line 4", "'XX'"));
        QVERIFY(has("line 4", "unknown mass shape 'ODD_SHAPE'"));
        QCOMPARE(ds->abnormalities[0].assessment, -1);
    }

    // A crafted CSV whose paths are absolute or step out with "..", and a symbolic link to a file outside: nothing
    // outside the dataset folder is read, and every such row is a problem naming it.
    void pathsStayInsideTheDataset()
    {
        const fs::path base = fs::path(m_tmp.path().toStdString()) / "escape";
        const fs::path root = base / "ds";
        fs::create_directories(base);
        fs::copy(m_synth, root, fs::copy_options::recursive);
        auto clean = dataset::open(root, noCache());
        QVERIFY(clean.ok());
        const fs::path secret = base / "secret.dcm";
        fs::copy_file(clean->images[0].path, secret);
        // rewrite the paths of two images in their description files
        const auto& a0 = clean->abnormalities[0];
        const std::string dotdot = clean->images[size_t(a0.image)].csvPath;
        std::string absoluteOf;
        for (const auto& a : clean->abnormalities)
            if (a.image != a0.image && !a.maskCsvPath.empty()) {
                absoluteOf = a.maskCsvPath;
                break;
            }
        QVERIFY(!absoluteOf.empty());
        for (const auto& e : fs::directory_iterator(root)) {
            if (e.path().extension() != ".csv")
                continue;
            std::string text;
            QVERIFY(readFile(e.path(), text));
            for (size_t at; (at = text.find(dotdot)) != std::string::npos;)
                text.replace(at, dotdot.size(), "../secret.dcm");
            for (size_t at; (at = text.find(absoluteOf)) != std::string::npos;)
                text.replace(at, absoluteOf.size(), secret.string());
            QVERIFY(writeFileAtomic(e.path(), text).empty());
        }
        fs::create_directories(root / "linked");
        fs::create_symlink(secret, root / "linked" / "elsewhere.dcm");

        auto ds = dataset::open(root, noCache());
        QVERIFY(ds.ok());
        for (const auto& im : ds->images)
            QVERIFY2(im.path.empty() || resolvesInside(im.path, root), im.path.c_str());
        for (const auto& a : ds->abnormalities) {
            QVERIFY2(a.maskPath.empty() || resolvesInside(a.maskPath, root), a.maskPath.c_str());
            QVERIFY2(a.cropPath.empty() || resolvesInside(a.cropPath, root), a.cropPath.c_str());
        }
        auto has = [&](const std::string& file, const std::string& text) {
            for (const auto& p : ds->problems)
                if (p.file.find(file) != std::string::npos && p.message.find(text) != std::string::npos)
                    return true;
            return false;
        };
        QVERIFY(has("csv", "\"../secret.dcm\": the path steps out"));
        QVERIFY(has("csv", "\"" + secret.string() + "\": the path is absolute"));
        QVERIFY(has("elsewhere.dcm", "symbolic link to a file outside"));
        QVERIFY(ds->abnormalities.size() < clean->abnormalities.size()); // the rows are skipped, not read
    }

    void relativePathRules_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("ok");
        QTest::newRow("plain") << "Mass-Training_P_00001_LEFT_CC/1.3.6/1.3.6.1/000000.dcm" << true;
        QTest::newRow("dot") << "./a/b.dcm" << true;
        QTest::newRow("dots in a name") << "a/..b/c..dcm" << true;
        QTest::newRow("parent") << "../b.dcm" << false;
        QTest::newRow("inner parent") << "a/../../b.dcm" << false;
        QTest::newRow("absolute") << "/etc/passwd" << false;
        QTest::newRow("backslash root") << "\\server\\share" << false;
        QTest::newRow("empty") << "" << false;
    }
    void relativePathRules()
    {
        QFETCH(QString, path);
        QFETCH(bool, ok);
        QCOMPARE(relativePathProblem(path.toStdString()).empty(), ok);
    }

    void mias()
    {
        auto ds = dataset::open(kData / "mias", noCache());
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(QString::fromStdString(dataset::formatName(ds->format)), QStringLiteral("mini-mias"));
        QCOMPARE(ds->images.size(), size_t(322)); // every image Info.txt lists
        QCOMPARE(ds->abnormalities.size(), size_t(123)); // one per non-NORM row
        QCOMPARE(ds->missingFiles.size(), size_t(322 - 20));
        const dataset::Image* mdb001 = nullptr;
        const dataset::Image* mdb226 = nullptr;
        for (const auto& im : ds->images) {
            if (im.key == "mdb001")
                mdb001 = &im;
            if (im.key == "mdb226")
                mdb226 = &im;
        }
        QVERIFY(mdb001 && mdb226);
        QCOMPARE(QString::fromStdString(mdb001->side), QStringLiteral("RIGHT"));
        QVERIFY(!mdb001->path.empty());
        const auto& a = ds->abnormalities[size_t(mdb001->abnormalities.at(0))];
        QCOMPARE(a.centerX, 535.0);
        QCOMPARE(a.centerY, 1024.0 - 425.0); // Info.txt's origin is bottom-left
        QCOMPARE(a.radius, 197.0);
        QCOMPARE(QString::fromStdString(a.pathology), QStringLiteral("BENIGN"));
        QCOMPARE(mdb226->abnormalities.size(), size_t(3));
        QCOMPARE(QString::fromStdString(mdb226->side), QStringLiteral("LEFT"));
        for (const auto& ab : ds->abnormalities)
            if (ds->images[size_t(ab.image)].key == "mdb216")
                QVERIFY(ab.radius < 0); // NOTE 3: no coordinates
        for (const auto& im : ds->images)
            QVERIFY(im.groundTruth); // Info.txt lists each, normal ones too
    }

    // The ground truth as re-releases ship it: the bare table of Info.txt's rows, without the preamble (here with a
    // header line), read the same as the original.
    void miasBareTable()
    {
        const fs::path dir = fs::path(m_tmp.path().toStdString()) / "mias-bare";
        fs::create_directories(dir);
        std::string original;
        QVERIFY(readFile(kData / "mias" / "Info.txt", original));
        std::string bare = "REFNUM BG CLASS SEVERITY X Y RADIUS\n";
        size_t rows = 0;
        std::istringstream in(original);
        for (std::string line; std::getline(in, line);)
            if (line.rfind("mdb", 0) == 0) {
                bare += line + "\n";
                ++rows;
            }
        QCOMPARE(rows, size_t(330));
        QVERIFY(writeFileAtomic(dir / "Info.txt", bare).empty());
        for (const char* img : { "mdb001.pgm", "mdb005.pgm" })
            fs::copy_file(kData / "mias" / img, dir / img);
        auto a = dataset::open(kData / "mias", noCache());
        auto b = dataset::open(dir, noCache());
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(b->format, dataset::Format::MiniMias);
        QCOMPARE(b->images.size(), a->images.size());
        QCOMPARE(b->abnormalities.size(), a->abnormalities.size());
        for (size_t k = 0; k < a->abnormalities.size(); ++k) {
            QCOMPARE(b->abnormalities[k].centerY, a->abnormalities[k].centerY);
            QCOMPARE(b->abnormalities[k].pathology, a->abnormalities[k].pathology);
        }
    }

    void plainFolder()
    {
        auto ds = dataset::open(kData / "ddsm-png", noCache());
        QVERIFY(ds.ok());
        QCOMPARE(QString::fromStdString(dataset::formatName(ds->format)), QStringLiteral("folder"));
        // four mammograms, each with its tissue label map (NAME_LI.png) beside it: the label maps are not mammograms
        QCOMPARE(ds->images.size(), size_t(4));
        QCOMPARE(ds->patients.size(), size_t(4));
        for (const auto& im : ds->images) {
            QCOMPARE(QString::fromStdString(im.side), QStringLiteral("RIGHT"));
            QCOMPARE(QString::fromStdString(im.view), QStringLiteral("MLO"));
            QVERIFY(!im.groundTruth); // a folder says nothing of what its images show: never "normal"
            QVERIFY2(
                QString::fromStdString(im.labelMapPath).endsWith(QString::fromStdString(fs::path(im.path).stem().string() + "_LI.png")),
                im.key.c_str());
            QCOMPARE(QString::fromStdString(im.patientId), QString::fromStdString(fs::path(im.path).stem().string()).section('.', 0, 0));
        }
        QCOMPARE(dataset::summaryJson(*ds)["images_without_ground_truth"].integer(), 4LL);
        // the cache keeps it
        const auto again = dataset::fromJson(dataset::toJson(*ds));
        QVERIFY(again.ok() && !again->images.front().groundTruth);
        QCOMPARE(again->images.front().labelMapPath, ds->images.front().labelMapPath);
        auto dcm = dataset::open(kData / "dicom", noCache());
        QVERIFY(dcm.ok());
        QVERIFY(!dcm->images.empty());
        QVERIFY(!dcm->problems.empty()); // the malformed files are listed, not fatal
    }

    // A folder of PNGs as public sets name them: the images of one woman grouped by name (so the four-view layout
    // works), masks and label maps attached to their image and not listed as mammograms, a mask without its image a
    // problem; names without side or view tokens stay one patient each.
    void plainFolderGroupsAndAttaches()
    {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        Gray8 img(40, 60, 100), mask(40, 60, 0);
        for (int y = 20; y < 30; ++y)
            for (int x = 10; x < 20; ++x)
                mask.at(x, y) = 255;
        for (const char* n : { "P1_L_DM_MLO", "P1_R_DM_MLO", "P1_L_DM_CC", "P1_R_DM_CC", "P2_L_CC", "Mass-Training_P_00001_LEFT_CC",
                 "Calc-Training_P_00001_LEFT_MLO", "A_0040_1.RIGHT_MLO", "mdb001" })
            QVERIFY(imageio::writePng(root / (std::string(n) + ".png"), img).ok());
        QVERIFY(imageio::writePng(root / "P1_L_DM_MLO_mask.png", mask).ok());
        QVERIFY(imageio::writePng(root / "P2_L_CC_malignant.png", mask).ok());
        QVERIFY(imageio::writePng(root / "P1_R_DM_CC_LI.png", img).ok());
        QVERIFY(imageio::writePng(root / "A_0040_1.RIGHT_MLO_LI.png", img).ok());
        QVERIFY(imageio::writePng(root / "lost_mask.png", mask).ok());
        auto ds = dataset::open(root, noCache());
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(QString::fromStdString(dataset::formatName(ds->format)), QStringLiteral("folder"));
        QCOMPARE(ds->images.size(), size_t(9));
        QMap<QString, QStringList> byPatient;
        for (const auto& p : ds->patients)
            for (int i : p.images)
                byPatient[QString::fromStdString(p.id)] << QString::fromStdString(ds->images[size_t(i)].key);
        QCOMPARE(byPatient.size(), 5);
        QCOMPARE(byPatient["P1"].size(), 4);
        QCOMPARE(byPatient["P2"].size(), 1);
        QCOMPARE(byPatient["P_00001"].size(), 2); // CBIS-DDSM's lesion/split prefix is not the woman
        QCOMPARE(byPatient["A_0040_1"].size(), 1);
        QCOMPARE(byPatient["mdb001"].size(), 1);
        auto find = [&](const char* key) -> const dataset::Image& {
            for (const auto& im : ds->images)
                if (im.key == std::string(key) + ".png")
                    return im;
            return ds->images.front();
        };
        const auto& withMask = find("P1_L_DM_MLO");
        QVERIFY(withMask.groundTruth);
        QCOMPARE(withMask.abnormalities.size(), size_t(1));
        const auto& a = ds->abnormalities[size_t(withMask.abnormalities[0])];
        QVERIFY(QString::fromStdString(a.maskPath).endsWith("P1_L_DM_MLO_mask.png"));
        QCOMPARE(QString::fromStdString(a.pathology), QString()); // not invented
        auto roi = dataset::loadMask(a.maskPath);
        QVERIFY(roi.ok());
        QCOMPARE(long(RleMask::fromGray(*roi).area()), 100L);
        const auto& malignant = find("P2_L_CC");
        QCOMPARE(malignant.abnormalities.size(), size_t(1));
        QCOMPARE(QString::fromStdString(ds->abnormalities[size_t(malignant.abnormalities[0])].pathology), QStringLiteral("MALIGNANT"));
        QVERIFY(QString::fromStdString(find("P1_R_DM_CC").labelMapPath).endsWith("P1_R_DM_CC_LI.png"));
        QVERIFY(find("P1_R_DM_CC").abnormalities.empty());
        QVERIFY(!find("P1_R_DM_CC").groundTruth); // a label map of tissue says nothing of lesions
        QVERIFY(!find("P1_L_DM_CC").groundTruth);
        QCOMPARE(QString::fromStdString(find("P1_L_DM_CC").side), QStringLiteral("LEFT"));
        QCOMPARE(QString::fromStdString(find("P1_L_DM_CC").view), QStringLiteral("CC"));
        bool lostReported = false;
        for (const auto& pr : ds->problems)
            lostReported = lostReported
                || (pr.file.find("lost_mask.png") != std::string::npos && pr.message.find("without its image") != std::string::npos);
        QVERIFY(lostReported);
        for (const auto& im : ds->images)
            QVERIFY2(im.key.find("_mask") == std::string::npos && im.key.find("_LI") == std::string::npos, im.key.c_str());
    }

    // Masks and label maps that no suffix names are recognised by their pixels when their name extends an image's
    // (NAME_1, NAME_gt, NAME-annotation): two values or a JPEG's near-binary pixels make a lesion mask, a few values a
    // label map, an all-black one an empty mask (a problem, no lesion invented); a second mammogram named NAME_2 stays
    // a mammogram.
    void plainFolderMasksByContent()
    {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        Gray8 img(64, 80), mask(64, 80, 0), labels(64, 80, 64);
        for (int y = 0; y < 80; ++y)
            for (int x = 0; x < 64; ++x) {
                img.at(x, y) = uint8_t(20 + (x * 7 + y * 13) % 200); // many grey values, like tissue
                labels.at(x, y) = x < 20 ? 64 : x < 40 ? 128 : y < 40 ? 192 : 255;
            }
        for (int y = 30; y < 50; ++y)
            for (int x = 20; x < 40; ++x)
                mask.at(x, y) = 255;
        for (const char* n : { "case7", "case8", "case9", "case9_2", "scan-12" })
            QVERIFY(imageio::writePng(root / (std::string(n) + ".png"), img).ok());
        QVERIFY(imageio::writePng(root / "case7_1.png", mask).ok());
        QVERIFY(imageio::writePng(root / "case8_gt.png", labels).ok());
        QVERIFY(imageio::writePng(root / "case9_3.png", Gray8(64, 80, 0)).ok());
        // a lossy mask: the real CDD-CESM mask JPEG beside a copy of its image, renamed so no suffix says "mask"
        fs::copy_file(kData / "cdd-cesm" / "images" / "P102_R_DM_CC.jpg", root / "scan-13.jpg");
        fs::copy_file(kData / "cdd-cesm" / "masks" / "P102_R_DM_CC.jpg", root / "scan-13-annotation.jpg");
        auto ds = dataset::open(root, noCache());
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QStringList keys;
        for (const auto& im : ds->images)
            keys << QString::fromStdString(im.key);
        keys.sort();
        QCOMPARE(keys, QStringList({ "case7.png", "case8.png", "case9.png", "case9_2.png", "scan-12.png", "scan-13.jpg" }));
        auto find = [&](const QString& key) -> const dataset::Image& {
            for (const auto& im : ds->images)
                if (QString::fromStdString(im.key) == key)
                    return im;
            return ds->images.front();
        };
        QCOMPARE(find("case7.png").abnormalities.size(), size_t(1));
        QVERIFY(find("case7.png").groundTruth);
        QVERIFY(QString::fromStdString(ds->abnormalities[size_t(find("case7.png").abnormalities[0])].maskPath).endsWith("case7_1.png"));
        QVERIFY(QString::fromStdString(find("case8.png").labelMapPath).endsWith("case8_gt.png"));
        QVERIFY(find("case8.png").abnormalities.empty());
        QVERIFY(find("case9.png").abnormalities.empty());
        QVERIFY(find("case9_2.png").abnormalities.empty());
        QCOMPARE(find("scan-13.jpg").abnormalities.size(), size_t(1));
        QVERIFY(find("scan-12.png").abnormalities.empty());
        bool emptyReported = false;
        for (const auto& pr : ds->problems)
            emptyReported
                = emptyReported || (pr.file.find("case9_3.png") != std::string::npos && pr.message.find("empty mask") != std::string::npos);
        QVERIFY(emptyReported);
    }

    // images/ and masks/ side by side (the CDD-CESM release): every masked image is abnormal with its mask as ROI, the
    // CSV's row gives patient, side, view, pathology, BI-RADS and ACR density; a stray mask is a problem.
    void imagesAndMasks()
    {
        auto ds = dataset::open(kData / "cdd-cesm", noCache());
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(QString::fromStdString(dataset::formatName(ds->format)), QStringLiteral("images-masks"));
        QCOMPARE(ds->images.size(), size_t(292));
        QCOMPARE(ds->abnormalities.size(), size_t(292));
        QCOMPARE(ds->patients.size(), size_t(161));
        QVERIFY(ds->problems.empty());
        const auto* im = &ds->images.front();
        for (const auto& i : ds->images)
            if (i.key == "P102_R_DM_CC")
                im = &i;
        QCOMPARE(QString::fromStdString(im->key), QStringLiteral("P102_R_DM_CC"));
        QCOMPARE(QString::fromStdString(im->patientId), QStringLiteral("P102"));
        QCOMPARE(QString::fromStdString(im->side), QStringLiteral("RIGHT"));
        QCOMPARE(QString::fromStdString(im->view), QStringLiteral("CC"));
        QVERIFY(im->groundTruth);
        QCOMPARE(im->abnormalities.size(), size_t(1));
        const auto& a = ds->abnormalities[size_t(im->abnormalities[0])];
        QCOMPARE(QString::fromStdString(a.pathology), QStringLiteral("MALIGNANT"));
        QVERIFY(a.assessment >= 0);
        QVERIFY(QString::fromStdString(a.maskPath).endsWith("masks/P102_R_DM_CC.jpg"));
        auto mask = dataset::loadMask(a.maskPath);
        QVERIFY(mask.ok());
        QVERIFY(RleMask::fromGray(*mask).area() > 0);
        // a small copy: one image without a row or mask (no ground truth), one mask without an image
        const fs::path d = fs::path(m_tmp.path().toStdString()) / "im";
        fs::create_directories(d / "images");
        fs::create_directories(d / "masks");
        fs::copy_file(kData / "cdd-cesm" / "images" / "P102_R_DM_CC.jpg", d / "images" / "P102_R_DM_CC.jpg");
        fs::copy_file(kData / "cdd-cesm" / "masks" / "P102_R_DM_CC.jpg", d / "masks" / "P102_R_DM_CC_mask.jpg");
        fs::copy_file(kData / "cdd-cesm" / "images" / "P102_R_DM_MLO.jpg", d / "images" / "other.jpg");
        fs::copy_file(kData / "cdd-cesm" / "masks" / "P102_R_DM_MLO.jpg", d / "masks" / "stray.jpg");
        auto small = dataset::open(d, noCache());
        QVERIFY(small.ok());
        QCOMPARE(small->images.size(), size_t(2));
        QCOMPARE(small->abnormalities.size(), size_t(1)); // NAME_mask.jpg belongs to NAME
        for (const auto& i : small->images)
            QCOMPARE(i.groundTruth, i.key == "P102_R_DM_CC");
        QCOMPARE(small->problems.size(), size_t(1));
        QVERIFY(QString::fromStdString(small->problems[0].file).endsWith("stray.jpg"));
        // the cache keeps the format
        const auto again = dataset::fromJson(dataset::toJson(*small));
        QVERIFY(again.ok() && again->format == dataset::Format::ImagesMasks);
    }

    void masksFromJpegIgnoreCompressionNoise()
    {
        // A lossy JPEG mask (the Kaggle re-release's) has ringing near 0 around the edge; only the lesion counts.
        const RleMask truth = RleMask::ellipse(120, 100, 60, 50, 20, 15);
        const Gray8 t = truth.toGray(255);
        const fs::path f = fs::path(m_tmp.path().toStdString()) / "mask.jpg";
        QVERIFY(imageio::writeJpeg(f, t, 50).ok());
        auto m = dataset::loadMask(f);
        QVERIFY(m.ok());
        const RleMask got = RleMask::fromGray(*m);
        const double iou = double(got.intersect(truth).area()) / double(got.unite(truth).area());
        QVERIFY2(iou > 0.9, QByteArray::number(iou).constData());
        QVERIFY(!dataset::loadMask(fs::path(m_tmp.path().toStdString()) / "none.png").ok());
    }

    void notADataset()
    {
        QTemporaryDir empty;
        auto a = dataset::open(empty.path().toStdString(), noCache());
        QVERIFY(!a.ok());
        QVERIFY(a.error().message.find("not a dataset") != std::string::npos);
        auto b = dataset::open(kData / "mias/Info.txt", noCache());
        QVERIFY(!b.ok());
        QVERIFY(b.error().message.find("not a folder") != std::string::npos);
        auto c = dataset::open("/nonexistent/folder", noCache());
        QVERIFY(!c.ok());
    }
};

QTEST_GUILESS_MAIN(TestDataset)
#include "test_dataset.moc"

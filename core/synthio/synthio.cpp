// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/synthio/synthio.h"

#include "core/common/paths.h"
#include "core/dataset/cbis.h"
#include "core/dataset/csv.h"
#include "core/dicom/dicom.h"
#include "core/image/window.h"
#include "core/imageio/imageio.h"
#include "core/synth/random.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

namespace fs = std::filesystem;

namespace ms::synthio
{

namespace
{

using synth::hashMix;

struct Row {
    bool mass = false, test = false, normal = false;
    std::vector<std::string> cells;
};

struct KaggleRow {
    std::vector<std::string> cells;
};

struct PatientOutput {
    std::vector<Row> rows;
    std::vector<KaggleRow> kaggle;
    int images = 0, lesionImages = 0, abnormalities = 0, files = 0;
    std::string error;
};

std::string uid(uint64_t seed, const std::string& pid, int view, int n, uint64_t kind)
{
    uint64_t h = 0;
    for (char ch : pid)
        h = h * 131 + uint64_t(ch);
    return dicom::uidFromHash(
        hashMix({ seed, h, uint64_t(view), uint64_t(n), kind }), hashMix({ kind, seed, h, uint64_t(view), uint64_t(n), 7 }));
}

std::string num5(uint64_t h)
{
    char b[8];
    std::snprintf(b, sizeof b, "%05d", int(h % 100000));
    return b;
}

Image16 maskImage(const RleMask& m)
{
    Gray8 g = m.toGray(255);
    Image16 img(g.width, g.height);
    img.bitsStored = 8;
    for (size_t i = 0; i < g.pixels.size(); ++i)
        img.pixels[i] = g.pixels[i];
    return img;
}

Gray8 toJpegGray(const Image16& img)
{
    return renderWindow(img, fullRangeWindow(img));
}

class Writer
{
public:
    Writer(fs::path out, const WriteOptions& opt) : m_out(std::move(out)), m_opt(opt) { }

    PatientOutput patient(int index)
    {
        PatientOutput po;
        synth::PatientCase pc = synth::generatePatient(m_opt.synth, index);
        const std::string split = pc.test ? "Test" : "Training";
        const uint64_t seed = m_opt.synth.seed;
        for (size_t vi = 0; vi < pc.views.size(); ++vi) {
            const synth::View& v = pc.views[vi];
            const bool normal = v.lesions.empty();
            const bool mass = !normal && v.lesions.front().spec.type == synth::LesionType::Mass;
            const std::string folder = std::string(normal ? "Normal"
                                               : mass     ? "Mass"
                                                          : "Calc")
                + "-" + split + "_" + pc.id + "_" + v.side + "_" + v.view;
            const std::string study = m_opt.oneStudyPerWoman ? uid(seed, pc.id, 0, 0, 8) : uid(seed, pc.id, int(vi), 0, 1);
            const std::string series = uid(seed, pc.id, int(vi), 0, 2);
            const std::string fullCsv = folder + "/" + study + "/" + series + "/000000.dcm";
            dicom::WriteInfo wi;
            wi.patientId = m_opt.oneStudyPerWoman ? pc.id : folder;
            wi.patientName = wi.patientId;
            wi.instanceNumber = m_opt.oneStudyPerWoman ? int(vi) + 1 : 1;
            wi.studyUid = study;
            wi.seriesUid = series;
            wi.sopInstanceUid = uid(seed, pc.id, int(vi), 0, 3);
            wi.laterality = v.side == "LEFT" ? "L" : "R";
            wi.view = v.view;
            wi.seriesDescription = "full mammogram images";
            std::string fullFile;
            if (!writeImage(folder, study, series, "full mammogram images", 1, v.image, wi, v.side, v.view, po, fullFile))
                return po;
            ++po.images;
            if (normal) {
                po.rows.push_back({ false, pc.test, true, { pc.id, std::to_string(pc.density), v.side, v.view, fullCsv } });
                continue;
            }
            ++po.lesionImages;
            for (const auto& les : v.lesions) {
                const std::string roiFolder = folder + "_" + std::to_string(les.number);
                const std::string study2 = uid(seed, pc.id, int(vi), les.number, 4);
                const uint64_t hq = hashMix({ seed, uint64_t(index), vi, uint64_t(les.number), 99 });
                const bool sameSeries = hq % 10 < 4; // TCIA keeps crop and mask in one series for many cases
                const bool swapped = (hq >> 8) % 2 == 1; // ... in either order
                const std::string seriesMask = uid(seed, pc.id, int(vi), les.number, 5);
                const std::string seriesCrop = sameSeries ? seriesMask : uid(seed, pc.id, int(vi), les.number, 6);
                Rect bb = les.mask.boundingBox();
                const int margin = std::max(8, std::max(bb.w, bb.h) / 5);
                Image16 crop = v.image.crop(bb.x - margin, bb.y - margin, bb.w + 2 * margin, bb.h + 2 * margin);
                Image16 mask = maskImage(les.mask);
                dicom::WriteInfo mi = wi;
                mi.patientId = mi.patientName = roiFolder;
                mi.studyUid = study2;
                std::string maskFile, cropFile;
                int maskInst = sameSeries ? (swapped ? 2 : 1) : 1, cropInst = sameSeries ? (swapped ? 1 : 2) : 1;
                mi.seriesUid = seriesMask;
                mi.seriesDescription = "ROI mask images";
                mi.sopInstanceUid = uid(seed, pc.id, int(vi), les.number, 7);
                mi.instanceNumber = maskInst;
                if (!writeImage(roiFolder, study2, seriesMask, sameSeries ? "ROI mask and cropped images" : "ROI mask images", maskInst,
                        mask, mi, v.side, v.view, po, maskFile))
                    return po;
                mi.seriesUid = seriesCrop;
                mi.seriesDescription = "cropped images";
                mi.sopInstanceUid = uid(seed, pc.id, int(vi), les.number, 8);
                mi.instanceNumber = cropInst;
                if (!writeImage(roiFolder, study2, seriesCrop, sameSeries ? "ROI mask and cropped images" : "cropped images", cropInst,
                        crop, mi, v.side, v.view, po, cropFile))
                    return po;
                const std::string cropCsv
                    = roiFolder + "/" + study2 + "/" + seriesCrop + (sameSeries && !swapped ? "/000001.dcm" : "/000000.dcm");
                const std::string maskCsv
                    = roiFolder + "/" + study2 + "/" + seriesMask + (sameSeries && swapped ? "/000001.dcm" : "/000000.dcm");
                const auto& s = les.spec;
                Row r;
                r.mass = mass;
                r.test = pc.test;
                // TCIA's quirk: one quoted path cell of every row ends in a newline.
                r.cells = { pc.id, std::to_string(pc.density), v.side, v.view, std::to_string(les.number), mass ? "mass" : "calcification",
                    mass ? s.shape : s.calcType, mass ? s.margins : s.calcDistribution, std::to_string(s.assessment), s.pathology,
                    std::to_string(s.subtlety), fullCsv, mass ? cropCsv : cropCsv + "\n", mass ? maskCsv + "\n" : maskCsv };
                po.rows.push_back(std::move(r));
                ++po.abnormalities;
            }
        }
        return po;
    }

    const fs::path& out() const { return m_out; }

private:
    bool writeImage(const std::string& folder, const std::string& study, const std::string& series, const std::string& seriesDesc,
        int instance, const Image16& img, const dicom::WriteInfo& wi, const std::string& side, const std::string& view, PatientOutput& po,
        std::string& written)
    {
        if (m_opt.layout == Layout::Cbis) {
            // NBIA's download tree: <folder>/<date>-DDSM-NA-<n>/1.000000-<series description>-<n>/1-<instance>.dcm
            fs::path dir = m_out / "CBIS-DDSM" / folder / ("07-20-2016-DDSM-NA-" + num5(std::hash<std::string> {}(study)))
                / ("1.000000-" + seriesDesc + "-" + num5(std::hash<std::string> {}(series)));
            fs::path file = dir / ("1-" + std::to_string(instance) + ".dcm");
            auto st = dicom::write(file, img, wi);
            if (!st) {
                po.error = st.error().toString();
                return false;
            }
            written = file.string();
        } else {
            const std::string rel = "jpeg/" + series + "/1-" + std::to_string(instance) + ".jpg";
            fs::path file = m_out / rel;
            Gray8 g = img.bitsStored <= 8 ? [&] {
                Gray8 m(img.width, img.height);
                for (size_t i = 0; i < m.pixels.size(); ++i)
                    m.pixels[i] = uint8_t(std::min<uint16_t>(255, img.pixels[i]));
                return m;
            }()
                                          : toJpegGray(img);
            auto st = imageio::writeJpeg(file, g, 95);
            if (!st) {
                po.error = st.error().toString();
                return false;
            }
            written = file.string();
            const auto& hdr = dataset::cbis::kaggleDicomInfoHeader();
            std::vector<std::string> cells(hdr.size());
            auto set = [&](const char* col, const std::string& val) {
                for (size_t i = 0; i < hdr.size(); ++i)
                    if (hdr[i] == col)
                        cells[i] = val;
            };
            set("file_path", "CBIS-DDSM/dicom/" + series + "/1-" + std::to_string(instance) + ".dcm");
            set("image_path", "CBIS-DDSM/" + rel);
            set("BitsAllocated", img.bitsStored <= 8 ? "8" : "16");
            set("BitsStored", img.bitsStored <= 8 ? "8" : "16");
            set("BodyPartExamined", "BREAST");
            set("Columns", std::to_string(img.width));
            set("Rows", std::to_string(img.height));
            set("Laterality", side == "LEFT" ? "L" : "R");
            set("Modality", "MG");
            set("PatientID", folder);
            set("PatientName", folder);
            set("PatientOrientation", view);
            set("PhotometricInterpretation", "MONOCHROME2");
            set("SeriesDescription", wi.seriesDescription);
            set("SeriesInstanceUID", series);
            set("StudyInstanceUID", study);
            set("SOPInstanceUID", wi.sopInstanceUid);
            set("InstanceNumber", std::to_string(instance));
            set("StudyDate", wi.studyDate);
            po.kaggle.push_back({ std::move(cells) });
        }
        ++po.files;
        return true;
    }

    fs::path m_out;
    WriteOptions m_opt;
};

uint64_t folderBytes(const fs::path& p)
{
    uint64_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(p, ec); it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec))
            n += it->file_size(ec);
    return n;
}

} // namespace

Result<WriteReport> writeDataset(const fs::path& out, const WriteOptions& opt, Progress& progress)
{
    auto t0 = std::chrono::steady_clock::now();
    if (opt.patients < 1 || opt.patients > 99999)
        return Error("--patients must be between 1 and 99999");
    if (opt.synth.width < 64 || opt.synth.height < 64 || opt.synth.width > 8192 || opt.synth.height > 8192)
        return Error("image size must be between 64 and 8192 pixels a side");
    std::error_code ec;
    if (fs::exists(out, ec) && !fs::is_empty(out, ec))
        return Error("output folder exists and is not empty (synth never overwrites data)", out.string());
    fs::create_directories(out, ec);
    if (ec)
        return Error("cannot create folder: " + ec.message(), out.string());

    Writer w(out, opt);
    std::vector<PatientOutput> results(size_t(opt.patients));
    std::atomic<int> next { 0 }, done { 0 };
    std::mutex progressMutex;
    int nThreads = opt.threads > 0 ? opt.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    nThreads = std::min(nThreads, opt.patients);
    auto work = [&] {
        for (;;) {
            int i = next.fetch_add(1);
            if (i >= opt.patients || progress.cancelled())
                return;
            results[size_t(i)] = w.patient(i);
            int d = ++done;
            std::lock_guard<std::mutex> lock(progressMutex);
            progress.report(double(d) / opt.patients, "generating patients");
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < nThreads; ++t)
        pool.emplace_back(work);
    work();
    for (auto& t : pool)
        t.join();
    if (progress.cancelled())
        return Error("cancelled", out.string());

    WriteReport rep;
    rep.patients = opt.patients;
    std::string csv[2][2], normals[2], kaggle;
    const auto& mh = dataset::cbis::massHeader();
    const auto& ch = dataset::cbis::calcHeader();
    for (int m = 0; m < 2; ++m)
        for (int t = 0; t < 2; ++t)
            csv[m][t] = csvLine(m ? mh : ch);
    for (int t = 0; t < 2; ++t)
        normals[t] = csvLine({ "patient_id", "breast density", "left or right breast", "image view", "image file path" });
    kaggle = csvLine(dataset::cbis::kaggleDicomInfoHeader());
    for (const auto& po : results) {
        if (!po.error.empty())
            return Error(po.error);
        rep.images += po.images;
        rep.lesionImages += po.lesionImages;
        rep.abnormalities += po.abnormalities;
        rep.files += po.files;
        for (const auto& r : po.rows) {
            if (r.normal)
                normals[r.test] += csvLine(r.cells);
            else
                csv[r.mass][r.test] += csvLine(r.cells);
        }
        for (const auto& k : po.kaggle)
            kaggle += csvLine(k.cells);
    }
    const fs::path csvDir = opt.layout == Layout::Kaggle ? out / "csv" : out;
    fs::create_directories(csvDir, ec);
    for (int m = 0; m < 2; ++m)
        for (int t = 0; t < 2; ++t) {
            auto err = writeFileAtomic(csvDir / dataset::cbis::descriptionFileName(m == 1, t == 0), csv[m][t]);
            if (!err.empty())
                return Error(err);
            ++rep.files;
        }
    for (int t = 0; t < 2; ++t) {
        auto err = writeFileAtomic(csvDir / (std::string("normal_case_description_") + (t ? "test" : "train") + "_set.csv"), normals[t]);
        if (!err.empty())
            return Error(err);
        ++rep.files;
    }
    if (opt.layout == Layout::Kaggle) {
        auto err = writeFileAtomic(csvDir / "dicom_info.csv", kaggle);
        if (!err.empty())
            return Error(err);
        ++rep.files;
    }
    std::string readme = "Synthetic CBIS-DDSM lookalike made by `mammoscope-cli synth` (MammoScope).\n"
                         "Phantom images, not real mammograms: for software tests, demos and benchmarks only.\n"
                         "patients "
        + std::to_string(opt.patients) + ", seed " + std::to_string(opt.synth.seed) + ", size " + std::to_string(opt.synth.width) + "x"
        + std::to_string(opt.synth.height) + "\n";
    (void)writeFileAtomic(out / "SYNTHETIC-README.txt", readme);
    ++rep.files;
    rep.bytes = folderBytes(out);
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rep;
}

} // namespace ms::synthio

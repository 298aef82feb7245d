// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/annotations/export.h"

#include "core/annotations/roi.h"
#include "core/dicom/deid.h"
#include "core/dicom/objects.h"

#include "core/annotations/effective.h"
#include "core/annotations/vocabulary.h"
#include "core/common/json.h"
#include "core/common/paths.h"
#include "core/common/strings.h"
#include "core/dataset/cbis.h"
#include "core/dataset/csv.h"
#include "core/dataset/loader.h"
#include "core/dicom/dicom.h"
#include "core/imageio/imageio.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>

namespace fs = std::filesystem;

namespace ms::annotations
{

using dataset::Abnormality;
using dataset::Dataset;

std::string formatName(ExportFormat f)
{
    switch (f) {
    case ExportFormat::Cbis:
        return "cbis";
    case ExportFormat::Coco:
        return "coco";
    case ExportFormat::Masks:
        return "masks";
    case ExportFormat::DicomSeg:
        return "dicom-seg";
    }
    return "cbis";
}

bool parseExportFormat(const std::string& s, ExportFormat& out)
{
    for (auto f : { ExportFormat::Cbis, ExportFormat::Coco, ExportFormat::Masks, ExportFormat::DicomSeg })
        if (formatName(f) == s) {
            out = f;
            return true;
        }
    return false;
}

Status writeAuditCsv(const std::vector<AuditEntry>& entries, const fs::path& file)
{
    std::string text = csvLine(
        { "id", "time", "user", "session", "item", "field", "old_value", "new_value", "old_is_original", "new_is_original", "source" },
        false);
    for (const auto& e : entries)
        text += csvLine({ std::to_string(e.id), e.time, e.user, e.session, e.item, e.field, e.oldValue, e.newValue,
                            e.oldIsOriginal ? "1" : "0", e.newIsOriginal ? "1" : "0", e.source },
            false);
    if (auto err = writeFileAtomic(file, text); !err.empty())
        return Error(err, file.string());
    return {};
}

namespace
{

bool isInside(const fs::path& child, const fs::path& parent)
{
    std::error_code ec;
    fs::path c = fs::weakly_canonical(child, ec), p = fs::weakly_canonical(parent, ec);
    auto ci = c.begin(), pi = p.begin();
    for (; pi != p.end() && !pi->empty(); ++pi, ++ci)
        if (ci == c.end() || *ci != *pi)
            return false;
    return true;
}

// (width, height) of an image file without decoding the pixels where possible.
Result<std::pair<int, int>> imageSize(const std::string& path)
{
    if (dataset::looksLikeDicom(path)) {
        auto h = dicom::readHeader(path);
        if (!h)
            return h.error();
        return std::make_pair(h->columns, h->rows);
    }
    return imageio::readSize(path);
}

struct Context {
    const Dataset& ds;
    fs::path out;
    ExportOptions opt;
    ExportReport report;
    Progress& progress;

    void problem(const std::string& file, const std::string& where, const std::string& message)
    {
        report.problems.push_back({ file, where, message });
    }

    // Where a dataset-relative path goes under the export folder, or nothing (and a problem) when it would land outside
    // it: an absolute path, "..", or a folder inside the export that is a symbolic link out of it. Nothing is created.
    std::optional<fs::path> destination(const std::string& rel, const std::string& where)
    {
        if (auto why = relativePathProblem(rel); !why.empty()) {
            problem(rel, where, why + "; an export writes only inside its folder " + out.string() + ", so this file is not exported");
            return std::nullopt;
        }
        fs::path dst = out / rel;
        if (!resolvesInside(dst.parent_path(), out)) {
            problem(dst.string(), where, "resolves outside the export folder " + out.string() + " (a symbolic link?); not exported");
            return std::nullopt;
        }
        // a link sitting at the file's own name (an earlier export's, or planted) is removed, never written through
        std::error_code ec;
        if (fs::is_symlink(fs::symlink_status(dst, ec)))
            fs::remove(dst, ec);
        return dst;
    }

    // Places an unchanged file at out/rel: a hard link (falls back to a copy), a copy, or a symlink.
    bool place(const std::string& src, const std::string& rel, const std::string& where)
    {
        std::error_code ec;
        auto to = destination(rel, where);
        if (!to)
            return false;
        const fs::path dst = *to;
        fs::create_directories(dst.parent_path(), ec);
        fs::remove(dst, ec); // a link or file inside the export folder (checked above); never what a link points to
        if (opt.files == FileMode::Symlink) {
            fs::create_symlink(fs::absolute(src), dst, ec);
            if (!ec) {
                ++report.filesLinked;
                return true;
            }
        } else if (opt.files == FileMode::Link) {
            fs::create_hard_link(src, dst, ec);
            if (!ec) {
                ++report.filesLinked;
                return true;
            }
        }
        ec.clear();
        fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
        if (ec) {
            problem(src, "", "cannot copy to " + dst.string() + ": " + ec.message());
            return false;
        }
        ++report.filesCopied;
        return true;
    }
};

Image16 maskImage(const RleMask& m)
{
    Gray8 g = m.toGray(255);
    Image16 img(g.width, g.height);
    for (size_t i = 0; i < g.pixels.size(); ++i)
        img.pixels[i] = g.pixels[i];
    img.bitsStored = 8;
    return img;
}

// The value written to a CSV column: the source row's own text when the field was not corrected (so spellings
// survive), else the corrected value.
std::string columnValue(const Abnormality& a, const std::string& column)
{
    const std::string norm = CsvTable::normalise(column);
    auto corrected = [&](const std::string& field) {
        for (const auto& [f, v] : a.corrected)
            if (f == field)
                return true;
        return false;
    };
    for (const auto& f : attributeFields()) {
        const bool matches = CsvTable::normalise(f.csvColumn) == norm || (f.name == "density" && norm == "breast density");
        if (matches && (corrected(f.name) || a.added)) {
            return fieldValue(a, f.name);
        }
    }
    for (const auto& [name, value] : a.attributes)
        if (CsvTable::normalise(name) == norm)
            return value;
    for (const auto& f : attributeFields()) // a column the source row lacked (e.g. a mass corrected to a calcification)
        if (CsvTable::normalise(f.csvColumn) == norm)
            return fieldValue(a, f.name);
    return {};
}

// New CSV paths for an added abnormality's crop and mask: "<image key>_<n>/<study>/<series>/00000k.dcm".
std::pair<std::string, std::string> newRoiPaths(const dataset::Image& im, const Abnormality& a)
{
    const uint64_t h = std::hash<std::string> {}(a.key);
    std::string study = im.studyUid.empty() ? dicom::uidFromHash(h, 1) : im.studyUid;
    std::string folder = im.key + "_" + std::to_string(a.number);
    std::string crop = folder + "/" + study + "/" + dicom::uidFromHash(h, 2) + "/000000.dcm";
    std::string mask = folder + "/" + study + "/" + dicom::uidFromHash(h, 3) + "/000001.dcm";
    return { crop, mask };
}

std::string seriesOfCsvPath(const std::string& p)
{
    auto parts = split(p, '/');
    return parts.size() >= 3 ? parts[2] : std::string();
}

Status exportCbis(Context& cx)
{
    const Dataset& ds = cx.ds;
    if (ds.format != dataset::Format::CbisDdsm)
        return Error("the cbis format needs a CBIS-DDSM (DICOM) dataset; this one is " + dataset::formatName(ds.format)
            + ": export it as coco or masks");
    // Full mammograms (every image the CSVs list, normal views included).
    std::set<std::string> placed;
    for (size_t i = 0; i < ds.images.size(); ++i) {
        if (cx.progress.cancelled())
            return Error("cancelled");
        if (i % 16 == 0)
            cx.progress.report(0.5 * double(i) / double(ds.images.size()), "linking full mammograms");
        const auto& im = ds.images[i];
        if (im.path.empty() || im.csvPath.empty()) {
            cx.problem(ds.root, im.key, "image file missing in the dataset; listed in the CSV but not exported");
            continue;
        }
        if (placed.insert(im.csvPath).second && cx.place(im.path, im.csvPath, im.key))
            ++cx.report.images;
    }
    // Rows per description file.
    struct Rows {
        std::vector<std::string> header;
        bool fromSource = false;
        std::string text;
    };
    std::map<std::string, Rows> files;
    for (bool mass : { true, false })
        for (bool train : { true, false })
            files[dataset::cbis::descriptionFileName(mass, train)].header
                = mass ? dataset::cbis::massHeader() : dataset::cbis::calcHeader();
    // Keep each source file's own header (column order and spelling): the columns of its rows as read.
    for (const auto& a : ds.abnormalities) {
        if (a.added || a.sourceFile.empty())
            continue;
        auto it = files.find(fs::path(a.sourceFile).filename().string());
        if (it == files.end() || it->second.fromSource)
            continue;
        it->second.header.clear();
        for (const auto& [col, v] : a.attributes)
            it->second.header.push_back(col);
        it->second.fromSource = true;
    }
    for (auto& [name, rows] : files)
        rows.text = csvLine(rows.header);

    for (size_t k = 0; k < ds.abnormalities.size(); ++k) {
        if (cx.progress.cancelled())
            return Error("cancelled");
        if (k % 8 == 0)
            cx.progress.report(0.5 + 0.5 * double(k) / double(ds.abnormalities.size()), "writing ROIs and description files");
        Abnormality a = ds.abnormalities[k];
        const auto& im = ds.images[size_t(a.image)];
        const bool mass = a.type == "mass";
        const bool train = a.split != dataset::Split::Test;
        const std::string file = dataset::cbis::descriptionFileName(mass, train);
        if (a.added) {
            auto [crop, mask] = newRoiPaths(im, a);
            a.cropCsvPath = crop;
            a.maskCsvPath = mask;
        }
        if (a.maskCsvPath.empty())
            a.maskCsvPath = newRoiPaths(im, a).second;
        if (a.cropCsvPath.empty() || a.cropCsvPath == a.maskCsvPath)
            a.cropCsvPath = newRoiPaths(im, a).first;

        // ROI files: unchanged ones linked, curated ones written anew.
        if (!a.roiRle.empty()) {
            auto full = dataset::loadImage(im.path);
            if (!full) {
                cx.problem(im.path, a.key, "cannot read the full mammogram for the new crop: " + full.error().message);
                continue;
            }
            auto m = roiMask(a, full->image.width, full->image.height);
            if (!m) {
                cx.problem(ds.root, a.key, m.error().message);
                continue;
            }
            dicom::WriteInfo info;
            info.patientId = a.patientId;
            info.patientName = a.patientId;
            info.laterality = a.side == "LEFT" ? "L" : "R";
            info.view = a.view;
            info.studyUid = im.studyUid.empty() ? dicom::uidFromHash(std::hash<std::string> {}(a.key), 1) : im.studyUid;
            info.manufacturer = "MammoScope curated ROI";
            const uint64_t h = std::hash<std::string> {}(a.key + "|" + a.roiRle);
            info.seriesUid = seriesOfCsvPath(a.maskCsvPath);
            info.sopInstanceUid = dicom::uidFromHash(h, 11);
            info.seriesDescription = "ROI mask images";
            const auto maskDst = cx.destination(a.maskCsvPath, a.key), cropDst = cx.destination(a.cropCsvPath, a.key);
            if (!maskDst || !cropDst)
                continue;
            std::error_code ec;
            fs::create_directories(maskDst->parent_path(), ec);
            fs::remove(*maskDst, ec);
            if (auto st = dicom::write(*maskDst, maskImage(*m), info); !st) {
                cx.problem(maskDst->string(), a.key, st.error().message);
                continue;
            }
            Rect b = m->boundingBox();
            Image16 crop = full->image.crop(b.x, b.y, b.w, b.h);
            info.seriesUid = seriesOfCsvPath(a.cropCsvPath);
            info.sopInstanceUid = dicom::uidFromHash(h, 12);
            info.seriesDescription = "cropped images";
            fs::create_directories(cropDst->parent_path(), ec);
            fs::remove(*cropDst, ec);
            if (auto st = dicom::write(*cropDst, crop, info); !st)
                cx.problem(cropDst->string(), a.key, st.error().message);
            if (auto dst = cx.destination("corrected-masks/" + safeFileName(a.key) + ".png", a.key))
                if (auto st = imageio::writePng(*dst, m->toGray(255)); !st)
                    cx.problem(dst->string(), a.key, st.error().message);
            ++cx.report.masksWritten;
        } else {
            if (!a.maskPath.empty() && placed.insert(a.maskCsvPath).second)
                cx.place(a.maskPath, a.maskCsvPath, a.key);
            if (!a.cropPath.empty() && placed.insert(a.cropCsvPath).second)
                cx.place(a.cropPath, a.cropCsvPath, a.key);
        }
        Rows& rows = files[file];
        std::vector<std::string> cells;
        for (const auto& col : rows.header) {
            const std::string n = CsvTable::normalise(col);
            if (n == "cropped image file path")
                cells.push_back(a.cropCsvPath);
            else if (n == "roi mask file path")
                cells.push_back(a.maskCsvPath);
            else if (n == "image file path")
                cells.push_back(im.csvPath);
            else
                cells.push_back(columnValue(a, col));
        }
        rows.text += csvLine(cells);
        ++cx.report.abnormalities;
    }
    for (const auto& [name, rows] : files)
        if (auto err = writeFileAtomic(cx.out / name, rows.text); !err.empty())
            return Error(err, (cx.out / name).string());
    // Views without an abnormality (MammoScope's normal-view lists of synthetic sets, and images whose every
    // abnormality a curator deleted) go to normal_case_description_*.csv so that indexing the export finds them.
    for (bool train : { true, false }) {
        std::string text = csvLine({ "patient_id", "breast density", "left or right breast", "image view", "image file path" });
        int n = 0;
        for (const auto& im : ds.images)
            if (im.abnormalities.empty() && (im.split != dataset::Split::Test) == train && placed.count(im.csvPath)) {
                text
                    += csvLine({ im.patientId, im.density > 0 ? std::to_string(im.density) : std::string(), im.side, im.view, im.csvPath });
                ++n;
            }
        const std::string name = std::string("normal_case_description_") + (train ? "train" : "test") + "_set.csv";
        if (n > 0)
            if (auto err = writeFileAtomic(cx.out / name, text); !err.empty())
                return Error(err, (cx.out / name).string());
    }
    return {};
}

// Every abnormality's ROI at its image's size, with the image size.
struct RoiJob {
    const Abnormality* a = nullptr;
    int width = 0, height = 0;
};

Result<RleMask> roiAtImageSize(Context& cx, const Abnormality& a, std::map<int, std::pair<int, int>>& sizes)
{
    const auto& im = cx.ds.images[size_t(a.image)];
    auto it = sizes.find(im.index);
    if (it == sizes.end()) {
        std::pair<int, int> s { 0, 0 };
        if (!im.path.empty())
            if (auto r = imageSize(im.path))
                s = *r;
        it = sizes.emplace(im.index, s).first;
    }
    return roiMask(a, it->second.first, it->second.second);
}

Json attributesJson(const Abnormality& a)
{
    Json j = Json::object();
    j.set("key", a.key);
    for (const auto& f : attributeFields())
        j.set(f.name, fieldValue(a, f.name));
    j.set("added", a.added);
    Json corr = Json::object();
    for (const auto& [field, original] : a.corrected)
        if (field != "roi")
            corr.set(field, original);
    j.set("corrected_from", corr);
    j.set("roi_corrected", !a.roiRle.empty());
    return j;
}

Status exportCoco(Context& cx)
{
    const Dataset& ds = cx.ds;
    Json images = Json::array(), annotations = Json::array(), categories = Json::array();
    std::map<std::string, int> categoryId;
    for (const auto& a : ds.abnormalities)
        if (!categoryId.count(a.type)) {
            int id = int(categoryId.size()) + 1;
            categoryId[a.type] = id;
        }
    for (const auto& [name, id] : categoryId) {
        Json c = Json::object();
        c.set("id", id);
        c.set("name", name);
        c.set("supercategory", "abnormality");
        categories.push(c);
    }
    std::map<int, std::pair<int, int>> sizes;
    int annId = 0;
    for (size_t i = 0; i < ds.images.size(); ++i) {
        if (cx.progress.cancelled())
            return Error("cancelled");
        cx.progress.report(double(i) / double(ds.images.size()), "writing COCO annotations");
        const auto& im = ds.images[i];
        std::pair<int, int> size { 0, 0 };
        if (!im.path.empty()) {
            if (auto r = imageSize(im.path))
                size = *r;
            else
                cx.problem(im.path, im.key, r.error().message);
        }
        sizes[im.index] = size;
        Json ji = Json::object();
        ji.set("id", int(i) + 1);
        std::error_code ec;
        ji.set("file_name", im.path.empty() ? im.csvPath : fs::relative(im.path, ds.root, ec).string());
        ji.set("width", size.first);
        ji.set("height", size.second);
        ji.set("key", im.key);
        ji.set("patient_id", im.patientId);
        ji.set("laterality", im.side);
        ji.set("view", im.view);
        ji.set("split", dataset::splitName(im.split));
        ji.set("review", im.review);
        if (!im.reviewComment.empty())
            ji.set("review_comment", im.reviewComment);
        images.push(ji);
        ++cx.report.images;
        for (int ai : im.abnormalities) {
            const Abnormality& a = ds.abnormalities[size_t(ai)];
            auto m = roiAtImageSize(cx, a, sizes);
            if (!m) {
                cx.problem(ds.root, a.key, m.error().message);
                continue;
            }
            Json seg = Json::array();
            for (const auto& poly : imageio::contours(m->toGray(255))) {
                if (poly.size() < 3)
                    continue;
                Json p = Json::array();
                for (auto [x, y] : poly) {
                    p.push(x);
                    p.push(y);
                }
                seg.push(p);
            }
            Rect b = m->boundingBox();
            Json ja = Json::object();
            ja.set("id", ++annId);
            ja.set("image_id", int(i) + 1);
            ja.set("category_id", categoryId[a.type]);
            ja.set("segmentation", seg);
            ja.set("area", (unsigned long long)m->area());
            Json bbox = Json::array();
            for (int v : { b.x, b.y, b.w, b.h })
                bbox.push(v);
            ja.set("bbox", bbox);
            ja.set("iscrowd", 0);
            ja.set("attributes", attributesJson(a));
            annotations.push(ja);
            ++cx.report.abnormalities;
            ++cx.report.masksWritten;
        }
    }
    Json root = Json::object();
    Json info = Json::object();
    info.set("description", "MammoScope export of " + ds.root + " (research use, not a medical device)");
    info.set("version", "1.0");
    root.set("info", info);
    root.set("images", images);
    root.set("annotations", annotations);
    root.set("categories", categories);
    if (auto err = writeFileAtomic(cx.out / "annotations.json", root.dump(1)); !err.empty())
        return Error(err, (cx.out / "annotations.json").string());
    return {};
}

Status exportMasks(Context& cx)
{
    const Dataset& ds = cx.ds;
    std::map<int, std::pair<int, int>> sizes;
    std::string csv = csvLine({ "key", "image_key", "image_file", "split", "abnormality_type", "pathology", "assessment", "subtlety",
                                  "mask_file", "area", "bbox_x", "bbox_y", "bbox_w", "bbox_h", "added", "corrected_fields" },
        false);
    std::error_code ec;
    fs::create_directories(cx.out / "masks", ec);
    for (size_t k = 0; k < ds.abnormalities.size(); ++k) {
        if (cx.progress.cancelled())
            return Error("cancelled");
        cx.progress.report(double(k) / double(std::max<size_t>(1, ds.abnormalities.size())), "writing masks");
        const Abnormality& a = ds.abnormalities[k];
        auto m = roiAtImageSize(cx, a, sizes);
        if (!m) {
            cx.problem(ds.root, a.key, m.error().message);
            continue;
        }
        const std::string name = "masks/" + safeFileName(a.key) + ".png";
        const auto dst = cx.destination(name, a.key);
        if (!dst)
            continue;
        if (auto st = imageio::writePng(*dst, m->toGray(255)); !st) {
            cx.problem(dst->string(), a.key, st.error().message);
            continue;
        }
        std::string fields;
        for (const auto& [f, orig] : a.corrected)
            fields += (fields.empty() ? "" : ";") + f;
        const auto& im = ds.images[size_t(a.image)];
        Rect b = m->boundingBox();
        csv += csvLine({ a.key, im.key, im.path, dataset::splitName(a.split), a.type, a.pathology, fieldValue(a, "assessment"),
                           fieldValue(a, "subtlety"), name, std::to_string(m->area()), std::to_string(b.x), std::to_string(b.y),
                           std::to_string(b.w), std::to_string(b.h), a.added ? "1" : "0", fields },
            false);
        ++cx.report.abnormalities;
        ++cx.report.masksWritten;
    }
    cx.report.images = int(ds.images.size());
    if (auto err = writeFileAtomic(cx.out / "masks.csv", csv); !err.empty())
        return Error(err, (cx.out / "masks.csv").string());
    return {};
}

Status exportDicomSeg(Context& cx)
{
    const Dataset& ds = cx.ds;
    std::error_code ec;
    fs::create_directories(cx.out / "seg", ec);
    const dicom::SegOptions so;
    for (size_t i = 0; i < ds.images.size(); ++i) {
        if (cx.progress.cancelled())
            return Error("cancelled");
        cx.progress.report(double(i) / double(std::max<size_t>(1, ds.images.size())), "writing DICOM segmentations");
        const auto& im = ds.images[i];
        if (im.abnormalities.empty())
            continue;
        ++cx.report.images;
        auto header = im.path.empty() ? Result<dicom::Header>(Error("the image file is not in the dataset")) : dicom::readHeader(im.path);
        if (!header) {
            cx.problem(
                im.path, im.key, "not exported as DICOM SEG: " + header.error().message + " (a SEG refers to a DICOM image by its UIDs)");
            continue;
        }
        std::vector<dicom::SegSegment> segments;
        for (int ai : im.abnormalities) {
            const Abnormality& a = ds.abnormalities[size_t(ai)];
            auto roi = resolveRoi(a, header->columns, header->rows);
            if (!roi) {
                cx.problem(ds.root, a.key, roi.error().message);
                continue;
            }
            if (!roi->note.empty())
                cx.problem(ds.root, a.key, roi->note);
            if (roi->mask.empty()) {
                cx.problem(ds.root, a.key, "its ROI is empty; left out of the SEG");
                continue;
            }
            dicom::SegSegment g;
            g.type = a.type;
            g.pathology = a.pathology;
            g.label = std::to_string(a.number) + " " + (a.type.empty() ? std::string("abnormality") : a.type);
            g.description = std::string(a.added ? "added by a curator" : !a.corrected.empty() ? "curated" : roiSourceName(roi->source));
            g.mask = std::move(roi->mask);
            segments.push_back(std::move(g));
        }
        if (segments.empty())
            continue;
        std::string name = safeFileName(im.key);
        if (iEndsWith(name, ".dcm")) // a folder's key is its file name
            name.resize(name.size() - 4);
        const auto dst = cx.destination("seg/" + name + ".dcm", im.key);
        if (!dst)
            continue;
        const int n = int(segments.size());
        if (auto st = dicom::writeSegmentation(im.path, segments, *dst, so); !st) {
            cx.problem(dst->string(), im.key, st.error().message);
            continue;
        }
        cx.report.abnormalities += n;
        cx.report.masksWritten += n;
    }
    return {};
}

} // namespace

Result<ExportReport> exportDataset(const Dataset& ds, const Store* store, const fs::path& out, const ExportOptions& opt, Progress& progress)
{
    const auto t0 = std::chrono::steady_clock::now();
    if (out.empty())
        return Error("no output folder given");
    // A store that cannot be read in full would export the dataset as if its corrections had never been made.
    if (store)
        if (auto snap = store->readSnapshot(); !snap)
            return Error("the annotation store cannot be read, nothing was exported: " + snap.error().message, snap.error().file);
    if (!ds.root.empty() && isInside(out, ds.root))
        return Error(
            "the export folder is inside the dataset folder " + ds.root + "; MammoScope never writes into a dataset", out.string());
    std::error_code ec;
    if (fs::exists(out, ec)) {
        if (!fs::is_directory(out, ec))
            return Error("the export target exists and is not a folder", out.string());
        const bool empty = fs::directory_iterator(out, ec) == fs::directory_iterator();
        if (!empty && !fs::exists(out / "mammoscope-export.json", ec))
            return Error("the export folder is not empty and holds no earlier MammoScope export; choose an empty folder", out.string());
    }
    fs::create_directories(out, ec);
    if (ec)
        return Error("cannot create the export folder: " + ec.message(), out.string());

    Context cx { ds, out, opt, {}, progress };
    Status st;
    switch (opt.format) {
    case ExportFormat::Cbis:
        st = exportCbis(cx);
        break;
    case ExportFormat::Coco:
        st = exportCoco(cx);
        break;
    case ExportFormat::Masks:
        st = exportMasks(cx);
        break;
    case ExportFormat::DicomSeg:
        st = exportDicomSeg(cx);
        break;
    }
    if (!st)
        return st.error();
    if (store)
        if (auto a = writeAuditCsv(store->audit(), out / "audit.csv"); !a)
            return a.error();
    cx.report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Json j = Json::object();
    j.set("format", formatName(opt.format));
    j.set("source", ds.root);
    j.set("source_format", dataset::formatName(ds.format));
    if (store) {
        j.set("store", store->path().string());
        j.set("audit_rows", store->auditCount());
    }
    j.set("images", cx.report.images);
    j.set("abnormalities", cx.report.abnormalities);
    j.set("masks_written", cx.report.masksWritten);
    j.set("files_linked", cx.report.filesLinked);
    j.set("files_copied", cx.report.filesCopied);
    j.set("problems", cx.report.problems.size());
    if (auto err = writeFileAtomic(out / "mammoscope-export.json", j.dump(2)); !err.empty())
        return Error(err, (out / "mammoscope-export.json").string());
    progress.report(1.0, "export finished");
    return cx.report;
}

Result<DeidExportReport> deidentifyExport(
    const dataset::Dataset& ds, const fs::path& staged, const fs::path& out, const std::string& key, Progress& progress)
{
    struct Cleanup {
        const fs::path& p;
        ~Cleanup() { removeTree(p); }
    } cleanup { staged };
    // The checks exportDataset made on the staging folder, made on the real output: never into the dataset.
    if (resolvesInside(out, ds.root) || resolvesInside(ds.root, out))
        return Error("the export folder may not be inside the dataset folder, nor the dataset inside it", out.string());
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(staged, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec) && it->path().extension() == ".dcm")
            files.push_back(it->path());
    std::sort(files.begin(), files.end());
    DeidExportReport rep;
    const size_t staged0 = files.size();
    dicom::DeidOptions opt;
    opt.key = key;
    for (const auto& img : ds.images) {
        if (img.path.empty())
            continue;
        if (auto h = dicom::readHeader(img.path); h && !h->sopClassUid.empty()) {
            files.emplace_back(img.path);
            if (!h->patientId.empty() && !img.patientId.empty())
                opt.patientOf[h->patientId] = img.patientId;
        }
    }
    auto r = dicom::deidentifyFiles(files, out, opt, progress);
    if (!r)
        return r.error();
    rep.problems = r->problems;
    rep.burnedIn = r->burnedIn;
    // deidentifyFiles writes in input order and lists what it left out: count the staged objects among those written
    size_t leftOutStaged = 0;
    for (const std::string& p : r->problems)
        for (size_t i = 0; i < staged0; ++i)
            if (p.rfind(files[i].string() + ":", 0) == 0)
                ++leftOutStaged;
    rep.objects = staged0 - std::min(staged0, leftOutStaged);
    rep.images = r->written - std::min(r->written, rep.objects);
    return rep;
}

fs::path stagingFolderFor(const fs::path& out)
{
    std::random_device rd;
    fs::path abs = fs::absolute(out).lexically_normal();
    if (abs.filename().empty()) // "exp/" and "exp/." name the folder exp
        abs = abs.parent_path();
    return abs.parent_path() / ("." + abs.filename().string() + ".staging-" + std::to_string(rd()));
}

} // namespace ms::annotations

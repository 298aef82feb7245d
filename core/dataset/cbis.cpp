// SPDX-License-Identifier: GPL-3.0-or-later
// CBIS-DDSM (TCIA) and its Kaggle JPEG re-release.
#include "core/dataset/cbis.h"

#include "core/common/paths.h"
#include "core/common/strings.h"
#include "core/dataset/cache.h"
#include "core/dataset/csv.h"
#include "core/dataset/dataset.h"
#include "core/imageio/imageio.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace fs = std::filesystem;

namespace ms::dataset
{

namespace cbis
{

const std::vector<std::string>& pathologies()
{
    static const std::vector<std::string> v { "MALIGNANT", "BENIGN", "BENIGN_WITHOUT_CALLBACK" };
    return v;
}
const std::vector<std::string>& massShapes()
{
    static const std::vector<std::string> v { "ROUND", "OVAL", "LOBULATED", "IRREGULAR", "ARCHITECTURAL_DISTORTION",
        "ASYMMETRIC_BREAST_TISSUE", "FOCAL_ASYMMETRIC_DENSITY", "LYMPH_NODE", "NA" };
    return v;
}
const std::vector<std::string>& massMargins()
{
    static const std::vector<std::string> v { "CIRCUMSCRIBED", "MICROLOBULATED", "OBSCURED", "ILL_DEFINED", "SPICULATED", "NA" };
    return v;
}
const std::vector<std::string>& calcTypes()
{
    static const std::vector<std::string> v { "AMORPHOUS", "COARSE", "DYSTROPHIC", "EGGSHELL", "FINE_LINEAR_BRANCHING", "LARGE_RODLIKE",
        "LUCENT_CENTER", "LUCENT_CENTERED", "MILK_OF_CALCIUM", "PLEOMORPHIC", "PUNCTATE", "ROUND_AND_REGULAR", "SKIN", "VASCULAR", "NA" };
    return v;
}
const std::vector<std::string>& calcDistributions()
{
    static const std::vector<std::string> v { "CLUSTERED", "LINEAR", "SEGMENTAL", "REGIONAL", "DIFFUSELY_SCATTERED", "NA" };
    return v;
}
const std::vector<std::string>& massHeader()
{
    static const std::vector<std::string> v { "patient_id", "breast_density", "left or right breast", "image view", "abnormality id",
        "abnormality type", "mass shape", "mass margins", "assessment", "pathology", "subtlety", "image file path",
        "cropped image file path", "ROI mask file path" };
    return v;
}
const std::vector<std::string>& calcHeader()
{
    static const std::vector<std::string> v { "patient_id", "breast density", "left or right breast", "image view", "abnormality id",
        "abnormality type", "calc type", "calc distribution", "assessment", "pathology", "subtlety", "image file path",
        "cropped image file path", "ROI mask file path" };
    return v;
}
std::string descriptionFileName(bool mass, bool train)
{
    return std::string(mass ? "mass" : "calc") + "_case_description_" + (train ? "train" : "test") + "_set.csv";
}
const std::vector<std::string>& kaggleDicomInfoHeader()
{
    static const std::vector<std::string> v { "file_path", "image_path", "AccessionNumber", "BitsAllocated", "BitsStored",
        "BodyPartExamined", "Columns", "ContentDate", "ContentTime", "ConversionType", "HighBit", "InstanceNumber",
        "LargestImagePixelValue", "Laterality", "Modality", "PatientBirthDate", "PatientID", "PatientName", "PatientOrientation",
        "PatientSex", "PhotometricInterpretation", "PixelRepresentation", "ReferringPhysicianName", "Rows", "SOPClassUID", "SOPInstanceUID",
        "SamplesPerPixel", "SecondaryCaptureDeviceManufacturer", "SecondaryCaptureDeviceManufacturerModelName", "SeriesDescription",
        "SeriesInstanceUID", "SeriesNumber", "SmallestImagePixelValue", "SpecificCharacterSet", "StudyDate", "StudyID", "StudyInstanceUID",
        "StudyTime" };
    return v;
}

} // namespace cbis

void parseCbisName(const std::string& name, std::string& patientId, std::string& side, std::string& view)
{
    // <Type>-<Split>_P_00038_LEFT_CC[_n]
    auto parts = split(name, '_');
    for (size_t i = 0; i < parts.size(); ++i) {
        if (parts[i] == "P" && i + 1 < parts.size())
            patientId = "P_" + parts[i + 1];
        if (parts[i] == "LEFT" || parts[i] == "RIGHT")
            side = parts[i];
        if (parts[i] == "CC" || parts[i] == "MLO")
            view = parts[i];
    }
}

namespace
{

struct FileRef {
    std::string path;
    int rows = 0, columns = 0;
    std::string description; // Kaggle: SeriesDescription
};

struct Resolver {
    fs::path root;
    HeaderCache* cache = nullptr;
    std::unordered_map<std::string, std::vector<FileRef>> bySeries; // series UID -> files
    std::map<std::string, std::pair<int, int>> sizeOf; // path -> (rows, cols)
    bool kaggle = false;

    static std::string seriesOf(const std::string& csvPath)
    {
        auto parts = split(std::string(trim(csvPath)), '/');
        return parts.size() >= 3 ? parts[2] : std::string();
    }

    std::pair<int, int> size(const std::string& p)
    {
        auto it = sizeOf.find(p);
        if (it != sizeOf.end())
            return it->second;
        std::pair<int, int> s { 0, 0 };
        if (iEndsWith(p, ".dcm")) {
            auto f = dicomFacts(p, cache);
            if (f.ok)
                s = { f.rows, f.columns };
        } else if (auto r = imageio::readSize(p)) {
            s = { r->second, r->first };
        }
        sizeOf[p] = s;
        return s;
    }

    // The literal CSV path (some copies of the dataset keep it), else the files of its series.
    std::vector<std::string> candidates(const std::string& csvPath)
    {
        std::vector<std::string> out;
        std::string rel(trim(csvPath));
        std::error_code ec;
        if (!relativePathProblem(rel).empty())
            return out; // a path that names a file outside the dataset is never read (the caller reports it missing)
        for (const fs::path& base : { root, root / "CBIS-DDSM" }) {
            fs::path lit = base / rel;
            if (fs::is_regular_file(lit, ec) && resolvesInside(lit, root))
                out.push_back(lit.string());
        }
        auto it = bySeries.find(seriesOf(rel));
        if (it != bySeries.end())
            for (const auto& f : it->second)
                if (std::find(out.begin(), out.end(), f.path) == out.end())
                    out.push_back(f.path);
        return out;
    }
};

// A path cell must name a file inside the dataset: the first (column, value) that is absolute or steps out with "..",
// described for the problem list; empty when all are fine (empty cells are left to the missing-file checks).
std::string badPathCell(std::initializer_list<std::pair<const char*, std::string>> cells)
{
    for (const auto& [column, value] : cells)
        if (!value.empty())
            if (auto why = relativePathProblem(value); !why.empty())
                return std::string(column) + " \"" + value + "\": " + why + " (a dataset's paths stay inside its folder)";
    return {};
}

std::string cell(const CsvRecord& r, int col)
{
    if (col < 0 || col >= int(r.cells.size()))
        return {};
    return std::string(trim(r.cells[size_t(col)]));
}

struct CsvSource {
    fs::path path;
    bool mass = false;
    bool normal = false; // MammoScope's sidecar for views without lesions (synthetic sets)
    Split split = Split::Unknown;
};

std::vector<CsvSource> findDescriptionFiles(const fs::path& root)
{
    std::vector<CsvSource> out;
    std::error_code ec;
    std::vector<fs::path> dirs { root, root / "csv", root / "CBIS-DDSM", root / "CBIS-DDSM" / "csv" };
    std::set<std::string> seen;
    for (const auto& d : dirs) {
        if (!fs::is_directory(d, ec))
            continue;
        for (const auto& e : fs::directory_iterator(d, ec)) {
            std::string n = toLower(e.path().filename().string());
            if (!e.is_regular_file(ec) || !endsWith(n, ".csv") || n.find("case_description") == std::string::npos)
                continue;
            if (!seen.insert(fs::weakly_canonical(e.path(), ec).string()).second)
                continue;
            CsvSource s;
            s.path = e.path();
            s.mass = startsWith(n, "mass");
            s.normal = startsWith(n, "normal");
            if (!s.mass && !s.normal && !startsWith(n, "calc"))
                continue;
            s.split = n.find("train") != std::string::npos ? Split::Train
                : n.find("test") != std::string::npos      ? Split::Test
                                                           : Split::Unknown;
            out.push_back(s);
        }
    }
    std::sort(out.begin(), out.end(), [](const CsvSource& a, const CsvSource& b) { return a.path.filename() < b.path.filename(); });
    return out;
}

fs::path findKaggleInfo(const fs::path& root)
{
    std::error_code ec;
    for (const auto& p : { root / "csv" / "dicom_info.csv", root / "dicom_info.csv", root / "CBIS-DDSM" / "csv" / "dicom_info.csv" })
        if (fs::is_regular_file(p, ec))
            return p;
    return {};
}

void scanDicomTree(Resolver& r, Dataset& ds, Progress& progress)
{
    std::error_code ec;
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(r.root, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec)
            break;
        if (it->is_regular_file(ec) && iEndsWith(it->path().filename().string(), ".dcm")) {
            if (it->is_symlink(ec) && !resolvesInside(it->path(), r.root))
                ds.addProblem(it->path().string(), "", "a symbolic link to a file outside the dataset folder; not read");
            else
                files.push_back(it->path());
        }
    }
    std::sort(files.begin(), files.end());
    if (r.cache)
        r.cache->begin();
    for (size_t i = 0; i < files.size(); ++i) {
        if (progress.cancelled())
            break;
        if (i % 64 == 0)
            progress.report(0.1 + 0.8 * double(i) / double(files.size()), "reading DICOM headers");
        FileFacts f = dicomFacts(files[i], r.cache);
        if (!f.ok) {
            ds.addProblem(files[i].string(), "", f.error);
            continue;
        }
        r.sizeOf[files[i].string()] = { f.rows, f.columns };
        r.bySeries[f.seriesUid].push_back({ files[i].string(), f.rows, f.columns, f.seriesDescription });
    }
    if (r.cache)
        r.cache->commit();
}

void readKaggleInfo(Resolver& r, const fs::path& info, Dataset& ds)
{
    auto t = readCsv(info);
    if (!t) {
        ds.addProblem(info.string(), t.error().where, t.error().message);
        return;
    }
    const int cImage = t->column("image_path"), cSeries = t->column("SeriesInstanceUID"), cDesc = t->column("SeriesDescription"),
              cRows = t->column("Rows"), cCols = t->column("Columns");
    if (cImage < 0 || cSeries < 0) {
        ds.addProblem(info.string(), "line 1", "missing column image_path or SeriesInstanceUID");
        return;
    }
    std::error_code ec;
    for (const auto& row : t->rows) {
        std::string rel = cell(row, cImage);
        if (startsWith(rel, "CBIS-DDSM/"))
            rel = rel.substr(10);
        if (auto why = relativePathProblem(rel); !why.empty()) {
            ds.addProblem(info.string(), "line " + std::to_string(row.line), "image_path \"" + rel + "\": " + why + "; row skipped");
            continue;
        }
        fs::path p = r.root / rel;
        if (!fs::is_regular_file(p, ec))
            continue; // reported as missing when a CSV row needs it
        if (!resolvesInside(p, r.root)) {
            ds.addProblem(p.string(), info.string() + " line " + std::to_string(row.line),
                "resolves outside the dataset folder " + r.root.string() + "; not read");
            continue;
        }
        FileRef f;
        f.path = p.string();
        f.rows = int(parseInt(cell(row, cRows)).value_or(0));
        f.columns = int(parseInt(cell(row, cCols)).value_or(0));
        f.description = cell(row, cDesc);
        if (f.rows > 0 && f.columns > 0)
            r.sizeOf[f.path] = { f.rows, f.columns };
        r.bySeries[cell(row, cSeries)].push_back(f);
    }
}

bool inVocabulary(const std::string& value, const std::vector<std::string>& vocab)
{
    for (const auto& part : split(value, '-'))
        if (std::find(vocab.begin(), vocab.end(), part) == vocab.end())
            return false;
    return true;
}

void readNormals(const CsvTable& t, const std::string& file, Split sp, Resolver& r, Dataset& ds,
    std::unordered_map<std::string, int>& imageByKey, std::set<std::string>& missing)
{
    const int cPatient = t.column("patient_id"), cDensity = t.column("breast density"), cSide = t.column("left or right breast"),
              cView = t.column("image view"), cImage = t.column("image file path");
    if (cPatient < 0 || cSide < 0 || cView < 0 || cImage < 0) {
        ds.addProblem(file, "line 1", "normal-view list needs patient_id, left or right breast, image view and image file path");
        return;
    }
    for (const auto& row : t.rows) {
        if (row.cells.size() != t.header.size()) {
            ds.addProblem(file, "line " + std::to_string(row.line),
                "row has " + std::to_string(row.cells.size()) + " cells, the header has " + std::to_string(t.header.size())
                    + "; row skipped");
            continue;
        }
        Image im;
        im.csvPath = cell(row, cImage);
        if (auto bad = badPathCell({ { "image file path", im.csvPath } }); !bad.empty()) {
            ds.addProblem(file, "line " + std::to_string(row.line), bad + "; row skipped");
            continue;
        }
        im.key = split(im.csvPath, '/').front();
        im.patientId = cell(row, cPatient);
        im.side = toUpper(cell(row, cSide));
        im.view = toUpper(cell(row, cView));
        im.split = sp;
        if (auto v = parseInt(cell(row, cDensity)); v && *v >= 1 && *v <= 4)
            im.density = int(*v);
        auto parts = split(im.csvPath, '/');
        if (parts.size() >= 3) {
            im.studyUid = parts[1];
            im.seriesUid = parts[2];
        }
        auto cands = r.candidates(im.csvPath);
        if (cands.empty())
            missing.insert(im.csvPath);
        else
            im.path = cands.front();
        if (!imageByKey.emplace(im.key, int(ds.images.size())).second) {
            ds.addProblem(file, "line " + std::to_string(row.line), "image " + im.key + " is listed twice");
            continue;
        }
        ds.images.push_back(std::move(im));
    }
}

} // namespace

Result<Dataset> readCbis(const fs::path& root, HeaderCache* cache, Progress& progress)
{
    auto sources = findDescriptionFiles(root);
    if (sources.empty())
        return Error("no CBIS-DDSM description CSVs (mass_/calc_case_description_*.csv) found", root.string());
    Dataset ds;
    ds.root = root.string();
    Resolver r;
    r.root = root;
    r.cache = cache;
    fs::path kaggleInfo = findKaggleInfo(root);
    std::error_code ec;
    if (!kaggleInfo.empty() || fs::is_directory(root / "jpeg", ec)) {
        ds.format = Format::KaggleJpeg;
        r.kaggle = true;
        if (!kaggleInfo.empty()) {
            ds.descriptionFiles.push_back(kaggleInfo.string());
            readKaggleInfo(r, kaggleInfo, ds);
        } else {
            ds.addProblem((root / "csv" / "dicom_info.csv").string(), "", "Kaggle layout without dicom_info.csv: images cannot be located");
        }
    } else {
        ds.format = Format::CbisDdsm;
        scanDicomTree(r, ds, progress);
    }
    if (progress.cancelled())
        return Error("cancelled");

    std::unordered_map<std::string, int> imageByKey;
    std::set<std::pair<std::string, int>> seenAbnormality;
    std::set<std::string> missing;
    size_t done = 0;
    for (const auto& src : sources) {
        progress.report(0.9 + 0.1 * double(done++) / double(sources.size()), "reading " + src.path.filename().string());
        ds.descriptionFiles.push_back(src.path.string());
        auto t = readCsv(src.path);
        if (!t) {
            ds.addProblem(t.error().file, t.error().where, t.error().message);
            continue;
        }
        const std::string file = src.path.string();
        if (src.normal) {
            readNormals(*t, file, src.split, r, ds, imageByKey, missing);
            continue;
        }
        const int cPatient = t->column("patient_id"), cDensity = t->column("breast density"), cSide = t->column("left or right breast"),
                  cView = t->column("image view"), cId = t->column("abnormality id"), cType = t->column("abnormality type"),
                  cShape = t->column(src.mass ? "mass shape" : "calc type"),
                  cMargin = t->column(src.mass ? "mass margins" : "calc distribution"), cAssess = t->column("assessment"),
                  cPath = t->column("pathology"), cSubtle = t->column("subtlety"), cImage = t->column("image file path"),
                  cCrop = t->column("cropped image file path"), cMask = t->column("ROI mask file path");
        std::vector<std::string> missingCols;
        for (auto [c, n] : std::initializer_list<std::pair<int, const char*>> { { cPatient, "patient_id" },
                 { cSide, "left or right breast" }, { cView, "image view" }, { cId, "abnormality id" }, { cType, "abnormality type" },
                 { cPath, "pathology" }, { cImage, "image file path" } })
            if (c < 0)
                missingCols.push_back(n);
        if (!missingCols.empty()) {
            std::string m = "not a CBIS-DDSM description file: missing column";
            for (const auto& c : missingCols)
                m += " '" + c + "'";
            ds.addProblem(file, "line 1", m);
            continue;
        }
        for (const auto& row : t->rows) {
            const std::string where = "line " + std::to_string(row.line);
            if (row.cells.size() != t->header.size()) {
                ds.addProblem(file, where,
                    "row has " + std::to_string(row.cells.size()) + " cells, the header has " + std::to_string(t->header.size())
                        + "; row skipped");
                continue;
            }
            Abnormality a;
            a.sourceFile = file;
            a.sourceLine = row.line;
            a.split = src.split;
            for (size_t c = 0; c < t->header.size(); ++c)
                a.attributes.emplace_back(t->header[c], std::string(trim(row.cells[c])));
            a.patientId = cell(row, cPatient);
            a.side = toUpper(cell(row, cSide));
            a.view = toUpper(cell(row, cView));
            a.type = toLower(cell(row, cType));
            a.pathology = toUpper(cell(row, cPath));
            std::string imagePath = cell(row, cImage);
            if (a.patientId.empty() || imagePath.empty()) {
                ds.addProblem(file, where, "empty patient_id or image file path; row skipped");
                continue;
            }
            if (a.side != "LEFT" && a.side != "RIGHT")
                ds.addProblem(file, where, "left or right breast is '" + a.side + "', expected LEFT or RIGHT");
            if (a.view != "CC" && a.view != "MLO")
                ds.addProblem(file, where, "image view is '" + a.view + "', expected CC or MLO");
            if (a.type != "mass" && a.type != "calcification")
                ds.addProblem(file, where, "abnormality type is '" + a.type + "', expected mass or calcification");
            if (std::find(cbis::pathologies().begin(), cbis::pathologies().end(), a.pathology) == cbis::pathologies().end())
                ds.addProblem(file, where, "pathology is '" + a.pathology + "', expected MALIGNANT, BENIGN or BENIGN_WITHOUT_CALLBACK");
            auto num = parseInt(cell(row, cId));
            if (!num || *num < 1)
                ds.addProblem(file, where, "abnormality id '" + cell(row, cId) + "' is not a positive integer");
            a.number = num && *num >= 1 ? int(*num) : 1;
            if (auto v = parseInt(cell(row, cAssess)); v && *v >= 0 && *v <= 5)
                a.assessment = int(*v);
            else if (cAssess >= 0)
                ds.addProblem(file, where, "assessment '" + cell(row, cAssess) + "' is not a BI-RADS category 0-5; shown as unknown");
            if (auto v = parseInt(cell(row, cSubtle)); v && *v >= 1 && *v <= 5)
                a.subtlety = int(*v);
            else if (cSubtle >= 0)
                ds.addProblem(file, where, "subtlety '" + cell(row, cSubtle) + "' is outside 1-5; shown as unknown");
            if (auto v = parseInt(cell(row, cDensity)); v && *v >= 1 && *v <= 4)
                a.density = int(*v);
            else if (cDensity >= 0)
                ds.addProblem(file, where, "breast density '" + cell(row, cDensity) + "' is outside 1-4; shown as unknown");
            if (src.mass) {
                a.massShape = cell(row, cShape);
                a.massMargins = cell(row, cMargin);
                if (!a.massShape.empty() && !inVocabulary(a.massShape, cbis::massShapes()))
                    ds.addProblem(file, where, "unknown mass shape '" + a.massShape + "'");
                if (!a.massMargins.empty() && !inVocabulary(a.massMargins, cbis::massMargins()))
                    ds.addProblem(file, where, "unknown mass margins '" + a.massMargins + "'");
            } else {
                a.calcType = cell(row, cShape);
                a.calcDistribution = cell(row, cMargin);
                if (!a.calcType.empty() && !inVocabulary(a.calcType, cbis::calcTypes()))
                    ds.addProblem(file, where, "unknown calcification type '" + a.calcType + "'");
                if (!a.calcDistribution.empty() && !inVocabulary(a.calcDistribution, cbis::calcDistributions()))
                    ds.addProblem(file, where, "unknown calcification distribution '" + a.calcDistribution + "'");
            }
            a.cropCsvPath = cell(row, cCrop);
            a.maskCsvPath = cell(row, cMask);
            if (auto bad = badPathCell({ { "image file path", imagePath }, { "cropped image file path", a.cropCsvPath },
                    { "ROI mask file path", a.maskCsvPath } });
                !bad.empty()) {
                ds.addProblem(file, where, bad + "; row skipped");
                continue;
            }

            const std::string key = split(imagePath, '/').front();
            auto [it, inserted] = imageByKey.emplace(key, int(ds.images.size()));
            if (inserted) {
                Image im;
                im.key = key;
                im.patientId = a.patientId;
                im.side = a.side;
                im.view = a.view;
                im.split = a.split;
                im.csvPath = imagePath;
                im.density = a.density;
                auto parts = split(imagePath, '/');
                if (parts.size() >= 3) {
                    im.studyUid = parts[1];
                    im.seriesUid = parts[2];
                }
                auto cands = r.candidates(imagePath);
                if (r.kaggle) // the Kaggle series folder may hold only this image; prefer its full-mammogram row
                    for (const auto& f : r.bySeries[im.seriesUid])
                        if (toLower(f.description).find("full") != std::string::npos)
                            cands = { f.path };
                if (!cands.empty()) {
                    std::string best;
                    long long bestArea = -1;
                    for (const auto& c : cands) {
                        auto s = r.size(c);
                        if ((long long)s.first * s.second > bestArea) {
                            bestArea = (long long)s.first * s.second;
                            best = c;
                        }
                    }
                    im.path = best;
                } else {
                    missing.insert(imagePath);
                }
                ds.images.push_back(std::move(im));
            } else {
                const Image& im = ds.images[size_t(it->second)];
                if (im.side != a.side || im.view != a.view)
                    ds.addProblem(file, where,
                        "image " + key + " was described as " + im.side + " " + im.view + " before, now " + a.side + " " + a.view);
            }
            a.image = it->second;
            if (!seenAbnormality.insert({ key + "/" + a.type, a.number }).second)
                ds.addProblem(file, where, "abnormality " + std::to_string(a.number) + " of " + key + " is described twice");

            // Crop and mask: the files of both series; the mask is the one with the full image's size.
            std::vector<std::string> cands = r.candidates(a.cropCsvPath);
            for (const auto& c : r.candidates(a.maskCsvPath))
                if (std::find(cands.begin(), cands.end(), c) == cands.end())
                    cands.push_back(c);
            const Image& im = ds.images[size_t(a.image)];
            std::pair<int, int> fullSize = im.path.empty() ? std::pair<int, int> { 0, 0 } : r.size(im.path);
            if (r.kaggle) {
                for (const auto& s : { Resolver::seriesOf(a.cropCsvPath), Resolver::seriesOf(a.maskCsvPath) })
                    for (const auto& f : r.bySeries[s]) {
                        std::string d = toLower(f.description);
                        if (d.find("mask") != std::string::npos && a.maskPath.empty())
                            a.maskPath = f.path;
                        else if (d.find("crop") != std::string::npos && a.cropPath.empty())
                            a.cropPath = f.path;
                    }
            }
            if (a.maskPath.empty() || a.cropPath.empty()) {
                std::string mask, crop;
                for (const auto& c : cands) {
                    if (c == im.path)
                        continue;
                    auto s = r.size(c);
                    bool fullSized = fullSize.first > 0 && s == fullSize;
                    if (fullSized && mask.empty())
                        mask = c;
                    else if (!fullSized && crop.empty())
                        crop = c;
                }
                if (fullSize.first == 0 && cands.size() == 2) { // full image unknown: the larger file is the mask
                    auto s0 = r.size(cands[0]), s1 = r.size(cands[1]);
                    bool firstLarger = (long long)s0.first * s0.second >= (long long)s1.first * s1.second;
                    mask = firstLarger ? cands[0] : cands[1];
                    crop = firstLarger ? cands[1] : cands[0];
                }
                if (a.maskPath.empty())
                    a.maskPath = mask;
                if (a.cropPath.empty())
                    a.cropPath = crop;
            }
            if (a.maskPath.empty() && !a.maskCsvPath.empty())
                missing.insert(a.maskCsvPath);
            if (a.cropPath.empty() && !a.cropCsvPath.empty())
                missing.insert(a.cropCsvPath);
            ds.abnormalities.push_back(std::move(a));
        }
    }
    ds.missingFiles.assign(missing.begin(), missing.end());
    if (!ds.missingFiles.empty()) {
        size_t refs = ds.images.size() + 2 * ds.abnormalities.size();
        ds.addProblem(root.string(), "",
            std::to_string(ds.missingFiles.size()) + " of " + std::to_string(refs)
                + " image files referenced by the description files were not found"
                + (ds.missingFiles.size() == refs ? " (the folder holds only the CSVs)" : ""));
    }
    ds.finalise();
    return ds;
}

} // namespace ms::dataset

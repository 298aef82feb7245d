// SPDX-License-Identifier: GPL-3.0-or-later
// A plain folder of DICOM, PNG, JPEG, PGM or TIFF images: every image is an entry; patient, side and view come
// from the DICOM header where there is one, else from the file and folder names. Images of one woman are grouped by
// their names as public sets write them (a patient or exam prefix, then side and view tokens: P1_L_DM_MLO,
// Mass-Training_P_00001_LEFT_CC, A_0040_1.RIGHT_MLO), so the four-view layout works on a folder of PNGs. Masks and
// label maps beside their image (NAME_mask.png, NAME_roi.png, NAME_benign/_malignant.png; NAME_LI.png, NAME_label.png;
// or any NAME_X.png whose pixels have two values (a mask) or up to eight (a label map))
// belong to that image: a lesion mask makes it abnormal with that ROI, a label map is kept with it; neither is listed
// as a mammogram.
#include "core/common/strings.h"
#include "core/dataset/cache.h"
#include "core/dataset/dataset.h"
#include "core/dicom/objects.h"
#include "core/imageio/imageio.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace ms::dataset
{

namespace
{

constexpr const char* kSegmentationStorage = "1.2.840.10008.5.1.4.1.1.66.4";
// Basic Text, Enhanced, Comprehensive, Comprehensive 3D and Mammography CAD SR
bool isStructuredReport(const std::string& sopClass)
{
    for (const char* c : { "1.2.840.10008.5.1.4.1.1.88.11", "1.2.840.10008.5.1.4.1.1.88.22", "1.2.840.10008.5.1.4.1.1.88.33",
             "1.2.840.10008.5.1.4.1.1.88.34", "1.2.840.10008.5.1.4.1.1.88.50" })
        if (sopClass == c)
            return true;
    return false;
}

void sideViewFromName(const std::string& name, std::string& side, std::string& view)
{
    std::string u = toUpper(name);
    for (char& c : u)
        if (c == '.' || c == '-' || c == ' ')
            c = '_';
    for (const auto& t : split(u, '_')) {
        if (side.empty() && (t == "LEFT" || t == "L"))
            side = "LEFT";
        if (side.empty() && (t == "RIGHT" || t == "R"))
            side = "RIGHT";
        if (view.empty() && (t == "CC" || t == "MLO"))
            view = t;
        if (side.empty() && view.empty() && t.size() >= 3 && (t[0] == 'L' || t[0] == 'R')
            && (t.substr(1) == "CC" || t.substr(1) == "MLO")) {
            side = t[0] == 'L' ? "LEFT" : "RIGHT";
            view = t.substr(1);
        }
    }
}

bool isSideOrViewToken(const std::string& t)
{
    static const char* kTokens[] = { "L", "R", "LEFT", "RIGHT", "CC", "MLO", "LCC", "RCC", "LMLO", "RMLO", "ML", "LM", "XCCL" };
    for (const char* k : kTokens)
        if (t == k)
            return true;
    return false;
}

// The woman a file in the folder's top level belongs to, from its name: the tokens before the first side or view token,
// without a modality token (MG, DM, CM, CESM) and without CBIS-DDSM's lesion/split prefix. Empty when the name has
// no side or view token (then each file is its own patient, as before).
std::string patientFromName(const std::string& stem)
{
    std::string u = stem;
    for (char& c : u)
        if (c == '.' || c == '-' || c == ' ')
            c = '_';
    const auto tokens = split(u, '_');
    std::vector<std::string> keep;
    bool found = false;
    for (size_t i = 0; i < tokens.size(); ++i) {
        const std::string t = toUpper(tokens[i]);
        if (isSideOrViewToken(t)) {
            found = true;
            break;
        }
        if (t.empty() || t == "MG" || t == "DM" || t == "CM" || t == "CESM")
            continue;
        if (keep.empty() && (t == "MASS" || t == "CALC") && i + 1 < tokens.size()) {
            const std::string n = toUpper(tokens[i + 1]);
            if (n == "TRAINING" || n == "TEST") {
                ++i;
                continue;
            }
        }
        keep.push_back(tokens[i]);
    }
    if (!found || keep.empty())
        return {};
    std::string id;
    for (const auto& k : keep)
        id += (id.empty() ? "" : "_") + k;
    return id;
}

enum class Companion { None, LesionMask, LabelMap };

// Whether a file name says it is a mask or label map of another image: its kind, the image's name (lower case) and,
// for NAME_benign / NAME_malignant, the pathology.
Companion companionOf(const std::string& stem, std::string& imageStem, std::string& pathology)
{
    const std::string l = toLower(stem);
    struct Suffix {
        const char* text;
        Companion kind;
        const char* pathology;
    };
    static const Suffix kSuffixes[] = { { "_mask", Companion::LesionMask, "" }, { "-mask", Companion::LesionMask, "" },
        { " mask", Companion::LesionMask, "" }, { "_masks", Companion::LesionMask, "" }, { "_roi", Companion::LesionMask, "" },
        { "_benign", Companion::LesionMask, "BENIGN" }, { "_malignant", Companion::LesionMask, "MALIGNANT" },
        { "_li", Companion::LabelMap, "" }, { "_label", Companion::LabelMap, "" }, { "_labels", Companion::LabelMap, "" },
        { "_seg", Companion::LabelMap, "" }, { "_tissue", Companion::LabelMap, "" } };
    for (const auto& s : kSuffixes) {
        const size_t n = std::strlen(s.text);
        if (l.size() > n && l.compare(l.size() - n, n, s.text) == 0) {
            imageStem = l.substr(0, l.size() - n);
            pathology = s.pathology;
            return s.kind;
        }
    }
    return Companion::None;
}

std::string stemOf(const fs::path& p)
{
    std::string s = p.filename().string();
    for (const char* ext : { ".nii.gz", ".dcm", ".png", ".jpg", ".jpeg", ".pgm", ".tif", ".tiff", ".bmp" })
        if (iEndsWith(s, ext))
            return s.substr(0, s.size() - std::strlen(ext));
    return p.stem().string();
}

// What a file's pixels say it is, for NAME<sep>ANYTHING beside NAME: a lesion mask has two values (background and
// lesion; a JPEG one nearly all its pixels near those two), a label map a few (tissue classes: 3-8), a mammogram
// hundreds. An image of one value (an empty mask, or
// nothing) says nothing. Files that cannot be read stay images (their problem is reported when they are read as such).
Companion companionByContent(const fs::path& p, bool& empty)
{
    empty = false;
    auto img = imageio::read(p);
    if (!img || img->empty())
        return Companion::None;
    std::set<uint16_t> values;
    uint16_t top = 0;
    for (uint16_t v : img->pixels) {
        top = std::max(top, v);
        if (values.size() <= 8)
            values.insert(v);
    }
    if (values.size() > 8) {
        // a lossy (JPEG) mask: nearly every pixel near black or near its brightest value; a mammogram has its tissue
        // in between
        size_t ends = 0;
        for (uint16_t v : img->pixels)
            ends += v <= top / 10 || v >= top - top / 10;
        return double(ends) >= 0.98 * double(img->pixels.size()) ? Companion::LesionMask : Companion::None;
    }
    if (values.size() == 1) {
        empty = *values.begin() == 0;
        return empty ? Companion::LesionMask : Companion::None;
    }
    return values.size() == 2 ? Companion::LesionMask : Companion::LabelMap;
}

} // namespace

Result<Dataset> readFolder(const fs::path& root, HeaderCache* cache, Progress& progress)
{
    std::error_code ec;
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec)
            break;
        const auto& p = it->path();
        if (!p.filename().empty() && p.filename().string()[0] == '.') {
            if (it->is_directory(ec))
                it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file(ec) && (iEndsWith(p.string(), ".dcm") || imageio::isImageFileName(p)))
            files.push_back(p);
    }
    if (files.empty())
        return Error("not a dataset: no CBIS-DDSM CSVs, no mini-MIAS Info.txt and no DICOM/PNG/JPEG/PGM/TIFF images", root.string());
    std::sort(files.begin(), files.end());
    Dataset ds;
    ds.format = Format::Folder;
    ds.root = root.string();

    // Companions first: a file whose name is another file's name plus a mask or label suffix, in the same folder.
    std::map<std::pair<std::string, std::string>, size_t> byStem; // (folder, lower-case stem) -> file
    for (size_t i = 0; i < files.size(); ++i)
        byStem[{ files[i].parent_path().string(), toLower(stemOf(files[i])) }] = i;
    struct Attached {
        std::vector<std::pair<std::string, std::string>> masks; // path, pathology
        std::string labelMap;
    };
    std::map<size_t, Attached> attached; // image file -> its companions
    std::vector<bool> isCompanion(files.size(), false);
    for (size_t i = 0; i < files.size(); ++i) {
        std::string imageStem, pathology;
        const Companion kind = companionOf(stemOf(files[i]), imageStem, pathology);
        if (kind == Companion::None)
            continue;
        auto it = byStem.find({ files[i].parent_path().string(), imageStem });
        if (it == byStem.end() || it->second == i) {
            if (kind == Companion::LesionMask) { // a mask by its name, whose image is not here: not a mammogram either
                isCompanion[i] = true;
                ds.addProblem(files[i].string(), "", "a mask without its image (no " + imageStem + ".* beside it); skipped");
            }
            continue;
        }
        isCompanion[i] = true;
        if (kind == Companion::LesionMask)
            attached[it->second].masks.emplace_back(files[i].string(), pathology);
        else
            attached[it->second].labelMap = files[i].string();
    }
    // Then by content: NAME<separator>ANYTHING beside NAME (the longest such NAME), not named as a companion, whose
    // pixels are a mask or a label map (CBIS-style "_1", "_gt", "_annotation" and other names we cannot know).
    for (size_t i = 0; i < files.size(); ++i) {
        if (isCompanion[i] || iEndsWith(files[i].string(), ".dcm"))
            continue;
        const std::string stem = toLower(stemOf(files[i]));
        size_t image = files.size();
        for (size_t k = stem.size(); k-- > 1;) {
            if (stem[k] != '_' && stem[k] != '-' && stem[k] != ' ' && stem[k] != '.')
                continue;
            auto it = byStem.find({ files[i].parent_path().string(), stem.substr(0, k) });
            if (it != byStem.end() && it->second != i && !isCompanion[it->second]) {
                image = it->second;
                break;
            }
        }
        if (image == files.size())
            continue;
        bool empty = false;
        const Companion kind = companionByContent(files[i], empty);
        if (kind == Companion::None)
            continue;
        isCompanion[i] = true;
        if (empty)
            ds.addProblem(files[i].string(), "", "an empty mask of " + files[image].filename().string() + " (no lesion marked); skipped");
        else if (kind == Companion::LesionMask)
            attached[image].masks.emplace_back(files[i].string(), "");
        else if (attached[image].labelMap.empty())
            attached[image].labelMap = files[i].string();
    }
    if (cache)
        cache->begin();
    std::vector<fs::path> segmentations; // DICOM SEGs: ROIs of the images they name, not images
    std::vector<fs::path> reports; // DICOM SRs: findings on the images they name (CAD marks)
    std::map<std::string, size_t> bySopInstance; // DICOM images by SOP Instance UID -> index in ds.images
    for (size_t i = 0; i < files.size(); ++i) {
        if (progress.cancelled())
            break;
        if (i % 32 == 0)
            progress.report(double(i) / double(files.size()), "scanning images");
        const fs::path& p = files[i];
        if (isCompanion[i])
            continue;
        Image im;
        im.groundTruth = false; // a folder of images says nothing of what they show
        im.path = p.string();
        im.key = fs::relative(p, root, ec).string();
        im.csvPath = im.key;
        std::string stem = p.filename().string();
        std::string base = stem.substr(0, stem.find('.'));
        fs::path parent = p.parent_path();
        const bool topLevel = fs::equivalent(parent, root, ec);
        im.patientId = topLevel ? base : parent.filename().string();
        if (topLevel)
            if (std::string named = patientFromName(stemOf(p)); !named.empty())
                im.patientId = named;
        if (iEndsWith(p.string(), ".dcm")) {
            FileFacts f = dicomFacts(p, cache);
            if (!f.ok) {
                ds.addProblem(p.string(), "", f.error);
                continue;
            }
            if (f.sopClassUid == kSegmentationStorage) {
                segmentations.push_back(p);
                continue;
            }
            if (isStructuredReport(f.sopClassUid)) {
                reports.push_back(p);
                continue;
            }
            if (f.rows <= 0) {
                ds.addProblem(p.string(), "", "not an image (SOP Class " + f.sopClassUid + "); skipped");
                continue;
            }
            if (!f.patientId.empty())
                im.patientId = f.patientId;
            im.side = f.laterality == "L" ? "LEFT" : f.laterality == "R" ? "RIGHT" : "";
            im.view = f.view;
            im.studyUid = f.studyUid;
            im.seriesUid = f.seriesUid;
            if (!f.sopInstanceUid.empty())
                bySopInstance[f.sopInstanceUid] = ds.images.size();
        }
        sideViewFromName(stem, im.side, im.view);
        if (auto at = attached.find(i); at != attached.end()) {
            im.labelMapPath = at->second.labelMap;
            for (const auto& [maskPath, pathology] : at->second.masks) {
                // A lesion mask says where a lesion is: the image is abnormal there (its type unknown, its pathology
                // only when the name gives it).
                Abnormality a;
                a.image = int(ds.images.size());
                a.patientId = im.patientId;
                a.side = im.side;
                a.view = im.view;
                a.pathology = pathology;
                a.maskPath = maskPath;
                a.maskCsvPath = fs::relative(maskPath, root, ec).string();
                a.sourceFile = maskPath;
                ds.abnormalities.push_back(std::move(a));
                im.groundTruth = true;
            }
        }
        ds.images.push_back(std::move(im));
    }
    // DICOM Segmentations beside the images (ours, a PACS's, another viewer's): each segment an abnormality of the
    // image the SEG names, its ROI read from the SEG when shown (core/annotations/roi.h).
    for (const auto& p : segmentations) {
        if (progress.cancelled())
            break;
        auto seg = dicom::readSegmentation(p);
        if (!seg) {
            ds.addProblem(p.string(), "", seg.error().message);
            continue;
        }
        auto it = bySopInstance.find(seg->referencedSopInstanceUid);
        if (it == bySopInstance.end()) {
            ds.addProblem(p.string(), "",
                "a DICOM Segmentation of an image that is not in this folder (SOP Instance UID "
                    + (seg->referencedSopInstanceUid.empty() ? std::string("not given") : seg->referencedSopInstanceUid) + "); skipped");
            continue;
        }
        Image& im = ds.images[it->second];
        for (const auto& s : seg->segments) {
            if (s.mask.empty())
                continue;
            Abnormality a;
            a.image = int(it->second);
            a.patientId = im.patientId;
            a.side = im.side;
            a.view = im.view;
            const std::string type = toLower(s.propertyType);
            a.type = type; // mass, calcification, or what the SEG calls it
            const std::string text = toLower(s.description + " " + s.label);
            a.pathology = text.find("malignant") != std::string::npos ? "MALIGNANT"
                : text.find("benign") != std::string::npos            ? "BENIGN"
                                                                      : "";
            a.maskPath = p.string();
            a.maskSegment = s.number;
            a.maskCsvPath = fs::relative(p, root, ec).string() + "#" + std::to_string(s.number);
            a.sourceFile = p.string();
            ds.abnormalities.push_back(std::move(a));
            im.groundTruth = true;
        }
    }
    // Structured reports: attached to every image one of their findings is on; read again when the image is shown.
    for (const auto& p : reports) {
        if (progress.cancelled())
            break;
        auto sr = dicom::readFindingsSr(p);
        if (!sr) {
            ds.addProblem(p.string(), "", sr.error().message);
            continue;
        }
        size_t attachedTo = 0;
        std::set<size_t> seen;
        for (const auto& f : sr->findings)
            if (auto it = bySopInstance.find(f.imageSopInstanceUid); it != bySopInstance.end() && seen.insert(it->second).second) {
                ds.images[it->second].reports.push_back(p.string());
                ++attachedTo;
            }
        if (attachedTo == 0 && !sr->findings.empty())
            ds.addProblem(p.string(), "", "a structured report on images that are not in this folder; skipped");
    }
    if (cache)
        cache->commit();
    ds.finalise();
    return ds;
}

} // namespace ms::dataset

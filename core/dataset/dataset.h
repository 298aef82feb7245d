// SPDX-License-Identifier: GPL-3.0-or-later
// One dataset model for every layout MammoScope reads: patients -> images (full mammograms, each with its study
// and series) -> abnormalities (with every attribute of their CSV row, their crop and ROI mask files).
// Datasets are read-only: nothing here writes inside the dataset folder.
#pragma once

#include "core/common/json.h"
#include "core/common/progress.h"
#include "core/common/result.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ms::dataset
{

enum class Format { CbisDdsm, KaggleJpeg, MiniMias, ImagesMasks, Folder };
enum class Split { Train, Test, Unknown };

std::string formatName(Format f); // "cbis-ddsm", "kaggle-jpeg", "mini-mias", "images-masks", "folder"
std::string splitName(Split s); // "train", "test", "unknown"

struct Problem {
    std::string file;
    std::string where; // "line 12", "tag (0020,000e)", ...
    std::string message;
};

struct Abnormality {
    int index = -1; // position in Dataset::abnormalities
    int image = -1; // index of its full mammogram in Dataset::images
    std::string patientId;
    std::string side; // LEFT / RIGHT
    std::string view; // CC / MLO
    int number = 1; // 'abnormality id' within the image
    std::string type; // mass, calcification (MIAS also: architectural distortion, asymmetry)
    std::string massShape, massMargins, calcType, calcDistribution;
    int assessment = -1; // BI-RADS 0-5, -1 unknown
    int subtlety = -1; // 1-5
    int density = -1; // breast density 1-4
    std::string pathology; // MALIGNANT, BENIGN, BENIGN_WITHOUT_CALLBACK
    Split split = Split::Unknown;
    std::string cropPath; // resolved file, empty when missing
    std::string maskPath; // resolved file, empty when missing
    int maskSegment = 0; // > 0: maskPath is a DICOM Segmentation and the ROI is this segment of it
    std::string cropCsvPath, maskCsvPath; // as written in the CSV
    // Circle ROI when the dataset gives one (mini-MIAS), in image pixels with the origin top-left; radius < 0: none.
    double centerX = -1, centerY = -1, radius = -1;
    std::string sourceFile; // CSV or Info.txt
    int sourceLine = 0;
    std::vector<std::pair<std::string, std::string>> attributes; // every column of the source row, in order

    // Curation (core/annotations fills these in the effective dataset; the reader leaves them empty).
    std::string key; // "<image key>#<number>": stable across re-indexing
    std::string roiRle; // a curator's ROI mask (RleMask::toString()); replaces maskPath / the circle when set
    bool added = false; // added by a curator
    std::vector<std::pair<std::string, std::string>> corrected; // field -> the dataset's own value, for each override
};

struct Image {
    int index = -1;
    std::string key; // e.g. "Mass-Training_P_00001_LEFT_CC", "mdb001", relative path in a folder
    std::string patientId;
    std::string side; // LEFT / RIGHT / ""
    std::string view; // CC / MLO / ""
    Split split = Split::Unknown;
    std::string path; // resolved absolute file path, empty when missing
    std::string csvPath; // as referenced by the dataset's description files
    std::string studyUid, seriesUid;
    int density = -1;
    std::vector<int> abnormalities;
    // A label map that came with the image (a plain folder's NAME_LI.png beside NAME.png: tissue classes, not a lesion).
    std::string labelMapPath;
    std::vector<std::string> reports; // DICOM SRs beside the image that report findings on it (CAD marks)
    // Whether the dataset says what this image shows (normal, or its lesions): true for images its description files
    // list (CBIS-DDSM CSVs, mini-MIAS Info.txt), false for a plain image folder. An image without ground truth is never
    // "normal": it is left out of every agreement figure.
    bool groundTruth = true;

    // Curation: "unreviewed", "reviewed", "corrected", "flagged" (core/annotations), and the reviewer's comment.
    std::string review = "unreviewed";
    std::string reviewComment;
};

struct Patient {
    std::string id;
    std::vector<int> images;
};

struct Dataset {
    Format format = Format::Folder;
    std::string root;
    std::vector<std::string> descriptionFiles; // CSVs / Info.txt read
    std::vector<Patient> patients;
    std::vector<Image> images;
    std::vector<Abnormality> abnormalities;
    std::vector<std::string> missingFiles; // referenced but not found (full, crop, mask), unique
    std::vector<Problem> problems;
    bool fromCache = false;

    const Patient* findPatient(const std::string& id) const;
    // Builds patients from images (sorted by id) and links abnormalities to images.
    void finalise();
    void addProblem(std::string file, std::string where, std::string message);
};

// Summary as printed by `mammoscope-cli index --json`.
Json summaryJson(const Dataset& ds);
// Whole model (for the cache and for tools).
Json toJson(const Dataset& ds);
Result<Dataset> fromJson(const Json& j);

struct OpenOptions {
    bool useCache = true;
    std::filesystem::path cacheFile; // default: appCacheDir()/index.sqlite
};

// Whether a folder holds phantoms of MammoScope's generator (it writes SYNTHETIC-README.txt at the top), not real
// mammograms.
bool isPhantomDataset(const std::filesystem::path& root);

// Detects the layout and indexes it. Fails (with a message) only when `root` is not a dataset at all.
Result<Dataset> open(const std::filesystem::path& root, const OpenOptions& opt = {}, Progress& progress = nullProgress());

// Individual readers (used by open(); public for tests).
Result<Dataset> readCbis(const std::filesystem::path& root, class HeaderCache* cache, Progress& progress);
Result<Dataset> readMias(const std::filesystem::path& root, Progress& progress);
Result<Dataset> readFolder(const std::filesystem::path& root, class HeaderCache* cache, Progress& progress);
// images/ and masks/ side by side (core/dataset/imagesmasks.cpp), with an optional per-image CSV.
bool hasImagesAndMasks(const std::filesystem::path& root);
Result<Dataset> readImagesMasks(const std::filesystem::path& root, Progress& progress);

// Parses side and view out of a CBIS-DDSM folder name such as "Calc-Test_P_00038_LEFT_CC_1".
void parseCbisName(const std::string& name, std::string& patientId, std::string& side, std::string& view);

} // namespace ms::dataset

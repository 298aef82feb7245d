// SPDX-License-Identifier: GPL-3.0-or-later
// Exports the effective dataset (original + corrections) into a new folder. The dataset folder is only read.
//   cbis   the CBIS-DDSM layout: the four description CSVs with the original columns and spellings (corrected
//          values, deleted rows left out, added rows appended), the full mammograms, crops and masks at the paths
//          the CSVs name (hard links to the originals where unchanged, else copies), corrected and added ROIs as new
//          mask DICOMs (8-bit, 0/255, the full image's size) with their crops, and the same masks as PNG under
//          corrected-masks/. Indexing the folder again gives the corrected dataset. Needs a CBIS-DDSM (DICOM) source.
//   coco   annotations.json in COCO format: images (paths relative to the dataset folder), categories (abnormality
//          types), annotations with polygon segmentation, bbox, area and the CBIS-DDSM attributes.
//   masks  masks/<abnormality key>.png at the image's size and masks.csv describing them.
//   dicom-seg  seg/<image key>.dcm: one DICOM Segmentation per DICOM image with ROIs, one segment per abnormality
//          (type coded in SNOMED CT, pathology and curation state in its description), referencing its image by UIDs
//          and copying its patient and study (core/dicom/objects.h); what PACS and DICOM viewers show. Images that are
//          not DICOM are listed as problems (a SEG needs its source's UIDs).
// Each format also writes audit.csv (the store's audit log) and mammoscope-export.json (what, from where, when).
#pragma once

#include "core/annotations/store.h"
#include "core/common/progress.h"
#include "core/dataset/dataset.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ms::annotations
{

enum class ExportFormat { Cbis, Coco, Masks, DicomSeg };
std::string formatName(ExportFormat f); // "cbis", "coco", "masks", "dicom-seg"
bool parseExportFormat(const std::string& s, ExportFormat& out);

enum class FileMode { Link, Copy, Symlink }; // how unchanged image files reach the cbis export (Link: hard link, copy if that fails)

struct ExportOptions {
    ExportFormat format = ExportFormat::Cbis;
    FileMode files = FileMode::Link;
};

struct ExportReport {
    int images = 0, abnormalities = 0;
    int masksWritten = 0; // new mask files (corrected or added ROIs, or every mask for coco/masks)
    int filesLinked = 0, filesCopied = 0;
    std::vector<dataset::Problem> problems; // per item; the export goes on
    double seconds = 0;
};

// `store` may be null (no audit.csv then). Refuses an output folder inside the dataset, and a non-empty folder that
// is not an earlier MammoScope export.
Result<ExportReport> exportDataset(const dataset::Dataset& effectiveDs, const Store* store, const std::filesystem::path& out,
    const ExportOptions& opt, Progress& progress = nullProgress());

// export --deidentify: what an export wrote into `staged` (its .dcm objects: SEGs, SRs) and every DICOM image of `ds`,
// de-identified together into `out` (core/dicom/deid.h), so the objects keep pointing at their images; the dataset's
// grouping of images into women (not CBIS-DDSM's one Patient ID per image) gives the pseudonyms. `staged` is removed
// after, whatever happens. `objects` is set to the number of staged objects.
struct DeidExportReport {
    size_t objects = 0, images = 0; // written
    std::vector<std::string> problems, burnedIn;
};
Result<DeidExportReport> deidentifyExport(const dataset::Dataset& ds, const std::filesystem::path& staged, const std::filesystem::path& out,
    const std::string& key, Progress& progress = nullProgress());
// A fresh staging folder beside `out` (never inside a dataset: beside the export folder), not yet created.
std::filesystem::path stagingFolderFor(const std::filesystem::path& out);

Status writeAuditCsv(const std::vector<AuditEntry>& entries, const std::filesystem::path& file);

} // namespace ms::annotations

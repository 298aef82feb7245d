// SPDX-License-Identifier: GPL-3.0-or-later
// De-identification of DICOM objects for sharing (#16): the Basic Application Level Confidentiality Profile of
// PS3.15 Annex E (Table E.1-1), with the Retain Longitudinal Temporal Information with Modified Dates option.
//
// - Patient Name and Patient ID become one pseudonym ("ANON-" + 10 hex digits), a keyed SHA-256 of the original ID.
// - Every date (DA, and the date part of DT) is shifted by a whole number of days that is fixed per patient (1 to
//   3,650 days back, from the key and the original ID), so intervals within a woman's history stay true.
// - Every UID (UI) is replaced by a 2.25 UID derived from the key and the original (class and transfer syntax UIDs,
//   and the DICOM standard's own 1.2.840.10008 UIDs, are kept), so a SEG or SR de-identified with the same key still
//   points at its de-identified image, and two exports with one key agree.
// - Every person name (PN) other than the patient's is emptied; the identifying attributes the profile lists (IDs,
//   birth date, addresses, institution, station, physicians, operators, accession and study ID,
//   descriptions and comments) are removed or emptied as Table E.1-1 says (emptied where a module requires them);
//   private attributes, overlays and unknown-VR elements are removed; Device Serial Number gets a dummy (Type 1 in
//   SEG's Enhanced General Equipment).
// - Patient Identity Removed = YES, De-identification Method and its code sequence (113100, 113107) are added.
//
// What stays is what a reader of mammograms needs: sex and age are removed by the profile, but laterality, view,
// pixel spacing, windows and the pixels themselves are kept. Pixels are not inspected: an image whose Burned In
// Annotation is YES is reported, since its pixels may carry a name. Text Value items of structured reports are kept
// (the Clean Structured Content option is not applied: our SRs hold no names, another CAD's might).
// The key is the user's secret; with the same key the same inputs give the same outputs, byte for byte.
#pragma once

#include "core/common/progress.h"
#include "core/common/result.h"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ms::dicom
{

struct DeidOptions {
    std::string key; // the secret that keys pseudonyms, date shifts and UIDs; at least 16 characters
    // Patient ID in a file -> the woman it belongs to, where a dataset knows better than the header (CBIS-DDSM writes
    // one Patient ID per image, "Calc-Training_P_00001_LEFT_CC"; its woman is P_00001). Absent: the header's ID.
    std::map<std::string, std::string> patientOf;
};

// The key: the first line of `keyFile` when given (at least 16 characters); else $MAMMOSCOPE_DEID_KEY; else this
// account's own key (<data folder>/deid-key, 256 random bits made on first use, readable by its owner only), so that
// exports made on this account agree with each other. `made` (optional) says whether the key file was made now.
Result<std::string> deidKey(const std::optional<std::filesystem::path>& keyFile, bool* made = nullptr);

// The pseudonym and the date shift the key gives a patient ID (also for the audit of an export).
std::string deidPseudonym(const std::string& key, const std::string& patientId);
int deidDateShiftDays(const std::string& key, const std::string& patientId); // 1..3650, applied backwards
std::string deidUid(const std::string& key, const std::string& uid); // a 2.25 UID; DICOM's own UIDs unchanged

struct DeidResult {
    std::string pseudonym;
    std::string sopInstanceUid; // the new one
    bool burnedInAnnotation = false; // the pixels may carry identifying text (Burned In Annotation not NO)
};

// De-identifies one file into `out` (written atomically; `in` is never written). Refuses a key shorter than 16
// characters and files that are not DICOM, naming the file.
Result<DeidResult> deidentifyFile(const std::filesystem::path& in, const std::filesystem::path& out, const DeidOptions& options);

struct DeidReport {
    size_t written = 0;
    std::vector<std::string> problems; // "FILE: reason" (not DICOM, unreadable): left out
    std::vector<std::string> burnedIn; // written, but their pixels may carry identifying text
};

// The given DICOM files into `out`/<pseudonym>/<new SOP Instance UID>.dcm; files that are not DICOM are problems.
Result<DeidReport> deidentifyFiles(const std::vector<std::filesystem::path>& files, const std::filesystem::path& out,
    const DeidOptions& options, Progress& progress = nullProgress());

// Every DICOM file under `in` (recursively) into `out`/<pseudonym>/<new SOP Instance UID>.dcm (file and folder names
// in the input may hold names or IDs, so none is kept). `out` must not be inside `in`, nor `in` inside `out`.
Result<DeidReport> deidentifyFolder(
    const std::filesystem::path& in, const std::filesystem::path& out, const DeidOptions& options, Progress& progress = nullProgress());

} // namespace ms::dicom

// SPDX-License-Identifier: GPL-3.0-or-later
// A classic DICOM node (a PACS) over DIMSE, with DCMTK's dcmnet behind this header (#16): verify (C-ECHO), search
// studies (C-FIND, Study Root, study level), retrieve a study into a folder (C-GET: the objects come back on the same
// association, so no port has to be opened for the PACS to call) and send files (C-STORE).
//
// What comes back from a PACS is outside data: the files are named here (never after a UID the peer chose), a study
// is received into a hidden partial folder and renamed into place only when it is complete (a half-retrieved study
// never shows up as a dataset), and a retrieve stops at a file-count and byte budget. Patient names are returned to
// the caller (who asked for them) but never written into error messages.
#pragma once

#include "core/common/progress.h"
#include "core/common/result.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ms::dicom
{

// A DICOM application entity to talk to.
struct PacsNode {
    std::string host = "127.0.0.1";
    int port = 4242;
    std::string calledAe = "ORTHANC"; // the PACS's AE title
    std::string callingAe = "MAMMOSCOPE"; // ours
    int timeoutSeconds = 30; // connection, association and each DIMSE message
};

// Checks host, port (1..65535), AE titles (1..16 characters of the DICOM default repertoire, no backslash) and timeout.
Status validatePacsNode(const PacsNode& node);

// Study-level keys; empty fields match anything. Dates are YYYYMMDD; a range is "FROM-TO" (either side may be empty).
struct StudyQuery {
    std::string patientId, patientName; // wildcards * and ? as DICOM allows
    std::string studyDate; // "20240101", "20240101-20241231", "-20231231"
    std::string accessionNumber;
    std::string modality = "MG"; // Modalities in Study; empty: any
    std::string studyInstanceUid;
};

// Refuses keys a PACS would misread (a backslash, control characters, a malformed date or UID) with a message naming
// the key.
Status validateStudyQuery(const StudyQuery& query);

struct StudyMatch {
    std::string studyInstanceUid, patientId, patientName, studyDate, studyTime, accessionNumber, modalities, description;
    int series = -1, instances = -1; // -1: the PACS did not say
};

// The PACS answers its C-ECHO.
Status pacsEcho(const PacsNode& node);

// Studies matching `query`; at most `limit` (more: the search is cancelled on the PACS and the result cut, `truncated`
// set).
struct StudySearch {
    std::vector<StudyMatch> studies;
    bool truncated = false;
};
Result<StudySearch> pacsFindStudies(
    const PacsNode& node, const StudyQuery& query, size_t limit = 1000, Progress& progress = nullProgress());

struct RetrieveLimits {
    size_t maxFiles = 10000;
    std::uint64_t maxBytes = std::uint64_t(8) << 30; // 8 GiB
};

struct Retrieved {
    std::filesystem::path folder; // destRoot/<study folder>, complete
    size_t files = 0;
    std::uint64_t bytes = 0;
    int failed = 0, warnings = 0; // sub-operations the PACS reported as failed or with warnings
    bool replaced = false; // a folder of the same study was there and was replaced
};

// Retrieves one study with C-GET into destRoot/<a folder named after the study UID>. Objects arrive into a hidden
// partial folder that is removed on failure or cancellation and renamed into place on success (replacing an older
// retrieve of the same study). A study the PACS could not send whole (a failed sub-operation, a failure status) is an
// error and nothing is kept. Cancellation (progress.cancelled()) aborts the association.
Result<Retrieved> pacsRetrieveStudy(const PacsNode& node, const std::string& studyInstanceUid, const std::filesystem::path& destRoot,
    const RetrieveLimits& limits = {}, Progress& progress = nullProgress());

// The folder name pacsRetrieveStudy uses for a study (only digits and dots of the UID; a hash if that is unusable).
std::string studyFolderName(const std::string& studyInstanceUid);

struct Sent {
    size_t sent = 0;
    std::vector<std::string> problems; // "FILE: reason" for each file not stored
};

// Sends DICOM files with C-STORE on one association (contexts proposed for each file's SOP class and transfer syntax).
// A file that is not DICOM, or that the PACS refuses, is a problem, not the end; an association that cannot be made is
// an error.
Result<Sent> pacsSend(const PacsNode& node, const std::vector<std::filesystem::path>& files, Progress& progress = nullProgress());

} // namespace ms::dicom

// SPDX-License-Identifier: GPL-3.0-or-later
// Private: what the DIMSE and the DICOMweb clients share: UID checks and how a retrieved study gets into place.
#pragma once

#include "core/common/result.h"
#include "core/dicom/pacs.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ms::dicom::detail
{

// Digits and dots, at most 64, no empty component at either end: safe in a file name and in a URL path.
bool validUid(const std::string& uid);

// Newest study first (date, time), then by UID: the order both clients return.
void sortStudies(std::vector<StudyMatch>& studies);

// A hidden folder beside the study's final folder for objects while they arrive (created here).
Result<std::filesystem::path> makePartialFolder(const std::filesystem::path& destRoot, const std::string& studyUid);

// Moves a complete `partial` folder to destRoot/<study folder>, replacing an earlier retrieve (moved aside first, so
// a failed rename leaves it in place); on failure `partial` is removed. `replaced` says whether one was there.
Result<std::filesystem::path> commitStudyFolder(
    const std::filesystem::path& partial, const std::filesystem::path& destRoot, const std::string& studyUid, bool& replaced);

} // namespace ms::dicom::detail

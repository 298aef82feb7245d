// SPDX-License-Identifier: GPL-3.0-or-later
// Loads any image file MammoScope shows: DICOM (by content, whatever the extension) or an ordinary image file.
#pragma once

#include "core/common/result.h"
#include "core/dicom/dicom.h"
#include "core/image/image.h"

#include <filesystem>
#include <optional>

namespace ms::dataset
{

struct LoadedImage {
    Image16 image;
    std::optional<dicom::Header> header; // for DICOM files
    std::vector<dicom::Tag> tags;
};

bool looksLikeDicom(const std::filesystem::path& p); // "DICM" at 128, or a .dcm name
Result<LoadedImage> loadImage(const std::filesystem::path& p, bool wantTags = false);

// An ROI mask file (DICOM, PNG or JPEG) as a binary image: 255 where the stored value is at least half the file's
// maximum (so JPEG compression noise around 0 is not the lesion), 0 elsewhere. One rule for every reader of masks.
Result<Gray8> loadMask(const std::filesystem::path& p);
// One segment of a DICOM Segmentation as a mask (255 inside), at the segmentation's size.
Result<Gray8> loadSegmentMask(const std::filesystem::path& seg, int segmentNumber);

} // namespace ms::dataset

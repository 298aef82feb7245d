// SPDX-License-Identifier: GPL-3.0-or-later
// Writes a synthetic CBIS-DDSM lookalike: TCIA folder tree (or the Kaggle JPEG re-release layout), 16-bit MG DICOMs,
// ROI masks and crops, and the four description CSVs with TCIA's headers and quirks. Views without a lesion go to
// "Normal-<split>_P_xxxxx_SIDE_VIEW" folders listed in normal_case_description_*.csv (not part of CBIS-DDSM, which
// has no normal images; MammoScope reads them so that every patient has all four views).
#pragma once

#include "core/common/progress.h"
#include "core/common/result.h"
#include "core/synth/phantom.h"

#include <filesystem>

namespace ms::synthio
{

enum class Layout { Cbis, Kaggle };

struct WriteOptions {
    synth::Options synth;
    int patients = 24;
    Layout layout = Layout::Cbis;
    int threads = 0; // 0: hardware concurrency
    // A woman's full mammograms as one study under her ID (as a PACS holds an exam), not CBIS-DDSM's one study and one
    // Patient ID per image; crops and ROI masks keep CBIS-DDSM's form.
    bool oneStudyPerWoman = false;
};

struct WriteReport {
    int patients = 0;
    int images = 0; // full mammograms, normal views included
    int lesionImages = 0; // full mammograms with at least one abnormality (the CBIS-DDSM CSV images)
    int abnormalities = 0;
    int files = 0;
    uint64_t bytes = 0;
    double seconds = 0;
};

Result<WriteReport> writeDataset(const std::filesystem::path& out, const WriteOptions& opt, Progress& progress = nullProgress());

} // namespace ms::synthio

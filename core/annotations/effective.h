// SPDX-License-Identifier: GPL-3.0-or-later
// The effective dataset: the dataset as read from its folder with a store's corrections applied. It is what every
// view, filter, export and training run sees. Corrected fields remember the dataset's own value (for badges and
// hover text); deleted abnormalities are gone, added ones are appended with `added` set; ROIs drawn by a curator
// travel as RLE in Abnormality::roiRle.
#pragma once

#include "core/annotations/store.h"
#include "core/dataset/dataset.h"
#include "core/image/mask.h"

#include <string>

namespace ms::annotations
{

std::string abnormalityKey(const std::string& imageKey, int number); // "Mass-Training_P_00001_LEFT_CC#1"
// The image key and number of an abnormality key; false when `key` is not one.
bool parseAbnormalityKey(const std::string& key, std::string& imageKey, int& number);

// An abnormality's own value of a field, as stored: "MALIGNANT", "4", "mass", "" when the dataset has none.
std::string fieldValue(const dataset::Abnormality& a, const std::string& field);
// Writes a field's value into the struct and into the matching CSV column of `attributes` (when present).
void setFieldValue(dataset::Abnormality& a, const std::string& field, const std::string& value);

dataset::Dataset effective(const dataset::Dataset& original, const Snapshot& corrections);

// The next free abnormality number of an image (existing and added ones counted, deleted ones too).
int nextAbnormalityNumber(const dataset::Dataset& effectiveDs, const Snapshot& corrections, int imageIndex);

// An abnormality's ROI as a mask of its image's size (resolveRoi in roi.h: the curator's RLE, else the mask file,
// else the circle; a mask of the same shape is scaled, of another shape refused). `imageWidth/Height` of 0: the
// mask's own size.
Result<RleMask> roiMask(const dataset::Abnormality& a, int imageWidth, int imageHeight);

// Summary of a review: counts of each status over the images that have abnormalities (or all images when none has).
struct ReviewProgress {
    int total = 0, reviewed = 0, corrected = 0, flagged = 0, unreviewed = 0;
    int done() const { return reviewed + corrected + flagged; }
};
ReviewProgress reviewProgress(const dataset::Dataset& effectiveDs);

} // namespace ms::annotations

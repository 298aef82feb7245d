// SPDX-License-Identifier: GPL-3.0-or-later
// Sample extraction for the three tasks:
//  - patches: the five classes of TFDS cbis_ddsm 'patches' (BACKGROUND, BENIGN_CALCIFICATION, BENIGN_MASS,
//    MALIGNANT_CALCIFICATION, MALIGNANT_MASS): lesion patches centred on ROI pixels (so they overlap the mask),
//    background patches from breast tissue that touches no ROI, some of them across the breast's edge;
//  - roi: benign vs malignant on a square crop around each ROI;
//  - whole: malignant vs not for the whole image resized.
// One intensity path for training and inference: toModelInput8 (window from the breast histogram, to 8 bits).
#pragma once

#include "core/image/image.h"
#include "core/image/mask.h"
#include "core/shards/shards.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ms::sampling
{

enum class Task { Patches, Roi, Whole };
std::string taskName(Task t);
bool parseTask(const std::string& s, Task& t);
std::vector<std::string> classNames(Task t);
// For reports: which classes are malignant / benign (empty when the task has no such split).
std::vector<int> malignantClasses(Task t);
std::vector<int> benignClasses(Task t);

struct Options {
    Task task = Task::Patches;
    int size = 224; // patch / ROI crop side
    int wholeWidth = 896, wholeHeight = 1152;
    int lesionPatches = 4; // per abnormality
    int backgroundPatches = 4; // per image, anywhere in the breast (at least half the patch breast)
    // per image, straddling the breast's edge (skin line, air, the pectoral's edge): a dense map covers those cells
    // too, and without such patches they were most of its false positives on normal images
    int edgePatches = 2;
    double scale = 1.0; // the image is resized by this factor before sampling
};

struct Lesion {
    RleMask mask; // image-sized
    bool malignant = false;
    bool mass = true; // false: calcification
    int abnormality = -1;
};

struct ImageInput {
    const Image16* image = nullptr;
    RleMask breast; // empty: found by Otsu's threshold
    std::vector<Lesion> lesions;
    std::string patient, imageKey;
};

// The model's view of an image: breast-window to 8 bits (the same for training and inference).
Gray8 toModelInput8(const Image16& img);
RleMask breastMask(const Image16& img);

// Appends the samples of one image to `out` (whose task, classes and size must be set, see makeSet).
void sampleImage(const ImageInput& in, const Options& opt, uint64_t seed, shards::SampleSet& out);
shards::SampleSet makeSet(const Options& opt);

// train / val / test by patient: the official test split stays apart; val is a stable hash of the patient id.
std::string splitFor(const std::string& patient, bool officialTest, double valFraction = 0.15);

} // namespace ms::sampling

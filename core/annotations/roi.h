// SPDX-License-Identifier: GPL-3.0-or-later
// Which ROI wins, decided once (#19 item 3): the curator's drawn ROI (RLE in the store), else the dataset's mask file,
// else its circle. One rule for a mask whose size differs from its image, for every caller (reading view, prepare,
// export, scoring): of the same shape (aspect ratios within 2 %) it is scaled to the image, and the note says so; of
// another shape it is refused (it belongs to another image or view), naming the file and both sizes. A mask file's
// strokes (open lines beside the lesion, such as a breast outline traced along the skin: core/image/components.h
// withoutStrokes) are left out, and the note says so.
#pragma once

#include "core/common/result.h"
#include "core/dataset/dataset.h"
#include "core/image/mask.h"

#include <string>

namespace ms::annotations
{

enum class RoiSource { Curated, MaskFile, Circle };
const char* roiSourceName(RoiSource s); // "curated ROI", "mask file", "circle"

struct ResolvedRoi {
    RleMask mask; // the image's size
    RoiSource source = RoiSource::Circle;
    std::string note; // e.g. "mask is 1000x1600, the image 2000x3200: scaled to fit"; empty when nothing was adjusted
};

// The ROI of abnormality `a` on an image of width x height pixels (0 x 0: the mask's own size; a circle then needs a
// size and fails). An error names the abnormality or the mask file and the problem.
Result<ResolvedRoi> resolveRoi(const dataset::Abnormality& a, int width, int height);

// The size rule alone (for masks that come from elsewhere): `mask` at width x height, scaled when its shape agrees.
// `what` names the mask in messages.
Result<ResolvedRoi> fitMask(RleMask mask, int width, int height, const std::string& what, RoiSource source);

} // namespace ms::annotations

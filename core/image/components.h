// SPDX-License-Identifier: GPL-3.0-or-later
// Connected components of a binary mask (4-connected, iterative: no recursion however large the region).
#pragma once

#include "core/image/mask.h"

#include <cstdint>
#include <vector>

namespace ms
{

// Labels the 4-connected components of the nonzero pixels of `mask` (w x h, row-major) in `labels` (0 outside, then
// 1, 2, ...); returns their sizes in pixels (index 0 unused).
std::vector<long long> labelComponents(const uint8_t* mask, int w, int h, std::vector<int>& labels);

// The largest 4-connected component of the nonzero pixels of `mask` as a 0/1 mask of the same size (all 0 when the
// mask is empty).
std::vector<uint8_t> largestComponent(const uint8_t* mask, int w, int h);

// The mask without its strokes: 8-connected parts that are open lines rather than regions (with their holes filled,
// at least 8 times longer than their mean thickness, area / longer side of their bounding box), such as the breast
// outline that some public sets' lesion masks trace along the skin (CDD-CESM as re-released). A closed outline is a
// region (its inside fills). A line that runs into a region counts when what an opening (a square 1/32 of the mask's
// size) takes off the region holds a part 16 times longer than thick and a quarter of the mask long. `removed`: how
// many pixels were left out. A mask of nothing but strokes comes back whole.
// Works on the mask's bounding box only.
RleMask withoutStrokes(const RleMask& mask, long long* removed = nullptr);

} // namespace ms

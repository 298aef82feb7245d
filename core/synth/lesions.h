// SPDX-License-Identifier: GPL-3.0-or-later
// Private to core/synth: rendering of masses and calcification clusters into a float canvas.
#pragma once

#include "core/image/mask.h"
#include "core/synth/phantom.h"

#include <vector>

namespace ms::synth::detail
{

struct Canvas {
    int w = 0, h = 0;
    std::vector<float> v;
    float& at(int x, int y) { return v[size_t(y) * size_t(w) + size_t(x)]; }
};

// Adds the lesion centred at (cx, cy) px; spacing in mm/px. Returns its ROI mask (canvas size).
RleMask renderMass(Canvas& c, const LesionSpec& s, double cx, double cy, double spacing, double contrast, bool draw);
RleMask renderCalcifications(Canvas& c, const LesionSpec& s, double cx, double cy, double spacing, double contrast, bool draw);

} // namespace ms::synth::detail

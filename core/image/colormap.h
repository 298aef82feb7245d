// SPDX-License-Identifier: GPL-3.0-or-later
// Colormaps for heatmap overlays: inferno and viridis (perceptually uniform, matplotlib's, here as 9 anchors
// interpolated linearly) and jet (for those used to it; not perceptually uniform).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace ms
{

enum class Colormap { Inferno, Viridis, Jet };

// RGB of v in [0, 1] (clamped).
std::array<uint8_t, 3> colormap(Colormap m, double v);
std::string colormapName(Colormap m);
bool parseColormap(const std::string& s, Colormap& out);

} // namespace ms

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/image/colormap.h"

#include <algorithm>
#include <cmath>

namespace ms
{

namespace
{
using Anchor = std::array<uint8_t, 3>;
constexpr Anchor kInferno[9] = { { 0, 0, 4 }, { 31, 12, 72 }, { 85, 15, 109 }, { 136, 34, 106 }, { 186, 54, 85 }, { 227, 89, 51 },
    { 249, 140, 10 }, { 249, 201, 50 }, { 252, 255, 164 } };
constexpr Anchor kViridis[9] = { { 68, 1, 84 }, { 71, 45, 123 }, { 59, 82, 139 }, { 44, 114, 142 }, { 33, 145, 140 }, { 40, 174, 128 },
    { 94, 201, 98 }, { 173, 220, 48 }, { 253, 231, 37 } };
constexpr Anchor kJet[9] = { { 0, 0, 128 }, { 0, 0, 255 }, { 0, 128, 255 }, { 0, 255, 255 }, { 128, 255, 128 }, { 255, 255, 0 },
    { 255, 128, 0 }, { 255, 0, 0 }, { 128, 0, 0 } };
} // namespace

std::array<uint8_t, 3> colormap(Colormap m, double v)
{
    const Anchor* a = m == Colormap::Viridis ? kViridis : m == Colormap::Jet ? kJet : kInferno;
    if (!std::isfinite(v))
        v = 0;
    const double t = std::clamp(v, 0.0, 1.0) * 8.0;
    const int i = std::min(7, int(t));
    const double f = t - i;
    std::array<uint8_t, 3> out {};
    for (int c = 0; c < 3; ++c)
        out[size_t(c)] = uint8_t(std::lround(a[i][size_t(c)] * (1 - f) + a[i + 1][size_t(c)] * f));
    return out;
}

std::string colormapName(Colormap m)
{
    return m == Colormap::Viridis ? "viridis" : m == Colormap::Jet ? "jet" : "inferno";
}

bool parseColormap(const std::string& s, Colormap& out)
{
    if (s == "inferno")
        out = Colormap::Inferno;
    else if (s == "viridis")
        out = Colormap::Viridis;
    else if (s == "jet")
        out = Colormap::Jet;
    else
        return false;
    return true;
}

} // namespace ms

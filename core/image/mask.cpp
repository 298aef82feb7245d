// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/image/mask.h"

#include "core/image/resample.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace ms
{

RleMask::RleMask(int w, int h) : m_w(std::max(0, w)), m_h(std::max(0, h))
{
    if (m_w * size_t(m_h) > 0)
        m_counts.push_back(uint32_t(size_t(m_w) * size_t(m_h)));
}

RleMask RleMask::fromBinary(const uint8_t* p, int w, int h, uint8_t threshold)
{
    RleMask m;
    m.m_w = w;
    m.m_h = h;
    const size_t n = size_t(w) * size_t(h);
    bool cur = false;
    uint32_t run = 0;
    for (size_t i = 0; i < n; ++i) {
        bool on = p[i] >= threshold;
        if (on != cur) {
            m.m_counts.push_back(run);
            run = 0;
            cur = on;
        }
        ++run;
    }
    if (n)
        m.m_counts.push_back(run);
    return m;
}

Gray8 RleMask::toGray(uint8_t on) const
{
    Gray8 g(m_w, m_h, 0);
    size_t pos = 0;
    bool val = false;
    for (uint32_t c : m_counts) {
        if (val)
            std::fill_n(g.pixels.begin() + std::ptrdiff_t(pos), c, on);
        pos += c;
        val = !val;
    }
    return g;
}

bool RleMask::empty() const
{
    return area() == 0;
}

uint64_t RleMask::area() const
{
    uint64_t a = 0;
    for (size_t i = 1; i < m_counts.size(); i += 2)
        a += m_counts[i];
    return a;
}

Rect RleMask::boundingBox() const
{
    int x0 = m_w, y0 = m_h, x1 = -1, y1 = -1;
    size_t pos = 0;
    for (size_t i = 0; i < m_counts.size(); ++i) {
        if (i % 2 == 1 && m_counts[i] > 0) {
            size_t a = pos, b = pos + m_counts[i] - 1;
            int ya = int(a / size_t(m_w)), yb = int(b / size_t(m_w));
            y0 = std::min(y0, ya);
            y1 = std::max(y1, yb);
            if (ya != yb) {
                x0 = 0;
                x1 = m_w - 1;
            } else {
                x0 = std::min(x0, int(a % size_t(m_w)));
                x1 = std::max(x1, int(b % size_t(m_w)));
            }
        }
        pos += m_counts[i];
    }
    if (x1 < 0)
        return {};
    return { x0, y0, x1 - x0 + 1, y1 - y0 + 1 };
}

bool RleMask::contains(int x, int y) const
{
    if (x < 0 || y < 0 || x >= m_w || y >= m_h)
        return false;
    size_t target = size_t(y) * size_t(m_w) + size_t(x), pos = 0;
    for (size_t i = 0; i < m_counts.size(); ++i) {
        if (target < pos + m_counts[i])
            return i % 2 == 1;
        pos += m_counts[i];
    }
    return false;
}

RleMask RleMask::ellipse(int w, int h, double cx, double cy, double rx, double ry)
{
    Gray8 g(w, h, 0);
    for (int y = std::max(0, int(cy - ry - 1)); y <= std::min(h - 1, int(cy + ry + 1)); ++y)
        for (int x = std::max(0, int(cx - rx - 1)); x <= std::min(w - 1, int(cx + rx + 1)); ++x) {
            double dx = (x - cx) / std::max(rx, 1e-9), dy = (y - cy) / std::max(ry, 1e-9);
            if (dx * dx + dy * dy <= 1.0)
                g.at(x, y) = 1;
        }
    return fromGray(g);
}

RleMask RleMask::polygon(int w, int h, const std::vector<std::pair<double, double>>& pts)
{
    Gray8 g(w, h, 0);
    const size_t n = pts.size();
    if (n >= 3) {
        std::vector<double> xs;
        for (int y = 0; y < h; ++y) {
            double py = y + 0.5;
            xs.clear();
            for (size_t i = 0, j = n - 1; i < n; j = i++) {
                auto [xi, yi] = pts[i];
                auto [xj, yj] = pts[j];
                if ((yi > py) != (yj > py))
                    xs.push_back(xi + (py - yi) / (yj - yi) * (xj - xi));
            }
            std::sort(xs.begin(), xs.end());
            for (size_t k = 0; k + 1 < xs.size(); k += 2) {
                int a = std::max(0, int(std::ceil(xs[k] - 0.5))), b = std::min(w - 1, int(std::floor(xs[k + 1] - 0.5)));
                for (int x = a; x <= b; ++x)
                    g.at(x, y) = 1;
            }
        }
    }
    return fromGray(g);
}

template <class Op> static RleMask combine(const RleMask& a, const RleMask& b, Op op)
{
    Gray8 ga = a.toGray(1), gb = b.toGray(1);
    if (ga.width != gb.width || ga.height != gb.height)
        return a;
    for (size_t i = 0; i < ga.pixels.size(); ++i)
        ga.pixels[i] = uint8_t(op(ga.pixels[i] != 0, gb.pixels[i] != 0) ? 1 : 0);
    return RleMask::fromGray(ga);
}

RleMask RleMask::unite(const RleMask& o) const
{
    return combine(*this, o, [](bool x, bool y) { return x || y; });
}
RleMask RleMask::intersect(const RleMask& o) const
{
    return combine(*this, o, [](bool x, bool y) { return x && y; });
}
RleMask RleMask::subtract(const RleMask& o) const
{
    return combine(*this, o, [](bool x, bool y) { return x && !y; });
}

RleMask RleMask::fillHoles() const
{
    Gray8 g = toGray(1);
    // Flood the background from the border; whatever background stays unreached is a hole.
    std::vector<uint8_t> seen(g.pixels.size(), 0);
    std::vector<std::pair<int, int>> stack;
    auto push = [&](int x, int y) {
        if (x < 0 || y < 0 || x >= m_w || y >= m_h)
            return;
        size_t i = size_t(y) * size_t(m_w) + size_t(x);
        if (seen[i] || g.pixels[i])
            return;
        seen[i] = 1;
        stack.emplace_back(x, y);
    };
    for (int x = 0; x < m_w; ++x) {
        push(x, 0);
        push(x, m_h - 1);
    }
    for (int y = 0; y < m_h; ++y) {
        push(0, y);
        push(m_w - 1, y);
    }
    while (!stack.empty()) {
        auto [x, y] = stack.back();
        stack.pop_back();
        push(x + 1, y);
        push(x - 1, y);
        push(x, y + 1);
        push(x, y - 1);
    }
    for (size_t i = 0; i < g.pixels.size(); ++i)
        if (!seen[i])
            g.pixels[i] = 1;
    return fromGray(g);
}

RleMask RleMask::flippedHorizontal() const
{
    Gray8 g = toGray(1);
    for (int y = 0; y < m_h; ++y)
        std::reverse(g.pixels.begin() + std::ptrdiff_t(y) * m_w, g.pixels.begin() + std::ptrdiff_t(y + 1) * m_w);
    return fromGray(g);
}

RleMask RleMask::resized(int w, int h) const
{
    return fromGray(resizeGray(toGray(1), w, h, true));
}

std::string RleMask::toString() const
{
    std::string s = std::to_string(m_w) + " " + std::to_string(m_h);
    for (uint32_t c : m_counts)
        s += " " + std::to_string(c);
    return s;
}

Result<RleMask> RleMask::fromString(const std::string& s)
{
    // Strict: every field a run of decimal digits (no sign: ">>" into an unsigned type takes "-1" as 2^64 - 1, and the
    // wrapped sum then matched the image's size), the runs at most the image's pixels each and exactly them in all.
    size_t pos = 0;
    auto field = [&](unsigned long long& v) -> int { // 1: a number, 0: the end, -1: not a number
        while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos])))
            ++pos;
        if (pos == s.size())
            return 0;
        const size_t start = pos;
        v = 0;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
            if (pos - start >= 12)
                return -1;
            v = v * 10 + unsigned(s[pos] - '0');
            ++pos;
        }
        if (pos == start || (pos < s.size() && !std::isspace(static_cast<unsigned char>(s[pos]))))
            return -1;
        return 1;
    };
    unsigned long long w = 0, h = 0;
    if (field(w) != 1 || field(h) != 1 || w > 100000 || h > 100000 || w * h > (1ull << 31))
        return Error("invalid RLE mask: bad size (at most 100000 on a side, 2^31 pixels)");
    RleMask m;
    m.m_w = int(w);
    m.m_h = int(h);
    const unsigned long long pixels = w * h;
    unsigned long long c = 0, total = 0;
    for (int r; (r = field(c)) != 0;) {
        if (r < 0)
            return Error("invalid RLE mask: a run is not a non-negative whole number");
        if (c > pixels - total)
            return Error("invalid RLE mask: the runs cover more than the " + std::to_string(pixels) + " pixels of the image");
        m.m_counts.push_back(uint32_t(c));
        total += c;
    }
    if (total != pixels)
        return Error("invalid RLE mask: runs cover " + std::to_string(total) + " pixels, expected " + std::to_string(pixels));
    return m;
}

} // namespace ms

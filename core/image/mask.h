// SPDX-License-Identifier: GPL-3.0-or-later
// Binary ROI masks as run-length-encoded bitmaps: compact for storage (SQLite blobs, JSON) and cheap to
// combine. Runs are over the row-major pixel order; they alternate 0,1,0,1... starting with zeros (COCO's
// uncompressed RLE convention, so an export needs no conversion).
#pragma once

#include "core/common/result.h"
#include "core/image/image.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ms
{

struct Rect {
    int x = 0, y = 0, w = 0, h = 0;
    bool empty() const { return w <= 0 || h <= 0; }
    bool operator==(const Rect&) const = default;
};

class RleMask
{
public:
    RleMask() = default;
    RleMask(int w, int h);

    static RleMask fromBinary(const uint8_t* pixels, int w, int h, uint8_t threshold = 1);
    static RleMask fromGray(const Gray8& g, uint8_t threshold = 1) { return fromBinary(g.pixels.data(), g.width, g.height, threshold); }
    // Filled ellipse inside the given box.
    static RleMask ellipse(int w, int h, double cx, double cy, double rx, double ry);
    // Filled polygon (even-odd rule, pixel centres).
    static RleMask polygon(int w, int h, const std::vector<std::pair<double, double>>& pts);

    int width() const { return m_w; }
    int height() const { return m_h; }
    const std::vector<uint32_t>& counts() const { return m_counts; }
    bool empty() const; // no pixel set

    Gray8 toGray(uint8_t on = 255) const;
    uint64_t area() const;
    Rect boundingBox() const;
    bool contains(int x, int y) const;

    RleMask unite(const RleMask& o) const;
    RleMask intersect(const RleMask& o) const;
    RleMask subtract(const RleMask& o) const;
    // Fills background regions not connected to the border.
    RleMask fillHoles() const;
    RleMask flippedHorizontal() const;
    RleMask resized(int w, int h) const; // nearest neighbour

    // Compact text form: "w h c0 c1 c2 ...".
    std::string toString() const;
    static Result<RleMask> fromString(const std::string& s);

    bool operator==(const RleMask& o) const { return m_w == o.m_w && m_h == o.m_h && m_counts == o.m_counts; }

private:
    int m_w = 0, m_h = 0;
    std::vector<uint32_t> m_counts;
};

} // namespace ms

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dataset/loader.h"

#include "core/dicom/objects.h"

#include "core/common/strings.h"
#include "core/imageio/imageio.h"

#include <algorithm>
#include <cstring>
#include <fstream>

namespace fs = std::filesystem;

namespace ms::dataset
{

bool looksLikeDicom(const fs::path& p)
{
    if (iEndsWith(p.string(), ".dcm") || iEndsWith(p.string(), ".dicom"))
        return true;
    std::ifstream f(p, std::ios::binary);
    char buf[132] = {};
    f.read(buf, sizeof buf);
    return f.gcount() == 132 && std::memcmp(buf + 128, "DICM", 4) == 0;
}

Result<LoadedImage> loadImage(const fs::path& p, bool wantTags)
{
    LoadedImage out;
    if (looksLikeDicom(p) || !imageio::isImageFileName(p)) {
        dicom::ReadOptions o;
        o.wantTags = wantTags;
        auto f = dicom::read(p, o);
        if (!f)
            return f.error();
        out.image = std::move(f->image);
        out.header = std::move(f->header);
        out.tags = std::move(f->tags);
        return out;
    }
    auto img = imageio::read(p);
    if (!img)
        return img.error();
    out.image = std::move(*img);
    return out;
}

Result<Gray8> loadSegmentMask(const fs::path& seg, int segmentNumber)
{
    auto r = dicom::readSegmentation(seg);
    if (!r)
        return r.error();
    for (const auto& s : r->segments)
        if (s.number == segmentNumber)
            return s.mask.toGray(255);
    return Error("has no segment " + std::to_string(segmentNumber), seg.string());
}

Result<Gray8> loadMask(const fs::path& p)
{
    auto m = loadImage(p);
    if (!m)
        return m.error();
    const Image16& mk = m->image;
    const uint16_t thr = uint16_t(std::max<int>(1, mk.maxValue() / 2));
    Gray8 g(mk.width, mk.height);
    for (size_t i = 0; i < g.pixels.size(); ++i)
        g.pixels[i] = mk.pixels[i] >= thr ? 255 : 0;
    return g;
}

} // namespace ms::dataset

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dataset/loader.h"

#include "core/common/strings.h"
#include "core/imageio/imageio.h"

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

} // namespace ms::dataset

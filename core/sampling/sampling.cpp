// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/sampling/sampling.h"

#include "core/image/resample.h"
#include "core/image/window.h"
#include "core/synth/random.h"

#include <algorithm>
#include <cmath>

namespace ms::sampling
{

std::string taskName(Task t)
{
    switch (t) {
    case Task::Patches:
        return "patches";
    case Task::Roi:
        return "roi";
    case Task::Whole:
        return "whole";
    }
    return "patches";
}

bool parseTask(const std::string& s, Task& t)
{
    if (s == "patches")
        t = Task::Patches;
    else if (s == "roi")
        t = Task::Roi;
    else if (s == "whole")
        t = Task::Whole;
    else
        return false;
    return true;
}

std::vector<std::string> classNames(Task t)
{
    if (t == Task::Patches)
        return { "BACKGROUND", "BENIGN_CALCIFICATION", "BENIGN_MASS", "MALIGNANT_CALCIFICATION", "MALIGNANT_MASS" };
    if (t == Task::Roi)
        return { "BENIGN", "MALIGNANT" };
    return { "NOT_MALIGNANT", "MALIGNANT" };
}

std::vector<int> malignantClasses(Task t)
{
    return t == Task::Patches ? std::vector<int> { 3, 4 } : std::vector<int> { 1 };
}
std::vector<int> benignClasses(Task t)
{
    return t == Task::Patches ? std::vector<int> { 1, 2 } : std::vector<int> { 0 };
}

Gray8 toModelInput8(const Image16& img)
{
    return renderWindow(img, autoWindow(img));
}

RleMask breastMask(const Image16& img)
{
    const uint16_t t = otsuThreshold(img);
    Gray8 g(img.width, img.height);
    const bool mono1 = img.photometric == Photometric::Monochrome1;
    for (size_t i = 0; i < g.pixels.size(); ++i)
        g.pixels[i] = ((img.pixels[i] > t) != mono1) ? 1 : 0;
    return RleMask::fromGray(g);
}

shards::SampleSet makeSet(const Options& opt)
{
    shards::SampleSet s;
    s.task = taskName(opt.task);
    s.classes = classNames(opt.task);
    s.width = opt.task == Task::Whole ? opt.wholeWidth : opt.size;
    s.height = opt.task == Task::Whole ? opt.wholeHeight : opt.size;
    return s;
}

std::string splitFor(const std::string& patient, bool officialTest, double valFraction)
{
    if (officialTest)
        return "test";
    uint64_t h = 1469598103934665603ull;
    for (char c : patient) {
        h ^= uint8_t(c);
        h *= 1099511628211ull;
    }
    uint64_t s = h;
    return double(synth::splitmix64(s) >> 11) / 9007199254740992.0 < valFraction ? "val" : "train";
}

namespace
{

// Copies a size x size window with top-left (x, y) out of g, zero outside.
void cropInto(const Gray8& g, int x, int y, int w, int h, std::vector<uint8_t>& out)
{
    out.assign(size_t(w) * size_t(h), 0);
    for (int yy = 0; yy < h; ++yy) {
        const int sy = y + yy;
        if (sy < 0 || sy >= g.height)
            continue;
        for (int xx = 0; xx < w; ++xx) {
            const int sx = x + xx;
            if (sx >= 0 && sx < g.width)
                out[size_t(yy) * size_t(w) + size_t(xx)] = g.at(sx, sy);
        }
    }
}

std::vector<std::pair<int, int>> maskPixels(const RleMask& m, int step)
{
    std::vector<std::pair<int, int>> pts;
    Gray8 g = m.toGray(1);
    for (int y = 0; y < g.height; y += step)
        for (int x = 0; x < g.width; x += step)
            if (g.at(x, y))
                pts.emplace_back(x, y);
    return pts;
}

int patchLabel(const Lesion& l)
{
    return l.malignant ? (l.mass ? 4 : 3) : (l.mass ? 2 : 1);
}

} // namespace

void sampleImage(const ImageInput& in, const Options& opt, uint64_t seed, shards::SampleSet& out)
{
    if (!in.image || in.image->empty())
        return;
    synth::Rng rng(seed);
    // Resize first when asked, masks with it.
    const Image16* src = in.image;
    Image16 scaled;
    std::vector<Lesion> lesions = in.lesions;
    RleMask breast = in.breast.width() ? in.breast : breastMask(*in.image);
    if (std::fabs(opt.scale - 1.0) > 1e-6) {
        const int w = std::max(1, int(std::lround(src->width * opt.scale))), h = std::max(1, int(std::lround(src->height * opt.scale)));
        scaled = resize(*src, w, h);
        src = &scaled;
        breast = breast.resized(w, h);
        for (auto& l : lesions)
            l.mask = l.mask.resized(w, h);
    }
    const Gray8 g = toModelInput8(*src);
    std::vector<uint8_t> buf;
    const std::string base = in.imageKey;
    auto add = [&](int label, int x, int y, int abn, const std::string& tag) {
        shards::SampleMeta m;
        m.id = base + "#" + tag;
        m.patient = in.patient;
        m.image = in.imageKey;
        m.abnormality = abn;
        m.label = label;
        m.x = int(x / opt.scale);
        m.y = int(y / opt.scale);
        out.add(m, buf.data());
    };

    if (opt.task == Task::Whole) {
        Gray8 r = resizeGray(g, opt.wholeWidth, opt.wholeHeight);
        buf = r.pixels;
        bool malignant = false;
        for (const auto& l : lesions)
            malignant = malignant || l.malignant;
        add(malignant ? 1 : 0, 0, 0, -1, "whole");
        return;
    }
    const int S = opt.size;
    if (opt.task == Task::Roi) {
        for (size_t k = 0; k < lesions.size(); ++k) {
            Rect bb = lesions[k].mask.boundingBox();
            if (bb.empty())
                continue;
            const int side = std::max({ bb.w, bb.h, 16 }) * 6 / 5;
            const int x = bb.x + bb.w / 2 - side / 2, y = bb.y + bb.h / 2 - side / 2;
            Gray8 crop(side, side);
            cropInto(g, x, y, side, side, crop.pixels);
            buf = resizeGray(crop, S, S).pixels;
            add(lesions[k].malignant ? 1 : 0, x, y, lesions[k].abnormality, "roi" + std::to_string(k));
        }
        return;
    }
    // Patches: lesion patches centred on ROI pixels, jittered.
    RleMask anyLesion(g.width, g.height);
    for (const auto& l : lesions)
        anyLesion = anyLesion.unite(l.mask);
    for (size_t k = 0; k < lesions.size(); ++k) {
        auto pts = maskPixels(lesions[k].mask, 2);
        if (pts.empty())
            pts = maskPixels(lesions[k].mask, 1);
        if (pts.empty())
            continue;
        for (int p = 0; p < opt.lesionPatches; ++p) {
            auto [cx, cy] = pts[size_t(rng.next() % pts.size())];
            cx += int(rng.uniform(-0.2, 0.2) * S);
            cy += int(rng.uniform(-0.2, 0.2) * S);
            const int x = std::clamp(cx - S / 2, 0, std::max(0, g.width - S)), y = std::clamp(cy - S / 2, 0, std::max(0, g.height - S));
            cropInto(g, x, y, S, S, buf);
            add(patchLabel(lesions[k]), x, y, lesions[k].abnormality, "l" + std::to_string(k) + "p" + std::to_string(p));
        }
    }
    // Background patches touching no ROI: breast tissue (at least half the patch), then patches across the breast's
    // edge (between 30 and 85 % breast, centred in it).
    const Gray8 bm = breast.toGray(1), lm = anyLesion.toGray(1);
    auto breastPts = maskPixels(breast, 4);
    int made = 0, edges = 0;
    const int wanted = opt.backgroundPatches + opt.edgePatches;
    for (int attempt = 0; attempt < wanted * 40 && made < wanted && !breastPts.empty(); ++attempt) {
        const bool edge = made >= opt.backgroundPatches;
        auto [cx, cy] = breastPts[size_t(rng.next() % breastPts.size())];
        const int x = std::clamp(cx - S / 2, 0, std::max(0, g.width - S)), y = std::clamp(cy - S / 2, 0, std::max(0, g.height - S));
        long inBreast = 0, inLesion = 0, total = 0;
        for (int yy = y; yy < std::min(g.height, y + S); yy += 4)
            for (int xx = x; xx < std::min(g.width, x + S); xx += 4) {
                ++total;
                inBreast += bm.at(xx, yy);
                inLesion += lm.at(xx, yy);
            }
        if (inLesion > 0 || (!edge && inBreast * 2 < total) || (edge && (inBreast * 100 < total * 30 || inBreast * 100 >= total * 85)))
            continue;
        cropInto(g, x, y, S, S, buf);
        add(0, x, y, -1, edge ? "edge" + std::to_string(edges++) : "bg" + std::to_string(made));
        ++made;
    }
}

} // namespace ms::sampling

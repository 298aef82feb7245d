// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/annotations/roi.h"

#include "core/image/components.h"

#include "core/dataset/loader.h"

#include <cmath>

namespace ms::annotations
{

const char* roiSourceName(RoiSource s)
{
    switch (s) {
    case RoiSource::Curated:
        return "curated ROI";
    case RoiSource::MaskFile:
        return "mask file";
    case RoiSource::Circle:
        break;
    }
    return "circle";
}

Result<ResolvedRoi> fitMask(RleMask mask, int w, int h, const std::string& what, RoiSource source)
{
    ResolvedRoi r;
    r.source = source;
    const int mw = mask.width(), mh = mask.height();
    if (w <= 0 || h <= 0 || (mw == w && mh == h)) {
        r.mask = std::move(mask);
        return r;
    }
    const std::string sizes = std::to_string(mw) + "x" + std::to_string(mh) + ", the image " + std::to_string(w) + "x" + std::to_string(h);
    if (mw <= 0 || mh <= 0)
        return Error(what + " is empty (" + sizes + ")");
    const double maskAspect = double(mw) / mh, imageAspect = double(w) / h;
    if (std::fabs(maskAspect / imageAspect - 1.0) > 0.02)
        return Error(what + " is " + sizes + ": another shape (a mask of another image or view?)");
    r.mask = mask.resized(w, h);
    r.note = what + " is " + sizes + ": scaled to fit";
    return r;
}

Result<ResolvedRoi> resolveRoi(const dataset::Abnormality& a, int w, int h)
{
    if (!a.roiRle.empty()) {
        auto m = RleMask::fromString(a.roiRle);
        if (!m)
            return Error("curated ROI of " + a.key + ": " + m.error().message);
        return fitMask(std::move(*m), w, h, "the curated ROI of " + a.key, RoiSource::Curated);
    }
    if (!a.maskPath.empty()) {
        auto g = a.maskSegment > 0 ? dataset::loadSegmentMask(a.maskPath, a.maskSegment) : dataset::loadMask(a.maskPath);
        if (!g)
            return g.error();
        const std::string what
            = a.maskSegment > 0 ? "segment " + std::to_string(a.maskSegment) + " of " + a.maskPath : "ROI mask " + a.maskPath;
        auto r = fitMask(RleMask::fromGray(*g), w, h, what, RoiSource::MaskFile);
        if (r) {
            // an open line beside the lesion (a breast outline traced along the skin) is not part of it
            long long removed = 0;
            RleMask clean = withoutStrokes(r->mask, &removed);
            if (removed > 0) {
                r->mask = std::move(clean);
                r->note += std::string(r->note.empty() ? "" : "; ") + "an open line of " + std::to_string(removed) + " pixels in " + what
                    + " is not a region: left out";
            }
        }
        return r;
    }
    if (a.radius > 0 && w > 0 && h > 0) {
        ResolvedRoi r;
        r.source = RoiSource::Circle;
        r.mask = RleMask::ellipse(w, h, a.centerX, a.centerY, a.radius, a.radius);
        return r;
    }
    return Error("abnormality " + a.key + " has no ROI (no mask file, no circle)", a.sourceFile);
}

} // namespace ms::annotations

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/annotations/vocabulary.h"

#include "core/common/strings.h"
#include "core/dataset/cbis.h"
#include "core/image/mask.h"

#include <algorithm>

namespace ms::annotations
{

const std::vector<FieldInfo>& attributeFields()
{
    using namespace ms::dataset;
    static const std::vector<FieldInfo> v {
        { "pathology", "Pathology", "pathology", cbis::pathologies(), 0, 0, false, "" },
        { "assessment", "BI-RADS assessment", "assessment", {}, 0, 5, false, "" },
        { "type", "Abnormality type", "abnormality type", abnormalityTypes(), 0, 0, false, "" },
        { "mass_shape", "Mass shape", "mass shape", cbis::massShapes(), 0, 0, true, "mass" },
        { "mass_margins", "Mass margins", "mass margins", cbis::massMargins(), 0, 0, true, "mass" },
        { "calc_type", "Calcification type", "calc type", cbis::calcTypes(), 0, 0, true, "calcification" },
        { "calc_distribution", "Calcification distribution", "calc distribution", cbis::calcDistributions(), 0, 0, true, "calcification" },
        { "subtlety", "Subtlety", "subtlety", {}, 1, 5, false, "" },
        { "density", "Breast density", "breast density", {}, 1, 4, false, "" },
    };
    return v;
}

const FieldInfo* fieldInfo(const std::string& name)
{
    for (const auto& f : attributeFields())
        if (f.name == name)
            return &f;
    return nullptr;
}

const std::vector<std::string>& reviewStatuses()
{
    static const std::vector<std::string> v { "unreviewed", "reviewed", "corrected", "flagged" };
    return v;
}

const std::vector<std::string>& abnormalityTypes()
{
    static const std::vector<std::string> v { "mass", "calcification" };
    return v;
}

namespace
{

std::string joined(const std::vector<std::string>& v)
{
    std::string s;
    for (size_t i = 0; i < v.size(); ++i)
        s += (i ? ", " : "") + v[i];
    return s;
}

} // namespace

Status validate(const std::string& field, const std::string& value)
{
    if (field == "review") {
        if (std::find(reviewStatuses().begin(), reviewStatuses().end(), value) == reviewStatuses().end())
            return Error("review status '" + value + "' is not one of " + joined(reviewStatuses()));
        return {};
    }
    if (field == "review_comment")
        return value.size() > 4000 ? Status(Error("review comment is longer than 4000 characters")) : Status();
    if (field == "deleted")
        return value == "1" ? Status() : Status(Error("deleted must be 1"));
    if (field == "added")
        return value.empty() ? Status(Error("an added abnormality needs the key of its image")) : Status();
    if (field == "roi") {
        auto m = RleMask::fromString(value);
        if (!m)
            return Error("ROI mask: " + m.error().message);
        if (m->empty())
            return Error("an ROI mask must contain at least one pixel (delete the abnormality instead)");
        return {};
    }
    const FieldInfo* f = fieldInfo(field);
    if (!f)
        return Error("unknown field '" + field + "'");
    if (f->vocabulary.empty()) {
        auto n = parseInt(value);
        if (!n || *n < f->min || *n > f->max) {
            std::string what = f->name == "assessment" ? " is not a BI-RADS category" : " is out of range";
            return Error(f->label + " '" + value + "'" + what + " (" + std::to_string(f->min) + "-" + std::to_string(f->max) + ")");
        }
        return {};
    }
    auto ok = [&](const std::string& part) { return std::find(f->vocabulary.begin(), f->vocabulary.end(), part) != f->vocabulary.end(); };
    bool good = !value.empty();
    if (good) {
        if (f->compound) {
            for (const auto& part : split(value, '-'))
                good = good && ok(part);
        } else {
            good = ok(value);
        }
    }
    if (!good)
        return Error(
            f->label + " '" + value + "' is not one of " + joined(f->vocabulary) + (f->compound ? " (several joined with '-')" : ""));
    return {};
}

} // namespace ms::annotations

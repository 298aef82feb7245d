// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/annotations/effective.h"

#include "core/annotations/roi.h"

#include "core/annotations/vocabulary.h"
#include "core/common/strings.h"
#include "core/dataset/cbis.h"
#include "core/dataset/csv.h"
#include "core/dataset/loader.h"

#include <algorithm>
#include <unordered_map>

namespace ms::annotations
{

using dataset::Abnormality;
using dataset::Dataset;

std::string abnormalityKey(const std::string& imageKey, int number)
{
    return imageKey + "#" + std::to_string(number);
}

bool parseAbnormalityKey(const std::string& key, std::string& imageKey, int& number)
{
    auto pos = key.rfind('#');
    if (pos == std::string::npos || pos == 0)
        return false;
    auto n = parseInt(std::string_view(key).substr(pos + 1));
    if (!n || *n < 1)
        return false;
    imageKey = key.substr(0, pos);
    number = int(*n);
    return true;
}

namespace
{

std::string intText(int v)
{
    return v < 0 ? std::string() : std::to_string(v);
}

int intValue(const std::string& s)
{
    auto v = parseInt(s);
    return v ? int(*v) : -1;
}

// The CSV columns a field is written to (both spellings of breast density).
std::vector<std::string> columnsOf(const std::string& field)
{
    if (field == "density")
        return { "breast density", "breast_density" };
    if (const FieldInfo* f = fieldInfo(field))
        return { f->csvColumn };
    return {};
}

} // namespace

std::string fieldValue(const Abnormality& a, const std::string& field)
{
    if (field == "pathology")
        return a.pathology;
    if (field == "assessment")
        return intText(a.assessment);
    if (field == "type")
        return a.type;
    if (field == "mass_shape")
        return a.massShape;
    if (field == "mass_margins")
        return a.massMargins;
    if (field == "calc_type")
        return a.calcType;
    if (field == "calc_distribution")
        return a.calcDistribution;
    if (field == "subtlety")
        return intText(a.subtlety);
    if (field == "density")
        return intText(a.density);
    if (field == "roi")
        return a.roiRle;
    return {};
}

void setFieldValue(Abnormality& a, const std::string& field, const std::string& value)
{
    if (field == "pathology")
        a.pathology = value;
    else if (field == "assessment")
        a.assessment = intValue(value);
    else if (field == "type")
        a.type = value;
    else if (field == "mass_shape")
        a.massShape = value;
    else if (field == "mass_margins")
        a.massMargins = value;
    else if (field == "calc_type")
        a.calcType = value;
    else if (field == "calc_distribution")
        a.calcDistribution = value;
    else if (field == "subtlety")
        a.subtlety = intValue(value);
    else if (field == "density")
        a.density = intValue(value);
    else if (field == "roi")
        a.roiRle = value;
    for (const auto& col : columnsOf(field))
        for (auto& [name, v] : a.attributes)
            if (CsvTable::normalise(name) == CsvTable::normalise(col))
                v = value;
}

Dataset effective(const Dataset& original, const Snapshot& s)
{
    Dataset ds = original;
    std::unordered_map<std::string, int> imageByKey;
    for (auto& im : ds.images) {
        imageByKey[im.key] = im.index;
        im.review = "unreviewed";
        im.reviewComment.clear();
        if (auto r = s.get(im.key, "review"))
            im.review = *r;
        if (auto c = s.get(im.key, "review_comment"))
            im.reviewComment = *c;
        // A curator who reviewed or corrected an image (or adds a lesion to it, below) has said what it shows.
        if (im.review == "reviewed" || im.review == "corrected")
            im.groundTruth = true;
    }
    std::vector<Abnormality> out;
    out.reserve(ds.abnormalities.size());
    for (auto& a : ds.abnormalities) {
        const std::string imageKey = a.image >= 0 && a.image < int(ds.images.size()) ? ds.images[size_t(a.image)].key : std::string();
        a.key = abnormalityKey(imageKey, a.number);
        a.corrected.clear();
        auto it = s.items.find(a.key);
        if (it != s.items.end()) {
            if (it->second.count("deleted"))
                continue;
            for (const auto& [field, value] : it->second) {
                if (field == "added" || field == "deleted")
                    continue;
                a.corrected.emplace_back(field, fieldValue(a, field));
                setFieldValue(a, field, value);
            }
        }
        out.push_back(std::move(a));
    }
    // Added abnormalities, in key order (the snapshot's map order): deterministic.
    for (const auto& [item, fields] : s.items) {
        auto addedIt = fields.find("added");
        if (addedIt == fields.end() || fields.count("deleted"))
            continue;
        std::string imageKey;
        int number = 0;
        auto im = imageByKey.find(addedIt->second);
        if (!parseAbnormalityKey(item, imageKey, number) || imageKey != addedIt->second || im == imageByKey.end()) {
            ds.addProblem(
                "annotation store", item, "added abnormality refers to image '" + addedIt->second + "', which is not in the dataset");
            continue;
        }
        auto& image = ds.images[size_t(im->second)];
        image.groundTruth = true;
        Abnormality a;
        a.key = item;
        a.added = true;
        a.image = image.index;
        a.patientId = image.patientId;
        a.side = image.side;
        a.view = image.view;
        a.split = image.split;
        a.number = number;
        a.density = image.density;
        a.sourceFile = "annotation store";
        std::string type = "mass";
        if (auto t = fields.find("type"); t != fields.end())
            type = t->second;
        const auto& header = type == "mass" ? dataset::cbis::massHeader() : dataset::cbis::calcHeader();
        for (const auto& col : header)
            a.attributes.emplace_back(col, "");
        auto setCol = [&](const char* col, const std::string& v) {
            for (auto& [name, value] : a.attributes)
                if (name == col)
                    value = v;
        };
        setCol("patient_id", a.patientId);
        setCol("left or right breast", a.side);
        setCol("image view", a.view);
        setCol("abnormality id", std::to_string(number));
        setCol("image file path", image.csvPath);
        setFieldValue(a, "density", intText(image.density));
        setFieldValue(a, "type", type);
        for (const auto& [field, value] : fields)
            if (field != "added" && field != "type")
                setFieldValue(a, field, value);
        out.push_back(std::move(a));
    }
    ds.abnormalities = std::move(out);
    ds.finalise();
    return ds;
}

int nextAbnormalityNumber(const Dataset& ds, const Snapshot& s, int imageIndex)
{
    if (imageIndex < 0 || imageIndex >= int(ds.images.size()))
        return 1;
    const auto& im = ds.images[size_t(imageIndex)];
    int n = 0;
    for (int ai : im.abnormalities)
        n = std::max(n, ds.abnormalities[size_t(ai)].number);
    for (const auto& [item, fields] : s.items) {
        std::string key;
        int number = 0;
        if (parseAbnormalityKey(item, key, number) && key == im.key)
            n = std::max(n, number);
    }
    return n + 1;
}

Result<RleMask> roiMask(const Abnormality& a, int w, int h)
{
    auto r = resolveRoi(a, w, h);
    if (!r)
        return r.error();
    return std::move(r->mask);
}

ReviewProgress reviewProgress(const Dataset& ds)
{
    ReviewProgress p;
    for (const auto& im : ds.images) {
        ++p.total;
        if (im.review == "reviewed")
            ++p.reviewed;
        else if (im.review == "corrected")
            ++p.corrected;
        else if (im.review == "flagged")
            ++p.flagged;
        else
            ++p.unreviewed;
    }
    return p;
}

} // namespace ms::annotations

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dataset/dataset.h"

#include <algorithm>
#include <map>

namespace ms::dataset
{

std::string formatName(Format f)
{
    switch (f) {
    case Format::CbisDdsm:
        return "cbis-ddsm";
    case Format::KaggleJpeg:
        return "kaggle-jpeg";
    case Format::MiniMias:
        return "mini-mias";
    case Format::ImagesMasks:
        return "images-masks";
    case Format::Folder:
        return "folder";
    }
    return "folder";
}

std::string splitName(Split s)
{
    switch (s) {
    case Split::Train:
        return "train";
    case Split::Test:
        return "test";
    case Split::Unknown:
        return "unknown";
    }
    return "unknown";
}

static Split splitFromName(const std::string& s)
{
    if (s == "train")
        return Split::Train;
    if (s == "test")
        return Split::Test;
    return Split::Unknown;
}

static Format formatFromName(const std::string& s)
{
    if (s == "cbis-ddsm")
        return Format::CbisDdsm;
    if (s == "kaggle-jpeg")
        return Format::KaggleJpeg;
    if (s == "mini-mias")
        return Format::MiniMias;
    if (s == "images-masks")
        return Format::ImagesMasks;
    return Format::Folder;
}

const Patient* Dataset::findPatient(const std::string& id) const
{
    auto it = std::lower_bound(patients.begin(), patients.end(), id, [](const Patient& p, const std::string& k) { return p.id < k; });
    return it != patients.end() && it->id == id ? &*it : nullptr;
}

void Dataset::addProblem(std::string file, std::string where, std::string message)
{
    problems.push_back({ std::move(file), std::move(where), std::move(message) });
}

void Dataset::finalise()
{
    for (size_t i = 0; i < images.size(); ++i) {
        images[i].index = int(i);
        images[i].abnormalities.clear();
    }
    for (size_t i = 0; i < abnormalities.size(); ++i) {
        abnormalities[i].index = int(i);
        int im = abnormalities[i].image;
        if (im >= 0 && im < int(images.size()))
            images[size_t(im)].abnormalities.push_back(int(i));
    }
    std::map<std::string, std::vector<int>> byPatient;
    for (const auto& im : images)
        byPatient[im.patientId].push_back(im.index);
    patients.clear();
    for (auto& [id, list] : byPatient)
        patients.push_back({ id, list });
    std::sort(missingFiles.begin(), missingFiles.end());
    missingFiles.erase(std::unique(missingFiles.begin(), missingFiles.end()), missingFiles.end());
}

Json summaryJson(const Dataset& ds)
{
    Json j = Json::object();
    j.set("format", formatName(ds.format));
    j.set("root", ds.root);
    j.set("patients", ds.patients.size());
    j.set("images", ds.images.size());
    j.set("abnormalities", ds.abnormalities.size());
    j.set("images_without_ground_truth",
        long(std::count_if(ds.images.begin(), ds.images.end(), [](const Image& im) { return !im.groundTruth; })));
    std::map<std::string, long> splits { { "train", 0 }, { "test", 0 } }, types,
        pathology { { "MALIGNANT", 0 }, { "BENIGN", 0 }, { "BENIGN_WITHOUT_CALLBACK", 0 } };
    for (const auto& a : ds.abnormalities) {
        if (a.split != Split::Unknown)
            ++splits[splitName(a.split)];
        ++types[a.type];
        if (!a.pathology.empty())
            ++pathology[a.pathology];
    }
    Json s = Json::object();
    s.set("train", splits["train"]);
    s.set("test", splits["test"]);
    j.set("splits", s);
    Json t = Json::object();
    t.set("mass", types["mass"]);
    t.set("calcification", types["calcification"]);
    for (const auto& [k, v] : types)
        if (k != "mass" && k != "calcification")
            t.set(k, v);
    j.set("types", t);
    Json p = Json::object();
    for (const char* k : { "MALIGNANT", "BENIGN", "BENIGN_WITHOUT_CALLBACK" })
        p.set(k, pathology[k]);
    for (const auto& [k, v] : pathology)
        if (k != "MALIGNANT" && k != "BENIGN" && k != "BENIGN_WITHOUT_CALLBACK")
            p.set(k, v);
    j.set("pathology", p);
    j.set("missing_files", ds.missingFiles.size());
    Json probs = Json::array();
    for (const auto& pr : ds.problems) {
        Json o = Json::object();
        o.set("file", pr.file);
        o.set("where", pr.where);
        o.set("message", pr.message);
        probs.push(std::move(o));
    }
    j.set("problems", probs);
    j.set("cached", ds.fromCache);
    return j;
}

Json toJson(const Dataset& ds)
{
    Json j = Json::object();
    j.set("version", 1);
    j.set("format", formatName(ds.format));
    j.set("root", ds.root);
    Json desc = Json::array();
    for (const auto& d : ds.descriptionFiles)
        desc.push(d);
    j.set("description_files", desc);
    Json imgs = Json::array();
    for (const auto& im : ds.images) {
        Json o = Json::object();
        o.set("key", im.key);
        o.set("patient", im.patientId);
        o.set("side", im.side);
        o.set("view", im.view);
        o.set("split", splitName(im.split));
        o.set("path", im.path);
        o.set("csv_path", im.csvPath);
        o.set("study", im.studyUid);
        o.set("series", im.seriesUid);
        o.set("density", im.density);
        o.set("ground_truth", im.groundTruth);
        if (!im.labelMapPath.empty())
            o.set("label_map", im.labelMapPath);
        if (!im.reports.empty()) {
            Json r = Json::array();
            for (const auto& f : im.reports)
                r.push(f);
            o.set("reports", r);
        }
        imgs.push(std::move(o));
    }
    j.set("images", imgs);
    Json abs = Json::array();
    for (const auto& a : ds.abnormalities) {
        Json o = Json::object();
        o.set("image", a.image);
        o.set("patient", a.patientId);
        o.set("side", a.side);
        o.set("view", a.view);
        o.set("number", a.number);
        o.set("type", a.type);
        o.set("mass_shape", a.massShape);
        o.set("mass_margins", a.massMargins);
        o.set("calc_type", a.calcType);
        o.set("calc_distribution", a.calcDistribution);
        o.set("assessment", a.assessment);
        o.set("subtlety", a.subtlety);
        o.set("density", a.density);
        o.set("pathology", a.pathology);
        o.set("split", splitName(a.split));
        o.set("crop", a.cropPath);
        o.set("mask", a.maskPath);
        if (a.maskSegment > 0)
            o.set("mask_segment", a.maskSegment);
        o.set("crop_csv", a.cropCsvPath);
        o.set("mask_csv", a.maskCsvPath);
        o.set("cx", a.centerX);
        o.set("cy", a.centerY);
        o.set("r", a.radius);
        o.set("source", a.sourceFile);
        o.set("line", a.sourceLine);
        Json at = Json::array();
        for (const auto& [k, v] : a.attributes) {
            Json kv = Json::array();
            kv.push(k);
            kv.push(v);
            at.push(std::move(kv));
        }
        o.set("attributes", at);
        abs.push(std::move(o));
    }
    j.set("abnormalities", abs);
    Json miss = Json::array();
    for (const auto& m : ds.missingFiles)
        miss.push(m);
    j.set("missing", miss);
    Json probs = Json::array();
    for (const auto& p : ds.problems) {
        Json o = Json::array();
        o.push(p.file);
        o.push(p.where);
        o.push(p.message);
        probs.push(std::move(o));
    }
    j.set("problems", probs);
    return j;
}

Result<Dataset> fromJson(const Json& j)
{
    if (j["version"].integer() != 1)
        return Error("unsupported index version");
    Dataset ds;
    ds.format = formatFromName(j["format"].string());
    ds.root = j["root"].string();
    for (const auto& d : j["description_files"].elements())
        ds.descriptionFiles.push_back(d.string());
    for (const auto& o : j["images"].elements()) {
        Image im;
        im.key = o["key"].string();
        im.patientId = o["patient"].string();
        im.side = o["side"].string();
        im.view = o["view"].string();
        im.split = splitFromName(o["split"].string());
        im.path = o["path"].string();
        im.csvPath = o["csv_path"].string();
        im.studyUid = o["study"].string();
        im.seriesUid = o["series"].string();
        im.density = int(o["density"].integer(-1));
        im.groundTruth = o["ground_truth"].boolean(true);
        im.labelMapPath = o["label_map"].string();
        for (const auto& f : o["reports"].elements())
            if (f.isString() && im.reports.size() < 1000)
                im.reports.push_back(f.string());
        ds.images.push_back(std::move(im));
    }
    for (const auto& o : j["abnormalities"].elements()) {
        Abnormality a;
        a.image = int(o["image"].integer(-1));
        a.patientId = o["patient"].string();
        a.side = o["side"].string();
        a.view = o["view"].string();
        a.number = int(o["number"].integer(1));
        a.type = o["type"].string();
        a.massShape = o["mass_shape"].string();
        a.massMargins = o["mass_margins"].string();
        a.calcType = o["calc_type"].string();
        a.calcDistribution = o["calc_distribution"].string();
        a.assessment = int(o["assessment"].integer(-1));
        a.subtlety = int(o["subtlety"].integer(-1));
        a.density = int(o["density"].integer(-1));
        a.pathology = o["pathology"].string();
        a.split = splitFromName(o["split"].string());
        a.cropPath = o["crop"].string();
        a.maskPath = o["mask"].string();
        a.maskSegment = int(std::clamp<long long>(o["mask_segment"].integer(0), 0, 65535));
        a.cropCsvPath = o["crop_csv"].string();
        a.maskCsvPath = o["mask_csv"].string();
        a.centerX = o["cx"].number(-1);
        a.centerY = o["cy"].number(-1);
        a.radius = o["r"].number(-1);
        a.sourceFile = o["source"].string();
        a.sourceLine = int(o["line"].integer());
        for (const auto& kv : o["attributes"].elements())
            if (kv.size() == 2)
                a.attributes.emplace_back(kv.elements()[0].string(), kv.elements()[1].string());
        ds.abnormalities.push_back(std::move(a));
    }
    for (const auto& m : j["missing"].elements())
        ds.missingFiles.push_back(m.string());
    for (const auto& p : j["problems"].elements())
        if (p.size() == 3)
            ds.problems.push_back({ p.elements()[0].string(), p.elements()[1].string(), p.elements()[2].string() });
    ds.finalise();
    return ds;
}

} // namespace ms::dataset

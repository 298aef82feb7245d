// SPDX-License-Identifier: GPL-3.0-or-later
// A plain folder of DICOM, PNG, JPEG, PGM or TIFF images: every image is an entry; patient, side and view come
// from the DICOM header where there is one, else from the file and folder names.
#include "core/common/strings.h"
#include "core/dataset/cache.h"
#include "core/dataset/dataset.h"
#include "core/imageio/imageio.h"

#include <algorithm>

namespace fs = std::filesystem;

namespace ms::dataset
{

namespace
{

void sideViewFromName(const std::string& name, std::string& side, std::string& view)
{
    std::string u = toUpper(name);
    for (char& c : u)
        if (c == '.' || c == '-' || c == ' ')
            c = '_';
    for (const auto& t : split(u, '_')) {
        if (side.empty() && (t == "LEFT" || t == "L"))
            side = "LEFT";
        if (side.empty() && (t == "RIGHT" || t == "R"))
            side = "RIGHT";
        if (view.empty() && (t == "CC" || t == "MLO"))
            view = t;
        if (side.empty() && view.empty() && t.size() >= 3 && (t[0] == 'L' || t[0] == 'R')
            && (t.substr(1) == "CC" || t.substr(1) == "MLO")) {
            side = t[0] == 'L' ? "LEFT" : "RIGHT";
            view = t.substr(1);
        }
    }
}

} // namespace

Result<Dataset> readFolder(const fs::path& root, HeaderCache* cache, Progress& progress)
{
    std::error_code ec;
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec)
            break;
        const auto& p = it->path();
        if (!p.filename().empty() && p.filename().string()[0] == '.') {
            if (it->is_directory(ec))
                it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file(ec) && (iEndsWith(p.string(), ".dcm") || imageio::isImageFileName(p)))
            files.push_back(p);
    }
    if (files.empty())
        return Error("not a dataset: no CBIS-DDSM CSVs, no mini-MIAS Info.txt and no DICOM/PNG/JPEG/PGM/TIFF images", root.string());
    std::sort(files.begin(), files.end());
    Dataset ds;
    ds.format = Format::Folder;
    ds.root = root.string();
    if (cache)
        cache->begin();
    for (size_t i = 0; i < files.size(); ++i) {
        if (progress.cancelled())
            break;
        if (i % 32 == 0)
            progress.report(double(i) / double(files.size()), "scanning images");
        const fs::path& p = files[i];
        Image im;
        im.groundTruth = false; // a folder of images says nothing of what they show
        im.path = p.string();
        im.key = fs::relative(p, root, ec).string();
        im.csvPath = im.key;
        std::string stem = p.filename().string();
        std::string base = stem.substr(0, stem.find('.'));
        fs::path parent = p.parent_path();
        im.patientId = fs::equivalent(parent, root, ec) ? base : parent.filename().string();
        if (iEndsWith(p.string(), ".dcm")) {
            FileFacts f = dicomFacts(p, cache);
            if (!f.ok) {
                ds.addProblem(p.string(), "", f.error);
                continue;
            }
            if (f.rows <= 0) {
                ds.addProblem(p.string(), "", "not an image (SOP Class " + f.sopClassUid + "); skipped");
                continue;
            }
            if (!f.patientId.empty())
                im.patientId = f.patientId;
            im.side = f.laterality == "L" ? "LEFT" : f.laterality == "R" ? "RIGHT" : "";
            im.view = f.view;
            im.studyUid = f.studyUid;
            im.seriesUid = f.seriesUid;
        }
        sideViewFromName(stem, im.side, im.view);
        ds.images.push_back(std::move(im));
    }
    if (cache)
        cache->commit();
    ds.finalise();
    return ds;
}

} // namespace ms::dataset

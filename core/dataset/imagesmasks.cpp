// SPDX-License-Identifier: GPL-3.0-or-later
// A folder of mammograms with their lesion masks beside them: images/NAME.ext and masks/NAME.ext (or NAME_mask.ext),
// as segmentation sets circulate (CDD-CESM's preprocessed release, many Kaggle sets). A mask makes its image an
// abnormal one with that ROI. A CSV in the folder with a row per image (a column "Image_name" or "image") adds what it
// knows: patient, side, view, pathology, BI-RADS, ACR density, findings; an image that the CSV calls normal and that
// has no mask is a normal image; an image neither a mask nor the CSV speaks of has no ground truth.
#include "core/common/strings.h"
#include "core/dataset/csv.h"
#include "core/dataset/dataset.h"
#include "core/imageio/imageio.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

namespace fs = std::filesystem;

namespace ms::dataset
{

namespace
{

// The CSV's row of each image (by name without extension), with its header; the first CSV in the folder that has
// an image-name column.
struct ImageTable {
    std::string file;
    CsvTable table;
    std::map<std::string, size_t> rowOf;
    std::string cell(const std::string& image, const char* column) const
    {
        auto it = rowOf.find(image);
        const int c = table.column(column);
        if (it == rowOf.end() || c < 0 || size_t(c) >= table.rows[it->second].cells.size())
            return {};
        return std::string(trim(table.rows[it->second].cells[size_t(c)]));
    }
};

ImageTable readImageTable(const fs::path& root, Dataset& ds)
{
    ImageTable t;
    std::error_code ec;
    std::vector<fs::path> csvs;
    for (const auto& e : fs::directory_iterator(root, ec))
        if (e.is_regular_file(ec) && endsWith(toLower(e.path().filename().string()), ".csv"))
            csvs.push_back(e.path());
    std::sort(csvs.begin(), csvs.end());
    for (const auto& f : csvs) {
        auto table = readCsv(f);
        if (!table) {
            ds.addProblem(f.string(), "", table.error().message);
            continue;
        }
        int c = table->column("image name");
        if (c < 0)
            c = table->column("image");
        if (c < 0)
            continue;
        t.file = f.string();
        t.table = std::move(*table);
        for (size_t r = 0; r < t.table.rows.size(); ++r) {
            const auto& cells = t.table.rows[r].cells;
            if (size_t(c) >= cells.size())
                continue;
            std::string name(trim(cells[size_t(c)]));
            if (imageio::isImageFileName(name))
                name = fs::path(name).stem().string();
            t.rowOf.emplace(name, r);
        }
        ds.descriptionFiles.push_back(t.file);
        break;
    }
    return t;
}

std::string sideName(const std::string& s)
{
    const std::string u = toUpper(s);
    return u == "L" || u == "LEFT" ? "LEFT" : u == "R" || u == "RIGHT" ? "RIGHT" : "";
}

std::string viewName(const std::string& s)
{
    const std::string u = toUpper(s);
    return u == "CC" || u == "MLO" ? u : "";
}

} // namespace

bool hasImagesAndMasks(const fs::path& root)
{
    std::error_code ec;
    return fs::is_directory(root / "images", ec) && fs::is_directory(root / "masks", ec);
}

Result<Dataset> readImagesMasks(const fs::path& root, Progress& progress)
{
    Dataset ds;
    ds.format = Format::ImagesMasks;
    ds.root = root.string();
    progress.report(0.0, "reading images and masks");
    std::error_code ec;
    std::vector<fs::path> files, maskFiles;
    for (const auto& [dir, out] :
        { std::pair<fs::path, std::vector<fs::path>*> { root / "images", &files }, { root / "masks", &maskFiles } })
        for (const auto& e : fs::directory_iterator(dir, ec))
            if (e.is_regular_file(ec) && imageio::isImageFileName(e.path()))
                out->push_back(e.path());
    std::sort(files.begin(), files.end());
    std::map<std::string, std::string> maskOf; // image name -> mask file
    for (const auto& m : maskFiles) {
        std::string stem = m.stem().string();
        for (const char* suffix : { "_mask", "_Mask", "-mask" })
            if (endsWith(stem, suffix))
                stem.resize(stem.size() - std::char_traits<char>::length(suffix));
        maskOf.emplace(stem, m.string());
    }
    if (files.empty())
        return Error("images/ holds no image files", (root / "images").string());
    const ImageTable table = readImageTable(root, ds);
    // CDD-CESM and similar: P<patient>_<L|R>_<type>_<CC|MLO>
    static const std::regex pattern(R"(^(P\d+)_([LR])_[A-Za-z]+_(CC|MLO)\b.*)");
    for (size_t i = 0; i < files.size(); ++i) {
        if (i % 64 == 0)
            progress.report(double(i) / double(files.size()), "reading images and masks");
        const std::string name = files[i].stem().string();
        Image im;
        im.key = name;
        im.path = files[i].string();
        im.csvPath = "images/" + files[i].filename().string();
        std::smatch m;
        if (std::regex_match(name, m, pattern)) {
            im.patientId = m[1].str();
            im.side = sideName(m[2].str());
            im.view = m[3].str();
        }
        if (const auto p = table.cell(name, "patient id"); !p.empty())
            im.patientId = "P" + p;
        if (const auto s = sideName(table.cell(name, "side")); !s.empty())
            im.side = s;
        if (const auto v = viewName(table.cell(name, "view")); !v.empty())
            im.view = v;
        if (im.patientId.empty())
            im.patientId = name; // one woman per image when nothing says otherwise
        const std::string acr = toUpper(table.cell(name, "breast density (acr)"));
        if (acr.size() == 1 && acr[0] >= 'A' && acr[0] <= 'D')
            im.density = acr[0] - 'A' + 1;
        const std::string pathology = toLower(table.cell(name, "pathology classification/ follow up"));
        const bool inTable = table.rowOf.count(name) > 0;
        auto mk = maskOf.find(name);
        im.groundTruth = mk != maskOf.end() || inTable;
        const int imageIndex = int(ds.images.size());
        ds.images.push_back(im);
        if (mk == maskOf.end()) {
            if (inTable && pathology != "normal" && !pathology.empty())
                ds.addProblem(table.file, name, "the table gives '" + pathology + "' but masks/ has no mask for this image");
            continue;
        }
        Abnormality a;
        a.image = imageIndex;
        a.patientId = im.patientId;
        a.side = im.side;
        a.view = im.view;
        a.density = im.density;
        const std::string findings = toLower(table.cell(name, "findings"));
        a.type
            = findings.find("calcification") != std::string::npos && findings.find("mass") == std::string::npos ? "calcification" : "mass";
        a.pathology = pathology == "malignant" ? "MALIGNANT" : pathology == "benign" ? "BENIGN" : "";
        const std::string birads = table.cell(name, "birads");
        if (auto b = parseInt(birads); b && *b >= 0 && *b <= 6)
            a.assessment = int(*b);
        a.maskPath = mk->second;
        a.maskCsvPath = "masks/" + fs::path(mk->second).filename().string();
        a.sourceFile = inTable ? table.file : mk->second;
        a.sourceLine = inTable ? table.table.rows[table.rowOf.at(name)].line : 0;
        if (inTable)
            for (size_t c = 0; c < table.table.header.size(); ++c) {
                const auto& row = table.table.rows[table.rowOf.at(name)].cells;
                if (c < row.size())
                    a.attributes.emplace_back(table.table.header[c], std::string(trim(row[c])));
            }
        ds.abnormalities.push_back(std::move(a));
    }
    std::set<std::string> names;
    for (const auto& f : files)
        names.insert(f.stem().string());
    for (const auto& [name, file] : maskOf)
        if (!names.count(name))
            ds.addProblem(file, "", "a mask without an image of the same name in images/");
    ds.finalise();
    return ds;
}

} // namespace ms::dataset

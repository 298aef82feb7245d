// SPDX-License-Identifier: GPL-3.0-or-later
// mini-MIAS: PGM images and the original Info.txt (free text, then REFNUM BG CLASS SEVERITY X Y RADIUS rows;
// coordinates have their origin at the bottom-left; '*NOTE 3*' rows carry no coordinates; one row per lesion).
#include "core/common/paths.h"
#include "core/common/strings.h"
#include "core/dataset/dataset.h"
#include "core/imageio/imageio.h"

#include <map>
#include <sstream>

namespace fs = std::filesystem;

namespace ms::dataset
{

namespace
{

fs::path findInfo(const fs::path& root)
{
    std::error_code ec;
    for (const char* n : { "Info.txt", "info.txt", "INFO.TXT" })
        if (fs::is_regular_file(root / n, ec))
            return root / n;
    return {};
}

std::string classType(const std::string& c)
{
    if (c == "CALC")
        return "calcification";
    if (c == "CIRC" || c == "SPIC" || c == "MISC")
        return "mass";
    if (c == "ARCH")
        return "architectural distortion";
    if (c == "ASYM")
        return "asymmetry";
    return {};
}

std::string tissueName(const std::string& bg)
{
    if (bg == "F")
        return "fatty";
    if (bg == "G")
        return "fatty-glandular";
    if (bg == "D")
        return "dense-glandular";
    return bg;
}

} // namespace

Result<Dataset> readMias(const fs::path& root, Progress& progress)
{
    fs::path info = findInfo(root);
    if (info.empty())
        return Error("no mini-MIAS Info.txt found", root.string());
    std::string text;
    if (!readFile(info, text))
        return Error("cannot read file", info.string());
    progress.report(0.1, "reading Info.txt");
    Dataset ds;
    ds.format = Format::MiniMias;
    ds.root = root.string();
    ds.descriptionFiles.push_back(info.string());
    std::map<std::string, int> imageByRef;
    int lineNo = 0;
    std::istringstream in(text);
    std::string line;
    std::error_code ec;
    while (std::getline(in, line)) {
        ++lineNo;
        std::string_view t = trim(line);
        if (!startsWith(t, "mdb") || t.size() < 6 || !std::isdigit(static_cast<unsigned char>(t[3])))
            continue;
        std::istringstream ls { std::string(t) };
        std::vector<std::string> tok;
        for (std::string w; ls >> w;)
            tok.push_back(w);
        const std::string where = "line " + std::to_string(lineNo);
        const std::string file = info.string();
        if (tok.size() < 3) {
            ds.addProblem(file, where, "row has fewer than 3 fields (REFNUM BG CLASS)");
            continue;
        }
        const std::string& ref = tok[0];
        auto num = parseInt(ref.substr(3));
        if (!num) {
            ds.addProblem(file, where, "reference '" + ref + "' is not mdbNNN");
            continue;
        }
        auto [it, inserted] = imageByRef.emplace(ref, int(ds.images.size()));
        if (inserted) {
            Image im;
            im.key = ref;
            im.patientId
                = "mdb" + std::string(3 - std::min<size_t>(3, std::to_string((*num + 1) / 2).size()), '0') + std::to_string((*num + 1) / 2);
            im.side = (*num % 2 == 1) ? "RIGHT" : "LEFT"; // MIAS pairs: odd numbers right, even left
            im.view = "MLO";
            fs::path p = root / (ref + ".pgm");
            if (fs::is_regular_file(p, ec))
                im.path = p.string();
            else
                ds.missingFiles.push_back(ref + ".pgm");
            im.csvPath = ref + ".pgm";
            ds.images.push_back(std::move(im));
        }
        const std::string cls = tok[2];
        if (cls == "NORM")
            continue;
        const std::string type = classType(cls);
        if (type.empty()) {
            ds.addProblem(file, where, "unknown abnormality class '" + cls + "'");
            continue;
        }
        Abnormality a;
        a.image = it->second;
        const Image& im = ds.images[size_t(a.image)];
        a.patientId = im.patientId;
        a.side = im.side;
        a.view = im.view;
        a.type = type;
        a.sourceFile = file;
        a.sourceLine = lineNo;
        a.number = 1;
        for (const auto& other : ds.abnormalities)
            if (other.image == a.image)
                ++a.number;
        if (cls == "CIRC")
            a.massMargins = "CIRCUMSCRIBED";
        if (cls == "SPIC")
            a.massMargins = "SPICULATED";
        if (cls == "MISC")
            a.massMargins = "ILL_DEFINED";
        std::string sev = tok.size() > 3 ? tok[3] : "";
        if (sev == "B")
            a.pathology = "BENIGN";
        else if (sev == "M")
            a.pathology = "MALIGNANT";
        else
            ds.addProblem(file, where, "severity '" + sev + "' is not B or M");
        static const char* names[] = { "REFNUM", "BG", "CLASS", "SEVERITY", "X", "Y", "RADIUS" };
        for (size_t k = 0; k < tok.size() && k < 7; ++k)
            a.attributes.emplace_back(names[k], tok[k]);
        a.attributes.emplace_back("background tissue", tissueName(tok[1]));
        if (tok.size() >= 7) {
            auto x = parseDouble(tok[4]), y = parseDouble(tok[5]), r = parseDouble(tok[6]);
            if (x && y && r) {
                int h = 1024;
                if (!im.path.empty())
                    if (auto s = imageio::readSize(im.path))
                        h = s->second;
                a.centerX = *x;
                a.centerY = h - *y; // origin bottom-left in Info.txt
                a.radius = *r;
            } else {
                ds.addProblem(file, where, "coordinates '" + tok[4] + " " + tok[5] + " " + tok[6] + "' are not numbers");
            }
        } else if (line.find("NOTE 3") != std::string::npos) {
            a.attributes.emplace_back("note", "no coordinates (NOTE 3: calcifications throughout the breast)");
        }
        ds.abnormalities.push_back(std::move(a));
    }
    if (ds.images.empty())
        return Error("Info.txt has no mdbNNN rows", info.string());
    if (!ds.missingFiles.empty())
        ds.addProblem(root.string(), "",
            std::to_string(ds.missingFiles.size()) + " of " + std::to_string(ds.images.size())
                + " images listed in Info.txt are not in the folder");
    ds.finalise();
    return ds;
}

} // namespace ms::dataset

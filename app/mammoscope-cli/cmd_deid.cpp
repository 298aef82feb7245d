// SPDX-License-Identifier: GPL-3.0-or-later
// mammoscope-cli deidentify: DICOM files and folders de-identified for sharing (PS3.15 Basic Profile, dates shifted
// per patient, UIDs remapped consistently under a secret key), and the key that export --deidentify shares.
#include "commands.h"
#include "core/common/json.h"
#include "core/common/paths.h"
#include "core/dicom/deid.h"
#include "core/dicom/dicom.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace ms::cli
{

Result<std::vector<fs::path>> filesOf(const std::vector<std::string>& args)
{
    std::vector<fs::path> files;
    for (const std::string& p : args) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<fs::path> in;
            for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
                if (it->is_regular_file(ec) && !it->is_symlink(ec))
                    in.push_back(it->path());
            if (ec)
                return Error("cannot list the folder: " + ec.message(), p);
            std::sort(in.begin(), in.end());
            files.insert(files.end(), in.begin(), in.end());
        } else if (fs::is_regular_file(p, ec)) {
            files.emplace_back(p);
        } else {
            return Error("no such file or folder", p);
        }
    }
    return files;
}

void setDeidJson(Json& j, const std::vector<std::string>& problems, const std::vector<std::string>& burnedIn)
{
    Json probs = Json::array(), burned = Json::array();
    for (const auto& p : problems)
        probs.push(p);
    for (const auto& b : burnedIn)
        burned.push(b);
    j.set("problems", std::move(probs));
    j.set("burned_in_annotation", std::move(burned));
}

int cmdDeidentify(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "json", "quiet" });
    const char* usage = "usage: mammoscope-cli deidentify FILE|FOLDER... --out DIR [--key-file F] [--json]\n"
                        "  DICOM files de-identified into DIR/<pseudonym>/<new SOP Instance UID>.dcm: names and IDs replaced by a\n"
                        "  pseudonym, identifying attributes removed (PS3.15 Basic Profile), dates shifted per patient, UIDs remapped\n"
                        "  so SEGs and SRs still point at their images. The key: --key-file, else $MAMMOSCOPE_DEID_KEY, else this\n"
                        "  account's own (made on first use in the data folder). Input files are never written.\n";
    if (auto u = a.unknown({ "json", "quiet", "out", "key-file" }); !u.empty() || a.positional.empty() || !a.get("out")) {
        std::fprintf(stderr, "%s%s\n", usage, u.c_str());
        return 2;
    }
    bool made = false;
    auto key = dicom::deidKey(a.get("key-file") ? std::optional<fs::path>(*a.get("key-file")) : std::nullopt, &made);
    if (!key) {
        std::fprintf(stderr, "mammoscope-cli deidentify: %s\n", key.error().toString().c_str());
        return 1;
    }
    if (made && !a.flag("quiet") && !a.flag("json"))
        std::fprintf(stderr,
            "made a de-identification key for this account in %s (keep it secret; the same key gives the same "
            "pseudonyms and UIDs next time)\n",
            appDataDir().c_str());
    const fs::path out = *a.get("out");
    dicom::DeidOptions opt;
    opt.key = *key;
    for (const std::string& p : a.positional) {
        std::error_code ec;
        if (resolvesInside(out, p) || resolvesInside(p, out)) {
            std::fprintf(
                stderr, "mammoscope-cli deidentify: %s: the output folder may not be inside an input, nor an input inside it\n", p.c_str());
            return 2;
        }
        // A folder that opens as a dataset says which images are one woman's (CBIS-DDSM writes one Patient ID per
        // image): the pseudonym and date shift follow the woman.
        if (!fs::is_directory(p, ec))
            continue;
        if (auto ds = dataset::open(p); ds && ds->format != dataset::Format::Folder) {
            auto learn = [&](const std::string& file, const std::string& woman) {
                if (file.empty() || woman.empty())
                    return;
                if (auto h = dicom::readHeader(file); h && !h->patientId.empty())
                    opt.patientOf[h->patientId] = woman;
            };
            for (const auto& img : ds->images)
                learn(img.path, img.patientId);
            for (const auto& ab : ds->abnormalities) { // CBIS-DDSM's crops and ROI masks carry IDs of their own
                learn(ab.cropPath, ab.patientId);
                learn(ab.maskPath, ab.patientId);
            }
        }
    }
    auto files = filesOf(a.positional);
    if (!files) {
        std::fprintf(stderr, "mammoscope-cli deidentify: %s\n", files.error().toString().c_str());
        return 1;
    }
    StderrProgress progress(!a.flag("json") && !a.flag("quiet"));
    auto r = dicom::deidentifyFiles(*files, out, opt, progress);
    if (!r) {
        std::fprintf(stderr, "mammoscope-cli deidentify: %s\n", r.error().toString().c_str());
        return 1;
    }
    if (a.flag("json")) {
        Json j = Json::object();
        j.set("written", r->written);
        setDeidJson(j, r->problems, r->burnedIn);
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("%zu files de-identified into %s\n", r->written, out.c_str());
        for (const auto& p : r->problems)
            std::printf("  left out: %s\n", p.c_str());
        for (const auto& b : r->burnedIn)
            std::printf("  check the pixels: %s says Burned In Annotation YES (text in the image may identify)\n", b.c_str());
    }
    return 0;
}

} // namespace ms::cli

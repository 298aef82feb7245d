// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/common/paths.h"
#include "core/common/strings.h"
#include "core/dataset/cache.h"
#include "core/dataset/dataset.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace fs = std::filesystem;

namespace ms::dataset
{

namespace
{

// FNV-1a over every file's relative path, size and modification time: any change re-indexes.
std::string fingerprint(const fs::path& root)
{
    uint64_t h = 1469598103934665603ull;
    auto mix = [&](const void* d, size_t n) {
        auto* b = static_cast<const unsigned char*>(d);
        for (size_t i = 0; i < n; ++i) {
            h ^= b[i];
            h *= 1099511628211ull;
        }
    };
    std::error_code ec;
    std::vector<std::string> entries;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec)
            break;
        if (!it->is_regular_file(ec))
            continue;
        auto size = it->file_size(ec);
        auto mtime = it->last_write_time(ec).time_since_epoch().count();
        entries.push_back(it->path().lexically_relative(root).string() + "|" + std::to_string(size) + "|" + std::to_string(mtime));
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& e : entries)
        mix(e.data(), e.size() + 1);
    const char* version = "index-v5"; // v2: images say whether they have ground truth; v3: images + masks folders;
    // v4: a plain folder's masks and label maps beside their images, and patients grouped by name; v5: masks and label
    // maps recognised by their pixels too
    mix(version, 8);
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

bool hasCbisCsv(const fs::path& root)
{
    std::error_code ec;
    for (const auto& d : { root, root / "csv", root / "CBIS-DDSM", root / "CBIS-DDSM" / "csv" }) {
        if (!fs::is_directory(d, ec))
            continue;
        for (const auto& e : fs::directory_iterator(d, ec)) {
            std::string n = toLower(e.path().filename().string());
            if (endsWith(n, ".csv") && n.find("case_description") != std::string::npos)
                return true;
        }
    }
    return false;
}

bool hasMiasInfo(const fs::path& root)
{
    std::error_code ec;
    return fs::is_regular_file(root / "Info.txt", ec) || fs::is_regular_file(root / "info.txt", ec);
}

// Every file the dataset names must resolve inside its folder, symbolic links included: a CSV or Info.txt that names
// "/etc/passwd" or "../../x" must not make MammoScope read (or an export place) a file outside. Such a path is dropped
// and reported as a problem naming the row.
void confineToRoot(Dataset& ds, const fs::path& root)
{
    std::map<std::string, bool> inside;
    auto ok = [&](const std::string& p) {
        auto it = inside.find(p);
        if (it == inside.end())
            it = inside.emplace(p, resolvesInside(p, root)).first;
        return it->second;
    };
    auto drop = [&](std::string& path, const std::string& where, const std::string& what) {
        if (path.empty() || ok(path))
            return;
        ds.addProblem(path, where, what + " resolves outside the dataset folder " + root.string() + "; not read");
        path.clear();
    };
    for (auto& im : ds.images) {
        drop(im.path, im.key, "the image file");
        drop(im.labelMapPath, im.key, "the label map");
        for (auto& r : im.reports)
            drop(r, im.key, "the structured report");
        im.reports.erase(std::remove(im.reports.begin(), im.reports.end(), std::string()), im.reports.end());
    }
    for (auto& a : ds.abnormalities) {
        const std::string where = a.sourceFile.empty() ? a.key : a.sourceFile + " line " + std::to_string(a.sourceLine);
        drop(a.cropPath, where, "the cropped image file");
        drop(a.maskPath, where, "the ROI mask file");
    }
}

} // namespace

bool isPhantomDataset(const fs::path& root)
{
    std::error_code ec;
    return fs::is_regular_file(root / "SYNTHETIC-README.txt", ec);
}

Result<Dataset> open(const fs::path& rootIn, const OpenOptions& opt, Progress& progress)
{
    std::error_code ec;
    if (!fs::exists(rootIn, ec))
        return Error("no such folder", rootIn.string());
    if (!fs::is_directory(rootIn, ec))
        return Error("not a folder (a dataset is a folder: CBIS-DDSM, Kaggle JPEG, mini-MIAS or images)", rootIn.string());
    fs::path root = fs::weakly_canonical(fs::absolute(rootIn, ec), ec);

    std::unique_ptr<HeaderCache> cache;
    std::string fp;
    if (opt.useCache) {
        fs::path file = opt.cacheFile.empty() ? appCacheDir() / "index.sqlite" : opt.cacheFile;
        auto c = HeaderCache::open(file);
        if (c) {
            cache = std::move(*c);
            progress.report(0.0, "checking for changes");
            fp = fingerprint(root);
            if (auto payload = cache->getDataset(root.string(), fp)) {
                if (auto j = Json::parse(*payload)) {
                    if (auto ds = fromJson(*j)) {
                        ds->fromCache = true;
                        confineToRoot(*ds, root);
                        progress.report(1.0, "loaded from cache");
                        return ds;
                    }
                }
            }
        }
    }

    Result<Dataset> ds = Error("");
    if (hasCbisCsv(root))
        ds = readCbis(root, cache.get(), progress);
    else if (hasMiasInfo(root))
        ds = readMias(root, progress);
    else if (hasImagesAndMasks(root))
        ds = readImagesMasks(root, progress);
    else
        ds = readFolder(root, cache.get(), progress);
    if (!ds)
        return ds;
    if (progress.cancelled())
        return Error("indexing cancelled", root.string());
    confineToRoot(*ds, root);
    if (cache)
        cache->putDataset(root.string(), fp, toJson(*ds).dump());
    progress.report(1.0, "indexed");
    return ds;
}

} // namespace ms::dataset

// SPDX-License-Identifier: GPL-3.0-or-later
// export and annotate: the curation store from the command line.
#include "app/common/cliargs.h"
#include "commands.h"

#include "core/annotations/effective.h"
#include "core/annotations/export.h"
#include "core/annotations/store.h"
#include "core/common/json.h"
#include "core/common/paths.h"
#include "core/dataset/dataset.h"
#include "core/dicom/deid.h"
#include "core/dicom/dicom.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

namespace ms::cli
{

namespace
{

struct Opened {
    dataset::Dataset original;
    std::unique_ptr<annotations::Store> store;
};

// Opens the dataset and its store (the default one beside MammoScope's other files unless --store is given).
Result<Opened> openBoth(const std::string& root, const std::optional<std::string>& storePath, bool readOnly)
{
    dataset::OpenOptions o;
    auto ds = dataset::open(root, o);
    if (!ds)
        return ds.error();
    annotations::Store::Options so;
    so.datasetRoot = ds->root;
    so.readOnly = readOnly;
    std::filesystem::path file = storePath ? std::filesystem::path(*storePath) : annotations::Store::defaultPath(ds->root);
    std::error_code ec;
    if (readOnly && !std::filesystem::exists(file, ec))
        so.readOnly = false; // an empty store is made; nothing is corrected yet
    auto st = annotations::Store::open(file, so);
    if (!st)
        return st.error();
    return Opened { std::move(*ds), std::move(*st) };
}

// export --deidentify: the staged objects and the dataset's DICOM images de-identified into `out` (staged removed).
int finishDeidentified(const dataset::Dataset& ds, const std::filesystem::path& staged, const std::filesystem::path& out, const Args& a)
{
    bool made = false;
    auto key = dicom::deidKey(a.get("key-file") ? std::optional<std::filesystem::path>(*a.get("key-file")) : std::nullopt, &made);
    if (!key) {
        removeTree(staged);
        std::fprintf(stderr, "mammoscope-cli export: %s\n", key.error().toString().c_str());
        return 1;
    }
    if (made && !a.flag("quiet") && !a.flag("json"))
        std::fprintf(stderr, "made a de-identification key for this account in %s (keep it secret)\n", appDataDir().c_str());
    StderrProgress progress(!a.flag("json") && !a.flag("quiet"));
    auto r = annotations::deidentifyExport(ds, staged, out, *key, progress);
    if (!r) {
        std::fprintf(stderr, "mammoscope-cli export: %s\n", r.error().toString().c_str());
        return 1;
    }
    if (a.flag("json")) {
        Json j = Json::object();
        j.set("format", a.get("format", ""));
        j.set("out", out.string());
        j.set("deidentified", true);
        j.set("objects", r->objects);
        j.set("files_written", r->objects + r->images);
        setDeidJson(j, r->problems, r->burnedIn);
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("exported %zu %s objects with %zu images, de-identified, to %s\n", r->objects, a.get("format", "").c_str(), r->images,
            out.c_str());
        for (const auto& p : r->problems)
            std::printf("  left out: %s\n", p.c_str());
        for (const auto& b : r->burnedIn)
            std::printf("  check the pixels: %s says Burned In Annotation YES\n", b.c_str());
    }
    return 0;
}

} // namespace

int cmdExport(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "json", "quiet", "deidentify" });
    const char* usage = "usage: mammoscope-cli export DATASET --format cbis|coco|masks|dicom-seg --out DIR [--store FILE]\n"
                        "                             [--files link|copy|symlink] [--json]\n"
                        "       mammoscope-cli export DATASET --format dicom-sr --model MODEL_DIR --out DIR [--device D] [--json]\n"
                        "       ... --format dicom-seg|dicom-sr --deidentify [--key-file F]\n"
                        "  dicom-seg: the (curated) ROIs of each DICOM image as a DICOM Segmentation; dicom-sr: the model's\n"
                        "  suspicious regions and image score as a Comprehensive SR, both referencing their image by UIDs.\n"
                        "  --deidentify: the objects and the dataset's DICOM images de-identified together (see deidentify)\n";
    annotations::ExportOptions opt;
    if (auto u = a.unknown({ "json", "quiet", "format", "out", "store", "files", "model", "device", "deidentify", "key-file" });
        !u.empty() || a.positional.size() != 1 || !a.get("out")) {
        std::fprintf(stderr, "%s%s\n", usage, u.c_str());
        return 2;
    }
    const bool deid = a.flag("deidentify");
    const std::string format = a.get("format", "cbis");
    if (deid && format != "dicom-seg" && format != "dicom-sr") {
        std::fprintf(stderr,
            "mammoscope-cli export: --deidentify is for dicom-seg and dicom-sr (the other formats keep the dataset's "
            "file names and CSV fields, which may identify)\n");
        return 2;
    }
    const std::filesystem::path staged = deid ? annotations::stagingFolderFor(*a.get("out")) : std::filesystem::path(*a.get("out"));
    if (format == "dicom-sr") {
#ifdef MS_WITH_ML
        if (!a.get("model")) {
            std::fprintf(
                stderr, "mammoscope-cli export: --format dicom-sr needs --model MODEL_DIR (the model whose findings it reports)\n");
            return 2;
        }
        auto ds = dataset::open(a.positional[0], {});
        if (!ds) {
            std::fprintf(stderr, "mammoscope-cli export: %s\n", ds.error().toString().c_str());
            return 1;
        }
        if (!deid)
            return exportFindingsSr(*ds, *a.get("model"), a.get("device", "cpu"), *a.get("out"), a.flag("json"), a.flag("quiet"));
        if (const int rc = exportFindingsSr(*ds, *a.get("model"), a.get("device", "cpu"), staged.string(), false, true); rc != 0) {
            removeTree(staged);
            return rc;
        }
        return finishDeidentified(*ds, staged, *a.get("out"), a);
#else
        std::fprintf(stderr, "mammoscope-cli export: this build has no inference (LibTorch): dicom-sr is not available\n");
        return 1;
#endif
    }
    if (!annotations::parseExportFormat(a.get("format", "cbis"), opt.format)) {
        std::fprintf(
            stderr, "mammoscope-cli export: unknown format '%s' (cbis, coco, masks, dicom-seg or dicom-sr)\n", a.get("format", "").c_str());
        return 2;
    }
    const std::string files = a.get("files", "link");
    if (files == "copy")
        opt.files = annotations::FileMode::Copy;
    else if (files == "symlink")
        opt.files = annotations::FileMode::Symlink;
    else if (files != "link") {
        std::fprintf(stderr, "mammoscope-cli export: --files is link, copy or symlink\n");
        return 2;
    }
    auto both = openBoth(a.positional[0], a.get("store"), true);
    if (!both) {
        std::fprintf(stderr, "mammoscope-cli export: %s\n", both.error().toString().c_str());
        return 1;
    }
    auto snap = both->store->readSnapshot(); // a damaged store is an error, not an export without its corrections
    if (!snap) {
        std::fprintf(stderr, "mammoscope-cli export: %s\n", snap.error().toString().c_str());
        return 1;
    }
    dataset::Dataset eff = annotations::effective(both->original, *snap);
    StderrProgress progress(!a.flag("json") && !a.flag("quiet"));
    auto r = annotations::exportDataset(eff, both->store.get(), staged, opt, progress);
    if (!r) {
        if (deid)
            removeTree(staged);
        std::fprintf(stderr, "mammoscope-cli export: %s\n", r.error().toString().c_str());
        return 1;
    }
    if (deid)
        return finishDeidentified(eff, staged, *a.get("out"), a);
    if (a.flag("json")) {
        Json j = Json::object();
        j.set("format", annotations::formatName(opt.format));
        j.set("out", *a.get("out"));
        j.set("images", r->images);
        j.set("abnormalities", r->abnormalities);
        j.set("masks_written", r->masksWritten);
        j.set("files_linked", r->filesLinked);
        j.set("files_copied", r->filesCopied);
        Json probs = Json::array();
        for (const auto& p : r->problems) {
            Json pj = Json::object();
            pj.set("file", p.file);
            pj.set("where", p.where);
            pj.set("message", p.message);
            probs.push(pj);
        }
        j.set("problems", probs);
        j.set("seconds", r->seconds);
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("exported %d images, %d abnormalities (%d new masks; %d files linked, %d copied) as %s to %s in %.1f s\n", r->images,
            r->abnormalities, r->masksWritten, r->filesLinked, r->filesCopied, annotations::formatName(opt.format).c_str(),
            a.get("out")->c_str(), r->seconds);
        for (const auto& p : r->problems)
            std::printf("  %s%s%s: %s\n", p.file.c_str(), p.where.empty() ? "" : ":", p.where.c_str(), p.message.c_str());
    }
    return 0;
}

int cmdAnnotate(int argc, char** argv)
{
    const char* usage = "usage: mammoscope-cli annotate DATASET [--store FILE] [--user NAME]\n"
                        "         [--set ITEM FIELD VALUE]... [--unset ITEM FIELD]... [--audit] [--verify]\n"
                        "  ITEM is an abnormality (\"<image key>#<number>\") or an image key; FIELD one of pathology, assessment,\n"
                        "  type, mass_shape, mass_margins, calc_type, calc_distribution, subtlety, density, roi, deleted,\n"
                        "  review (unreviewed|reviewed|corrected|flagged), review_comment.\n";
    std::string root;
    std::optional<std::string> storePath, user;
    std::vector<annotations::Change> changes;
    bool audit = false, verify = false;
    for (int i = 2; i < argc; ++i) {
        std::string s = argv[i];
        auto need = [&](int n) { return i + n < argc; };
        if (s == "--store" && need(1))
            storePath = argv[++i];
        else if (s == "--user" && need(1))
            user = argv[++i];
        else if (s == "--set" && need(3)) {
            changes.push_back({ argv[i + 1], argv[i + 2], std::string(argv[i + 3]), {} });
            i += 3;
        } else if (s == "--unset" && need(2)) {
            changes.push_back({ argv[i + 1], argv[i + 2], std::nullopt, {} });
            i += 2;
        } else if (s == "--audit")
            audit = true;
        else if (s == "--verify")
            verify = true;
        else if (!s.empty() && s[0] != '-' && root.empty())
            root = s;
        else {
            std::fprintf(stderr, "%sunexpected argument '%s'\n", usage, s.c_str());
            return 2;
        }
    }
    if (root.empty()) {
        std::fprintf(stderr, "%s", usage);
        return 2;
    }
    auto both = openBoth(root, storePath, changes.empty());
    if (!both) {
        std::fprintf(stderr, "mammoscope-cli annotate: %s\n", both.error().toString().c_str());
        return 1;
    }
    auto& store = *both->store;
    if (user)
        store.setUser(*user);
    auto snap = store.readSnapshot();
    if (!snap && !verify) { // --verify says what is wrong in its own words
        std::fprintf(stderr, "mammoscope-cli annotate: %s\n", snap.error().toString().c_str());
        return 1;
    }
    if (!changes.empty()) {
        // The dataset's own values go to the audit; items must exist (or be added by this very change).
        dataset::Dataset eff = annotations::effective(both->original, *snap);
        for (auto& c : changes) {
            bool found = false;
            for (const auto& ab : eff.abnormalities)
                if (ab.key == c.item) {
                    found = true;
                    for (const auto& orig : both->original.abnormalities)
                        if (orig.image >= 0
                            && annotations::abnormalityKey(both->original.images[size_t(orig.image)].key, orig.number) == c.item)
                            c.original = annotations::fieldValue(orig, c.field);
                }
            for (const auto& im : eff.images)
                if (im.key == c.item) {
                    found = true;
                    if (c.field == "review")
                        c.original = "unreviewed";
                }
            if (!found && c.field != "added") {
                std::fprintf(stderr, "mammoscope-cli annotate: no abnormality or image '%s' in %s\n", c.item.c_str(), root.c_str());
                return 1;
            }
        }
        if (auto st = store.apply(changes); !st) {
            std::fprintf(stderr, "mammoscope-cli annotate: %s\n", st.error().toString().c_str());
            return 1;
        }
        std::printf("%zu change(s) saved to %s\n", changes.size(), store.path().c_str());
    }
    if (audit)
        for (const auto& e : store.audit()) {
            auto shorten = [](const std::string& v) { return v.size() > 40 ? v.substr(0, 37) + "..." : v; };
            std::printf("%lld\t%s\t%s\t%s\t%s\t%s -> %s\t%s\n", e.id, e.time.c_str(), e.user.c_str(), e.item.c_str(), e.field.c_str(),
                shorten(e.oldValue).c_str(), shorten(e.newValue).c_str(), e.source.c_str());
        }
    if (verify) {
        if (auto st = store.verify(); !st) {
            std::fprintf(stderr, "mammoscope-cli annotate: store check failed: %s\n", st.error().toString().c_str());
            return 1;
        }
        std::printf("store %s: integrity ok, %lld audit rows account for every stored value\n", store.path().c_str(), store.auditCount());
    }
    if (changes.empty() && !audit && !verify) {
        dataset::Dataset eff = annotations::effective(both->original, *snap);
        auto p = annotations::reviewProgress(eff);
        std::printf("store %s (schema %d)\n  reviewed %d of %d images (corrected %d, flagged %d)\n  audit rows %lld\n",
            store.path().c_str(), store.schemaVersion(), p.done(), p.total, p.corrected, p.flagged, store.auditCount());
    }
    return 0;
}

} // namespace ms::cli

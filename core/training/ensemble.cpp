// SPDX-License-Identifier: GPL-3.0-or-later
// Ensembles and extra training data for the lesion-map cross-validation: extra shards appended to every training set,
// held-out maps kept in the run folder, and crossval-combine, which averages several runs' held-out maps (same folds)
// in log-odds and scores the average exactly as crossval scores one run.
#include "core/common/paths.h"
#include "core/models/card.h"
#include "core/models/unet.h"
#include "core/models/weights.h"
#include "core/runs/config.h"
#include "core/training/engine.h"
#include "core/training/lesionfigures.h"
#include "core/training/unetcommon.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string_view>

namespace fs = std::filesystem;

namespace ms::training
{

std::string appendExtraData(const fs::path& dir, shards::SampleSet& set, const Json& scoredSource)
{
    auto man = shards::readManifest(dir);
    if (!man)
        return man.error().toString();
    if (man->task != "lesion-map")
        return dir.string() + " holds '" + man->task + "' samples; extra data must be lesion-map shards (prepare --task lesion-map)";
    // images that are also scored would be trained on while held out: the same dataset is refused outright
    if (man->source["dataset"].isString() && man->source["dataset"].string() == scoredSource["dataset"].string())
        return dir.string() + " was prepared from the cross-validated dataset itself (" + man->source["dataset"].string()
            + "): its images would be trained on while held out";
    if (man->source["spacing_mm"].number(-1) != scoredSource["spacing_mm"].number(-2))
        return dir.string() + " has samples of " + std::to_string(man->source["spacing_mm"].number(0)) + " mm, the cross-validated set "
            + std::to_string(scoredSource["spacing_mm"].number(0)) + " mm (prepare both with the same --pixel-mm)";
    auto extra = shards::loadSplit(dir, "all");
    if (!extra)
        return extra.error().toString();
    if (extra->size() == 0)
        return dir.string() + " holds no images";
    if (extra->width != set.width || extra->height != set.height || extra->channels != set.channels)
        return dir.string() + " has samples of " + std::to_string(extra->width) + "x" + std::to_string(extra->height)
            + ", the cross-validated set " + std::to_string(set.width) + "x" + std::to_string(set.height)
            + " (prepare both with the same --canvas)";
    // and an image whose pixels are those of a scored one (the same film in another folder)
    std::map<std::string_view, size_t> scored;
    const size_t bytes = set.sampleBytes();
    for (size_t i = 0; i < set.size(); ++i)
        scored.emplace(std::string_view(reinterpret_cast<const char*>(set.sample(i)), bytes), i);
    for (size_t i = 0; i < extra->size(); ++i)
        if (auto it = scored.find(std::string_view(reinterpret_cast<const char*>(extra->sample(i)), bytes)); it != scored.end())
            return dir.string() + ": " + extra->meta[i].id + " is the same image as the cross-validated set's " + set.meta[it->second].id
                + ": it would be trained on while held out";
    for (auto& m : extra->meta) {
        m.id = "extra:" + m.id;
        m.patient = "extra:" + m.patient;
        if (!m.partner.empty())
            m.partner = "extra:" + m.partner;
    }
    set.meta.insert(set.meta.end(), extra->meta.begin(), extra->meta.end());
    set.pixels.insert(set.pixels.end(), extra->pixels.begin(), extra->pixels.end());
    return "";
}

namespace
{

constexpr const char* kMapsFile = "heldout-maps.f32";
constexpr const char* kMapsIndex = "heldout-maps.json";

} // namespace

std::string writeHeldOutMaps(const fs::path& runDir, const shards::SampleSet& set, size_t scored, const std::vector<int>& fold, int folds,
    unsigned long long foldSeed, const Json& source, const std::vector<std::vector<float>>& maps)
{
    const size_t plane = size_t(set.width) * size_t(set.height);
    std::string bytes(scored * plane * sizeof(float), '\0');
    for (size_t i = 0; i < scored; ++i) {
        if (maps[i].size() != plane)
            return "image " + set.meta[i].id + " has no held-out map";
        std::memcpy(bytes.data() + i * plane * sizeof(float), maps[i].data(), plane * sizeof(float));
    }
    Json j = Json::object();
    j.set("version", 1);
    j.set("width", set.width);
    j.set("height", set.height);
    j.set("folds", folds);
    j.set("fold_seed", Json(double(foldSeed)));
    j.set("source", source);
    Json ids = Json::array(), f = Json::array();
    for (size_t i = 0; i < scored; ++i) {
        ids.push(set.meta[i].id);
        f.push(fold[i]);
    }
    j.set("ids", ids);
    j.set("fold", f);
    if (auto err = writeFileAtomic(runDir / kMapsFile, bytes); !err.empty())
        return err;
    return writeFileAtomic(runDir / kMapsIndex, j.dump(1));
}

std::string heldOutIndexProblem(const Json& index, const shards::SampleSet& set)
{
    if (!index.isObject() || index["version"].integer(0) != 1)
        return "not a held-out map index of version 1";
    if (index["width"].integer(0) != set.width || index["height"].integer(0) != set.height)
        return "maps of another canvas than the shards'";
    const long long folds = index["folds"].integer(0);
    const double seed = index["fold_seed"].number(-1);
    if (folds < 2 || folds > 20 || !(seed >= 0 && seed <= 9007199254740992.0) || seed != std::floor(seed))
        return "no folds (2-20) or fold seed (a whole number)";
    const auto& ids = index["ids"].elements();
    const auto& fold = index["fold"].elements();
    if (!index["ids"].isArray() || !index["fold"].isArray() || ids.size() != set.size() || fold.size() != set.size())
        return std::to_string(ids.size()) + " images, the shards hold " + std::to_string(set.size());
    for (size_t i = 0; i < set.size(); ++i) {
        if (!ids[i].isString() || ids[i].string() != set.meta[i].id)
            return "image " + std::to_string(i + 1) + " is not the shards' " + set.meta[i].id + " (other shards?)";
        if (!fold[i].isNumber() || fold[i].integer(-1) < 0 || fold[i].integer(-1) >= folds)
            return "image " + std::to_string(i + 1) + " has no fold of 1-" + std::to_string(folds);
    }
    return "";
}

namespace
{

// One member of an ensemble: its run folder's held-out maps (checked against the shards) and crossval.json.
struct Member {
    fs::path dir;
    Json index, crossval;
};

std::string readMember(const fs::path& dir, const shards::SampleSet& set, const Json& source, Member& m)
{
    m.dir = dir;
    std::string text;
    if (!readFile(dir / kMapsIndex, text))
        return (dir / kMapsIndex).string() + " cannot be read (was the run made with --save-maps?)";
    auto j = Json::parse(text);
    if (!j)
        return (dir / kMapsIndex).string() + ": " + j.error().message;
    if (auto why = heldOutIndexProblem(*j, set); !why.empty())
        return (dir / kMapsIndex).string() + ": " + why;
    if ((*j)["source"].dump() != source.dump())
        return (dir / kMapsIndex).string() + ": the maps were made on shards of another source (" + (*j)["source"]["dataset"].string()
            + ", " + std::to_string((*j)["source"]["spacing_mm"].number(0)) + " mm) than --data";
    m.index = *j;
    if (!readFile(dir / "crossval.json", text))
        return (dir / "crossval.json").string() + " cannot be read";
    auto cv = Json::parse(text);
    if (!cv || !cv->isObject())
        return (dir / "crossval.json").string() + " is not JSON";
    m.crossval = *cv;
    return "";
}

std::string sameFolds(const Member& a, const Member& b)
{
    if (a.index["folds"].integer(-1) != b.index["folds"].integer(-2) || a.index["fold_seed"].number(-1) != b.index["fold_seed"].number(-2))
        return b.dir.string() + " was cross-validated with other folds than " + a.dir.string()
            + " (give the members the same --folds and --fold-seed)";
    const auto &fa = a.index["fold"].elements(), &fb = b.index["fold"].elements();
    for (size_t i = 0; i < fa.size(); ++i)
        if (fa[i].integer(-1) != fb[i].integer(-2))
            return b.dir.string() + " holds image " + std::to_string(i + 1) + " out in another fold than " + a.dir.string();
    return "";
}

// The members' final models as networks of one spec; their cards (the first one's is the ensemble's template).
std::string loadFinalModels(const std::vector<Member>& members, std::vector<models::UNet>& nets, std::vector<models::ModelCard>& cards)
{
    for (const auto& m : members) {
        const Json& f = m.crossval["final_model"];
        if (!f.isString())
            return m.dir.string() + " has no final model (run it with --final-model)";
        fs::path dir = f.string();
        if (dir.is_relative() && !fs::exists(dir))
            dir = m.dir / dir;
        auto card = models::readCard(dir / "card.json");
        if (!card)
            return card.error().toString();
        if (card->task != "lesion-map" || card->architecture != "unet")
            return (dir / "card.json").string() + ": not a lesion-map U-Net";
        if (card->training["members"].integer(1) != 1)
            return (dir / "card.json").string() + ": already an ensemble";
        models::UNetSpec spec;
        spec.inChannels = card->inputChannels;
        spec.levels = int(card->training["levels"].integer(5));
        spec.width = int(card->training["width"].integer(32));
        std::string why;
        if (!models::validUNetSpec(spec, why))
            return (dir / "card.json").string() + ": the " + why + " is out of range";
        if (!cards.empty()) {
            const auto& c0 = cards[0];
            if (c0.inputChannels != card->inputChannels || c0.inputWidth != card->inputWidth || c0.inputHeight != card->inputHeight
                || c0.training["levels"].integer(5) != spec.levels || c0.training["width"].integer(32) != spec.width
                || c0.training["spacing_mm"].number(0) != card->training["spacing_mm"].number(0))
                return (dir / "card.json").string() + ": another network shape, canvas or pixel size than the first member's";
        }
        auto w = models::loadSafetensors(dir / card->weightsFile);
        if (!w)
            return (dir / card->weightsFile).string() + ": " + w.error().message;
        models::UNet net(spec);
        auto rep = models::loadInto(*net, *w, true);
        if (!rep)
            return (dir / card->weightsFile).string() + ": " + rep.error().message;
        if (!rep->missing.empty())
            return (dir / card->weightsFile).string() + ": lacks " + rep->missing[0];
        nets.push_back(net);
        cards.push_back(*card);
    }
    return "";
}

int combineImpl(const CombineConfig& c)
{
    std::string why;
    if (!runs::validate(c, why)) {
        std::fprintf(stderr, "mammoscope-train crossval-combine: %s\n", why.c_str());
        return kUsage;
    }
    std::vector<fs::path> dirs;
    for (size_t a = 0; a <= c.members.size();) {
        size_t b = c.members.find(',', a);
        if (b == std::string::npos)
            b = c.members.size();
        if (b > a)
            dirs.emplace_back(c.members.substr(a, b - a));
        a = b + 1;
    }
    if (dirs.size() < 2 || dirs.size() > size_t(models::kMaxEnsemble)) {
        std::fprintf(stderr, "mammoscope-train crossval-combine: --members takes 2 to %d run folders separated by commas, got %zu\n",
            models::kMaxEnsemble, dirs.size());
        return kUsage;
    }
    auto man = shards::readManifest(c.data);
    if (!man) {
        std::fprintf(stderr, "mammoscope-train crossval-combine: %s\n", man.error().toString().c_str());
        return kDataError;
    }
    if (man->task != "lesion-map") {
        std::fprintf(
            stderr, "mammoscope-train crossval-combine: %s holds '%s' samples, not lesion maps\n", c.data.c_str(), man->task.c_str());
        return kDataError;
    }
    auto loaded = shards::loadSplit(c.data, "all");
    if (!loaded) {
        std::fprintf(stderr, "mammoscope-train crossval-combine: %s\n", loaded.error().toString().c_str());
        return kDataError;
    }
    std::vector<Member> members(dirs.size());
    // the members may have been run on the first N images (--limit-images): the index says how many
    shards::SampleSet set = std::move(*loaded);
    {
        std::string text;
        size_t n = 0;
        if (readFile(dirs[0] / kMapsIndex, text))
            if (auto first = Json::parse(text); first && first->isObject())
                n = (*first)["ids"].elements().size();
        if (n > 0 && n < set.size()) {
            set.meta.resize(n);
            set.pixels.resize(n * set.sampleBytes());
        }
    }
    for (size_t k = 0; k < dirs.size(); ++k) {
        if (auto err = readMember(dirs[k], set, man->source, members[k]); !err.empty()) {
            std::fprintf(stderr, "mammoscope-train crossval-combine: %s\n", err.c_str());
            return kDataError;
        }
        if (k > 0)
            if (auto err = sameFolds(members[0], members[k]); !err.empty()) {
                std::fprintf(stderr, "mammoscope-train crossval-combine: %s\n", err.c_str());
                return kDataError;
            }
    }
    const size_t plane = size_t(set.width) * size_t(set.height), n = set.size();
    std::vector<float> sum(n * plane, 0.f);
    for (const auto& m : members) {
        std::string bytes;
        if (!readFile(m.dir / kMapsFile, bytes) || bytes.size() != n * plane * sizeof(float)) {
            std::fprintf(stderr, "mammoscope-train crossval-combine: %s is missing or not %zu maps of %dx%d floats\n",
                (m.dir / kMapsFile).string().c_str(), n, set.width, set.height);
            return kDataError;
        }
        const auto* v = reinterpret_cast<const float*>(bytes.data());
        for (size_t i = 0; i < n * plane; ++i) {
            if (!std::isfinite(v[i])) {
                std::fprintf(stderr, "mammoscope-train crossval-combine: %s holds a value that is not finite\n",
                    (m.dir / kMapsFile).string().c_str());
                return kDataError;
            }
            sum[i] += v[i];
        }
    }
    const double t0 = runs::nowSeconds();
    std::vector<ImageMarks> marks(n);
    for (size_t i = 0; i < n; ++i) {
        std::vector<float> map(sum.begin() + long(i * plane), sum.begin() + long((i + 1) * plane));
        for (auto& x : map)
            x /= float(members.size());
        marks[i] = marksOf(set, i, map);
    }
    const auto foldSeed = (unsigned long long)(members[0].index["fold_seed"].number(1));
    Json result = Json::object();
    result.set("version", 1);
    Json cmd = runs::toJson(c);
    result.set("command", cmd);
    result.set("held_out", figuresWithIntervals(marks, c.bootstrap, foldSeed));
    result.set("operating_point", operatingPoint(marks, 1.0));
    result.set("fold_seed", Json(double(foldSeed)));
    result.set("folds", members[0].index["folds"]);
    // the members' own figures beside the ensemble's; their training-image figures (no ensemble of those is kept)
    Json list = Json::array();
    double trainFroc = 0, trainAuc = 0;
    for (const auto& m : members) {
        Json e = Json::object();
        e.set("run", m.dir.string());
        e.set("seed", m.crossval["command"]["seed"]);
        e.set("held_out", m.crossval["held_out"]);
        e.set("train", m.crossval["train"]);
        trainFroc += m.crossval["train"]["froc_masses"]["1"]["value"].number(NAN);
        trainAuc += m.crossval["train"]["auc_abnormal_vs_normal"]["value"].number(NAN);
        list.push(e);
    }
    result.set("members", list);
    Json tm = Json::object();
    tm.set("froc_masses_1fp", numberOrNull(trainFroc / double(members.size())));
    tm.set("auc_abnormal_vs_normal", numberOrNull(trainAuc / double(members.size())));
    result.set("train_mean_of_members", tm);
    result.set("seconds", runs::nowSeconds() - t0);
    result.set("notes",
        "An ensemble's held-out figures: each image's map is the mean log-odds of the members' held-out maps (every member "
        "held the image out: the same folds), scored as crossval scores one run. 'members' holds each run's own figures.");

    std::error_code ec;
    fs::create_directories(c.runDir, ec);
    if (!c.finalModel.empty()) {
        std::vector<models::UNet> nets;
        std::vector<models::ModelCard> cards;
        if (auto err = loadFinalModels(members, nets, cards); !err.empty()) {
            std::fprintf(stderr, "mammoscope-train crossval-combine: %s\n", err.c_str());
            return kDataError;
        }
        models::ModelCard card = cards[0];
        card.name = c.finalName.empty() ? cards[0].name + " (ensemble of " + std::to_string(nets.size()) + ")" : c.finalName;
        Json t = card.training;
        Json recipes = Json::array();
        for (const auto& k : cards)
            recipes.push(k.training["recipe"]);
        t.set("member_recipes", recipes);
        t.set("recipe", Json());
        card.training = t;
        Json mj = Json::object();
        mj.set("crossval", result["held_out"]);
        mj.set("operating_point", result["operating_point"]);
        card.metrics = mj;
        card.notes = c.finalNotes;
        if (auto err = writeUNetModel(c.finalModel, nets, card, true); !err.empty()) {
            std::fprintf(stderr, "mammoscope-train crossval-combine: %s\n", err.c_str());
            return kError;
        }
        result.set("final_model", c.finalModel);
    }
    if (auto err = writeFileAtomic(fs::path(c.runDir) / "crossval.json", result.dump(2)); !err.empty()) {
        std::fprintf(stderr, "mammoscope-train crossval-combine: %s\n", err.c_str());
        return kError;
    }
    const Json& h = result["held_out"];
    std::printf("ensemble of %zu: held-out mass FROC at 1 FP %.3f, all lesions %.3f, pointing %.3f, AUC %.3f\n", members.size(),
        h["froc_masses"]["1"]["value"].number(NAN), h["froc_all"]["1"]["value"].number(NAN), h["pointing_game"]["value"].number(NAN),
        h["auc_abnormal_vs_normal"]["value"].number(NAN));
    return kOk;
}

} // namespace

int crossvalCombine(const CombineConfig& cfg)
{
    try {
        return combineImpl(cfg);
    } catch (const std::exception& e) {
        const std::string what = e.what();
        std::fprintf(stderr, "mammoscope-train crossval-combine: %s\n", what.substr(0, what.find('\n')).c_str());
        return kError;
    }
}

} // namespace ms::training

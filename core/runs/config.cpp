// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/runs/config.h"

#include "core/common/strings.h"
#include "core/runs/protocol.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>

namespace ms::runs
{

namespace
{

// The largest integer a JSON number (a double) holds exactly: seeds above it would not read back.
constexpr double kMaxExactInteger = 9007199254740992.0;
constexpr double kIntMax = 2147483647.0;

std::string shortest(double v)
{
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

std::string shortest(long long v)
{
    return std::to_string(v);
}

bool inChoices(const char* choices, const std::string& v)
{
    if (!choices)
        return true;
    for (const auto& c : split(choices, '|'))
        if (c == v)
            return true;
    return false;
}

std::string choiceList(const char* choices)
{
    std::string s;
    const auto list = split(choices, '|');
    for (size_t i = 0; i < list.size(); ++i)
        s += (i ? (i + 1 == list.size() ? " or " : ", ") : "") + list[i];
    return s;
}

template <class C> std::string rangeError(const Field<C>& f, const std::string& got)
{
    std::string lo = f.lo <= -1e299 ? "" : shortest(f.lo), hi = f.hi >= 1e299 ? "" : shortest(f.hi);
    if (f.lo > 0 && f.lo < 1e-200) // "positive": the smallest double is no figure to show
        lo = "";
    std::string r = lo.empty() && hi.empty() ? "a number > 0"
        : lo.empty()                         ? "at most " + hi
        : hi.empty()                         ? "at least " + lo
                                             : lo + "-" + hi;
    return "--" + std::string(f.flag) + " takes " + r + ", got " + got;
}

// Checks one number against its field's range; integral fields also against their type.
template <class C> bool checkNumber(const Field<C>& f, double v, bool integral, const std::string& text, std::string& error)
{
    if (!std::isfinite(v) || (integral && v != std::floor(v))) {
        error = "--" + std::string(f.flag) + " needs " + (integral ? "an integer" : "a number") + ", got '" + text + "'";
        return false;
    }
    if (v < f.lo || v > f.hi) {
        error = rangeError(f, text);
        return false;
    }
    return true;
}

template <class C> bool checkText(const Field<C>& f, const std::string& v, std::string& error)
{
    if (inChoices(f.choices, v))
        return true;
    error = "--" + std::string(f.flag) + " must be " + choiceList(f.choices) + ", got '" + v + "'";
    return false;
}

// Sets one field from its command-line text.
template <class C> bool setFromText(const Field<C>& f, C& c, const std::string& text, std::string& error)
{
    return std::visit(
        [&](auto m) -> bool {
            using T = std::remove_cvref_t<decltype(c.*m)>;
            if constexpr (std::is_same_v<T, std::string>) {
                if (!checkText(f, text, error))
                    return false;
                c.*m = text;
                return true;
            } else if constexpr (std::is_same_v<T, bool>) {
                error = "--" + std::string(f.flag) + " takes no value";
                return false;
            } else if constexpr (std::is_same_v<T, double>) {
                auto d = parseDouble(text);
                if (!d) {
                    error = "--" + std::string(f.flag) + " needs a number, got '" + text + "'";
                    return false;
                }
                if (!checkNumber(f, *d, false, text, error))
                    return false;
                c.*m = *d;
                return true;
            } else {
                // int and unsigned long long: whole numbers only ("12abc", "1e3" and "" are refused)
                auto d = parseInt(text);
                if (!d) {
                    error = "--" + std::string(f.flag) + " needs an integer, got '" + text + "'";
                    return false;
                }
                // compared as integers: 2^53 + 1 would round to 2^53 as a double and pass
                const long long lo = f.lo <= -9.2e18 ? LLONG_MIN : (long long)std::ceil(f.lo);
                const long long hi = f.hi >= 9.2e18 ? LLONG_MAX : (long long)std::floor(f.hi);
                if (*d < lo || *d > hi) {
                    error = rangeError(f, text);
                    return false;
                }
                c.*m = T(*d);
                return true;
            }
        },
        f.member);
}

template <class C> bool isBool(const Field<C>& f)
{
    return std::holds_alternative<bool C::*>(f.member);
}

template <class C> bool sameValue(const Field<C>& f, const C& a, const C& b)
{
    return std::visit([&](auto m) { return a.*m == b.*m; }, f.member);
}

} // namespace

template <class C> std::string jsonKey(const Field<C>& f)
{
    if (f.key)
        return f.key;
    std::string k = f.flag;
    for (char& ch : k)
        if (ch == '-')
            ch = '_';
    return k;
}

template <class C> std::vector<std::string> toArgs(const C& c)
{
    const C def {};
    std::vector<std::string> out;
    for (const auto& f : fields<C>()) {
        if (sameValue(f, c, def) && !(f.flags & Field<C>::kRequired))
            continue;
        const std::string flag = std::string("--") + f.flag;
        std::visit(
            [&](auto m) {
                using T = std::remove_cvref_t<decltype(c.*m)>;
                if constexpr (std::is_same_v<T, bool>) {
                    if (c.*m != bool(f.flags & Field<C>::kNegated))
                        out.push_back(flag);
                } else if constexpr (std::is_same_v<T, std::string>) {
                    out.push_back(flag);
                    out.push_back(c.*m);
                } else if constexpr (std::is_same_v<T, double>) {
                    out.push_back(flag);
                    out.push_back(shortest(c.*m));
                } else {
                    out.push_back(flag);
                    out.push_back(shortest((long long)(c.*m)));
                }
            },
            f.member);
    }
    return out;
}

template <class C> bool fromArgs(const std::vector<std::string>& args, C& c, std::string& error)
{
    const auto& table = fields<C>();
    std::vector<bool> seen(table.size(), false);
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.size() < 3 || a.compare(0, 2, "--") != 0) {
            error = "unexpected argument '" + a + "'";
            return false;
        }
        std::string name = a.substr(2), value;
        bool inlineValue = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
            inlineValue = true;
        }
        size_t k = 0;
        while (k < table.size() && name != table[k].flag)
            ++k;
        if (k == table.size()) {
            error = "unknown option --" + name;
            return false;
        }
        const auto& f = table[k];
        seen[k] = true;
        if (isBool(f)) {
            if (inlineValue) {
                error = "--" + name + " takes no value";
                return false;
            }
            c.*std::get<bool C::*>(f.member) = !(f.flags & Field<C>::kNegated);
            continue;
        }
        if (!inlineValue) {
            if (i + 1 >= args.size()) {
                error = "--" + name + " needs a value";
                return false;
            }
            value = args[++i];
        }
        if (!setFromText(f, c, value, error))
            return false;
    }
    for (size_t k = 0; k < table.size(); ++k)
        if ((table[k].flags & Field<C>::kRequired) && !seen[k]) {
            error = "--" + std::string(table[k].flag) + " is required";
            return false;
        }
    return true;
}

template <class C> bool validate(const C& c, std::string& error)
{
    for (const auto& f : fields<C>()) {
        const bool ok = std::visit(
            [&](auto m) -> bool {
                using T = std::remove_cvref_t<decltype(c.*m)>;
                if constexpr (std::is_same_v<T, std::string>)
                    return checkText(f, c.*m, error);
                else if constexpr (std::is_same_v<T, bool>)
                    return true;
                else if constexpr (std::is_same_v<T, double>)
                    return checkNumber(f, c.*m, false, shortest(c.*m), error);
                else if constexpr (std::is_same_v<T, unsigned long long>) {
                    if (double(c.*m) >= f.hi && c.*m > (unsigned long long)f.hi) {
                        error = rangeError(f, std::to_string(c.*m));
                        return false;
                    }
                    return checkNumber(f, double(c.*m), true, std::to_string(c.*m), error);
                } else
                    return checkNumber(f, double(c.*m), true, shortest((long long)(c.*m)), error);
            },
            f.member);
        if (!ok)
            return false;
    }
    return true;
}

template <class C> Json toJson(const C& c)
{
    Json j = Json::object();
    for (const auto& f : fields<C>()) {
        if (f.flags & Field<C>::kNotInJson)
            continue;
        std::visit(
            [&](auto m) {
                using T = std::remove_cvref_t<decltype(c.*m)>;
                if constexpr (std::is_same_v<T, unsigned long long>)
                    j.set(jsonKey(f), (long long)(c.*m)); // seeds are capped at 2^53: exact as a JSON number
                else
                    j.set(jsonKey(f), c.*m);
            },
            f.member);
    }
    return j;
}

template <class C> bool fromJson(const Json& j, C& c, std::string& error)
{
    if (!j.isObject()) {
        error = "not a JSON object";
        return false;
    }
    for (const auto& f : fields<C>()) {
        if (f.flags & Field<C>::kNotInJson)
            continue;
        const std::string key = jsonKey(f);
        const Json* v = j.find(key);
        if (!v || v->isNull())
            continue;
        const bool ok = std::visit(
            [&](auto m) -> bool {
                using T = std::remove_cvref_t<decltype(c.*m)>;
                if constexpr (std::is_same_v<T, std::string>) {
                    if (!v->isString() || !checkText(f, v->string(), error))
                        return false;
                    c.*m = v->string();
                } else if constexpr (std::is_same_v<T, bool>) {
                    if (!v->isBool())
                        return false;
                    c.*m = v->boolean();
                } else {
                    const bool integral = !std::is_same_v<T, double>;
                    if (!v->isNumber() || !checkNumber(f, v->number(), integral, shortest(v->number()), error))
                        return false;
                    c.*m = T(v->number());
                }
                return true;
            },
            f.member);
        if (!ok) {
            error = "\"" + key + "\": " + (error.empty() ? "wrong type" : error);
            return false;
        }
    }
    return true;
}

template <class C> std::string usage(const std::string& indent)
{
    const C def {};
    std::string out, lineText = indent;
    for (const auto& f : fields<C>()) {
        std::string item = std::string("--") + f.flag;
        if (!isBool(f)) {
            std::string meta = f.metavar ? f.metavar : f.choices ? f.choices : "";
            if (meta.empty())
                meta = std::visit(
                    [](auto m) -> std::string {
                        using T = std::remove_cvref_t<decltype(C {}.*m)>;
                        if constexpr (std::is_same_v<T, std::string>)
                            return "TEXT";
                        else if constexpr (std::is_same_v<T, double>)
                            return "X";
                        else
                            return "N";
                    },
                    f.member);
            item += " " + meta;
        }
        if (!(f.flags & Field<C>::kRequired))
            item = "[" + item + "]";
        if (lineText.size() + item.size() + 1 > 118 && lineText.size() > indent.size()) {
            out += lineText + "\n";
            lineText = indent;
        }
        lineText += (lineText.size() > indent.size() ? " " : "") + item;
    }
    out += lineText + "\n";
    return out;
}

// ---- the tables ---------------------------------------------------------------------------------------------------

using TF = Field<TrainConfig>;
template <> const std::vector<TF>& fields<TrainConfig>()
{
    static const std::vector<TF> t = {
        { "data", &TrainConfig::data, "folder of shards, or synth:PATIENTS:SEED[:WxH]", -1e300, 1e300, nullptr, TF::kRequired, nullptr,
            "SHARDS|synth:PATIENTS:SEED[:WxH]" },
        { "run-dir", &TrainConfig::runDir, "the run folder", -1e300, 1e300, nullptr, TF::kRequired | TF::kNotInJson, nullptr, "RUN" },
        { "task", &TrainConfig::task, "synth data: patches, roi or whole (shards say their own)", -1e300, 1e300, "patches|roi|whole" },
        { "size", &TrainConfig::size, "synth data: sample size in pixels", 16, 4096 },
        { "arch", &TrainConfig::arch, "network", -1e300, 1e300, nullptr, 0, nullptr, "resnet18|resnet34|resnet50|compact" },
        { "mode", &TrainConfig::mode, "train everything or only the head", -1e300, 1e300, "finetune|feature-extraction" },
        { "init", &TrainConfig::init, "start from these weights", -1e300, 1e300, nullptr, 0, nullptr, "WEIGHTS.safetensors" },
        { "device", &TrainConfig::device, "cpu, cuda or cuda:N", -1e300, 1e300, nullptr, 0, nullptr, "cpu|cuda|cuda:N" },
        { "epochs", &TrainConfig::epochs, "passes over the training split", 1, 1000000 },
        { "batch", &TrainConfig::batch, "samples a step", 1, 65536 },
        { "lr", &TrainConfig::lr, "learning rate (any positive number: a huge one shows how a run diverges)", 1e-300, 1e300 },
        { "backbone-lr-mult", &TrainConfig::backboneLrMult, "fine-tuning: the backbone learns at lr times this", 0, 1e6 },
        { "optimizer", &TrainConfig::optimizer, "", -1e300, 1e300, "adam|sgd" },
        { "schedule", &TrainConfig::schedule, "learning-rate schedule", -1e300, 1e300, "cosine|step|onecycle|constant" },
        { "warmup", &TrainConfig::warmup, "epochs of linear warm-up", 0, 1e6, nullptr, 0, nullptr, "EPOCHS" },
        { "weight-decay", &TrainConfig::weightDecay, "", 0, 10 },
        { "augment", &TrainConfig::augment, "default, none or a comma list", -1e300, 1e300, nullptr, 0, nullptr,
            "default|none|flip,rot90,affine,gamma" },
        { "class-weights", &TrainConfig::classWeights, "weight the loss by inverse class frequency" },
        { "early-stop", &TrainConfig::earlyStop, "epochs without improvement before stopping (0: off)", 0, 1000000 },
        { "seed", &TrainConfig::seed, "", 0, kMaxExactInteger },
        { "amp", &TrainConfig::amp, "bf16 autocast on CUDA", -1e300, 1e300, "none|bf16" },
        { "channels-last", &TrainConfig::channelsLast, "NHWC memory layout" },
        { "threads", &TrainConfig::threads, "CPU threads (0: all cores)", 0, 4096 },
        { "log-every", &TrainConfig::logEvery, "steps between step lines", 1, 1000000 },
        { "limit-train-batches", &TrainConfig::limitTrainBatches, "for tests: batches an epoch (0: all)", 0, kIntMax },
        { "pool-margin", &TrainConfig::poolMargin, "feature cells left out at each border before pooling", 0, 64, nullptr, 0, nullptr,
            "CELLS" },
        { "lesion-patches", &TrainConfig::lesionPatches, "synth data: crops of each abnormality", 1, 64 },
        { "nproc-per-node", &TrainConfig::nprocPerNode,
            "data-parallel ranks to start on this machine (one per GPU; --batch is per rank); torchrun and srun start their own", 1, 1024,
            nullptr, TF::kNotInJson, nullptr, "N" },
        { "dist-backend", &TrainConfig::distBackend, "data parallel: collective library (auto: NCCL on CUDA, Gloo on CPU)", -1e300, 1e300,
            "auto|nccl|gloo" },
        { "grad-sync", &TrainConfig::gradSync, "data parallel: precision of the gradient all-reduce (bf16 needs NCCL)", -1e300, 1e300,
            "fp32|bf16" },
        { "sync-bn", &TrainConfig::syncBn, "data parallel: batch norm with the statistics of the whole global batch (SyncBatchNorm)" },
    };
    return t;
}

using EF = Field<EvalConfig>;
template <> const std::vector<EF>& fields<EvalConfig>()
{
    static const std::vector<EF> t = {
        { "run", &EvalConfig::runDir, "the run folder", -1e300, 1e300, nullptr, EF::kRequired, "run_dir", "RUN" },
        { "split", &EvalConfig::split, "", -1e300, 1e300, "test|val|train" },
        { "checkpoint", &EvalConfig::checkpoint, "", -1e300, 1e300, "best|last" },
        { "device", &EvalConfig::device, "", -1e300, 1e300, nullptr, 0, nullptr, "D" },
        { "batch", &EvalConfig::batch, "", 1, 65536 },
        { "data", &EvalConfig::data, "other data to evaluate on", -1e300, 1e300, nullptr, 0, nullptr, "OTHER" },
        { "json", &EvalConfig::json, "" },
    };
    return t;
}

using BF = Field<BenchConfig>;
template <> const std::vector<BF>& fields<BenchConfig>()
{
    static const std::vector<BF> t = {
        { "device", &BenchConfig::device, "", -1e300, 1e300, nullptr, 0, nullptr, "D" },
        { "arch", &BenchConfig::arch, "", -1e300, 1e300, nullptr, 0, nullptr, "A" },
        { "batch", &BenchConfig::batch, "", 1, 65536 },
        { "size", &BenchConfig::size, "", 16, 4096 },
        { "amp", &BenchConfig::amp, "", -1e300, 1e300, "none|bf16" },
        { "channels-last", &BenchConfig::channelsLast, "" },
        { "source", &BenchConfig::source, "", -1e300, 1e300, nullptr, 0, nullptr, "synthetic|SHARDS" },
        { "steps", &BenchConfig::steps, "", 1, 1000000 },
        { "warmup", &BenchConfig::warmup, "", 0, 1000000 },
        { "threads", &BenchConfig::threads, "", 0, 4096 },
        { "json", &BenchConfig::json, "" },
        { "profile", &BenchConfig::profile, "", -1e300, 1e300, nullptr, 0, nullptr, "TRACE.json" },
        { "nproc-per-node", &BenchConfig::nprocPerNode,
            "data-parallel ranks to start on this machine (one a GPU); the figures are the group's", 1, 1024, nullptr, BF::kNotInJson,
            nullptr, "N" },
    };
    return t;
}

using CF = Field<CrossvalConfig>;
template <> const std::vector<CF>& fields<CrossvalConfig>()
{
    static const std::vector<CF> t = {
        { "data", &CrossvalConfig::data, "shards of task lesion-map or tissue", -1e300, 1e300, nullptr, CF::kRequired, nullptr, "SHARDS" },
        { "run-dir", &CrossvalConfig::runDir, "", -1e300, 1e300, nullptr, CF::kRequired | CF::kNotInJson, nullptr, "RUN" },
        { "recipe", &CrossvalConfig::recipe, "", -1e300, 1e300, "unet" },
        { "device", &CrossvalConfig::device, "", -1e300, 1e300, nullptr, 0, nullptr, "D" },
        { "folds", &CrossvalConfig::folds, "folds by woman (0: only the final model)", 0, 20 },
        { "epochs", &CrossvalConfig::epochs, "", 0, 100000 },
        { "batch", &CrossvalConfig::batch, "", 1, 4096 },
        { "lr", &CrossvalConfig::lr, "", 1e-12, 10 },
        { "weight-decay", &CrossvalConfig::weightDecay, "", 0, 10 },
        { "pos-weight", &CrossvalConfig::posWeight, "BCE weight of lesion pixels", 1e-6, 1e6 },
        { "levels", &CrossvalConfig::levels, "U-Net levels", 1, 8 },
        { "width", &CrossvalConfig::width, "U-Net channels at the first level", 1, 1024 },
        { "no-other-breast", &CrossvalConfig::otherBreast, "one channel: without the other breast", -1e300, 1e300, nullptr, CF::kNegated,
            "other_breast" },
        { "rotate", &CrossvalConfig::rotateDegrees, "augmentation: rotation in degrees", 0, 180, nullptr, 0, "rotate_degrees" },
        { "scale-jitter", &CrossvalConfig::scaleJitter, "", 0, 0.9 },
        { "gamma-jitter", &CrossvalConfig::gammaJitter, "", 0, 2 },
        { "shift", &CrossvalConfig::shift, "augmentation: shift as a fraction of the size", 0, 0.5 },
        { "seed", &CrossvalConfig::seed, "", 0, kMaxExactInteger },
        { "amp", &CrossvalConfig::amp, "", -1e300, 1e300, "none|bf16" },
        { "threads", &CrossvalConfig::threads, "", 0, 4096 },
        { "bootstrap", &CrossvalConfig::bootstrap, "bootstrap rounds of the intervals", 0, 100000 },
        { "limit-images", &CrossvalConfig::limitImages, "for tests: the first N images", 0, kIntMax },
        { "final-model", &CrossvalConfig::finalModel, "also train on every image and write a model folder", -1e300, 1e300, nullptr, 0,
            nullptr, "DIR" },
        { "final-name", &CrossvalConfig::finalName, "", -1e300, 1e300, nullptr, 0, nullptr, "NAME" },
        { "final-notes", &CrossvalConfig::finalNotes, "", -1e300, 1e300, nullptr, 0, nullptr, "TEXT" },
        { "init", &CrossvalConfig::init, "start from these U-Net weights", -1e300, 1e300, nullptr, 0, nullptr, "WEIGHTS" },
        { "freeze-encoder", &CrossvalConfig::freezeEncoder, "with --init: keep the contracting path frozen" },
        { "fold-seed", &CrossvalConfig::foldSeed, "the folds' seed (0: --seed); runs that share it share their folds", 0,
            kMaxExactInteger },
        { "extra-data", &CrossvalConfig::extraData, "lesion-map shards added to every training set, never held out", -1e300, 1e300, nullptr,
            0, nullptr, "SHARDS" },
        { "save-maps", &CrossvalConfig::saveMaps, "keep the held-out maps in the run folder (for crossval-combine)" },
    };
    return t;
}

using MF = Field<CombineConfig>;
template <> const std::vector<MF>& fields<CombineConfig>()
{
    static const std::vector<MF> t = {
        { "data", &CombineConfig::data, "the shards the members were cross-validated on", -1e300, 1e300, nullptr, MF::kRequired, nullptr,
            "SHARDS" },
        { "run-dir", &CombineConfig::runDir, "", -1e300, 1e300, nullptr, MF::kRequired | MF::kNotInJson, nullptr, "DIR" },
        { "members", &CombineConfig::members, "crossval runs made with --save-maps and the same folds", -1e300, 1e300, nullptr,
            MF::kRequired, nullptr, "RUN,RUN,..." },
        { "bootstrap", &CombineConfig::bootstrap, "bootstrap rounds of the intervals", 0, 100000 },
        { "final-model", &CombineConfig::finalModel, "join the members' final models into one ensemble model folder", -1e300, 1e300,
            nullptr, 0, nullptr, "DIR" },
        { "final-name", &CombineConfig::finalName, "", -1e300, 1e300, nullptr, 0, nullptr, "NAME" },
        { "final-notes", &CombineConfig::finalNotes, "", -1e300, 1e300, nullptr, 0, nullptr, "TEXT" },
    };
    return t;
}

#define MS_RUNS_INSTANTIATE(C)                                                                                                             \
    template std::string jsonKey<C>(const Field<C>&);                                                                                      \
    template std::vector<std::string> toArgs<C>(const C&);                                                                                 \
    template bool fromArgs<C>(const std::vector<std::string>&, C&, std::string&);                                                          \
    template Json toJson<C>(const C&);                                                                                                     \
    template bool validate<C>(const C&, std::string&);                                                                                     \
    template bool fromJson<C>(const Json&, C&, std::string&);                                                                              \
    template std::string usage<C>(const std::string&);
MS_RUNS_INSTANTIATE(TrainConfig)
MS_RUNS_INSTANTIATE(EvalConfig)
MS_RUNS_INSTANTIATE(BenchConfig)
MS_RUNS_INSTANTIATE(CrossvalConfig)
MS_RUNS_INSTANTIATE(CombineConfig)
#undef MS_RUNS_INSTANTIATE

// ---- config.json --------------------------------------------------------------------------------------------------

Json RunConfig::toJson() const
{
    Json j = Json::object();
    j.set("v", kProtocolVersion);
    j.set("command", command);
    if (command == "crossval")
        j.set("crossval", runs::toJson(crossval));
    else
        j.set("train", runs::toJson(train));
    j.set("task", task);
    Json cl = Json::array();
    for (const auto& k : classes)
        cl.push(k);
    j.set("classes", cl);
    if (sampleWidth > 0) {
        j.set("sample_width", sampleWidth);
        j.set("sample_height", sampleHeight);
    }
    if (channels > 0)
        j.set("channels", channels);
    j.set("samples", samples);
    j.set("data_description", dataDescription);
    j.set("device_name", deviceName);
    j.set("torch", torchVersion);
    if (command == "train") {
        j.set("world_size", worldSize);
        j.set("global_batch", globalBatch > 0 ? globalBatch : train.batch * worldSize);
        if (!launcher.empty())
            j.set("launcher", launcher);
    }
    if (!source.isNull())
        j.set("source", source);
    return j;
}

bool RunConfig::fromJson(const Json& j, RunConfig& out, std::string& error)
{
    if (!j.isObject()) {
        error = "config.json is not a JSON object";
        return false;
    }
    RunConfig r;
    r.command = j["command"].isString() ? j["command"].string() : "train";
    if (r.command != "train" && r.command != "crossval") {
        error = "config.json: unknown command '" + r.command + "'";
        return false;
    }
    std::string why;
    if (r.command == "crossval") {
        // written before 2026-12: the options at the top level
        const Json& c = j["crossval"].isObject() ? j["crossval"] : j;
        if (!runs::fromJson(c, r.crossval, why)) {
            error = "config.json: " + why;
            return false;
        }
    } else if (!runs::fromJson(j["train"].isObject() ? j["train"] : Json::object(), r.train, why)) {
        error = "config.json: train: " + why;
        return false;
    }
    r.task = j["task"].string();
    for (const auto& k : j["classes"].elements())
        if (k.isString())
            r.classes.push_back(k.string());
    r.sampleWidth = int(std::clamp<long long>(j["sample_width"].integer(0), 0, 1 << 20));
    r.sampleHeight = int(std::clamp<long long>(j["sample_height"].integer(0), 0, 1 << 20));
    r.channels = int(std::clamp<long long>(j["channels"].integer(0), 0, 64));
    if (j["samples"].isObject())
        r.samples = j["samples"];
    r.dataDescription = j["data_description"].string();
    r.deviceName = j["device_name"].string();
    r.torchVersion = j["torch"].string();
    r.worldSize = int(std::clamp<long long>(j["world_size"].integer(1), 1, 1 << 20));
    r.globalBatch = int(std::clamp<long long>(j["global_batch"].integer(0), 0, 1LL << 30));
    r.launcher = j["launcher"].string();
    r.source = j["source"];
    out = std::move(r);
    return true;
}

} // namespace ms::runs

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/shards/shards.h"

#include "core/common/paths.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace fs = std::filesystem;

namespace ms::shards
{

namespace
{

const std::array<uint32_t, 256>& crcTable()
{
    static const std::array<uint32_t, 256> t = [] {
        std::array<uint32_t, 256> a {};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            a[i] = c;
        }
        return a;
    }();
    return t;
}

void putU32(std::string& s, uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        s.push_back(char((v >> (8 * i)) & 0xFF));
}

bool getU32(const std::string& s, size_t& pos, uint32_t& v)
{
    if (pos + 4 > s.size())
        return false;
    v = 0;
    for (int i = 0; i < 4; ++i)
        v |= uint32_t(uint8_t(s[pos + size_t(i)])) << (8 * i);
    pos += 4;
    return true;
}

Json metaJson(const SampleMeta& m)
{
    Json j = Json::object();
    j.set("id", m.id);
    j.set("patient", m.patient);
    j.set("image", m.image);
    j.set("abnormality", m.abnormality);
    j.set("label", m.label);
    j.set("x", m.x);
    j.set("y", m.y);
    if (m.abnormal)
        j.set("abnormal", true);
    if (!m.partner.empty())
        j.set("partner", m.partner);
    if (!m.lesions.empty()) {
        Json ls = Json::array();
        for (const auto& l : m.lesions) {
            Json c = Json::object();
            c.set("x", double(l.x));
            c.set("y", double(l.y));
            c.set("r", double(l.r));
            c.set("kind", l.kind);
            c.set("malignant", l.malignant);
            ls.push(c);
        }
        j.set("lesions", ls);
    }
    if (m.geometry[0] != 1 || m.geometry[1] != 0 || m.geometry[2] != 0 || m.geometry[3] != 0) {
        Json g = Json::array();
        for (double v : m.geometry)
            g.push(v);
        j.set("geometry", g);
    }
    return j;
}

constexpr char kMagic[8] = { 'M', 'S', 'S', 'H', 'A', 'R', 'D', '1' };

} // namespace

uint32_t crc32(const void* data, size_t n, uint32_t crc)
{
    const auto& t = crcTable();
    const auto* p = static_cast<const uint8_t*>(data);
    crc = ~crc;
    for (size_t i = 0; i < n; ++i)
        crc = t[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

void SampleSet::add(const SampleMeta& m, const uint8_t* px)
{
    meta.push_back(m);
    pixels.insert(pixels.end(), px, px + sampleBytes());
}

std::vector<long> SampleSet::classCounts() const
{
    std::vector<long> c(classes.size(), 0);
    for (const auto& m : meta)
        if (m.label >= 0 && size_t(m.label) < c.size())
            ++c[size_t(m.label)];
    return c;
}

Result<std::vector<std::string>> writeShards(const fs::path& dir, const std::string& split, const SampleSet& set, size_t perShard)
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    std::vector<std::string> names;
    for (size_t start = 0, n = 0; start < set.size() || (set.size() == 0 && n == 0); start += perShard, ++n) {
        const size_t end = std::min(set.size(), start + perShard);
        Json h = Json::object();
        h.set("version", 1);
        h.set("task", set.task);
        Json cls = Json::array();
        for (const auto& c : set.classes)
            cls.push(c);
        h.set("classes", cls);
        h.set("width", set.width);
        h.set("height", set.height);
        h.set("channels", set.channels);
        h.set("split", split);
        h.set("count", end - start);
        const std::string hs = h.dump();
        std::string out(kMagic, 8);
        putU32(out, uint32_t(hs.size()));
        out += hs;
        putU32(out, crc32(hs.data(), hs.size()));
        for (size_t i = start; i < end; ++i) {
            const std::string ms = metaJson(set.meta[i]).dump();
            putU32(out, uint32_t(ms.size()));
            out += ms;
            const uint8_t* px = set.sample(i);
            out.append(reinterpret_cast<const char*>(px), set.sampleBytes());
            uint32_t c = crc32(ms.data(), ms.size());
            c = crc32(px, set.sampleBytes(), c);
            putU32(out, c);
        }
        char name[64];
        std::snprintf(name, sizeof name, "%s-%03zu.mss", split.c_str(), n);
        if (auto err = writeFileAtomic(dir / name, out); !err.empty())
            return Error(err);
        names.push_back(name);
        if (set.size() == 0)
            break;
    }
    return names;
}

Result<SampleSet> readShard(const fs::path& file)
{
    std::string s;
    if (!readFile(file, s))
        return Error("cannot read shard", file.string());
    const std::string f = file.string();
    if (s.size() < 16 || std::memcmp(s.data(), kMagic, 8) != 0)
        return Error("not a MammoScope shard (bad magic)", f);
    size_t pos = 8;
    uint32_t hlen = 0, hcrc = 0;
    if (!getU32(s, pos, hlen) || pos + hlen + 4 > s.size())
        return Error("shard is truncated in its header", f);
    const std::string hs = s.substr(pos, hlen);
    pos += hlen;
    getU32(s, pos, hcrc);
    if (crc32(hs.data(), hs.size()) != hcrc)
        return Error("shard header checksum mismatch (file damaged)", f);
    auto h = Json::parse(hs);
    if (!h || (*h)["version"].integer() != 1)
        return Error("unsupported shard header", f);
    SampleSet set;
    set.task = (*h)["task"].string();
    for (const auto& c : (*h)["classes"].elements())
        set.classes.push_back(c.string());
    set.width = int((*h)["width"].integer());
    set.height = int((*h)["height"].integer());
    set.channels = int((*h)["channels"].integer(1));
    const long count = long((*h)["count"].integer());
    if (set.width <= 0 || set.height <= 0 || set.width > 8192 || set.height > 8192 || count < 0)
        return Error("shard header has an invalid sample size or count", f);
    const size_t bytes = set.sampleBytes();
    set.meta.reserve(size_t(count));
    set.pixels.reserve(size_t(count) * bytes);
    for (long i = 0; i < count; ++i) {
        uint32_t mlen = 0;
        if (!getU32(s, pos, mlen) || pos + mlen + bytes + 4 > s.size())
            return Error("shard is truncated at record " + std::to_string(i) + " of " + std::to_string(count), f);
        const std::string ms = s.substr(pos, mlen);
        pos += mlen;
        const uint8_t* px = reinterpret_cast<const uint8_t*>(s.data() + pos);
        pos += bytes;
        uint32_t c = 0;
        getU32(s, pos, c);
        uint32_t want = crc32(ms.data(), ms.size());
        want = crc32(px, bytes, want);
        if (c != want)
            return Error("checksum mismatch in record " + std::to_string(i) + " (file damaged)", f);
        auto m = Json::parse(ms);
        if (!m)
            return Error("bad metadata in record " + std::to_string(i), f);
        SampleMeta sm;
        sm.id = (*m)["id"].string();
        sm.patient = (*m)["patient"].string();
        sm.image = (*m)["image"].string();
        sm.abnormality = int((*m)["abnormality"].integer(-1));
        sm.label = int((*m)["label"].integer());
        sm.x = int((*m)["x"].integer());
        sm.y = int((*m)["y"].integer());
        sm.abnormal = (*m)["abnormal"].boolean(false);
        sm.partner = (*m)["partner"].string();
        if (const Json& ls = (*m)["lesions"]; ls.isArray()) {
            if (ls.size() > 1000)
                return Error("record " + std::to_string(i) + " lists " + std::to_string(ls.size()) + " lesions (at most 1000)", f);
            for (size_t k = 0; k < ls.size(); ++k) {
                const Json& circle = ls.elements()[k];
                shards::LesionCircle l;
                l.x = float(circle["x"].number());
                l.y = float(circle["y"].number());
                l.r = float(circle["r"].number());
                l.kind = circle["kind"].string();
                l.malignant = circle["malignant"].boolean(false);
                if (!std::isfinite(l.x) || !std::isfinite(l.y) || !std::isfinite(l.r) || l.r < 0 || std::fabs(l.x) > 1e6
                    || std::fabs(l.y) > 1e6 || l.r > 1e6)
                    return Error("record " + std::to_string(i) + " has a lesion circle with bad coordinates", f);
                sm.lesions.push_back(l);
            }
        }
        if (const Json& g = (*m)["geometry"]; g.isArray()) {
            if (g.size() != 4)
                return Error("record " + std::to_string(i) + " has a geometry of " + std::to_string(g.size()) + " numbers, not 4", f);
            for (size_t k = 0; k < 4; ++k) {
                sm.geometry[k] = g.elements()[k].number();
                if (!std::isfinite(sm.geometry[k]))
                    return Error("record " + std::to_string(i) + " has a geometry that is not finite", f);
            }
            if (sm.geometry[0] <= 0)
                return Error("record " + std::to_string(i) + " has a geometry scale that is not positive", f);
        }
        if (sm.label < 0 || size_t(sm.label) >= set.classes.size())
            return Error("record " + std::to_string(i) + " has label " + std::to_string(sm.label) + " outside the classes", f);
        set.add(sm, px);
    }
    return set;
}

Json Manifest::toJson() const
{
    Json j = Json::object();
    j.set("version", 1);
    j.set("task", task);
    Json cls = Json::array();
    for (const auto& c : classes)
        cls.push(c);
    j.set("classes", cls);
    j.set("width", width);
    j.set("height", height);
    j.set("channels", channels);
    j.set("source", source);
    Json sp = Json::object();
    for (const auto& [name, files] : splits) {
        Json a = Json::array();
        for (const auto& f : files)
            a.push(f);
        sp.set(name, a);
    }
    j.set("shards", sp);
    Json c = Json::object();
    for (const auto& [name, n] : counts)
        c.set(name, n);
    j.set("counts", c);
    return j;
}

Result<Manifest> Manifest::fromJson(const Json& j)
{
    if (j["version"].integer() != 1)
        return Error("unsupported manifest version");
    Manifest m;
    m.task = j["task"].string();
    for (const auto& c : j["classes"].elements())
        m.classes.push_back(c.string());
    m.width = int(j["width"].integer());
    m.height = int(j["height"].integer());
    m.channels = int(j["channels"].integer(1));
    m.source = j["source"];
    for (const auto& [name, files] : j["shards"].items()) {
        std::vector<std::string> f;
        for (const auto& x : files.elements())
            f.push_back(x.string());
        m.splits.emplace_back(name, f);
    }
    for (const auto& [name, n] : j["counts"].items())
        m.counts.emplace_back(name, long(n.integer()));
    return m;
}

Status writeManifest(const fs::path& dir, const Manifest& m)
{
    if (auto err = writeFileAtomic(dir / "dataset.json", m.toJson().dump(2) + "\n"); !err.empty())
        return Error(err);
    return {};
}

Result<Manifest> readManifest(const fs::path& dir)
{
    std::string s;
    if (!readFile(dir / "dataset.json", s))
        return Error("no dataset.json: not a folder of prepared shards (run `mammoscope-cli prepare` first)", dir.string());
    auto j = Json::parse(s);
    if (!j)
        return Error(j.error().message, (dir / "dataset.json").string());
    auto m = Manifest::fromJson(*j);
    if (!m)
        return Error(m.error().message, (dir / "dataset.json").string());
    return m;
}

Result<SampleSet> loadSplit(const fs::path& dir, const std::string& split)
{
    auto m = readManifest(dir);
    if (!m)
        return m.error();
    SampleSet all;
    all.task = m->task;
    all.classes = m->classes;
    all.width = m->width;
    all.height = m->height;
    all.channels = m->channels;
    for (const auto& [name, files] : m->splits) {
        if (name != split)
            continue;
        for (const auto& f : files) {
            auto s = readShard(dir / f);
            if (!s)
                return s.error();
            if (s->width != all.width || s->height != all.height || s->classes != all.classes)
                return Error("shard does not match the manifest (size or classes differ)", (dir / f).string());
            all.meta.insert(all.meta.end(), s->meta.begin(), s->meta.end());
            all.pixels.insert(all.pixels.end(), s->pixels.begin(), s->pixels.end());
        }
    }
    return all;
}

} // namespace ms::shards

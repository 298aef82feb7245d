// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/models/weights.h"

#include "core/common/json.h"
#include "core/common/paths.h"

#include <cmath>
#include <cstring>

namespace fs = std::filesystem;

namespace ms::models
{

namespace
{

const char* dtypeName(torch::ScalarType t)
{
    switch (t) {
    case torch::kFloat32:
        return "F32";
    case torch::kFloat16:
        return "F16";
    case torch::kBFloat16:
        return "BF16";
    case torch::kInt64:
        return "I64";
    case torch::kInt32:
        return "I32";
    case torch::kUInt8:
        return "U8";
    default:
        return nullptr;
    }
}

bool dtypeFrom(const std::string& s, torch::ScalarType& t)
{
    if (s == "F32")
        t = torch::kFloat32;
    else if (s == "F16")
        t = torch::kFloat16;
    else if (s == "BF16")
        t = torch::kBFloat16;
    else if (s == "I64")
        t = torch::kInt64;
    else if (s == "I32")
        t = torch::kInt32;
    else if (s == "U8")
        t = torch::kUInt8;
    else
        return false;
    return true;
}

} // namespace

Status saveSafetensors(const fs::path& file, const TensorMap& tensors, const std::map<std::string, std::string>& metadata)
{
    Json header = Json::object();
    if (!metadata.empty()) {
        Json md = Json::object();
        for (const auto& [k, v] : metadata)
            md.set(k, v);
        header.set("__metadata__", md);
    }
    std::string data;
    for (const auto& [name, t0] : tensors) {
        torch::Tensor t = t0.detach().to(torch::kCPU).contiguous();
        const char* dt = dtypeName(t.scalar_type());
        if (!dt)
            return Error("tensor " + name + " has a dtype safetensors files here do not store", file.string());
        Json e = Json::object();
        e.set("dtype", dt);
        Json shape = Json::array();
        for (auto s : t.sizes())
            shape.push((long long)s);
        e.set("shape", shape);
        const size_t begin = data.size(), n = size_t(t.numel()) * size_t(t.element_size());
        data.append(static_cast<const char*>(t.data_ptr()), n);
        e.set("data_offsets", Json(Json::Array { Json((unsigned long long)begin), Json((unsigned long long)(begin + n)) }));
        header.set(name, e);
    }
    std::string hs = header.dump();
    while (hs.size() % 8)
        hs.push_back(' ');
    std::string out(8, '\0');
    uint64_t len = hs.size();
    for (int i = 0; i < 8; ++i)
        out[size_t(i)] = char((len >> (8 * i)) & 0xFF);
    out += hs;
    out += data;
    if (auto err = writeFileAtomic(file, out); !err.empty())
        return Error(err);
    return {};
}

Result<TensorMap> loadSafetensors(const fs::path& file)
{
    std::string s;
    if (!readFile(file, s))
        return Error("cannot read weights file", file.string());
    if (s.size() < 8)
        return Error("not a safetensors file (too short)", file.string());
    uint64_t len = 0;
    for (int i = 0; i < 8; ++i)
        len |= uint64_t(uint8_t(s[size_t(i)])) << (8 * i);
    if (len > s.size() - 8 || len > (100u << 20))
        return Error("not a safetensors file (header length " + std::to_string(len) + ")", file.string());
    auto h = Json::parse(std::string_view(s).substr(8, len));
    if (!h || !h->isObject())
        return Error("not a safetensors file (bad header JSON)", file.string());
    const size_t base = 8 + len;
    TensorMap out;
    for (const auto& [name, e] : h->items()) {
        if (name == "__metadata__")
            continue;
        torch::ScalarType dt;
        if (!dtypeFrom(e["dtype"].string(), dt))
            return Error("tensor " + name + ": unsupported dtype " + e["dtype"].string(), file.string());
        std::vector<int64_t> shape;
        if (e["shape"].size() > 8)
            return Error("tensor " + name + ": " + std::to_string(e["shape"].size()) + " dimensions (at most 8)", file.string());
        for (const auto& d : e["shape"].elements()) {
            // a negative or absurd extent (a shape of [-1, -4] has 4 elements) must not reach torch::empty
            if (!d.isNumber() || d.number() < 0 || d.number() > 2147483647.0 || d.number() != std::floor(d.number()))
                return Error("tensor " + name + ": a shape extent is not a whole number 0-2^31", file.string());
            shape.push_back(d.integer());
        }
        const auto& off = e["data_offsets"].elements();
        if (off.size() != 2)
            return Error("tensor " + name + ": bad data_offsets", file.string());
        for (const auto& o : off) // negative offsets wrapped as size_t and pointed before the buffer
            if (!o.isNumber() || o.number() < 0 || o.number() > double(s.size()) || o.number() != std::floor(o.number()))
                return Error("tensor " + name + ": data_offsets are not byte positions inside the file", file.string());
        const size_t b = size_t(off[0].integer()), en = size_t(off[1].integer());
        int64_t numel = 1;
        for (auto d : shape) {
            if (d > 0 && numel > (int64_t(1) << 40) / d)
                return Error("tensor " + name + ": its shape has more elements than a weights file can hold", file.string());
            numel *= d;
        }
        const size_t elem = size_t(torch::elementSize(dt));
        if (en < b || en > s.size() - base || en - b != size_t(numel) * elem)
            return Error("tensor " + name + ": its bytes run past the file or do not match its shape", file.string());
        torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(dt));
        std::memcpy(t.data_ptr(), s.data() + base + b, en - b);
        out[name] = t;
    }
    return out;
}

TensorMap stateDict(torch::nn::Module& m)
{
    TensorMap out;
    for (const auto& p : m.named_parameters())
        out[p.key()] = p.value().detach().to(torch::kCPU).contiguous().clone();
    for (const auto& b : m.named_buffers())
        out[b.key()] = b.value().detach().to(torch::kCPU).contiguous().clone();
    return out;
}

Result<LoadReport> loadInto(torch::nn::Module& m, const TensorMap& tensors, bool strictHead)
{
    LoadReport rep;
    torch::NoGradGuard ng;
    std::map<std::string, torch::Tensor> targets;
    for (const auto& p : m.named_parameters())
        targets[p.key()] = p.value();
    for (const auto& b : m.named_buffers())
        targets[b.key()] = b.value();
    for (const auto& [name, t] : tensors) {
        auto it = targets.find(name);
        if (it == targets.end()) {
            rep.skipped.push_back(name + " (not in this network)");
            continue;
        }
        torch::Tensor src = t;
        torch::Tensor& dst = it->second;
        if (name == "conv1.weight" && src.dim() == 4 && dst.dim() == 4 && src.size(1) == 3 && dst.size(1) == 1) {
            src = src.sum(1, true); // fold RGB into one channel: a gray image replicated to RGB gives the same response
            rep.foldedRgb = true;
        }
        if (src.sizes() != dst.sizes()) {
            const bool isHead = name.rfind("fc.", 0) == 0;
            if (isHead && !strictHead) {
                rep.skipped.push_back(name + " (head of another class count: left as initialised)");
                continue;
            }
            std::string a, b;
            for (auto s : src.sizes())
                a += (a.empty() ? "" : "x") + std::to_string(s);
            for (auto s : dst.sizes())
                b += (b.empty() ? "" : "x") + std::to_string(s);
            return Error("tensor " + name + " is " + a + " in the file but " + b + " in the network");
        }
        dst.copy_(src.to(dst.dtype()));
        rep.loaded.push_back(name);
    }
    for (const auto& [name, t] : targets)
        if (!tensors.count(name))
            rep.missing.push_back(name);
    return rep;
}

} // namespace ms::models

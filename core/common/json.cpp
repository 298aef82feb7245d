// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/common/json.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace ms
{

Json& Json::set(const std::string& key, Json value)
{
    if (m_type == Type::Null)
        m_type = Type::Object;
    if (!m_index.empty()) {
        if (auto it = m_index.find(key); it != m_index.end()) {
            m_obj[it->second].second = std::move(value);
            return m_obj[it->second].second;
        }
    } else {
        for (auto& [k, v] : m_obj)
            if (k == key) {
                v = std::move(value);
                return v;
            }
    }
    m_obj.emplace_back(key, std::move(value));
    if (!m_index.empty())
        m_index.emplace(key, m_obj.size() - 1);
    else if (m_obj.size() > kIndexFrom)
        for (size_t i = 0; i < m_obj.size(); ++i)
            m_index.emplace(m_obj[i].first, i);
    return m_obj.back().second;
}

const Json* Json::find(std::string_view key) const
{
    if (!m_index.empty()) {
        auto it = m_index.find(std::string(key));
        return it == m_index.end() ? nullptr : &m_obj[it->second].second;
    }
    for (const auto& [k, v] : m_obj)
        if (k == key)
            return &v;
    return nullptr;
}

long long Json::integer(long long fallback) const
{
    if (m_type != Type::Number || std::isnan(m_num))
        return fallback;
    if (m_isInt)
        return m_int;
    // clamped: casting a double outside long long's range is undefined (values like 1e300 come from outside data)
    if (m_num >= 9.2233720368547758e18)
        return std::numeric_limits<long long>::max();
    if (m_num <= -9.2233720368547758e18)
        return std::numeric_limits<long long>::min();
    return (long long)m_num;
}

const Json& Json::operator[](std::string_view key) const
{
    static const Json null;
    const Json* j = find(key);
    return j ? *j : null;
}

Json& Json::push(Json value)
{
    if (m_type == Type::Null)
        m_type = Type::Array;
    m_arr.push_back(std::move(value));
    return m_arr.back();
}

namespace
{

using Ordered = nlohmann::ordered_json;

Ordered toLibrary(const Json& j)
{
    switch (j.type()) {
    case Json::Type::Null:
        return nullptr;
    case Json::Type::Bool:
        return j.boolean();
    case Json::Type::Number: {
        if (j.isInteger())
            return j.integer();
        const double d = j.number();
        if (!std::isfinite(d))
            return nullptr; // JSON has no NaN/inf
        if (std::fabs(d) < 1e15 && d == std::floor(d))
            return (long long)d; // a whole double is written as an integer, as before
        return d;
    }
    case Json::Type::String:
        return j.string();
    case Json::Type::Array: {
        Ordered a = Ordered::array();
        auto& v = a.get_ref<Ordered::array_t&>();
        v.reserve(j.elements().size());
        for (const Json& e : j.elements())
            v.push_back(toLibrary(e));
        return a;
    }
    case Json::Type::Object: {
        Ordered o = Ordered::object();
        // set() keeps keys unique, so the pairs go in as they are (ordered_map's own insert searches: quadratic)
        auto& v = static_cast<std::vector<std::pair<const std::string, Ordered>>&>(o.get_ref<Ordered::object_t&>());
        v.reserve(j.items().size());
        for (const auto& [k, e] : j.items())
            v.emplace_back(k, toLibrary(e));
        return o;
    }
    }
    return nullptr;
}

// Builds our tree from nlohmann's SAX events: insertion order kept, depth bounded, no second DOM.
class Builder : public nlohmann::json_sax<nlohmann::json>
{
public:
    Json root;
    std::string error;

    bool null() override { return put(Json()); }
    bool boolean(bool v) override { return put(Json(v)); }
    bool number_integer(number_integer_t v) override { return put(Json((long long)v)); }
    bool number_unsigned(number_unsigned_t v) override { return put(Json((unsigned long long)v)); }
    bool number_float(number_float_t v, const string_t&) override { return put(Json(double(v))); }
    bool string(string_t& v) override { return put(Json(std::move(v))); }
    bool binary(binary_t&) override { return fail("binary values are not JSON"); }
    bool start_object(std::size_t) override { return open(Json::object()); }
    bool key(string_t& k) override
    {
        m_key = std::move(k);
        return true;
    }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(Json::array()); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override
    {
        std::string what = ex.what();
        // "[json.exception.parse_error.101] parse error at line 1, column 7: syntax error ..." -> from "parse error"
        if (auto p = what.find("] "); p != std::string::npos)
            what = what.substr(p + 2);
        if (what.find("parse error") == std::string::npos)
            what += " at byte " + std::to_string(position);
        return fail(what);
    }

private:
    bool fail(const std::string& m)
    {
        if (error.empty())
            error = m;
        return false;
    }
    Json* put(Json v)
    {
        if (m_stack.empty()) {
            root = std::move(v);
            return &root;
        }
        Json* top = m_stack.back();
        return top->isArray() ? &top->push(std::move(v)) : &top->set(m_key, std::move(v));
    }
    bool open(Json container)
    {
        if (m_stack.size() >= size_t(Json::kMaxDepth))
            return fail("nesting deeper than " + std::to_string(Json::kMaxDepth) + " levels");
        // Pointers on the stack stay valid: a container only grows while it is the top, when none of its children is
        // on the stack.
        m_stack.push_back(put(std::move(container)));
        return true;
    }
    bool close()
    {
        m_stack.pop_back();
        return true;
    }

    std::vector<Json*> m_stack;
    std::string m_key;
};

} // namespace

std::string Json::dump(int indent) const
{
    return toLibrary(*this).dump(indent < 0 ? -1 : indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Json> Json::parse(std::string_view text)
{
    Builder b;
    bool ok = false;
    try {
        ok = nlohmann::json::sax_parse(text.data(), text.data() + text.size(), &b);
    } catch (const std::exception& e) { // the SAX path reports through parse_error; this is belt and braces
        b.error = e.what();
    }
    if (!ok)
        return Error(b.error.empty() ? "invalid JSON" : "invalid JSON: " + b.error);
    return std::move(b.root);
}

} // namespace ms

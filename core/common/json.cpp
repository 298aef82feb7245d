// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/common/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

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

std::string jsonEscape(std::string_view s)
{
    std::string out;
    out.reserve(s.size() + 2);
    for (unsigned char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += char(c);
            }
        }
    }
    return out;
}

static void newline(std::string& out, int indent, int level)
{
    if (indent < 0)
        return;
    out += '\n';
    out.append(size_t(indent) * size_t(level), ' ');
}

void Json::dumpTo(std::string& out, int indent, int level) const
{
    switch (m_type) {
    case Type::Null:
        out += "null";
        break;
    case Type::Bool:
        out += m_bool ? "true" : "false";
        break;
    case Type::Number: {
        if (!std::isfinite(m_num)) {
            out += "null"; // JSON has no NaN/inf
            break;
        }
        char buf[40];
        if (m_isInt || (std::fabs(m_num) < 1e15 && m_num == std::floor(m_num))) {
            std::snprintf(buf, sizeof buf, "%lld", (long long)m_num);
            out += buf;
        } else {
            // the shortest text that reads back as the same double (%.10g lost digits: 0.1 + 0.2 came back as 0.3)
            const auto r = std::to_chars(buf, buf + sizeof buf, m_num);
            out.append(buf, r.ptr);
        }
        break;
    }
    case Type::String:
        out += '"';
        out += jsonEscape(m_str);
        out += '"';
        break;
    case Type::Array:
        out += '[';
        for (size_t i = 0; i < m_arr.size(); ++i) {
            if (i)
                out += indent < 0 ? "," : ",";
            newline(out, indent, level + 1);
            m_arr[i].dumpTo(out, indent, level + 1);
        }
        if (!m_arr.empty())
            newline(out, indent, level);
        out += ']';
        break;
    case Type::Object:
        out += '{';
        for (size_t i = 0; i < m_obj.size(); ++i) {
            if (i)
                out += ',';
            newline(out, indent, level + 1);
            out += '"';
            out += jsonEscape(m_obj[i].first);
            out += indent < 0 ? "\":" : "\": ";
            m_obj[i].second.dumpTo(out, indent, level + 1);
        }
        if (!m_obj.empty())
            newline(out, indent, level);
        out += '}';
        break;
    }
}

std::string Json::dump(int indent) const
{
    std::string out;
    dumpTo(out, indent, 0);
    return out;
}

namespace
{

struct Parser {
    std::string_view s;
    size_t i = 0;
    std::string err;
    int depth = 0;

    void ws()
    {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
            ++i;
    }
    bool fail(const std::string& m)
    {
        if (err.empty())
            err = m + " at offset " + std::to_string(i);
        return false;
    }
    bool lit(std::string_view w)
    {
        if (s.substr(i, w.size()) != w)
            return fail("unexpected token");
        i += w.size();
        return true;
    }
    static void utf8(std::string& out, unsigned cp)
    {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }
    bool hex4(unsigned& v)
    {
        if (i + 4 > s.size())
            return fail("short \\u escape");
        v = 0;
        for (int k = 0; k < 4; ++k) {
            char c = s[i++];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= unsigned(c - 'A' + 10);
            else
                return fail("bad \\u escape");
        }
        return true;
    }
    bool str(std::string& out)
    {
        ++i; // opening quote
        while (i < s.size()) {
            char c = s[i++];
            if (c == '"')
                return true;
            if (static_cast<unsigned char>(c) < 0x20)
                return fail("control character in string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i >= s.size())
                break;
            char e = s[i++];
            switch (e) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                unsigned cp = 0;
                if (!hex4(cp))
                    return false;
                if (cp >= 0xD800 && cp < 0xDC00 && s.substr(i, 2) == "\\u") {
                    i += 2;
                    unsigned lo = 0;
                    if (!hex4(lo))
                        return false;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                utf8(out, cp);
                break;
            }
            default:
                return fail("bad escape");
            }
        }
        return fail("unterminated string");
    }
    bool value(Json& out)
    {
        if (++depth > 200)
            return fail("nesting too deep");
        ws();
        if (i >= s.size())
            return fail("unexpected end");
        char c = s[i];
        bool okv = true;
        if (c == '{') {
            ++i;
            out = Json::object();
            ws();
            if (i < s.size() && s[i] == '}') {
                ++i;
            } else {
                for (;;) {
                    ws();
                    if (i >= s.size() || s[i] != '"')
                        return fail("expected key");
                    std::string key;
                    if (!str(key))
                        return false;
                    ws();
                    if (i >= s.size() || s[i] != ':')
                        return fail("expected ':'");
                    ++i;
                    Json v;
                    if (!value(v))
                        return false;
                    out.set(key, std::move(v));
                    ws();
                    if (i < s.size() && s[i] == ',') {
                        ++i;
                        continue;
                    }
                    if (i < s.size() && s[i] == '}') {
                        ++i;
                        break;
                    }
                    return fail("expected ',' or '}'");
                }
            }
        } else if (c == '[') {
            ++i;
            out = Json::array();
            ws();
            if (i < s.size() && s[i] == ']') {
                ++i;
            } else {
                for (;;) {
                    Json v;
                    if (!value(v))
                        return false;
                    out.push(std::move(v));
                    ws();
                    if (i < s.size() && s[i] == ',') {
                        ++i;
                        continue;
                    }
                    if (i < s.size() && s[i] == ']') {
                        ++i;
                        break;
                    }
                    return fail("expected ',' or ']'");
                }
            }
        } else if (c == '"') {
            std::string v;
            okv = str(v);
            out = Json(std::move(v));
        } else if (c == 't') {
            okv = lit("true");
            out = Json(true);
        } else if (c == 'f') {
            okv = lit("false");
            out = Json(false);
        } else if (c == 'n') {
            okv = lit("null");
            out = Json();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = i;
            bool isInt = true;
            if (s[i] == '-')
                ++i;
            while (
                i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+' || s[i] == '-')) {
                if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
                    isInt = false;
                ++i;
            }
            std::string num(s.substr(start, i - start));
            char* end = nullptr;
            double d = std::strtod(num.c_str(), &end);
            if (end != num.c_str() + num.size())
                return fail("bad number");
            // An integer beyond long long (a crafted 10^26) stays a double: the cast would be undefined.
            out = isInt && d > -9.2233720368547758e18 && d < 9.2233720368547758e18 ? Json((long long)d) : Json(d);
        } else {
            return fail("unexpected character");
        }
        --depth;
        return okv;
    }
};

} // namespace

Result<Json> Json::parse(std::string_view text)
{
    Parser p;
    p.s = text;
    Json j;
    if (!p.value(j))
        return Error(p.err.empty() ? "invalid JSON" : "invalid JSON: " + p.err);
    p.ws();
    if (p.i != text.size())
        return Error("invalid JSON: trailing characters at offset " + std::to_string(p.i));
    return j;
}

} // namespace ms

// SPDX-License-Identifier: GPL-3.0-or-later
// A small JSON value with a writer and a strict parser; enough for CLI output, run folders and model cards.
#pragma once

#include "core/common/result.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ms
{

class Json
{
public:
    enum class Type { Null, Bool, Number, String, Array, Object };
    using Array = std::vector<Json>;
    using Object = std::vector<std::pair<std::string, Json>>; // keeps insertion order

    Json() = default;
    Json(std::nullptr_t) { }
    Json(bool b) : m_type(Type::Bool), m_bool(b) { }
    Json(int v) : m_type(Type::Number), m_num(v), m_isInt(true) { }
    Json(long v) : m_type(Type::Number), m_num(double(v)), m_isInt(true) { }
    Json(long long v) : m_type(Type::Number), m_num(double(v)), m_isInt(true) { }
    Json(unsigned v) : m_type(Type::Number), m_num(v), m_isInt(true) { }
    Json(unsigned long v) : m_type(Type::Number), m_num(double(v)), m_isInt(true) { }
    Json(unsigned long long v) : m_type(Type::Number), m_num(double(v)), m_isInt(true) { }
    Json(double v) : m_type(Type::Number), m_num(v) { }
    Json(const char* s) : m_type(Type::String), m_str(s) { }
    Json(std::string s) : m_type(Type::String), m_str(std::move(s)) { }
    Json(std::string_view s) : m_type(Type::String), m_str(s) { }
    Json(Array a) : m_type(Type::Array), m_arr(std::move(a)) { }

    static Json object()
    {
        Json j;
        j.m_type = Type::Object;
        return j;
    }
    static Json array()
    {
        Json j;
        j.m_type = Type::Array;
        return j;
    }

    Type type() const { return m_type; }
    bool isNull() const { return m_type == Type::Null; }
    bool isObject() const { return m_type == Type::Object; }
    bool isArray() const { return m_type == Type::Array; }
    bool isString() const { return m_type == Type::String; }
    bool isNumber() const { return m_type == Type::Number; }
    bool isBool() const { return m_type == Type::Bool; }

    // Object access. set() replaces an existing key.
    Json& set(const std::string& key, Json value);
    const Json* find(std::string_view key) const;
    const Json& operator[](std::string_view key) const; // null Json when absent
    const Object& items() const { return m_obj; }

    // Array access.
    Json& push(Json value);
    const Array& elements() const { return m_arr; }
    size_t size() const { return m_type == Type::Array ? m_arr.size() : m_obj.size(); }

    double number(double fallback = 0) const { return m_type == Type::Number ? m_num : fallback; }
    // The number as an integer, clamped to long long's range (NaN or not a number: fallback).
    long long integer(long long fallback = 0) const;
    bool boolean(bool fallback = false) const { return m_type == Type::Bool ? m_bool : fallback; }
    const std::string& string() const { return m_str; }

    // indent < 0: one line.
    std::string dump(int indent = -1) const;
    static Result<Json> parse(std::string_view text);

private:
    void dumpTo(std::string& out, int indent, int level) const;

    Type m_type = Type::Null;
    bool m_bool = false;
    double m_num = 0;
    bool m_isInt = false;
    std::string m_str;
    Array m_arr;
    Object m_obj;
    // Key -> position in m_obj, kept once an object has more than kIndexFrom keys (a crafted header with 300,000 keys
    // made parsing and lookups quadratic); small objects are scanned.
    static constexpr size_t kIndexFrom = 32;
    std::unordered_map<std::string, size_t> m_index;
};

std::string jsonEscape(std::string_view s);

} // namespace ms

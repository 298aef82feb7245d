// SPDX-License-Identifier: GPL-3.0-or-later
// The JSON value the project passes around (CLI output, run folders, model cards, caches, network replies): a small
// ordered tree with fallback accessors. Text in and out goes through nlohmann-json (its SAX parser and serializer);
// nothing here tokenizes or formats JSON by hand.
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
    Json(int v) : m_type(Type::Number), m_num(v), m_int(v), m_isInt(true) { }
    Json(long v) : m_type(Type::Number), m_num(double(v)), m_int(v), m_isInt(true) { }
    Json(long long v) : m_type(Type::Number), m_num(double(v)), m_int(v), m_isInt(true) { }
    Json(unsigned v) : m_type(Type::Number), m_num(v), m_int(v), m_isInt(true) { }
    Json(unsigned long v) : Json((unsigned long long)v) { }
    // An unsigned value beyond long long's range stays a double.
    Json(unsigned long long v) : m_type(Type::Number), m_num(double(v)), m_int(v <= kMaxInt ? (long long)v : 0), m_isInt(v <= kMaxInt) { }
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
    bool isInteger() const { return m_type == Type::Number && m_isInt; } // a number held exactly as long long

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
    // The number as an integer: exact for integers (64-bit values do not pass through double), a double truncated and
    // clamped to long long's range (NaN or not a number: fallback).
    long long integer(long long fallback = 0) const;
    bool boolean(bool fallback = false) const { return m_type == Type::Bool ? m_bool : fallback; }
    const std::string& string() const { return m_str; }

    // indent < 0: one line. Strings that are not valid UTF-8 are written with U+FFFD in place of the bad bytes (the
    // result is always valid JSON); NaN and infinities are written as null; a whole double below 1e15 as an integer.
    std::string dump(int indent = -1) const;
    // Strict RFC 8259 (UTF-8 checked, no comments, nothing after the value); at most kMaxDepth nested arrays/objects;
    // an integer beyond 64 bits becomes a double; duplicate keys keep the last value. Errors say where.
    static Result<Json> parse(std::string_view text);
    static constexpr int kMaxDepth = 200;

private:
    static constexpr unsigned long long kMaxInt = 9223372036854775807ULL;

    Type m_type = Type::Null;
    bool m_bool = false;
    double m_num = 0;
    long long m_int = 0; // the exact value when m_isInt
    bool m_isInt = false;
    std::string m_str;
    Array m_arr;
    Object m_obj;
    // Key -> position in m_obj, kept once an object has more than kIndexFrom keys (a crafted header with 300,000 keys
    // made parsing and lookups quadratic); small objects are scanned.
    static constexpr size_t kIndexFrom = 32;
    std::unordered_map<std::string, size_t> m_index;
};

} // namespace ms

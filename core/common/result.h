// SPDX-License-Identifier: GPL-3.0-or-later
// A small Result/Error type for functions that can fail on user data. The message is written for a user:
// it names the file, the place in it (line, tag, column) and what is wrong.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ms
{

struct Error {
    std::string message; // what is wrong, in words a user can act on
    std::string file; // the file concerned, if any
    std::string where; // "line 12", "tag (0028,0010)", "column 'pathology'", ...

    Error() = default;
    explicit Error(std::string msg, std::string f = {}, std::string w = {})
        : message(std::move(msg)), file(std::move(f)), where(std::move(w))
    {
    }

    // "file: where: message" with the empty parts left out.
    std::string toString() const;
};

template <class T> class [[nodiscard]] Result
{
public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) { } // NOLINT(implicit)
    Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) { } // NOLINT(implicit)

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() &
    {
        assert(ok());
        return std::get<0>(m_v);
    }
    const T& value() const&
    {
        assert(ok());
        return std::get<0>(m_v);
    }
    T&& value() &&
    {
        assert(ok());
        return std::get<0>(std::move(m_v));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const
    {
        assert(!ok());
        return std::get<1>(m_v);
    }

private:
    std::variant<T, Error> m_v;
};

template <> class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)) { } // NOLINT(implicit)
    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const
    {
        assert(!ok());
        return *m_error;
    }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace ms

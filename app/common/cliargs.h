// SPDX-License-Identifier: GPL-3.0-or-later
// The programs' command lines (mammoscope-cli, mammoscope-train): app-only, no library depends on it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ms::cli
{

// "--name value", "--name=value" and "--flag"; the rest are positional.
struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;
    std::vector<std::string> flags;

    static Args parse(int argc, char** argv, int first, const std::vector<std::string>& flagNames);
    bool flag(const std::string& n) const;
    std::optional<std::string> get(const std::string& n) const;
    std::string get(const std::string& n, const std::string& fallback) const;
    // A numeric option, strictly: absent gives `fallback`; given but not a whole number (an integer) or not a number,
    // or outside [lo, hi], gives nullopt and a message naming the option ("--limit needs an integer, got 'abc'").
    std::optional<long long> integer(const std::string& n, long long fallback, long long lo, long long hi, std::string& error) const;
    std::optional<double> number(const std::string& n, double fallback, double lo, double hi, std::string& error) const;
    // Unknown options (not in `known`) as an error message, or empty.
    std::string unknown(const std::vector<std::string>& known) const;
};

} // namespace ms::cli

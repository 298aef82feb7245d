// SPDX-License-Identifier: GPL-3.0-or-later
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
    // Unknown options (not in `known`) as an error message, or empty.
    std::string unknown(const std::vector<std::string>& known) const;
};

} // namespace ms::cli

// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/common/cliargs.h"

#include "core/common/strings.h"

#include <algorithm>
#include <cmath>

namespace ms::cli
{

Args Args::parse(int argc, char** argv, int first, const std::vector<std::string>& flagNames)
{
    Args a;
    for (int i = first; i < argc; ++i) {
        std::string s = argv[i];
        if (s.rfind("--", 0) == 0 && s.size() > 2) {
            std::string name = s.substr(2);
            auto eq = name.find('=');
            if (eq != std::string::npos) {
                a.options[name.substr(0, eq)] = name.substr(eq + 1);
            } else if (std::find(flagNames.begin(), flagNames.end(), name) != flagNames.end()) {
                a.flags.push_back(name);
            } else if (i + 1 < argc) {
                a.options[name] = argv[++i];
            } else {
                a.options[name] = "";
            }
        } else {
            a.positional.push_back(s);
        }
    }
    return a;
}

bool Args::flag(const std::string& n) const
{
    return std::find(flags.begin(), flags.end(), n) != flags.end();
}

std::optional<std::string> Args::get(const std::string& n) const
{
    auto it = options.find(n);
    if (it == options.end())
        return std::nullopt;
    return it->second;
}

std::string Args::get(const std::string& n, const std::string& fallback) const
{
    return get(n).value_or(fallback);
}

std::optional<long long> Args::integer(const std::string& n, long long fallback, long long lo, long long hi, std::string& error) const
{
    const auto s = get(n);
    if (!s)
        return fallback;
    const auto v = parseInt(*s);
    if (!v) {
        error = "--" + n + " needs an integer, got '" + *s + "'";
        return std::nullopt;
    }
    if (*v < lo || *v > hi) {
        error = "--" + n + " takes " + std::to_string(lo) + "-" + std::to_string(hi) + ", got " + *s;
        return std::nullopt;
    }
    return v;
}

std::optional<double> Args::number(const std::string& n, double fallback, double lo, double hi, std::string& error) const
{
    const auto s = get(n);
    if (!s)
        return fallback;
    const auto v = parseDouble(*s);
    if (!v || !std::isfinite(*v)) {
        error = "--" + n + " needs a number, got '" + *s + "'";
        return std::nullopt;
    }
    if (*v < lo || *v > hi) {
        error = "--" + n + " takes " + formatDouble(lo) + "-" + formatDouble(hi) + ", got " + *s;
        return std::nullopt;
    }
    return v;
}

std::string Args::unknown(const std::vector<std::string>& known) const
{
    for (const auto& [k, v] : options)
        if (std::find(known.begin(), known.end(), k) == known.end())
            return "unknown option --" + k;
    for (const auto& f : flags)
        if (std::find(known.begin(), known.end(), f) == known.end())
            return "unknown option --" + f;
    return {};
}

} // namespace ms::cli

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ms
{

std::string_view trim(std::string_view s);
std::string toUpper(std::string_view s);
std::string toLower(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
bool startsWith(std::string_view s, std::string_view prefix);
bool endsWith(std::string_view s, std::string_view suffix);
bool iEndsWith(std::string_view s, std::string_view suffix); // ASCII case-insensitive
std::optional<long long> parseInt(std::string_view s); // whole string, after trim
std::optional<double> parseDouble(std::string_view s); // whole string, after trim
std::string formatDouble(double v, int precision = 6);
// A key ("Mass-Training_P_00001_LEFT_CC#1") as a file name: anything but letters, digits, '-', '_' and '.' becomes '_'.
std::string safeFileName(std::string_view key);

} // namespace ms

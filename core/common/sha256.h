// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <filesystem>
#include <string>

namespace ms
{

// Hex SHA-256 of a byte string / of a file's contents (empty string if the file cannot be read).
std::string sha256Hex(const std::string& data);
std::string sha256File(const std::filesystem::path& p);

} // namespace ms

// SPDX-License-Identifier: GPL-3.0-or-later
// Where MammoScope keeps its own files (never inside a dataset): XDG base directories, overridable for tests.
#pragma once

#include <filesystem>
#include <string>

namespace ms
{

// $MAMMOSCOPE_DATA_DIR, else $XDG_DATA_HOME/MammoScope, else ~/.local/share/MammoScope. Created on demand.
std::filesystem::path appDataDir();
// $MAMMOSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/MammoScope, else ~/.cache/MammoScope. Created on demand.
std::filesystem::path appCacheDir();

// Reads a whole file; empty optional-like error via Result in callers. Returns false on failure.
bool readFile(const std::filesystem::path& p, std::string& out);
// Writes atomically: to a temporary beside the target, then rename. Returns an error message or empty.
std::string writeFileAtomic(const std::filesystem::path& p, const std::string& data);

// Removes a file or a directory tree (POSIX nftw). std::filesystem::remove_all is avoided in code that links
// LibTorch 2.x: the pip libtorch.so exports its own copy, which crashed here (a null call inside it).
bool removeTree(const std::filesystem::path& p);

} // namespace ms

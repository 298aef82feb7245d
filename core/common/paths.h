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

// A path named by outside data (a CSV cell, Info.txt, an export's CSV path) that is to be joined to a folder: it must
// be relative and may not step out ("..", a root, a drive). Returns why not, or an empty string when it is fine.
std::string relativePathProblem(const std::string& rel);
// True when `p` names something inside `root` (or `root` itself) once both are resolved, symbolic links included;
// a `p` that does not exist yet is resolved as far as it exists (std::filesystem::weakly_canonical).
bool resolvesInside(const std::filesystem::path& p, const std::filesystem::path& root);

} // namespace ms

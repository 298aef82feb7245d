// SPDX-License-Identifier: GPL-3.0-or-later
// How deep a DICOM file nests its sequences, found by walking the element headers without recursion (values are
// skipped, not read), before DCMTK parses the file: DCMTK's parser recurses once per sequence level and overflows the
// stack on files nested some thousands deep (a crafted file killed the index and the GUI).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace ms::dicom
{

struct NestingScan {
    int maxDepth = 0; // deepest sequence level seen (0: no sequence)
    uint64_t at = 0; // byte offset where maxDepth was first reached
    bool complete = false; // the walk reached the end of the data set (false: it stopped at something it could not follow)
};

// Walks explicit and implicit VR Little Endian, explicit Big Endian and deflated data sets, with or without a Part 10
// header, until `limit` levels are exceeded (then stops) or the data ends. Never throws; unreadable structure simply
// ends the walk (DCMTK then reports it).
NestingScan scanNesting(const std::filesystem::path& path, int limit);

// The deepest nesting the readers accept; real objects (structured reports included) stay far below it.
constexpr int kMaxSequenceDepth = 128;

} // namespace ms::dicom

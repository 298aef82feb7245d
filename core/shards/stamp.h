// SPDX-License-Identifier: GPL-3.0-or-later
// When prepared shards may be reused: what a shard folder was made from (prepared-from.json beside its dataset.json).
// The Training panel prepares an open dataset once and trains from the shards while the dataset, the task, the sample
// size and the curator's corrections are unchanged; any difference prepares them again.
#pragma once

#include <filesystem>
#include <string>

namespace ms::shards
{

struct PreparedFrom {
    std::string dataset; // the dataset's root folder
    std::string task; // patches, roi, whole, lesion-map, tissue
    long long size = 0; // sample size in pixels
    long long images = 0, abnormalities = 0; // the dataset as it was read
    std::string annotations; // the annotation store whose corrections went in (empty: none)
    long long annotationRows = 0; // its audit rows then (a new correction makes the shards stale)
    bool operator==(const PreparedFrom&) const = default;
};

inline constexpr const char* kPreparedFromFile = "prepared-from.json";

// Whether `dir` holds shards (a dataset.json) prepared from exactly `want`; false when the stamp is missing, damaged or
// different.
bool preparedFromCurrent(const std::filesystem::path& dir, const PreparedFrom& want);

// Writes the stamp into `dir` (atomically). Returns an error message naming the file, or empty.
std::string writePreparedFrom(const std::filesystem::path& dir, const PreparedFrom& from);

} // namespace ms::shards

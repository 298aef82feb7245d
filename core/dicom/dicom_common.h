// SPDX-License-Identifier: GPL-3.0-or-later
// Private: DCMTK set-up shared by reader and writer.
#pragma once

#include <filesystem>
#include <string>

class DcmFileFormat;

namespace ms::dicom::detail
{

// Loads a file with the reader's guards (sequence nesting scanned before DCMTK parses, files without the Part 10
// header retried as raw data sets). Empty on success, else what is wrong, in words.
std::string loadGuarded(DcmFileFormat& ff, const std::filesystem::path& path, bool headerOnly);

// Registers the decoders/encoders once and quiets DCMTK's own logging (errors come back as results).
void ensureCodecs();

} // namespace ms::dicom::detail

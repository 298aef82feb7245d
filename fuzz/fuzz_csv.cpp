// SPDX-License-Identifier: GPL-3.0-or-later
// The CSV reader (CBIS-DDSM's description files, dicom_info.csv, CDD-CESM's table, split files).
#include "core/dataset/csv.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto t = ms::parseCsv(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.csv");
    if (t) {
        (void)t->column("image file path");
        for (const auto& r : t->rows)
            (void)ms::csvLine(r.cells);
    }
    return 0;
}

// SPDX-License-Identifier: GPL-3.0-or-later
// The annotation store (an SQLite file someone hands over, damaged or crafted): opened read-only, every override read
// and checked, the audit read, --verify's checks; each an error or a result, never a crash.
#include "common.h"
#include "core/annotations/store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto p = ms::fuzz::writeInput("store.sqlite", data, size);
    std::error_code ec;
    for (const char* side : { "-wal", "-shm", "-journal" })
        std::filesystem::remove(p.string() + side, ec); // no journal from the previous input
    ms::annotations::Store::Options o;
    o.readOnly = true;
    auto st = ms::annotations::Store::open(p, o);
    if (!st)
        return 0;
    (void)(*st)->readSnapshot();
    (void)(*st)->audit({}, 100);
    (void)(*st)->verify();
    return 0;
}

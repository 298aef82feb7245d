// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/common/cliargs.h"
#include "commands.h"

#include "core/dataset/dataset.h"

#include <cstdio>
#include <map>

namespace ms::cli
{

int cmdIndex(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "json", "no-cache", "quiet" });
    if (auto u = a.unknown({ "json", "no-cache", "quiet", "cache" }); !u.empty() || a.positional.size() != 1) {
        std::fprintf(stderr, "usage: mammoscope-cli index PATH [--json] [--no-cache] [--cache FILE]\n%s\n", u.c_str());
        return 2;
    }
    dataset::OpenOptions opt;
    opt.useCache = !a.flag("no-cache");
    if (auto c = a.get("cache"))
        opt.cacheFile = *c;
    StderrProgress progress(!a.flag("json") && !a.flag("quiet"));
    auto ds = dataset::open(a.positional[0], opt, progress);
    if (!ds) {
        std::fprintf(stderr, "mammoscope-cli index: %s\n", ds.error().toString().c_str());
        return 1;
    }
    Json s = dataset::summaryJson(*ds);
    if (a.flag("json")) {
        std::printf("%s\n", s.dump(2).c_str());
        return 0;
    }
    std::printf("%s dataset at %s%s\n", dataset::formatName(ds->format).c_str(), ds->root.c_str(), ds->fromCache ? " (from cache)" : "");
    std::printf("  patients       %zu\n  images         %zu\n  abnormalities  %zu\n", ds->patients.size(), ds->images.size(),
        ds->abnormalities.size());
    std::printf("  splits         train %lld / test %lld\n", s["splits"]["train"].integer(), s["splits"]["test"].integer());
    std::printf("  types          mass %lld / calcification %lld\n", s["types"]["mass"].integer(), s["types"]["calcification"].integer());
    std::printf("  pathology      MALIGNANT %lld / BENIGN %lld / BENIGN_WITHOUT_CALLBACK %lld\n", s["pathology"]["MALIGNANT"].integer(),
        s["pathology"]["BENIGN"].integer(), s["pathology"]["BENIGN_WITHOUT_CALLBACK"].integer());
    std::printf("  missing files  %zu\n  problems       %zu\n", ds->missingFiles.size(), ds->problems.size());
    size_t shown = 0;
    for (const auto& p : ds->problems) {
        if (++shown > 20) {
            std::printf("    ... and %zu more (use --json for all)\n", ds->problems.size() - 20);
            break;
        }
        std::printf("    %s%s%s: %s\n", p.file.c_str(), p.where.empty() ? "" : ":", p.where.c_str(), p.message.c_str());
    }
    return 0;
}

} // namespace ms::cli

// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/common/cliargs.h"
#include "commands.h"

#include "core/common/strings.h"
#include "core/synthio/synthio.h"

#include <cstdio>

namespace ms::cli
{

int cmdSynth(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "full-size", "quiet", "one-study" });
    const char* usage = "usage: mammoscope-cli synth --out DIR [--patients N] [--seed S] [--size WxH] [--layout cbis|kaggle] [--full-size] "
                        "[--threads N] [--anatomy 1|2] [--one-study]\n"
                        "  --one-study: a woman's four views are one DICOM study under her patient ID (as a PACS holds them),\n"
                        "  not CBIS-DDSM's one study and one ID per image\n";
    if (auto u = a.unknown({ "out", "patients", "seed", "size", "layout", "full-size", "threads", "quiet", "anatomy", "one-study" });
        !u.empty() || !a.get("out") || !a.positional.empty()) {
        std::fprintf(stderr, "%s%s\n", usage, u.c_str());
        return 2;
    }
    synthio::WriteOptions o;
    auto patients = parseInt(a.get("patients", "24"));
    auto seed = parseInt(a.get("seed", "1"));
    auto threads = parseInt(a.get("threads", "0"));
    if (!patients || *patients < 1 || !seed || *seed < 0 || !threads || *threads < 0) {
        std::fprintf(stderr, "mammoscope-cli synth: --patients must be >= 1, --seed and --threads >= 0\n");
        return 2;
    }
    o.patients = int(*patients);
    o.synth.seed = uint64_t(*seed);
    const auto anatomy = parseInt(a.get("anatomy", "1"));
    if (!anatomy || *anatomy < 1 || *anatomy > 2) {
        std::fprintf(stderr, "mammoscope-cli synth: --anatomy takes 1 (the original phantoms) or 2 (closer to real mammograms)\n");
        return 2;
    }
    o.synth.anatomy = int(*anatomy);
    o.oneStudyPerWoman = a.flag("one-study");
    o.threads = int(*threads);
    if (a.flag("full-size")) {
        o.synth.width = 3000;
        o.synth.height = 5000;
    }
    if (auto s = a.get("size")) {
        auto parts = split(toLower(*s), 'x');
        auto w = parts.size() == 2 ? parseInt(parts[0]) : std::nullopt;
        auto h = parts.size() == 2 ? parseInt(parts[1]) : std::nullopt;
        if (!w || !h) {
            std::fprintf(stderr, "mammoscope-cli synth: --size must be WIDTHxHEIGHT, e.g. 512x832, got '%s'\n", s->c_str());
            return 2;
        }
        o.synth.width = int(*w);
        o.synth.height = int(*h);
    }
    const std::string layout = a.get("layout", "cbis");
    if (layout == "cbis")
        o.layout = synthio::Layout::Cbis;
    else if (layout == "kaggle")
        o.layout = synthio::Layout::Kaggle;
    else {
        std::fprintf(stderr, "mammoscope-cli synth: --layout must be cbis or kaggle, got '%s'\n", layout.c_str());
        return 2;
    }
    struct P : Progress {
        bool on;
        void report(double f, std::string_view m) override
        {
            if (on)
                std::fprintf(stderr, "\r%3d%% %.*s", int(f * 100), int(m.size()), m.data());
        }
    } progress;
    progress.on = !a.flag("quiet");
    auto rep = synthio::writeDataset(*a.get("out"), o, progress);
    if (progress.on)
        std::fprintf(stderr, "\n");
    if (!rep) {
        std::fprintf(stderr, "mammoscope-cli synth: %s\n", rep.error().toString().c_str());
        return 1;
    }
    std::printf("{\"patients\": %d, \"images\": %d, \"lesion_images\": %d, \"abnormalities\": %d, \"files\": %d, \"bytes\": %llu, "
                "\"seconds\": %.2f}\n",
        rep->patients, rep->images, rep->lesionImages, rep->abnormalities, rep->files, (unsigned long long)rep->bytes, rep->seconds);
    return 0;
}

} // namespace ms::cli

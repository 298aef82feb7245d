// SPDX-License-Identifier: GPL-3.0-or-later
// Figures for the README: index of the real CBIS-DDSM CSVs, decode of a full-size 16-bit DICOM (uncompressed and
// JPEG lossless), synthetic set generation. Medians of repeated runs; prints a table or JSON.
#include "app/common/cliargs.h"
#include "commands.h"

#include "core/common/json.h"
#include "core/common/strings.h"
#include "core/dataset/dataset.h"
#include "core/dicom/dicom.h"
#include "core/synth/phantom.h"
#include "core/synthio/synthio.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

namespace fs = std::filesystem;

namespace ms::cli
{

namespace
{

double medianMs(int reps, const std::function<bool()>& f)
{
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        if (!f())
            return -1;
        t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

} // namespace

int cmdBench(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "json" });
    if (auto u = a.unknown({ "json", "csv-dir", "synth-patients", "work-dir", "reps" }); !u.empty()) {
        std::fprintf(stderr, "usage: mammoscope-cli bench [--json] [--csv-dir DIR] [--synth-patients N] [--work-dir DIR] [--reps N]\n%s\n",
            u.c_str());
        return 2;
    }
    std::string bad;
    const auto repsArg = a.integer("reps", 5, 1, 1000, bad);
    const auto patientsArg = a.integer("synth-patients", 100, 1, 100000, bad);
    if (!repsArg || !patientsArg) {
        std::fprintf(stderr, "mammoscope-cli bench: %s\n", bad.c_str());
        return 2;
    }
    const int reps = int(*repsArg);
    Json out = Json::object();
    std::error_code ec;
    fs::path work = a.get("work-dir", (fs::temp_directory_path() / "mammoscope-bench").string());
    fs::remove_all(work, ec);
    fs::create_directories(work, ec);

    // 1. Index of the real CSVs, no cache.
    fs::path csvDir = a.get("csv-dir", "../shared/realdata/cbis-ddsm-csv");
    if (fs::is_directory(csvDir, ec)) {
        dataset::OpenOptions o;
        o.useCache = false;
        Json summary;
        double ms = medianMs(reps, [&] {
            auto ds = dataset::open(csvDir, o);
            if (ds)
                summary = dataset::summaryJson(*ds);
            return bool(ds);
        });
        Json j = Json::object();
        j.set("ms", ms);
        j.set("patients", summary["patients"].integer());
        j.set("images", summary["images"].integer());
        j.set("abnormalities", summary["abnormalities"].integer());
        out.set("index_real_csvs", j);
    }

    // 2. Decode of a full-size 16-bit mammogram.
    {
        synth::Options so;
        so.width = 3000;
        so.height = 5000;
        so.seed = 7;
        auto pc = synth::generatePatient(so, 0);
        const Image16& img = pc.views[2].image; // R-MLO
        Json j = Json::object();
        j.set("width", img.width);
        j.set("height", img.height);
        for (auto [name, comp] : { std::pair<const char*, dicom::Compression> { "uncompressed", dicom::Compression::None },
                 { "jpeg_lossless", dicom::Compression::JpegLossless } }) {
            fs::path f = work / (std::string(name) + ".dcm");
            dicom::WriteInfo wi;
            wi.studyUid = wi.seriesUid = wi.sopInstanceUid = "2.25.1";
            if (auto st = dicom::write(f, img, wi, comp); !st) {
                std::fprintf(stderr, "bench: %s\n", st.error().toString().c_str());
                return 1;
            }
            bool same = true;
            std::string decoder;
            double ms = medianMs(reps, [&] {
                auto r = dicom::read(f);
                if (r) {
                    same = same && r->image.pixels == img.pixels;
                    decoder = r->decoder;
                }
                return bool(r);
            });
            Json d = Json::object();
            d.set("decoder", decoder);
            d.set("ms", ms);
            d.set("bytes", (unsigned long long)fs::file_size(f, ec));
            d.set("pixels_identical", same);
            j.set(name, d);
        }
        out.set("decode_full_size", j);
    }

    // 3. Synthetic set generation.
    {
        const int n = int(*patientsArg);
        synthio::WriteOptions o;
        o.patients = n;
        auto rep = synthio::writeDataset(work / "synth", o);
        if (!rep) {
            std::fprintf(stderr, "bench: %s\n", rep.error().toString().c_str());
            return 1;
        }
        Json j = Json::object();
        j.set("patients", n);
        j.set("size", std::to_string(o.synth.width) + "x" + std::to_string(o.synth.height));
        j.set("images", rep->images);
        j.set("abnormalities", rep->abnormalities);
        j.set("seconds", rep->seconds);
        j.set("megabytes", double(rep->bytes) / 1e6);
        j.set("threads", int(std::thread::hardware_concurrency()));
        out.set("synth", j);
    }
    fs::remove_all(work, ec);

    if (a.flag("json")) {
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    const Json& ix = out["index_real_csvs"];
    if (!ix.isNull())
        std::printf("index of the 4 real CBIS-DDSM CSVs     %8.1f ms  (%lld patients, %lld images, %lld abnormalities)\n",
            ix["ms"].number(), ix["patients"].integer(), ix["images"].integer(), ix["abnormalities"].integer());
    const Json& dc = out["decode_full_size"];
    std::printf("decode %lldx%lld 16-bit, uncompressed   %8.1f ms\n", dc["width"].integer(), dc["height"].integer(),
        dc["uncompressed"]["ms"].number());
    std::printf("decode %lldx%lld 16-bit, JPEG lossless  %8.1f ms\n", dc["width"].integer(), dc["height"].integer(),
        dc["jpeg_lossless"]["ms"].number());
    const Json& sy = out["synth"];
    std::printf("synth %lld patients at %s            %8.1f s, %.0f MB, %lld images, %lld abnormalities\n", sy["patients"].integer(),
        sy["size"].string().c_str(), sy["seconds"].number(), sy["megabytes"].number(), sy["images"].integer(),
        sy["abnormalities"].integer());
    return 0;
}

} // namespace ms::cli

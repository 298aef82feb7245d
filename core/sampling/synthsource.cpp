// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/sampling/synthsource.h"

#include "core/common/strings.h"
#include "core/synth/random.h"

#include <atomic>
#include <mutex>
#include <thread>

namespace ms::sampling
{

bool parseSynthSpec(const std::string& s, SynthSpec& out, std::string& error)
{
    auto parts = split(s, ':');
    if (parts.size() < 3 || parts.size() > 4 || parts[0] != "synth") {
        error = "expected synth:PATIENTS:SEED[:WxH], got '" + s + "'";
        return false;
    }
    auto p = parseInt(parts[1]);
    auto seed = parseInt(parts[2]);
    if (!p || *p < 1 || *p > 100000 || !seed || *seed < 0) {
        error = "synth:PATIENTS:SEED needs 1 <= PATIENTS <= 100000 and SEED >= 0, got '" + s + "'";
        return false;
    }
    out.patients = int(*p);
    out.seed = uint64_t(*seed);
    if (parts.size() == 4) {
        auto wh = split(toLower(parts[3]), 'x');
        auto w = wh.size() == 2 ? parseInt(wh[0]) : std::nullopt;
        auto h = wh.size() == 2 ? parseInt(wh[1]) : std::nullopt;
        if (!w || !h || *w < 64 || *h < 64 || *w > 8192 || *h > 8192) {
            error = "image size must be WxH between 64 and 8192, got '" + parts[3] + "'";
            return false;
        }
        out.width = int(*w);
        out.height = int(*h);
    }
    return true;
}

std::map<std::string, shards::SampleSet> sampleSynthetic(const SynthSpec& spec, const Options& opt, int threads, Progress& progress)
{
    synth::Options so;
    so.seed = spec.seed;
    so.width = spec.width;
    so.height = spec.height;
    std::vector<std::map<std::string, shards::SampleSet>> perPatient(size_t(spec.patients));
    std::atomic<int> next { 0 }, done { 0 };
    std::mutex pm;
    auto work = [&] {
        for (;;) {
            const int i = next.fetch_add(1);
            if (i >= spec.patients || progress.cancelled())
                return;
            synth::PatientCase pc = synth::generatePatient(so, i);
            const std::string split = splitFor(pc.id, pc.test);
            auto& sets = perPatient[size_t(i)];
            auto [it, inserted] = sets.try_emplace(split, makeSet(opt));
            for (size_t v = 0; v < pc.views.size(); ++v) {
                const auto& view = pc.views[v];
                ImageInput in;
                in.image = &view.image;
                in.breast = view.breast;
                in.patient = pc.id;
                in.imageKey = pc.id + "_" + view.side + "_" + view.view;
                for (const auto& l : view.lesions) {
                    Lesion le;
                    le.mask = l.mask;
                    le.malignant = l.spec.pathology == "MALIGNANT";
                    le.mass = l.spec.type == synth::LesionType::Mass;
                    le.abnormality = l.number;
                    in.lesions.push_back(std::move(le));
                }
                sampleImage(in, opt, synth::hashMix({ spec.seed, uint64_t(i), v, 0x53414d50ull }), it->second);
            }
            const int d = ++done;
            std::lock_guard<std::mutex> lock(pm);
            progress.report(double(d) / spec.patients, "generating synthetic patients");
        }
    };
    const int n = std::max(1, std::min(threads > 0 ? threads : int(std::thread::hardware_concurrency()), spec.patients));
    std::vector<std::thread> pool;
    for (int t = 1; t < n; ++t)
        pool.emplace_back(work);
    work();
    for (auto& t : pool)
        t.join();
    // Merge in patient order: deterministic whatever the thread count.
    std::map<std::string, shards::SampleSet> out;
    for (const char* s : { "train", "val", "test" })
        out.emplace(s, makeSet(opt));
    for (auto& sets : perPatient)
        for (auto& [split, set] : sets) {
            auto& dst = out[split];
            dst.meta.insert(dst.meta.end(), set.meta.begin(), set.meta.end());
            dst.pixels.insert(dst.pixels.end(), set.pixels.begin(), set.pixels.end());
        }
    return out;
}

} // namespace ms::sampling

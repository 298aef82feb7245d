// SPDX-License-Identifier: GPL-3.0-or-later
// mammoscope-train heatmap-bench: the app's heatmap path (core/ml: preprocessing, dense patch map, breast masking)
// timed on a full-size synthetic mammogram, on the CPU or a CUDA GPU. The GPU machine has no Qt, so this is where
// the app's GPU heatmap figures come from.
#include "app/common/cliargs.h"
#include "core/common/json.h"
#include "core/common/strings.h"
#include "core/ml/inference.h"
#include "core/sampling/sampling.h"
#include "core/synth/phantom.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

using namespace ms;

int heatmapBench(int argc, char** argv)
{
    cli::Args a = cli::Args::parse(argc, argv, 2, { "json", "channels-last", "gradcam" });
    if (auto u
        = a.unknown({ "arch", "model", "size", "device", "amp", "channels-last", "repeat", "patch", "stride", "json", "gradcam", "tile" });
        !u.empty()) {
        std::fprintf(stderr,
            "usage: mammoscope-train heatmap-bench [--arch resnet18 | --model DIR] [--size 3000x5000] [--patch 224] [--device D]\n"
            "                                      [--amp bf16] [--channels-last] [--repeat N] [--stride PX] [--json]\n"
            "                                      [--tile PX]   CPU tile size (0: the whole image at once; default: the model's)\n"
            "                                      [--gradcam]   Grad-CAM vs the plain forward pass of the same image\n%s\n",
            u.c_str());
        return 2;
    }
    int w = 3000, h = 5000;
    if (auto s = a.get("size")) {
        if (std::sscanf(s->c_str(), "%dx%d", &w, &h) != 2 || w < 64 || h < 64) {
            std::fprintf(stderr, "mammoscope-train heatmap-bench: --size WxH\n");
            return 2;
        }
    }
    const std::string device = a.get("device", "cpu");
    auto model = a.get("model")
        ? ml::Model::load(*a.get("model"), device)
        : ml::Model::untrained(a.get("arch", "resnet18"), int(parseInt(a.get("patch", "224")).value_or(224)), device);
    if (!model) {
        std::fprintf(stderr, "mammoscope-train heatmap-bench: %s\n", model.error().toString().c_str());
        return 1;
    }
    (*model)->setFast(a.get("amp", "none") == "bf16", a.flag("channels-last"));
    if (auto t = a.get("tile")) {
        const auto px = parseInt(*t);
        if (!px || *px < 0 || *px > 100000) {
            std::fprintf(
                stderr, "mammoscope-train heatmap-bench: --tile needs a size in pixels (0: the whole image), got '%s'\n", t->c_str());
            return 2;
        }
        (*model)->setTileSize(int(*px));
    }
    synth::Options so;
    so.width = w;
    so.height = h;
    so.seed = 77;
    const auto patient = synth::generatePatient(so, 0);
    Image16 img = patient.views[0].image;
    if (!a.get("model"))
        img.spacingX = img.spacingY = 0; // an untrained model has no pixel size: run at full resolution
    const double stride = parseDouble(a.get("stride", "0")).value_or(0);
    const int repeat = int(parseInt(a.get("repeat", "20")).value_or(20));
    if (a.flag("gradcam")) {
        // Grad-CAM against the plain forward pass of the same input: time and peak device memory.
        std::vector<double> fwd, cam;
        long long fwdMem = 0, camMem = 0;
        ml::GradCam lastCam;
        for (int i = 0; i < repeat + 3; ++i) {
            (*model)->peakMemoryBytes(true);
            auto t0 = std::chrono::steady_clock::now();
            auto p = (*model)->predict(img);
            auto t1 = std::chrono::steady_clock::now();
            const long long m1 = (*model)->peakMemoryBytes(true);
            auto g = (*model)->gradCam(img);
            auto t2 = std::chrono::steady_clock::now();
            const long long m2 = (*model)->peakMemoryBytes(true);
            if (!p || !g) {
                std::fprintf(stderr, "mammoscope-train heatmap-bench: %s\n", (!p ? p.error() : g.error()).toString().c_str());
                return 1;
            }
            if (i >= 3) {
                fwd.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
                cam.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
                fwdMem = std::max(fwdMem, m1);
                camMem = std::max(camMem, m2);
            }
            lastCam = std::move(*g);
        }
        std::sort(fwd.begin(), fwd.end());
        std::sort(cam.begin(), cam.end());
        const double f = fwd[fwd.size() / 2], c = cam[cam.size() / 2];
        // Both include the same preprocessing on the CPU (8-bit windowing of the whole image): timed alone, so that the
        // device part of each can be compared too.
        std::vector<double> pre;
        volatile int sink = 0; // keeps the windowing from being optimised away
        for (int i = 0; i < std::max(3, repeat / 2); ++i) {
            auto t0 = std::chrono::steady_clock::now();
            const Gray8 g8 = sampling::toModelInput8(img);
            pre.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            sink = sink + (g8.pixels.empty() ? 0 : g8.pixels[0]);
        }
        std::sort(pre.begin(), pre.end());
        const double p = pre[pre.size() / 2];
        Json out = Json::object();
        out.set("arch", (*model)->info().arch);
        out.set("device", (*model)->deviceName());
        out.set("image", std::to_string(w) + "x" + std::to_string(h));
        out.set("amp", a.get("amp", "none"));
        out.set("cam", std::to_string(lastCam.width) + "x" + std::to_string(lastCam.height));
        out.set("median_forward_ms", f);
        out.set("median_gradcam_ms", c);
        out.set("ratio", c / f);
        out.set("median_preprocess_ms", p);
        out.set("ratio_without_preprocessing", (c - p) / std::max(1e-9, f - p));
        out.set("peak_forward_mib", double(fwdMem) / 1048576.0);
        out.set("peak_gradcam_mib", double(camMem) / 1048576.0);
        if (a.flag("json"))
            std::printf("%s\n", out.dump().c_str());
        else
            std::printf("Grad-CAM, %s on %s, %dx%d image -> %dx%d map: median %.1f ms vs forward %.1f ms (%.2fx; without the %.1f ms of "
                        "preprocessing both share: %.1f vs %.1f ms, %.2fx); peak memory %.0f MiB vs %.0f MiB over %d runs\n",
                (*model)->info().arch.c_str(), (*model)->deviceName().c_str(), w, h, lastCam.width, lastCam.height, c, f, c / f, p, c - p,
                f - p, (c - p) / std::max(1e-9, f - p), double(camMem) / 1048576.0, double(fwdMem) / 1048576.0, repeat);
        return 0;
    }
    std::vector<double> ms, pre, net;
    ml::Heatmap last;
    for (int i = 0; i < repeat + 3; ++i) {
        auto hm = (*model)->denseMap(img, stride);
        if (!hm) {
            std::fprintf(stderr, "mammoscope-train heatmap-bench: %s\n", hm.error().toString().c_str());
            return 1;
        }
        if (i >= 3) // warm-up: cuDNN autotune, allocator
        {
            ms.push_back(hm->milliseconds);
            pre.push_back(hm->preprocessMs);
            net.push_back(hm->networkMs);
        }
        last = std::move(*hm);
    }
    std::sort(ms.begin(), ms.end());
    std::sort(pre.begin(), pre.end());
    std::sort(net.begin(), net.end());
    Json out = Json::object();
    out.set("arch", (*model)->info().arch);
    out.set("device", (*model)->deviceName());
    out.set("image", std::to_string(w) + "x" + std::to_string(h));
    out.set("amp", a.get("amp", "none"));
    out.set("channels_last", a.flag("channels-last"));
    out.set("tile_px", (*model)->tileSize());
    out.set("map", std::to_string(last.width) + "x" + std::to_string(last.height));
    out.set("cell_px", last.stride);
    out.set("median_ms", ms[ms.size() / 2]);
    out.set("min_ms", ms.front());
    out.set("max_ms", ms.back());
    out.set("median_preprocess_ms", pre[pre.size() / 2]);
    out.set("median_network_ms", net[net.size() / 2]);
    if (a.flag("json"))
        std::printf("%s\n", out.dump().c_str());
    else
        std::printf("%s on %s (tiles %d px), %dx%d image -> %dx%d map (%.0f px cells): median %.1f ms (min %.1f, max %.1f; preprocessing "
                    "%.1f, network "
                    "%.1f) over %d runs\n",
            (*model)->info().arch.c_str(), (*model)->deviceName().c_str(), (*model)->tileSize(), w, h, last.width, last.height, last.stride,
            ms[ms.size() / 2], ms.front(), ms.back(), pre[pre.size() / 2], net[net.size() / 2], repeat);
    return 0;
}

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/image/window.h"

#include <atomic>
#include <thread>

#include <algorithm>
#include <cmath>

namespace ms
{

static bool effectiveInvert(const Image16& img, bool invert)
{
    return (img.photometric == Photometric::Monochrome1) != invert;
}

DisplayLut buildWindowLut(const Image16& img, const WindowLevel& wl, bool invert)
{
    DisplayLut lut(65536);
    const double c = wl.center;
    const double w = std::max(1.0, wl.width);
    const double lo = c - 0.5 - (w - 1) / 2;
    const double hi = c - 0.5 + (w - 1) / 2;
    const bool inv = effectiveInvert(img, invert);
    for (int v = 0; v < 65536; ++v) {
        double x = img.modality(uint16_t(v));
        double y;
        if (x <= lo)
            y = 0;
        else if (x > hi)
            y = 255;
        else
            y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255.0;
        int d = int(std::lround(std::clamp(y, 0.0, 255.0)));
        lut[size_t(v)] = uint8_t(inv ? 255 - d : d);
    }
    return lut;
}

DisplayLut buildVoiLut(const Image16& img, const VoiLut& voi, bool invert)
{
    DisplayLut lut(65536);
    const bool inv = effectiveInvert(img, invert);
    if (voi.data.empty())
        return buildWindowLut(img, fullRangeWindow(img), invert);
    const double outMax = double((1u << std::clamp(voi.bits, 1, 16)) - 1);
    for (int v = 0; v < 65536; ++v) {
        long long x = std::llround(img.modality(uint16_t(v))) - voi.firstMapped;
        size_t idx = size_t(std::clamp<long long>(x, 0, (long long)voi.data.size() - 1));
        int d = int(std::lround(std::min(1.0, voi.data[idx] / outMax) * 255.0));
        lut[size_t(v)] = uint8_t(inv ? 255 - d : d);
    }
    return lut;
}

namespace
{

std::atomic<int> g_threads { 0 };

// Threads for a per-pixel pass over n pixels: one below about a megapixel (a thread costs more than it saves there).
int threadsFor(size_t n)
{
    if (n < (size_t(1) << 20))
        return 1;
    int t = g_threads.load();
    if (t <= 0)
        t = int(std::min(16u, std::max(1u, std::thread::hardware_concurrency())));
    return std::max(1, std::min(t, int(n >> 18))); // at least 256 k pixels a thread
}

// Runs f(chunk, begin, end) over [0, n) in `threads` contiguous chunks, the last on this thread.
template <class F> void parallelChunks(size_t n, int threads, F f)
{
    if (threads <= 1) {
        f(0, size_t(0), n);
        return;
    }
    std::vector<std::thread> pool;
    const size_t chunk = (n + size_t(threads) - 1) / size_t(threads);
    for (int k = 0; k < threads - 1; ++k)
        pool.emplace_back(f, k, std::min(n, size_t(k) * chunk), std::min(n, size_t(k + 1) * chunk));
    f(threads - 1, std::min(n, size_t(threads - 1) * chunk), n);
    for (auto& t : pool)
        t.join();
}

} // namespace

void setPixelThreads(int threads)
{
    g_threads.store(threads);
}

Gray8 applyLut(const Image16& img, const DisplayLut& lut)
{
    Gray8 out(img.width, img.height);
    const uint16_t* src = img.pixels.data();
    uint8_t* dst = out.pixels.data();
    const uint8_t* t = lut.data();
    const size_t n = img.size();
    parallelChunks(n, threadsFor(n), [=](int, size_t b, size_t e) {
        for (size_t i = b; i < e; ++i)
            dst[i] = t[src[i]];
    });
    return out;
}

Gray8 renderWindow(const Image16& img, const WindowLevel& wl, bool invert)
{
    return applyLut(img, buildWindowLut(img, wl, invert));
}

WindowLevel fullRangeWindow(const Image16& img)
{
    if (img.empty())
        return { 0, 1 };
    double a = img.modality(img.minValue()), b = img.modality(img.maxValue());
    if (a > b)
        std::swap(a, b);
    return { (a + b) / 2 + 0.5, std::max(1.0, b - a + 1) };
}

static std::vector<uint32_t> histogram(const Image16& img)
{
    const size_t n = img.size();
    const int threads = threadsFor(n);
    std::vector<std::vector<uint32_t>> parts(size_t(threads), std::vector<uint32_t>(65536, 0));
    const uint16_t* px = img.pixels.data();
    parallelChunks(n, threads, [&](int k, size_t b, size_t e) {
        auto& h = parts[size_t(k)];
        for (size_t i = b; i < e; ++i)
            ++h[px[i]];
    });
    for (size_t k = 1; k < parts.size(); ++k)
        for (size_t v = 0; v < 65536; ++v)
            parts[0][v] += parts[k][v];
    return std::move(parts[0]);
}

static uint16_t otsu(const std::vector<uint32_t>& h, size_t total)
{
    double sumAll = 0;
    for (size_t v = 0; v < h.size(); ++v)
        sumAll += double(v) * h[v];
    double sumB = 0, wB = 0, best = -1;
    uint16_t thr = 0;
    for (size_t v = 0; v < h.size(); ++v) {
        wB += h[v];
        if (wB == 0)
            continue;
        double wF = double(total) - wB;
        if (wF == 0)
            break;
        sumB += double(v) * h[v];
        double mB = sumB / wB, mF = (sumAll - sumB) / wF;
        double between = wB * wF * (mB - mF) * (mB - mF);
        if (between > best) {
            best = between;
            thr = uint16_t(v);
        }
    }
    return thr;
}

uint16_t otsuThreshold(const Image16& img)
{
    return otsu(histogram(img), img.size());
}

WindowLevel autoWindow(const Image16& img)
{
    if (img.empty())
        return { 0, 1 };
    auto h = histogram(img);
    const size_t total = img.size();
    // The tissue is the bright side for MONOCHROME2, the dark side for MONOCHROME1.
    uint16_t t = otsu(h, total);
    size_t lo = 0, hi = 65535;
    if (img.photometric == Photometric::Monochrome2)
        lo = size_t(t) + 1;
    else
        hi = t;
    size_t count = 0;
    for (size_t v = lo; v <= hi; ++v)
        count += h[v];
    if (count < total / 50) { // no clear background: use everything
        lo = 0;
        hi = 65535;
        count = total;
    }
    const size_t pLo = count / 200, pHi = count - count / 200;
    size_t acc = 0, a = lo, b = hi;
    bool haveA = false;
    for (size_t v = lo; v <= hi; ++v) {
        acc += h[v];
        if (!haveA && acc > pLo) {
            a = v;
            haveA = true;
        }
        if (acc >= pHi) {
            b = v;
            break;
        }
    }
    double ma = img.modality(uint16_t(a)), mb = img.modality(uint16_t(b));
    if (ma > mb)
        std::swap(ma, mb);
    return { (ma + mb) / 2 + 0.5, std::max(1.0, mb - ma + 1) };
}

WindowLevel defaultWindow(const Image16& img)
{
    if (!img.windows.empty() && img.windows.front().width >= 1)
        return { img.windows.front().center, img.windows.front().width };
    return autoWindow(img);
}

} // namespace ms

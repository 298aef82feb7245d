// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/synth/fft.h"

#include <cmath>

namespace ms::synth
{

size_t nextPow2(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

void fft(std::complex<double>* a, size_t n, bool inverse, size_t stride)
{
    // Bit reversal.
    for (size_t i = 1, j = 0; i < n; ++i) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j)
            std::swap(a[i * stride], a[j * stride]);
    }
    for (size_t len = 2; len <= n; len <<= 1) {
        const double ang = 2 * M_PI / double(len) * (inverse ? 1 : -1);
        const std::complex<double> wl(std::cos(ang), std::sin(ang));
        for (size_t i = 0; i < n; i += len) {
            std::complex<double> w(1);
            for (size_t k = 0; k < len / 2; ++k) {
                std::complex<double> u = a[(i + k) * stride], v = a[(i + k + len / 2) * stride] * w;
                a[(i + k) * stride] = u + v;
                a[(i + k + len / 2) * stride] = u - v;
                w *= wl;
            }
        }
    }
}

void fft2d(std::vector<std::complex<double>>& g, size_t w, size_t h, bool inverse)
{
    for (size_t y = 0; y < h; ++y)
        fft(&g[y * w], w, inverse, 1);
    std::vector<std::complex<double>> col(h);
    for (size_t x = 0; x < w; ++x) {
        for (size_t y = 0; y < h; ++y)
            col[y] = g[y * w + x];
        fft(col.data(), h, inverse, 1);
        for (size_t y = 0; y < h; ++y)
            g[y * w + x] = col[y];
    }
}

} // namespace ms::synth

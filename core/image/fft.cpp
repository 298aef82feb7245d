// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/image/fft.h"

#include <cmath>
#include <vector>

namespace ms
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
    // Each stage's twiddles are the recurrence w_{k+1} = w_k * w_len from w_0 = 1, the same sequence for every block:
    // made once per stage into a table (the same values, bit for bit, as running the recurrence in every block, whose
    // serial dependency bounded the butterflies' speed).
    std::vector<double> twr(n / 2 + 1), twi(n / 2 + 1);
    for (size_t len = 2; len <= n; len <<= 1) {
        const double ang = 2 * M_PI / double(len) * (inverse ? 1 : -1);
        const double wlr = std::cos(ang), wli = std::sin(ang);
        double wr = 1, wi = 0;
        for (size_t k = 0; k < len / 2; ++k) {
            twr[k] = wr;
            twi[k] = wi;
            const double nr = wr * wlr - wi * wli, ni = wr * wli + wi * wlr;
            wr = nr;
            wi = ni;
        }
        // Complex products written out: std::complex's operator* also handles infinities and NaNs (none here); the
        // arithmetic, and so the result, is the same.
        for (size_t i = 0; i < n; i += len)
            for (size_t k = 0; k < len / 2; ++k) {
                std::complex<double>& p = a[(i + k) * stride];
                std::complex<double>& q = a[(i + k + len / 2) * stride];
                const double ur = p.real(), ui = p.imag();
                const double vr = q.real() * twr[k] - q.imag() * twi[k], vi = q.real() * twi[k] + q.imag() * twr[k];
                p = { ur + vr, ui + vi };
                q = { ur - vr, ui - vi };
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

} // namespace ms

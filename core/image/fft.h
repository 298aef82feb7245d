// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <complex>
#include <vector>

namespace ms
{

// In-place radix-2 FFT; n must be a power of two. inverse: unscaled inverse transform.
void fft(std::complex<double>* data, size_t n, bool inverse, size_t stride = 1);
// 2-D FFT of a w x h grid (both powers of two), row-major.
void fft2d(std::vector<std::complex<double>>& grid, size_t w, size_t h, bool inverse);
size_t nextPow2(size_t n);

} // namespace ms

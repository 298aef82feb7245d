// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/realism.h"

#include "core/image/components.h"
#include "core/image/fft.h"

#include "core/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <map>
#include <numeric>
#include <random>

namespace ms::metrics
{

namespace
{

constexpr double kPi = 3.14159265358979323846;

} // namespace

std::vector<double> RealismFeatures::vector() const
{
    return { areaMm2, widthMm, heightMm, fill, mean, sd, skewness, kurtosis, p10, p50, p90, skinRatio, spectrumSlope };
}

std::vector<std::string> RealismFeatures::names()
{
    return { "area_mm2", "width_mm", "height_mm", "fill", "mean", "sd", "skewness", "kurtosis", "p10", "p50", "p90", "skin_ratio",
        "spectrum_slope" };
}

double spectrumSlope(const std::vector<double>& win, int n)
{
    if (n < 8 || (n & (n - 1)) != 0 || win.size() != size_t(n) * size_t(n))
        return std::nan("");
    const double m = std::accumulate(win.begin(), win.end(), 0.0) / double(win.size());
    std::vector<std::complex<double>> a(win.size());
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
            const double hann = (0.5 - 0.5 * std::cos(2 * kPi * x / (n - 1))) * (0.5 - 0.5 * std::cos(2 * kPi * y / (n - 1)));
            a[size_t(y) * size_t(n) + size_t(x)] = (win[size_t(y) * size_t(n) + size_t(x)] - m) * hann;
        }
    fft2d(a, size_t(n), size_t(n), false); // n is a power of two (checked above)
    // radial average over integer radii 2 .. n/4 (cycles per window), then a line through log P against log f
    std::vector<double> sum(size_t(n), 0.0);
    std::vector<long> cnt(size_t(n), 0);
    for (int v = 0; v < n; ++v)
        for (int u = 0; u < n; ++u) {
            const int fu = u <= n / 2 ? u : u - n, fv = v <= n / 2 ? v : v - n;
            const int r = int(std::lround(std::hypot(fu, fv)));
            if (r < n)
                sum[size_t(r)] += std::norm(a[size_t(v) * size_t(n) + size_t(u)]), ++cnt[size_t(r)];
        }
    std::vector<double> lx, ly;
    for (int r = 2; r <= n / 4; ++r)
        if (cnt[size_t(r)] > 0 && sum[size_t(r)] > 0) {
            lx.push_back(std::log(double(r)));
            ly.push_back(std::log(sum[size_t(r)] / double(cnt[size_t(r)])));
        }
    if (lx.size() < 3)
        return std::nan("");
    const double mx = std::accumulate(lx.begin(), lx.end(), 0.0) / double(lx.size());
    const double my = std::accumulate(ly.begin(), ly.end(), 0.0) / double(ly.size());
    double sxy = 0, sxx = 0;
    for (size_t k = 0; k < lx.size(); ++k) {
        sxy += (lx[k] - mx) * (ly[k] - my);
        sxx += (lx[k] - mx) * (lx[k] - mx);
    }
    return -sxy / sxx;
}

RealismFeatures realismFeatures(const Gray8& g, double mm, int thr)
{
    RealismFeatures f;
    if (g.empty() || !(mm > 0))
        return f;
    const int W = g.width, H = g.height;
    std::vector<uint8_t> m(g.pixels.size());
    for (size_t i = 0; i < m.size(); ++i)
        m[i] = g.pixels[i] > thr;
    m = largestComponent(m.data(), W, H);
    std::vector<double> v;
    int x0 = W, y0 = H, x1 = -1, y1 = -1;
    double edgeSum = 0;
    long edgeN = 0;
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
            if (!m[size_t(y) * size_t(W) + size_t(x)])
                continue;
            v.push_back(g.at(x, y));
            x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
            // the outer band: within 2 pixels of a pixel outside the breast
            bool edge = false;
            for (int dy = -2; dy <= 2 && !edge; ++dy)
                for (int dx = -2; dx <= 2 && !edge; ++dx) {
                    const int xx = x + dx, yy = y + dy;
                    edge = xx < 0 || yy < 0 || xx >= W || yy >= H || !m[size_t(yy) * size_t(W) + size_t(xx)];
                }
            if (edge) {
                edgeSum += g.at(x, y);
                ++edgeN;
            }
        }
    if (v.size() < 256)
        return f;
    const double n = double(v.size());
    f.areaMm2 = n * mm * mm;
    f.widthMm = (x1 - x0 + 1) * mm;
    f.heightMm = (y1 - y0 + 1) * mm;
    f.fill = n / (double(x1 - x0 + 1) * double(y1 - y0 + 1));
    f.mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
    double m2 = 0, m3 = 0, m4 = 0;
    for (double x : v) {
        const double d = x - f.mean;
        m2 += d * d / n;
        m3 += d * d * d / n;
        m4 += d * d * d * d / n;
    }
    f.sd = std::sqrt(m2);
    f.skewness = m2 > 0 ? m3 / std::pow(m2, 1.5) : 0;
    f.kurtosis = m2 > 0 ? m4 / (m2 * m2) : 0;
    std::sort(v.begin(), v.end());
    f.p10 = v[size_t(0.1 * (n - 1))];
    f.p50 = v[size_t(0.5 * (n - 1))];
    f.p90 = v[size_t(0.9 * (n - 1))];
    f.skinRatio = edgeN > 0 && f.mean > 0 ? (edgeSum / double(edgeN)) / f.mean : 0;
    // the tissue: the largest power-of-two square (64 down to 16) wholly inside the breast, the one nearest the
    // breast's centroid row, away from the chest wall
    for (int side = 64; side >= 16; side /= 2) {
        double bestD = 1e30;
        int bx = -1, by = -1;
        const double cy = (y0 + y1) / 2.0;
        for (int y = y0; y + side <= y1 + 1; y += 4)
            for (int x = x0 + side / 4; x + side <= x1 + 1; x += 4) {
                bool inside = true;
                for (int yy = y; yy < y + side && inside; yy += 2)
                    for (int xx = x; xx < x + side && inside; xx += 2)
                        inside = m[size_t(yy) * size_t(W) + size_t(xx)] != 0;
                if (!inside)
                    continue;
                const double d = std::abs(y + side / 2.0 - cy);
                if (d < bestD) {
                    bestD = d;
                    bx = x;
                    by = y;
                }
            }
        if (bx < 0)
            continue;
        std::vector<double> win(size_t(side) * size_t(side));
        for (int y = 0; y < side; ++y)
            for (int x = 0; x < side; ++x)
                win[size_t(y) * size_t(side) + size_t(x)] = g.at(bx + x, by + y);
        f.spectrumSlope = spectrumSlope(win, side);
        f.ok = std::isfinite(f.spectrumSlope);
        break;
    }
    return f;
}

ClassifierFigures logisticCrossValidated(const std::vector<std::vector<double>>& x, const std::vector<int>& y,
    const std::vector<std::string>& groups, int folds, unsigned long long seed)
{
    ClassifierFigures out;
    const size_t n = x.size();
    if (n < 4 || y.size() != n || groups.size() != n || folds < 2)
        return out;
    const size_t d = x[0].size();
    // groups to folds, shuffled
    std::map<std::string, int> foldOf;
    {
        std::vector<std::string> g(groups);
        std::sort(g.begin(), g.end());
        g.erase(std::unique(g.begin(), g.end()), g.end());
        std::mt19937_64 rng(seed);
        std::shuffle(g.begin(), g.end(), rng);
        for (size_t k = 0; k < g.size(); ++k)
            foldOf[g[k]] = int(k % size_t(folds));
    }
    std::vector<double> score(n, 0.0);
    for (int f = 0; f < folds; ++f) {
        std::vector<size_t> tr, te;
        for (size_t i = 0; i < n; ++i)
            (foldOf[groups[i]] == f ? te : tr).push_back(i);
        if (tr.empty() || te.empty())
            continue;
        // standardise on the training part
        std::vector<double> mu(d, 0), sd(d, 0);
        for (size_t i : tr)
            for (size_t j = 0; j < d; ++j)
                mu[j] += x[i][j] / double(tr.size());
        for (size_t i : tr)
            for (size_t j = 0; j < d; ++j)
                sd[j] += (x[i][j] - mu[j]) * (x[i][j] - mu[j]) / double(tr.size());
        for (auto& s : sd)
            s = s > 0 ? std::sqrt(s) : 1;
        auto z = [&](size_t i, size_t j) { return (x[i][j] - mu[j]) / sd[j]; };
        // class-balanced gradient descent, L2 1e-2
        double pos = 0;
        for (size_t i : tr)
            pos += y[i];
        const double wPos = pos > 0 ? double(tr.size()) / (2 * pos) : 1,
                     wNeg = pos < double(tr.size()) ? double(tr.size()) / (2 * (double(tr.size()) - pos)) : 1;
        std::vector<double> w(d, 0);
        double b = 0;
        for (int it = 0; it < 2000; ++it) {
            std::vector<double> gw(d, 0);
            double gb = 0;
            for (size_t i : tr) {
                double s = b;
                for (size_t j = 0; j < d; ++j)
                    s += w[j] * z(i, j);
                const double p = 1 / (1 + std::exp(-s));
                const double e = (p - y[i]) * (y[i] ? wPos : wNeg) / double(tr.size());
                for (size_t j = 0; j < d; ++j)
                    gw[j] += e * z(i, j);
                gb += e;
            }
            for (size_t j = 0; j < d; ++j)
                w[j] -= 0.5 * (gw[j] + 1e-2 * w[j]);
            b -= 0.5 * gb;
        }
        for (size_t i : te) {
            double s = b;
            for (size_t j = 0; j < d; ++j)
                s += w[j] * z(i, j);
            score[i] = 1 / (1 + std::exp(-s));
        }
    }
    long right = 0;
    std::vector<bool> pos(n);
    for (size_t i = 0; i < n; ++i) {
        right += (score[i] >= 0.5) == (y[i] == 1);
        pos[i] = y[i] == 1;
    }
    out.samples = int(n);
    out.accuracy = double(right) / double(n);
    out.auc = rocAuc(score, pos);
    return out;
}

} // namespace ms::metrics

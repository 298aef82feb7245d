// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/synth/phantom.h"

#include "core/image/fft.h"
#include "core/synth/lesions.h"
#include "core/synth/random.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>

namespace ms::synth
{

namespace
{

using detail::Canvas;

double smoothstep(double a, double b, double x)
{
    double t = std::clamp((x - a) / (b - a), 0.0, 1.0);
    return t * t * (3 - 2 * t);
}

// Two independent zero-mean, unit-variance power-law (1/f^beta) fields at grid resolution (w x h, powers of two).
void powerLawNoise(Rng& rng, size_t w, size_t h, double beta, std::vector<float>& a, std::vector<float>& b)
{
    std::vector<std::complex<double>> g(w * h);
    for (auto& z : g)
        z = { rng.normal(), rng.normal() };
    fft2d(g, w, h, false);
    for (size_t y = 0; y < h; ++y) {
        double fy = double(y <= h / 2 ? y : h - y) / double(h);
        for (size_t x = 0; x < w; ++x) {
            double fx = double(x <= w / 2 ? x : w - x) / double(w);
            double f = std::sqrt(fx * fx + fy * fy);
            g[y * w + x] *= f > 0 ? std::pow(std::max(f, 1.0 / double(std::max(w, h))), -beta / 2) : 0.0;
        }
    }
    fft2d(g, w, h, true);
    a.resize(w * h);
    b.resize(w * h);
    double sa = 0, sb = 0;
    for (size_t i = 0; i < g.size(); ++i) {
        sa += g[i].real() * g[i].real();
        sb += g[i].imag() * g[i].imag();
    }
    double na = std::sqrt(sa / double(g.size())), nb = std::sqrt(sb / double(g.size()));
    for (size_t i = 0; i < g.size(); ++i) {
        a[i] = float(g[i].real() / std::max(na, 1e-12));
        b[i] = float(g[i].imag() / std::max(nb, 1e-12));
    }
}

float sampleBilinear(const std::vector<float>& f, size_t w, size_t h, double x, double y)
{
    x = std::clamp(x, 0.0, double(w - 1));
    y = std::clamp(y, 0.0, double(h - 1));
    size_t x0 = size_t(x), y0 = size_t(y), x1 = std::min(x0 + 1, w - 1), y1 = std::min(y0 + 1, h - 1);
    double tx = x - double(x0), ty = y - double(y0);
    return float((f[y0 * w + x0] * (1 - tx) + f[y0 * w + x1] * tx) * (1 - ty) + (f[y1 * w + x0] * (1 - tx) + f[y1 * w + x1] * tx) * ty);
}

struct BreastGeometry {
    double a = 0, b = 0, cy = 0; // semi-axes (px) and centre height; chest wall at x = 0
    double pw = 0, ph = 0; // pectoral triangle (MLO)
    double h2, h3, p2, p3; // outline perturbation
    double cp2 = 1, sp2 = 0, cp3 = 1, sp3 = 0; // cos and sin of p2, p3 (set with them)
    void setPhases(double phase2, double phase3)
    {
        p2 = phase2;
        p3 = phase3;
        cp2 = std::cos(p2);
        sp2 = std::sin(p2);
        cp3 = std::cos(p3);
        sp3 = std::sin(p3);
    }
    double normRadius(double x, double y) const
    {
        const double dx = x / a, dy = (y - cy) / b;
        const double r = std::sqrt(dx * dx + dy * dy);
        // 1 + h2 sin(2 th + p2) + h3 sin(3 th + p3) with th the angle of (dx, dy), from cos th and sin th by the
        // multiple-angle formulas (no atan2 and sines per pixel: this ran for every pixel of every view).
        const double c = r > 0 ? dx / r : 1, s = r > 0 ? dy / r : 0;
        const double s2 = 2 * s * c, c2 = c * c - s * s, s3 = s * (3 - 4 * s * s), c3 = c * (4 * c * c - 3);
        const double pert = 1 + h2 * (s2 * cp2 + c2 * sp2) + h3 * (s3 * cp3 + c3 * sp3);
        return r / pert;
    }
    bool inPectoral(double x, double y) const
    {
        if (pw <= 0)
            return false;
        double q = x / pw + y / ph;
        return q < 1.0 - 0.08 * std::sin(M_PI * std::clamp(y / ph, 0.0, 1.0)); // slightly convex edge
    }
    double pectoralDistance(double x, double y) const { return pw <= 0 ? 10 : x / pw + y / ph - 1.0; }
};

const char* pick(Rng& rng, const std::vector<std::pair<const char*, double>>& table)
{
    std::vector<double> w;
    for (const auto& e : table)
        w.push_back(e.second);
    return table[rng.pick(w)].first;
}

} // namespace

LesionSpec sampleLesion(uint64_t seed, LesionType type)
{
    Rng rng(seed);
    LesionSpec s;
    s.type = type;
    s.seed = rng.next();
    if (type == LesionType::Mass) {
        s.pathology = pick(rng, { { "MALIGNANT", 0.45 }, { "BENIGN", 0.43 }, { "BENIGN_WITHOUT_CALLBACK", 0.12 } });
        if (s.pathology == "MALIGNANT") {
            s.shape = pick(rng, { { "IRREGULAR", 0.7 }, { "LOBULATED", 0.15 }, { "ROUND", 0.1 }, { "OVAL", 0.05 } });
            s.margins = pick(rng,
                { { "SPICULATED", 0.55 }, { "ILL_DEFINED", 0.3 }, { "MICROLOBULATED", 0.1 }, { "OBSCURED", 0.03 },
                    { "CIRCUMSCRIBED", 0.02 } });
            s.sizeMm = rng.uniform(4.5, 11);
        } else {
            s.shape = pick(rng, { { "OVAL", 0.45 }, { "ROUND", 0.35 }, { "LOBULATED", 0.15 }, { "IRREGULAR", 0.05 } });
            s.margins = pick(rng,
                { { "CIRCUMSCRIBED", 0.65 }, { "OBSCURED", 0.25 }, { "ILL_DEFINED", 0.05 }, { "MICROLOBULATED", 0.03 },
                    { "SPICULATED", 0.02 } });
            s.sizeMm = rng.uniform(4, 10);
        }
    } else {
        s.pathology = pick(rng, { { "MALIGNANT", 0.38 }, { "BENIGN", 0.37 }, { "BENIGN_WITHOUT_CALLBACK", 0.25 } });
        if (s.pathology == "MALIGNANT") {
            s.calcType
                = pick(rng, { { "PLEOMORPHIC", 0.5 }, { "FINE_LINEAR_BRANCHING", 0.35 }, { "AMORPHOUS", 0.1 }, { "PUNCTATE", 0.05 } });
            s.calcDistribution = pick(rng, { { "CLUSTERED", 0.5 }, { "SEGMENTAL", 0.25 }, { "LINEAR", 0.2 }, { "REGIONAL", 0.05 } });
        } else if (s.pathology == "BENIGN") {
            s.calcType = pick(rng,
                { { "ROUND_AND_REGULAR", 0.25 }, { "PUNCTATE", 0.2 }, { "LUCENT_CENTER", 0.15 }, { "COARSE", 0.15 }, { "VASCULAR", 0.1 },
                    { "AMORPHOUS", 0.05 }, { "PLEOMORPHIC", 0.05 }, { "EGGSHELL", 0.05 } });
            s.calcDistribution = pick(rng,
                { { "CLUSTERED", 0.35 }, { "REGIONAL", 0.3 }, { "DIFFUSELY_SCATTERED", 0.25 }, { "LINEAR", 0.05 }, { "SEGMENTAL", 0.05 } });
        } else {
            s.calcType = pick(rng,
                { { "VASCULAR", 0.2 }, { "COARSE", 0.2 }, { "LUCENT_CENTER", 0.2 }, { "ROUND_AND_REGULAR", 0.15 }, { "PUNCTATE", 0.1 },
                    { "LARGE_RODLIKE", 0.1 }, { "EGGSHELL", 0.05 } });
            s.calcDistribution
                = pick(rng, { { "REGIONAL", 0.3 }, { "DIFFUSELY_SCATTERED", 0.3 }, { "CLUSTERED", 0.3 }, { "LINEAR", 0.1 } });
        }
        const std::string& d = s.calcDistribution;
        s.sizeMm = d == "CLUSTERED"             ? rng.uniform(3, 6)
            : d == "LINEAR" || d == "SEGMENTAL" ? rng.uniform(7, 12)
            : d == "REGIONAL"                   ? rng.uniform(9, 14)
                                                : rng.uniform(12, 18);
        if (s.calcType == "VASCULAR")
            s.sizeMm = rng.uniform(10, 18);
    }
    if (s.pathology == "MALIGNANT")
        s.assessment = int(pick(rng, { { "4", 0.55 }, { "5", 0.35 }, { "3", 0.05 }, { "0", 0.05 } })[0] - '0');
    else if (s.pathology == "BENIGN")
        s.assessment = int(pick(rng, { { "2", 0.25 }, { "3", 0.25 }, { "4", 0.4 }, { "0", 0.1 } })[0] - '0');
    else
        s.assessment = int(pick(rng, { { "2", 0.5 }, { "3", 0.3 }, { "4", 0.15 }, { "0", 0.05 } })[0] - '0');
    s.subtlety = int(pick(rng, { { "5", 0.3 }, { "4", 0.25 }, { "3", 0.25 }, { "2", 0.13 }, { "1", 0.07 } })[0] - '0');
    s.u = rng.uniform(0.25, 0.72);
    s.v = rng.uniform(-0.6, 0.6);
    s.orientation = rng.uniform(0, M_PI);
    return s;
}

PatientCase generatePatient(const Options& opt, int index)
{
    const uint64_t pseed = hashMix({ opt.seed, uint64_t(index), 0x50415449454e54ull });
    Rng rng(pseed);
    PatientCase pc;
    pc.index = index;
    char id[16];
    std::snprintf(id, sizeof id, "P_%05d", index + 1);
    pc.id = id;
    pc.density = 1 + int(rng.pick({ 0.2, 0.38, 0.28, 0.14 }));
    pc.test = Rng(hashMix({ opt.seed, uint64_t(index), 0x53504c4954ull })).uniform() < opt.testFraction;

    // Lesions per breast: none for normal patients, else one breast (sometimes both), one type per breast.
    std::vector<LesionSpec> breastLesions[2]; // 0 = RIGHT, 1 = LEFT
    if (!rng.chance(opt.normalPatientFraction)) {
        int first = rng.uniformInt(0, 1);
        bool both = rng.chance(0.12);
        for (int side : { first, 1 - first }) {
            if (side != first && !both)
                continue;
            LesionType type = rng.chance(0.5) ? LesionType::Mass : LesionType::Calcification;
            int n = rng.chance(0.82) ? 1 : 2;
            for (int k = 0; k < n; ++k) {
                LesionSpec s = sampleLesion(rng.next(), type);
                if (k == 1) { // keep the second lesion apart from the first
                    s.u = breastLesions[side][0].u > 0.5 ? rng.uniform(0.22, 0.4) : rng.uniform(0.55, 0.72);
                    s.v = -breastLesions[side][0].v * 0.8;
                }
                breastLesions[side].push_back(s);
            }
        }
    }

    const int W = opt.width, H = opt.height;
    const double spacing = opt.pixelSpacingMm();
    double breastDepth = rng.uniform(0.62, 0.84), breastWidth = rng.uniform(0.30, 0.37);
    if (opt.anatomy >= 2) {
        // a size of its own (a separate stream: every other draw stays as it was)
        const double size = Rng(hashMix({ pseed, 0x53495a45ull })).uniform(0.62, 1.04);
        breastDepth *= size;
        breastWidth *= size;
    }
    const double skinRamp = opt.anatomy >= 2 ? 0.05 : 0.14, fineBeta = opt.anatomy >= 2 ? 2.3 : 2.0;
    const double fdense[] = { 0.12, 0.3, 0.55, 0.78 };
    const double tauTable[] = { 1.175, 0.524, -0.126, -0.772 };
    const double tau = tauTable[pc.density - 1];
    (void)fdense;
    const double glandLevel = rng.uniform(0.32, 0.38), fatLevel = rng.uniform(0.15, 0.19);

    const char* order[4][2] = { { "RIGHT", "CC" }, { "LEFT", "CC" }, { "RIGHT", "MLO" }, { "LEFT", "MLO" } };
    for (int vi = 0; vi < 4; ++vi) {
        View v;
        v.side = order[vi][0];
        v.view = order[vi][1];
        const bool mlo = v.view == "MLO";
        const int sideIdx = v.side == "RIGHT" ? 0 : 1;
        Rng vr(hashMix({ pseed, uint64_t(vi), 0x56494557ull }));
        BreastGeometry g;
        g.a = W * (breastDepth + vr.uniform(-0.03, 0.03)) * (mlo ? 1.04 : 1.0);
        g.b = H * (mlo ? breastWidth + 0.11 : breastWidth) * vr.uniform(0.97, 1.03);
        g.cy = H * (mlo ? 0.47 : 0.5) + H * vr.uniform(-0.03, 0.03);
        g.h2 = vr.uniform(-0.03, 0.03);
        g.h3 = vr.uniform(-0.02, 0.02);
        const double phase2 = vr.uniform(0, 2 * M_PI);
        g.setPhases(phase2, vr.uniform(0, 2 * M_PI));
        if (mlo) {
            g.pw = W * vr.uniform(0.22, 0.36);
            g.ph = H * vr.uniform(0.42, 0.6);
        }

        Canvas c;
        c.w = W;
        c.h = H;
        c.v.assign(size_t(W) * size_t(H), 0.f);
        Gray8 breast(W, H, 0);
        if (opt.renderImages) {
            const size_t gw = nextPow2(size_t(std::max(8, W / 2))), gh = nextPow2(size_t(std::max(8, H / 2)));
            std::vector<float> nGland, nTex, nFine, nFine2;
            powerLawNoise(vr, gw, gh, 3.0, nGland, nTex);
            powerLawNoise(vr, gw, gh, fineBeta, nFine, nFine2); // finer fibrous detail
            const double scale = 0.5; // grid pixels per image pixel
            for (int y = 0; y < H; ++y)
                for (int x = 0; x < W; ++x) {
                    double rr = g.normRadius(x, y);
                    double val = 0.035;
                    const bool pect = g.inPectoral(x, y);
                    if (pect && rr >= 1.0)
                        rr = 0.99; // the muscle runs up into the axilla, beyond the breast outline
                    if (rr < 1.0) {
                        breast.at(x, y) = 1;
                        double t = smoothstep(0.0, skinRamp, 1.0 - rr); // thinner near the skin
                        double prior = std::pow(std::max(0.0, 1.0 - rr * rr), 0.6);
                        double n = sampleBilinear(nGland, gw, gh, x * scale, y * scale);
                        double fine = sampleBilinear(nFine, gw, gh, x * scale, y * scale);
                        double gl = 1.0 / (1.0 + std::exp(-((n + 0.35 * fine - tau) + 0.9 * (prior - 0.5)) / 0.45));
                        val += t * (fatLevel + glandLevel * gl * (0.35 + 0.65 * prior) + 0.012 * fine);
                        if (rr > 0.975)
                            val += 0.05 * smoothstep(0.975, 0.99, rr);
                        if (pect) {
                            double tex = sampleBilinear(nTex, gw, gh, x * scale, y * scale);
                            double e = smoothstep(0.0, 0.05, -g.pectoralDistance(x, y));
                            val = val * (1 - e) + e * (0.36 + 0.08 * (1.0 - std::clamp(x / g.pw + y / g.ph, 0.0, 1.0)) + 0.02 * tex);
                        }
                    }
                    c.at(x, y) = float(val);
                }
        } else {
            for (int y = 0; y < H; ++y)
                for (int x = 0; x < W; ++x)
                    if (g.normRadius(x, y) < 1.0 || g.inPectoral(x, y))
                        breast.at(x, y) = 1;
        }

        // Lesions: the same lesion in both views of its breast, at the same depth from the nipple.
        int number = 0;
        for (const auto& spec : breastLesions[sideIdx]) {
            double u = spec.u, vv = mlo ? std::clamp(spec.v * 0.85 + 0.12, -0.7, 0.7) : spec.v;
            double x = g.a * u;
            double y = g.cy + g.b * vv * std::sqrt(std::max(0.0, 1 - u * u)) * 0.8;
            if (mlo && g.pectoralDistance(x, y) < 0.25)
                x = std::max(x, g.pw * (1.25 - y / g.ph));
            x = std::clamp(x, 0.1 * g.a, 0.85 * g.a);
            const double contrast = 0.45 + 0.14 * spec.subtlety;
            Lesion les;
            les.spec = spec;
            les.number = ++number;
            LesionSpec s2 = spec;
            if (mlo)
                s2.orientation += 0.4; // the same lesion seen from another angle
            if (spec.type == LesionType::Mass)
                les.mask = detail::renderMass(c, s2, x, y, spacing, contrast * 0.16, opt.renderImages);
            else
                les.mask = detail::renderCalcifications(c, s2, x, y, spacing, contrast, opt.renderImages);
            // The ROI stays inside the breast.
            les.mask = les.mask.intersect(RleMask::fromGray(breast));
            if (les.mask.empty())
                les.mask = RleMask::ellipse(W, H, x, y, 4, 4);
            v.lesions.push_back(std::move(les));
        }

        Image16 img(W, H);
        img.spacingX = img.spacingY = spacing;
        img.bitsStored = 16;
        if (opt.renderImages) {
            Rng qn(hashMix({ pseed, uint64_t(vi), 0x4e4f495345ull }));
            for (size_t i = 0; i < img.pixels.size(); ++i) {
                double val = std::clamp(double(c.v[i]), 0.0, 1.2);
                double stored = 1500 + val * 48000 + qn.normal() * (120 + 260 * std::sqrt(val));
                img.pixels[i] = uint16_t(std::clamp(stored, 0.0, 65535.0));
            }
        }
        v.breast = RleMask::fromGray(breast);
        if (v.side == "RIGHT") { // chest wall on the right for right breasts
            img.flipHorizontal();
            v.breast = v.breast.flippedHorizontal();
            for (auto& l : v.lesions)
                l.mask = l.mask.flippedHorizontal();
        }
        v.image = std::move(img);
        pc.views.push_back(std::move(v));
    }
    return pc;
}

} // namespace ms::synth

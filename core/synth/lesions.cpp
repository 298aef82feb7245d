// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/synth/lesions.h"

#include "core/synth/random.h"

#include <algorithm>
#include <cmath>

namespace ms::synth::detail
{

namespace
{

double smoothstep(double a, double b, double x)
{
    double t = std::clamp((x - a) / (b - a), 0.0, 1.0);
    return t * t * (3 - 2 * t);
}

struct Harmonic {
    int k;
    double amp, phase;
};

// Boundary radius factor of a mass at angle theta (relative to its orientation).
struct MassShape {
    double aspect = 1;
    std::vector<Harmonic> harmonics;
    double radius(double theta) const
    {
        double c = std::cos(theta), s = std::sin(theta) / aspect;
        double r = std::sqrt(aspect) / std::sqrt(c * c + s * s);
        double f = 1;
        for (const auto& h : harmonics)
            f += h.amp * std::cos(h.k * theta + h.phase);
        return r * std::max(0.4, f);
    }
};

MassShape massShape(const LesionSpec& s, Rng& rng)
{
    MassShape m;
    auto add = [&](int k, double amp) { m.harmonics.push_back({ k, amp, rng.uniform(0, 2 * M_PI) }); };
    const std::string& sh = s.shape;
    if (sh == "ROUND") {
        m.aspect = rng.uniform(0.88, 1.0);
        add(2, 0.02);
        add(3, 0.015);
    } else if (sh == "OVAL") {
        m.aspect = rng.uniform(0.5, 0.72);
        add(3, 0.02);
    } else if (sh == "LOBULATED") {
        m.aspect = rng.uniform(0.75, 1.0);
        add(rng.uniformInt(3, 5), rng.uniform(0.12, 0.2));
        add(2, rng.uniform(0.03, 0.08));
    } else { // IRREGULAR and anything else
        m.aspect = rng.uniform(0.65, 1.0);
        for (int k = 2; k <= 9; ++k)
            add(k, rng.uniform(0.05, 0.13) / std::sqrt(k / 2.0));
    }
    if (s.margins == "MICROLOBULATED")
        for (int k = 14; k <= 22; k += 2)
            add(k, 0.03);
    return m;
}

void addValue(Canvas& c, int x, int y, double val)
{
    if (x >= 0 && y >= 0 && x < c.w && y < c.h)
        c.at(x, y) += float(val);
}

void maxValue(Canvas& c, int x, int y, double val, std::vector<float>& layer)
{
    if (x >= 0 && y >= 0 && x < c.w && y < c.h) {
        size_t i = size_t(y) * size_t(c.w) + size_t(x);
        layer[i] = std::max(layer[i], float(val));
    }
}

} // namespace

RleMask renderMass(Canvas& c, const LesionSpec& s, double cx, double cy, double spacing, double contrast, bool draw)
{
    Rng rng(s.seed);
    MassShape shape = massShape(s, rng);
    const double R = s.sizeMm / spacing;
    // Edge width (relative to R) by margin; obscured margins are sharp on one side, lost in tissue on the other.
    double edge = 0.04;
    if (s.margins == "ILL_DEFINED")
        edge = 0.28;
    else if (s.margins == "SPICULATED")
        edge = 0.16;
    else if (s.margins == "MICROLOBULATED")
        edge = 0.07;
    else if (s.margins == "OBSCURED")
        edge = 0.05;
    const double obscuredPhase = rng.uniform(0, 2 * M_PI);
    struct Spicule {
        double angle, length, width;
    };
    std::vector<Spicule> spicules;
    if (s.margins == "SPICULATED") {
        int n = rng.uniformInt(10, 22);
        for (int i = 0; i < n; ++i)
            spicules.push_back({ rng.uniform(0, 2 * M_PI), R * rng.uniform(0.7, 2.0), std::max(0.7, R * rng.uniform(0.03, 0.07)) });
    }
    double reach = R * 1.5;
    for (const auto& sp : spicules)
        reach = std::max(reach, R * 1.4 + sp.length);
    const int x0 = std::max(0, int(cx - reach) - 2), x1 = std::min(c.w - 1, int(cx + reach) + 2);
    const int y0 = std::max(0, int(cy - reach) - 2), y1 = std::min(c.h - 1, int(cy + reach) + 2);
    Gray8 mask(c.w, c.h, 0);
    std::vector<float> layer;
    if (draw)
        layer.assign(c.v.size(), 0.f);
    const double co = std::cos(s.orientation), so = std::sin(s.orientation);
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
            double dx = x - cx, dy = y - cy;
            double lx = dx * co + dy * so, ly = -dx * so + dy * co;
            double rho = std::hypot(lx, ly);
            double th = std::atan2(ly, lx);
            double rb = R * shape.radius(th);
            double sn = rho / std::max(rb, 1e-6);
            if (sn < 1.0)
                mask.at(x, y) = 1;
            if (!draw)
                continue;
            double e = edge;
            if (s.margins == "OBSCURED")
                e = 0.05 + 0.3 * smoothstep(-0.2, 0.6, std::cos(th - obscuredPhase));
            double dome = std::pow(std::max(0.0, 1.0 - std::min(sn, 1.0) * std::min(sn, 1.0) * 0.6), 0.5);
            double p = dome * (1.0 - smoothstep(1.0 - e, 1.0 + e, sn));
            if (p > 0)
                maxValue(c, x, y, p, layer);
        }
    if (draw) {
        for (const auto& sp : spicules) {
            double ang = sp.angle;
            double rb = R * shape.radius(ang);
            double wx = std::cos(ang + s.orientation), wy = std::sin(ang + s.orientation);
            double bx = cx + wx * rb * 0.85, by = cy + wy * rb * 0.85;
            int steps = int(sp.length * 2) + 2;
            for (int k = 0; k <= steps; ++k) {
                double t = double(k) / steps;
                double px = bx + wx * sp.length * t, py = by + wy * sp.length * t;
                double wdt = sp.width * (1.0 - 0.7 * t);
                for (int yy = int(py - wdt - 1); yy <= int(py + wdt + 1); ++yy)
                    for (int xx = int(px - wdt - 1); xx <= int(px + wdt + 1); ++xx) {
                        double d = std::hypot(xx - px, yy - py);
                        if (d < wdt)
                            maxValue(c, xx, yy, 0.75 * (1.0 - t) * (1.0 - d / wdt), layer);
                    }
            }
        }
        for (size_t i = 0; i < layer.size(); ++i)
            c.v[i] += float(contrast) * layer[i];
    }
    return RleMask::fromGray(mask);
}

namespace
{

struct Speck {
    double x, y, rx, ry, angle, intensity;
    double ring = 0; // 0 = solid; else inner radius fraction (lucent centre, eggshell)
};

void drawSpeck(Canvas& c, const Speck& s)
{
    const double r = std::max(s.rx, s.ry) + 1.5;
    const double co = std::cos(s.angle), so = std::sin(s.angle);
    for (int y = int(s.y - r); y <= int(s.y + r) + 1; ++y)
        for (int x = int(s.x - r); x <= int(s.x + r) + 1; ++x) {
            double val = 0;
            // 2x2 supersampling keeps sub-pixel specks visible and smooth.
            for (int sy = 0; sy < 2; ++sy)
                for (int sx = 0; sx < 2; ++sx) {
                    double dx = x + 0.25 + 0.5 * sx - 0.5 - s.x, dy = y + 0.25 + 0.5 * sy - 0.5 - s.y;
                    double u = dx * co + dy * so, v = -dx * so + dy * co;
                    double q = std::sqrt((u / s.rx) * (u / s.rx) + (v / s.ry) * (v / s.ry));
                    double a = 1.0 - smoothstep(0.75, 1.15, q);
                    if (s.ring > 0)
                        a *= smoothstep(s.ring - 0.15, s.ring + 0.1, q);
                    val += a * 0.25;
                }
            if (val > 0)
                addValue(c, x, y, s.intensity * val);
        }
}

// Convex hull (monotone chain).
std::vector<std::pair<double, double>> hull(std::vector<std::pair<double, double>> p)
{
    std::sort(p.begin(), p.end());
    p.erase(std::unique(p.begin(), p.end()), p.end());
    if (p.size() < 3)
        return p;
    auto cross
        = [](auto o, auto a, auto b) { return (a.first - o.first) * (b.second - o.second) - (a.second - o.second) * (b.first - o.first); };
    std::vector<std::pair<double, double>> h(2 * p.size());
    size_t k = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        while (k >= 2 && cross(h[k - 2], h[k - 1], p[i]) <= 0)
            --k;
        h[k++] = p[i];
    }
    for (size_t i = p.size() - 1, t = k + 1; i > 0; --i) {
        while (k >= t && cross(h[k - 2], h[k - 1], p[i - 1]) <= 0)
            --k;
        h[k++] = p[i - 1];
    }
    h.resize(k - 1);
    return h;
}

} // namespace

RleMask renderCalcifications(Canvas& c, const LesionSpec& s, double cx, double cy, double spacing, double contrast, bool draw)
{
    Rng rng(s.seed);
    auto mm = [&](double v) { return v / spacing; };
    const std::string& t = s.calcType;
    const std::string& d = s.calcDistribution;
    const double Rc = mm(s.sizeMm);
    // Positions by distribution.
    const double dirAngle = s.orientation;
    auto position = [&](double& x, double& y) {
        if (d == "LINEAR") {
            double along = rng.uniform(-1, 1) * Rc, across = rng.normal() * mm(0.4);
            x = cx + along * std::cos(dirAngle) - across * std::sin(dirAngle);
            y = cy + along * std::sin(dirAngle) + across * std::cos(dirAngle);
        } else if (d == "SEGMENTAL") {
            double along = rng.uniform(-1, 1) * Rc;
            double width = (along + Rc) / (2 * Rc) * Rc * 0.6; // wedge widening away from the apex
            double across = rng.uniform(-1, 1) * width;
            x = cx + along * std::cos(dirAngle) - across * std::sin(dirAngle);
            y = cy + along * std::sin(dirAngle) + across * std::cos(dirAngle);
        } else { // CLUSTERED, REGIONAL, DIFFUSELY_SCATTERED: a disc
            double r = Rc * std::sqrt(rng.uniform()), a = rng.uniform(0, 2 * M_PI);
            if (d == "CLUSTERED")
                r = std::min(Rc, std::fabs(rng.normal()) * Rc * 0.5);
            x = cx + r * std::cos(a);
            y = cy + r * std::sin(a);
        }
    };
    std::vector<Speck> specks;
    auto solid = [&](int n, double dMin, double dMax, double iMin, double iMax, double aspectMin) {
        for (int i = 0; i < n; ++i) {
            Speck sp {};
            position(sp.x, sp.y);
            double dia = mm(rng.uniform(dMin, dMax));
            sp.rx = std::max(0.45, dia / 2);
            sp.ry = std::max(0.45, sp.rx * rng.uniform(aspectMin, 1.0));
            sp.angle = rng.uniform(0, M_PI);
            sp.intensity = rng.uniform(iMin, iMax);
            specks.push_back(sp);
        }
    };
    if (t == "PUNCTATE") {
        solid(rng.uniformInt(6, 15), 0.25, 0.5, 0.45, 0.6, 0.85);
    } else if (t == "AMORPHOUS") {
        solid(rng.uniformInt(15, 35), 0.15, 0.35, 0.18, 0.28, 0.7);
    } else if (t == "PLEOMORPHIC") {
        solid(rng.uniformInt(10, 25), 0.2, 1.1, 0.35, 0.7, 0.35);
    } else if (t == "FINE_LINEAR_BRANCHING") {
        int ducts = rng.uniformInt(2, 4);
        for (int dct = 0; dct < ducts; ++dct) {
            double x, y;
            position(x, y);
            double ang = dirAngle + rng.normal(0, 0.5);
            int segs = rng.uniformInt(4, 9);
            for (int k = 0; k < segs; ++k) {
                double len = mm(rng.uniform(0.6, 1.6));
                Speck sp {};
                sp.x = x + std::cos(ang) * len / 2;
                sp.y = y + std::sin(ang) * len / 2;
                sp.rx = std::max(0.9, len / 2);
                sp.ry = std::max(0.45, mm(rng.uniform(0.12, 0.25)));
                sp.angle = ang;
                sp.intensity = rng.uniform(0.4, 0.65);
                specks.push_back(sp);
                x += std::cos(ang) * len * 1.15;
                y += std::sin(ang) * len * 1.15;
                ang += rng.normal(0, 0.35);
                if (rng.chance(0.3)) { // a branch
                    Speck b = sp;
                    b.angle = ang + (rng.chance(0.5) ? 0.7 : -0.7);
                    b.x = x + std::cos(b.angle) * len / 2;
                    b.y = y + std::sin(b.angle) * len / 2;
                    specks.push_back(b);
                }
            }
        }
    } else if (t == "LUCENT_CENTER" || t == "LUCENT_CENTERED") {
        int n = rng.uniformInt(3, 8);
        solid(n, 1.0, 2.2, 0.45, 0.6, 0.8);
        for (auto& sp : specks)
            sp.ring = 0.55;
    } else if (t == "EGGSHELL") {
        solid(rng.uniformInt(1, 3), 2.5, 4.5, 0.45, 0.55, 0.85);
        for (auto& sp : specks)
            sp.ring = 0.8;
    } else if (t == "COARSE" || t == "DYSTROPHIC") {
        int n = rng.uniformInt(1, 4);
        for (int i = 0; i < n; ++i) { // popcorn: several overlapping blobs
            double x, y;
            position(x, y);
            int blobs = rng.uniformInt(3, 6);
            for (int b = 0; b < blobs; ++b) {
                Speck sp {};
                sp.x = x + rng.normal() * mm(0.6);
                sp.y = y + rng.normal() * mm(0.6);
                sp.rx = std::max(0.6, mm(rng.uniform(0.5, 1.1)));
                sp.ry = std::max(0.6, sp.rx * rng.uniform(0.6, 1.0));
                sp.angle = rng.uniform(0, M_PI);
                sp.intensity = rng.uniform(0.5, 0.7);
                specks.push_back(sp);
            }
        }
    } else if (t == "LARGE_RODLIKE") {
        solid(rng.uniformInt(2, 6), 3.0, 7.0, 0.5, 0.7, 0.12);
        for (auto& sp : specks)
            sp.angle = dirAngle + rng.normal(0, 0.15);
    } else if (t == "VASCULAR") {
        double ang = dirAngle, x = cx - std::cos(ang) * Rc, y = cy - std::sin(ang) * Rc;
        const double gap = mm(rng.uniform(0.8, 1.4));
        int steps = int(2 * Rc / std::max(1.0, mm(0.6)));
        for (int k = 0; k < steps; ++k) {
            for (int side = -1; side <= 1; side += 2)
                if (rng.chance(0.7)) {
                    Speck sp {};
                    sp.x = x - std::sin(ang) * gap * side * 0.5;
                    sp.y = y + std::cos(ang) * gap * side * 0.5;
                    sp.rx = std::max(0.6, mm(rng.uniform(0.3, 0.7)));
                    sp.ry = std::max(0.45, mm(0.15));
                    sp.angle = ang;
                    sp.intensity = rng.uniform(0.35, 0.55);
                    specks.push_back(sp);
                }
            x += std::cos(ang) * mm(0.6);
            y += std::sin(ang) * mm(0.6);
            ang += rng.normal(0, 0.05);
        }
    } else { // ROUND_AND_REGULAR, MILK_OF_CALCIUM, SKIN, others
        solid(rng.uniformInt(4, 12), 0.5, 1.0, 0.5, 0.65, 0.85);
    }
    if (draw)
        for (auto sp : specks) {
            sp.intensity *= contrast;
            drawSpeck(c, sp);
        }
    // ROI: the convex hull of the specks, grown by a margin, as CBIS-DDSM outlines a cluster.
    std::vector<std::pair<double, double>> pts;
    for (const auto& sp : specks)
        pts.emplace_back(sp.x, sp.y);
    auto h = hull(pts);
    const double margin = mm(1.5) + 2;
    double mx = 0, my = 0;
    for (const auto& p : h) {
        mx += p.first;
        my += p.second;
    }
    if (h.size() < 3) {
        double r = margin + (specks.empty() ? 2 : std::max(specks[0].rx, specks[0].ry));
        double ex = h.empty() ? cx : mx / double(h.size()), ey = h.empty() ? cy : my / double(h.size());
        double spread = h.size() == 2 ? std::hypot(h[0].first - h[1].first, h[0].second - h[1].second) / 2 : 0;
        return RleMask::ellipse(c.w, c.h, ex, ey, r + spread, r + spread);
    }
    mx /= double(h.size());
    my /= double(h.size());
    std::vector<std::pair<double, double>> grown;
    for (const auto& p : h) {
        double dx = p.first - mx, dy = p.second - my, len = std::max(1e-6, std::hypot(dx, dy));
        grown.emplace_back(p.first + dx / len * margin, p.second + dy / len * margin);
    }
    return RleMask::polygon(c.w, c.h, grown);
}

} // namespace ms::synth::detail

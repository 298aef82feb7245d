// SPDX-License-Identifier: GPL-3.0-or-later
// A deterministic random source: the same seed gives the same numbers on every platform and standard library
// (std:: distributions are implementation-defined, so they are not used).
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace ms::synth
{

inline uint64_t splitmix64(uint64_t& x)
{
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

inline uint64_t hashMix(std::initializer_list<uint64_t> parts)
{
    uint64_t h = 0x243F6A8885A308D3ull;
    for (uint64_t p : parts) {
        h ^= p + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
        splitmix64(h);
    }
    uint64_t s = h;
    return splitmix64(s);
}

class Rng
{
public:
    explicit Rng(uint64_t seed) : m_state(seed) { }
    uint64_t next() { return splitmix64(m_state); }
    double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); } // [0,1)
    double uniform(double a, double b) { return a + (b - a) * uniform(); }
    int uniformInt(int a, int b) { return a + int(next() % uint64_t(b - a + 1)); } // [a,b]
    bool chance(double p) { return uniform() < p; }
    double normal()
    {
        if (m_haveSpare) {
            m_haveSpare = false;
            return m_spare;
        }
        double u1 = 0;
        while (u1 <= 1e-300)
            u1 = uniform();
        double u2 = uniform();
        double r = std::sqrt(-2.0 * std::log(u1));
        m_spare = r * std::sin(6.283185307179586 * u2);
        m_haveSpare = true;
        return r * std::cos(6.283185307179586 * u2);
    }
    double normal(double mean, double sd) { return mean + sd * normal(); }
    // Index drawn with the given (unnormalised) weights.
    size_t pick(const std::vector<double>& weights)
    {
        double total = 0;
        for (double w : weights)
            total += w;
        double u = uniform() * total;
        for (size_t i = 0; i < weights.size(); ++i) {
            if (u < weights[i])
                return i;
            u -= weights[i];
        }
        return weights.size() - 1;
    }

private:
    uint64_t m_state;
    double m_spare = 0;
    bool m_haveSpare = false;
};

} // namespace ms::synth

// SPDX-License-Identifier: GPL-3.0-or-later
// A standalone driver for the libFuzzer targets in this folder (LLVMFuzzerTestOneInput), for builds without libFuzzer
// (GCC, CI): replays every corpus file given, then runs --runs inputs mutated from them (bit flips, interesting bytes,
// cut, duplicated and inserted chunks), deterministic for a --seed. A crash, an abort or a sanitizer report fails it;
// a hang shows as the test's timeout. With clang, configure -DMS_LIBFUZZER=ON to link the same targets to libFuzzer.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace
{

std::vector<uint8_t> readAll(const std::filesystem::path& p, size_t maxLen)
{
    std::ifstream f(p, std::ios::binary);
    std::vector<uint8_t> v((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (v.size() > maxLen)
        v.resize(maxLen);
    return v;
}

void mutate(std::vector<uint8_t>& v, std::mt19937_64& rng, size_t maxLen)
{
    static const uint8_t interesting[] = { 0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x10, 0x20, 0x40 };
    const int edits = 1 + int(rng() % 8);
    for (int e = 0; e < edits; ++e) {
        const size_t n = v.size();
        switch (rng() % 7) {
        case 0: // flip a bit
            if (n)
                v[rng() % n] ^= uint8_t(1u << (rng() % 8));
            break;
        case 1: // an interesting byte
            if (n)
                v[rng() % n] = interesting[rng() % sizeof interesting];
            break;
        case 2: // a random 32-bit value (lengths, offsets, counts)
            if (n >= 4) {
                const uint32_t x = rng() % 4 == 0 ? 0xffffffffu : uint32_t(rng());
                std::memcpy(v.data() + rng() % (n - 3), &x, 4);
            }
            break;
        case 3: // cut the tail
            if (n)
                v.resize(rng() % n);
            break;
        case 4: // delete a chunk
            if (n > 1) {
                const size_t a = rng() % n, len = 1 + rng() % std::min<size_t>(64, n - a);
                v.erase(v.begin() + long(a), v.begin() + long(a + len));
            }
            break;
        case 5: // duplicate a chunk
            if (n && n < maxLen) {
                const size_t a = rng() % n, len = 1 + rng() % std::min<size_t>(256, n - a);
                std::vector<uint8_t> c(v.begin() + long(a), v.begin() + long(a + len));
                v.insert(v.begin() + long(rng() % (n + 1)), c.begin(), c.end());
            }
            break;
        default: // insert random bytes
            if (n < maxLen) {
                std::vector<uint8_t> c(1 + rng() % 16);
                for (auto& b : c)
                    b = uint8_t(rng());
                v.insert(v.begin() + long(n ? rng() % (n + 1) : 0), c.begin(), c.end());
            }
        }
    }
    if (v.size() > maxLen)
        v.resize(maxLen);
}

} // namespace

int main(int argc, char** argv)
{
    long runs = 1000;
    unsigned long long seed = 1;
    size_t maxLen = 1 << 20;
    std::vector<std::filesystem::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--runs" && i + 1 < argc)
            runs = std::atol(argv[++i]);
        else if (a == "--seed" && i + 1 < argc)
            seed = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--max-len" && i + 1 < argc)
            maxLen = size_t(std::atol(argv[++i]));
        else if (std::filesystem::is_directory(a)) {
            for (const auto& e : std::filesystem::recursive_directory_iterator(a))
                if (e.is_regular_file())
                    inputs.push_back(e.path());
        } else if (std::filesystem::is_regular_file(a))
            inputs.push_back(a);
        else if (a.rfind("--", 0) == 0) {
            std::fprintf(stderr, "usage: %s [--runs N] [--seed S] [--max-len BYTES] CORPUS_FILE_OR_DIR...\n", argv[0]);
            return 2;
        } else // a corpus that is not here (../shared/realdata on a machine without it): the mutations run on the rest
            std::fprintf(stderr, "%s: no such corpus file or folder, left out\n", a.c_str());
    }
    std::sort(inputs.begin(), inputs.end());
    std::vector<std::vector<uint8_t>> corpus;
    for (const auto& p : inputs) {
        corpus.push_back(readAll(p, maxLen));
        LLVMFuzzerTestOneInput(corpus.back().data(), corpus.back().size());
    }
    if (corpus.empty())
        corpus.emplace_back();
    std::mt19937_64 rng(seed);
    const auto t0 = std::chrono::steady_clock::now();
    for (long r = 0; r < runs; ++r) {
        std::vector<uint8_t> v = corpus[rng() % corpus.size()];
        mutate(v, rng, maxLen);
        LLVMFuzzerTestOneInput(v.data(), v.size());
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%zu corpus inputs and %ld mutated ones (seed %llu) ran without a crash in %.1f s\n", inputs.size(), runs, seed, s);
    return 0;
}

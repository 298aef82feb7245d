// SPDX-License-Identifier: GPL-3.0-or-later
// For targets whose parser reads files: the input written to one temporary file per process.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace ms::fuzz
{

struct Scratch {
    std::filesystem::path dir;
    Scratch() : dir(std::filesystem::temp_directory_path() / ("ms-fuzz-" + std::to_string(getpid())))
    {
        std::filesystem::create_directories(dir);
    }
    ~Scratch()
    {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

inline std::filesystem::path scratchDir()
{
    static const Scratch s;
    return s.dir;
}

inline std::filesystem::path writeInput(const std::string& name, const uint8_t* data, size_t size)
{
    const auto p = scratchDir() / name;
    if (FILE* f = std::fopen(p.c_str(), "wb")) {
        if (size)
            std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    return p;
}

} // namespace ms::fuzz

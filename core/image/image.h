// SPDX-License-Identifier: GPL-3.0-or-later
// The 16-bit grayscale image every part of MammoScope speaks: stored values plus what is needed to display
// and measure them (spacing, photometric interpretation, modality rescale, the file's window presets and VOI LUTs).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ms
{

enum class Photometric { Monochrome2, Monochrome1 };

struct WindowPreset {
    double center = 0; // in modality units (after rescale)
    double width = 0;
    std::string name; // "File 1", or the DICOM Window Center & Width Explanation
};

struct VoiLut {
    int firstMapped = 0; // first input value mapped (modality units)
    int bits = 16; // bits of each LUT entry
    std::vector<uint16_t> data; // output values
    std::string explanation;
};

struct Image16 {
    int width = 0;
    int height = 0;
    std::vector<uint16_t> pixels; // row-major stored values, width*height

    double spacingX = 0; // mm per pixel along a row, 0 = unknown
    double spacingY = 0; // mm per pixel along a column
    Photometric photometric = Photometric::Monochrome2;
    int bitsStored = 16;
    // modality value = stored * slope + intercept (signed data is stored with an offset folded into intercept)
    double slope = 1.0;
    double intercept = 0.0;
    std::vector<WindowPreset> windows;
    std::vector<VoiLut> voiLuts;

    Image16() = default;
    Image16(int w, int h, uint16_t fill = 0) : width(w), height(h), pixels(size_t(w) * size_t(h), fill) { }

    bool empty() const { return width <= 0 || height <= 0; }
    size_t size() const { return size_t(width) * size_t(height); }
    uint16_t at(int x, int y) const { return pixels[size_t(y) * size_t(width) + size_t(x)]; }
    uint16_t& at(int x, int y) { return pixels[size_t(y) * size_t(width) + size_t(x)]; }
    double modality(uint16_t stored) const { return stored * slope + intercept; }
    uint16_t maxStoredValue() const { return uint16_t(bitsStored >= 16 ? 65535 : (1 << bitsStored) - 1); }

    // Copies the metadata (spacing, photometric, rescale, presets) but not the pixels.
    Image16 withSameMetadata(int w, int h) const;
    // Crop to [x, x+w) x [y, y+h), clamped to the image.
    Image16 crop(int x, int y, int w, int h) const;
    void flipHorizontal();
    uint16_t minValue() const;
    uint16_t maxValue() const;
};

using ImagePtr = std::shared_ptr<const Image16>;

// 8-bit grayscale, the display side of the pipeline.
struct Gray8 {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> pixels;
    Gray8() = default;
    Gray8(int w, int h, uint8_t fill = 0) : width(w), height(h), pixels(size_t(w) * size_t(h), fill) { }
    uint8_t at(int x, int y) const { return pixels[size_t(y) * size_t(width) + size_t(x)]; }
    uint8_t& at(int x, int y) { return pixels[size_t(y) * size_t(width) + size_t(x)]; }
    bool empty() const { return width <= 0 || height <= 0; }
};

} // namespace ms

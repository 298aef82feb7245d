// SPDX-License-Identifier: GPL-3.0-or-later
// Reading and writing ordinary image files. 8-bit files become Image16 with bitsStored 8; 16-bit PNG/TIFF keep
// their values. Colour files are converted to gray (luminance).
#pragma once

#include "core/common/result.h"
#include "core/image/image.h"

#include <filesystem>
#include <string>

namespace ms::imageio
{

bool isImageFileName(const std::filesystem::path& p); // .png .jpg .jpeg .pgm .pnm .tif .tiff .bmp
Result<Image16> read(const std::filesystem::path& path);
// Reads only the size (width, height) without decoding where the format allows; decodes otherwise.
Result<std::pair<int, int>> readSize(const std::filesystem::path& path);

Status writePng(const std::filesystem::path& path, const Gray8& img);
Status writePng16(const std::filesystem::path& path, const Image16& img);
// RGB, row-major interleaved, 3 bytes a pixel.
Status writePngRgb(const std::filesystem::path& path, int w, int h, const std::vector<uint8_t>& rgb);
Status writeJpeg(const std::filesystem::path& path, const Gray8& img, int quality = 95);

// Outer contours of the set pixels of a mask (OpenCV's border following), as polygons in pixel coordinates.
using Polygon = std::vector<std::pair<int, int>>;
std::vector<Polygon> contours(const Gray8& mask);
// Connected regions of a binary mask, largest first: bounding box and area (8-connectivity).
struct Region {
    int x = 0, y = 0, w = 0, h = 0;
    long area = 0;
};
std::vector<Region> connectedRegions(const Gray8& mask);

} // namespace ms::imageio

// SPDX-License-Identifier: GPL-3.0-or-later
// A fast decoder for lossless JPEG (ITU T.81 process 14, Huffman, one component): the transfer syntax
// mammography archives use most. Table-driven Huffman decoding straight into the caller's 16-bit buffer.
// Anything it does not handle (several components, hierarchical or arithmetic coding) returns an error and
// the caller falls back to DCMTK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ms::dicom
{

struct JpegLosslessInfo {
    int width = 0, height = 0, precision = 0, predictor = 0, pointTransform = 0;
};

// Decodes one frame. `out` must hold width*height values. Returns an empty string on success, else the reason.
std::string decodeJpegLossless(const uint8_t* data, size_t size, uint16_t* out, size_t outCount, JpegLosslessInfo* info = nullptr);

} // namespace ms::dicom

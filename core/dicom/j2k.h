// SPDX-License-Identifier: GPL-3.0-or-later
// JPEG 2000 (DICOM transfer syntaxes 1.2.840.10008.1.2.4.90 and .91, lossless and lossy) through OpenJPEG, as GDCM
// does: DCMTK 3.6.7 has no JPEG 2000 decoder. One grayscale frame, checked against the DICOM header before anything
// of the image's size is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ms::dicom
{

struct Jpeg2000Info {
    int width = 0, height = 0, components = 0, precision = 0;
    bool isSigned = false, jp2 = false; // jp2: the codestream came wrapped in a JP2 file (some writers do that)
};

// Decodes one frame (a J2K codestream or a JP2 file) into `out`: width*height values of `bytesPerSample` (1 or 2)
// bytes, each the sample as stored (signed samples in two's complement). The codestream must say width x height,
// one component and a precision of at most 8*bytesPerSample bits. Returns an empty string on success, else the reason.
std::string decodeJpeg2000(
    const uint8_t* data, size_t size, int width, int height, int bytesPerSample, void* out, Jpeg2000Info* info = nullptr);

// Encodes one grayscale frame (`precision` bits, unsigned, 8 or 16 bits per sample as given) as a J2K codestream:
// reversible 5/3 wavelet when `lossless`, else the irreversible 9/7 at about `ratio`:1. Returns an empty string on success.
std::string encodeJpeg2000(
    const uint16_t* pixels, int width, int height, int precision, bool lossless, float ratio, std::vector<uint8_t>& out);

} // namespace ms::dicom

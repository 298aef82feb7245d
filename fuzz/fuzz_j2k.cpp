// SPDX-License-Identifier: GPL-3.0-or-later
// JPEG 2000 through OpenJPEG (DICOM transfer syntaxes 1.2.840.10008.1.2.4.90 / .91): the decoder as the DICOM reader
// calls it, for the corpus's 64x48 frames (and one 8-bit reading of them); other sizes stop at the header check.
#include "core/dicom/j2k.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static std::vector<uint16_t> out(64 * 48);
    ms::dicom::Jpeg2000Info info;
    (void)ms::dicom::decodeJpeg2000(data, size, 64, 48, 2, out.data(), &info);
    (void)ms::dicom::decodeJpeg2000(data, size, 64, 48, 1, out.data(), &info);
    return 0;
}

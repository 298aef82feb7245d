// SPDX-License-Identifier: GPL-3.0-or-later
// Our lossless-JPEG decoder (DICOM transfer syntaxes 1.2.840.10008.1.2.4.57 / .70): frames up to 512x512 pixels are
// decoded in full (the corpus's are 256x1024 and 512x512), larger ones stop at the size check.
#include "core/dicom/jpegll.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static std::vector<uint16_t> out(512 * 512);
    ms::dicom::JpegLosslessInfo info;
    (void)ms::dicom::decodeJpegLossless(data, size, out.data(), out.size(), &info);
    return 0;
}

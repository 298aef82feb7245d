// SPDX-License-Identifier: GPL-3.0-or-later
// DICOM files through our reader (DCMTK underneath, with our checks before it).
#include "common.h"
#include "core/dicom/dicom.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto p = ms::fuzz::writeInput("input.dcm", data, size);
    (void)ms::dicom::readHeader(p);
    (void)ms::dicom::read(p);
    return 0;
}

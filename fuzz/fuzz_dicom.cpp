// SPDX-License-Identifier: GPL-3.0-or-later
// DICOM files through our readers (DCMTK underneath, with our checks before it): images, segmentations and structured
// reports, and through de-identification (read, rewritten, read again).
#include "common.h"
#include "core/dicom/deid.h"
#include "core/dicom/dicom.h"
#include "core/dicom/objects.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto p = ms::fuzz::writeInput("input.dcm", data, size);
    (void)ms::dicom::readHeader(p);
    (void)ms::dicom::read(p);
    (void)ms::dicom::readSegmentation(p); // SEGs found beside images or retrieved from a PACS
    (void)ms::dicom::readFindingsSr(p); // SRs found beside images: their findings become CAD marks
    // de-identification walks every element (sequences, dates, UIDs) and writes the object again
    static const ms::dicom::DeidOptions deid { "fuzzing key, long enough", {} };
    const auto out = p.parent_path() / "deid-output.dcm";
    if (ms::dicom::deidentifyFile(p, out, deid))
        (void)ms::dicom::readHeader(out);
    return 0;
}

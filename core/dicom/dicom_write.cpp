// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dicom/dicom.h"

#include "core/dicom/dicom_common.h"
#include "core/dicom/j2k.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrlerp.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmjpeg/djrplol.h>

#include <algorithm>
#include <cstdio>

namespace fs = std::filesystem;

namespace ms::dicom
{

std::string uidFromHash(uint64_t hi, uint64_t lo)
{
    __extension__ typedef unsigned __int128 u128;
    u128 v = (u128(hi) << 64) | lo;
    if (v == 0)
        return "2.25.0";
    std::string digits;
    while (v) {
        digits.push_back(char('0' + int(v % 10)));
        v /= 10;
    }
    std::reverse(digits.begin(), digits.end());
    return "2.25." + digits;
}

Status write(const fs::path& path, const Image16& img, const WriteInfo& info, Compression compression)
{
    detail::ensureCodecs();
    if (img.empty())
        return Error("cannot write an empty image", path.string());
    if (img.width > 65535 || img.height > 65535)
        return Error("image too large for DICOM (" + std::to_string(img.width) + "x" + std::to_string(img.height) + ")", path.string());
    DcmFileFormat ff;
    DcmDataset* ds = ff.getDataset();
    const bool eight = img.bitsStored <= 8;
    auto put = [&](const DcmTagKey& k, const std::string& v) { ds->putAndInsertString(k, v.c_str()); };
    put(DCM_SpecificCharacterSet, "ISO_IR 100");
    put(DCM_SOPClassUID, info.sopClassUid);
    put(DCM_SOPInstanceUID, info.sopInstanceUid);
    put(DCM_StudyDate, info.studyDate);
    put(DCM_ContentDate, info.studyDate);
    put(DCM_StudyTime, info.studyTime);
    put(DCM_ContentTime, info.studyTime);
    put(DCM_AccessionNumber, "");
    put(DCM_Modality, info.modality);
    put(DCM_ConversionType, "WSD");
    put(DCM_Manufacturer, info.manufacturer);
    put(DCM_SecondaryCaptureDeviceManufacturer, info.manufacturer);
    put(DCM_ReferringPhysicianName, "");
    put(DCM_SeriesDescription, info.seriesDescription);
    put(DCM_PatientName, info.patientName);
    put(DCM_PatientID, info.patientId);
    put(DCM_PatientBirthDate, "");
    put(DCM_PatientSex, "F");
    put(DCM_BodyPartExamined, info.bodyPart);
    if (!info.view.empty()) {
        put(DCM_ViewPosition, info.view);
        put(DCM_PatientOrientation, info.view);
    }
    put(DCM_StudyInstanceUID, info.studyUid);
    put(DCM_SeriesInstanceUID, info.seriesUid);
    put(DCM_StudyID, "DDSM");
    put(DCM_SeriesNumber, std::to_string(info.seriesNumber));
    put(DCM_InstanceNumber, std::to_string(info.instanceNumber));
    if (!info.laterality.empty()) {
        put(DCM_Laterality, info.laterality);
        put(DCM_ImageLaterality, info.laterality);
    }
    ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
    put(DCM_PhotometricInterpretation, img.photometric == Photometric::Monochrome1 ? "MONOCHROME1" : "MONOCHROME2");
    ds->putAndInsertUint16(DCM_Rows, Uint16(img.height));
    ds->putAndInsertUint16(DCM_Columns, Uint16(img.width));
    if (img.spacingX > 0 && img.spacingY > 0) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6g\\%.6g", img.spacingY, img.spacingX);
        put(DCM_PixelSpacing, buf);
    }
    const int bs = std::clamp(img.bitsStored, 1, eight ? 8 : 16);
    ds->putAndInsertUint16(DCM_BitsAllocated, eight ? 8 : 16);
    ds->putAndInsertUint16(DCM_BitsStored, Uint16(bs));
    ds->putAndInsertUint16(DCM_HighBit, Uint16(bs - 1));
    ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
    if (img.slope != 1.0 || img.intercept != 0.0) {
        put(DCM_RescaleSlope, std::to_string(img.slope));
        put(DCM_RescaleIntercept, std::to_string(img.intercept));
    }
    if (!img.windows.empty()) {
        std::string c, w;
        for (size_t i = 0; i < img.windows.size(); ++i) {
            char b1[32], b2[32];
            std::snprintf(b1, sizeof b1, "%.6g", img.windows[i].center);
            std::snprintf(b2, sizeof b2, "%.6g", img.windows[i].width);
            c += (i ? "\\" : "") + std::string(b1);
            w += (i ? "\\" : "") + std::string(b2);
        }
        put(DCM_WindowCenter, c);
        put(DCM_WindowWidth, w);
    }
    OFCondition st;
    if (eight) {
        std::vector<Uint8> px(img.size());
        for (size_t i = 0; i < px.size(); ++i)
            px[i] = Uint8(std::min<uint16_t>(img.pixels[i], 255));
        st = ds->putAndInsertUint8Array(DCM_PixelData, px.data(), px.size());
    } else {
        st = ds->putAndInsertUint16Array(DCM_PixelData, img.pixels.data(), img.size());
    }
    if (st.bad())
        return Error(std::string("cannot store pixel data: ") + st.text(), path.string());

    E_TransferSyntax xfer = EXS_LittleEndianExplicit;
    if (compression == Compression::JpegLossless) {
        DJ_RPLossless params(1, 0);
        xfer = EXS_JPEGProcess14SV1;
        st = ds->chooseRepresentation(xfer, &params);
    } else if (compression == Compression::Rle) {
        DcmRLERepresentationParameter params;
        xfer = EXS_RLELossless;
        st = ds->chooseRepresentation(xfer, &params);
    } else if (compression == Compression::Jpeg2000Lossless || compression == Compression::Jpeg2000) {
        // DCMTK has no JPEG 2000 codec: OpenJPEG encodes, the codestream goes in as one fragment after an empty offset table.
        const bool lossless = compression == Compression::Jpeg2000Lossless;
        xfer = lossless ? EXS_JPEG2000LosslessOnly : EXS_JPEG2000;
        std::vector<uint8_t> code;
        if (const std::string why = encodeJpeg2000(
                img.pixels.data(), img.width, img.height, eight ? 8 : std::clamp(img.bitsStored, 9, 16), lossless, 10.0f, code);
            !why.empty())
            return Error("cannot encode pixel data: " + why, path.string());
        if (code.size() & 1)
            code.push_back(0); // fragments have an even length
        auto* seq = new DcmPixelSequence(DCM_PixelSequenceTag);
        seq->insert(new DcmPixelItem(DCM_PixelItemTag)); // the (empty) basic offset table
        auto* item = new DcmPixelItem(DCM_PixelItemTag);
        item->putUint8Array(code.data(), Uint32(code.size()));
        seq->insert(item);
        auto* pd = new DcmPixelData(DCM_PixelData);
        pd->putOriginalRepresentation(xfer, nullptr, seq);
        st = ds->insert(pd, true);
        if (st.good() && !lossless) {
            put(DCM_LossyImageCompression, "01");
            put(DCM_LossyImageCompressionMethod, "ISO_15444_1");
        }
    }
    if (st.bad() || !ds->canWriteXfer(xfer))
        return Error(std::string("cannot encode pixel data: ") + (st.bad() ? st.text() : "no encoder"), path.string());

    std::error_code ec;
    if (path.has_parent_path())
        fs::create_directories(path.parent_path(), ec);
    st = ff.saveFile(path.c_str(), xfer);
    if (st.bad())
        return Error(std::string("cannot write DICOM file: ") + st.text(), path.string());
    return {};
}

} // namespace ms::dicom

// SPDX-License-Identifier: GPL-3.0-or-later
// DICOM reading and writing (DCMTK behind this header). Reads 8/16-bit grayscale images in every transfer
// syntax DCMTK decodes (uncompressed little/big endian, deflate, RLE, JPEG baseline/extended/lossless, JPEG-LS),
// MONOCHROME1/2, signed or unsigned, with rescale, Modality LUT, window presets and VOI LUTs. Multi-frame files
// give their first frame. JPEG 2000 is decoded with OpenJPEG (DCMTK has no decoder for it).
#pragma once

#include "core/common/result.h"
#include "core/image/image.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ms::dicom
{

struct Tag {
    std::string tag; // "(0028,0010)"
    std::string vr;
    std::string name; // DCMTK dictionary name, "Rows"
    std::string value; // rendered, shortened to 256 characters
    int depth = 0; // nesting inside sequences
    bool identifying = false; // patient name, birth date, ... hidden by default in the GUI
};

struct Header {
    std::string sopClassUid, sopInstanceUid, studyUid, seriesUid;
    std::string patientId, patientName, studyDate, modality, seriesDescription, bodyPart;
    std::string laterality; // "L" / "R" / "" from ImageLaterality, Laterality, or BodyPartExamined
    std::string view; // "CC", "MLO", ... from ViewPosition or PatientOrientation (CBIS-DDSM keeps it there)
    std::string transferSyntaxUid, transferSyntaxName;
    std::string photometric; // as written
    std::string presentationIntent;
    int rows = 0, columns = 0, frames = 1, bitsAllocated = 0, bitsStored = 0, highBit = 0, pixelRepresentation = 0;
    int samplesPerPixel = 1;
    double spacingX = 0, spacingY = 0;
    std::vector<WindowPreset> windows;
    bool hasPixelData = false;
    bool encapsulated = false;
};

struct File {
    Header header;
    std::string decoder; // which decoder produced the pixels: "native", "builtin-jpeg-lossless", "openjpeg", "dcmtk"

    Image16 image; // first frame
    std::vector<Tag> tags;
};

struct ReadOptions {
    bool wantTags = false; // fill File::tags
    bool builtinJpegLossless = true; // decode lossless JPEG (process 14) with our decoder; false: always DCMTK
};

// Decodes the first frame. Errors name the file and the problem (tag, transfer syntax, length).
Result<File> read(const std::filesystem::path& path, const ReadOptions& opt = {});
// Parses only the header (stops before Pixel Data): fast, for indexing.
Result<Header> readHeader(const std::filesystem::path& path);
// The transfer syntaxes this build decodes, for the README and --help.
std::vector<std::string> supportedTransferSyntaxes();

// Jpeg2000: lossy (irreversible 9/7, about 10:1), marked as lossy in the header.
enum class Compression { None, JpegLossless, Rle, Jpeg2000Lossless, Jpeg2000 };

struct WriteInfo {
    std::string patientId, patientName, studyUid, seriesUid, sopInstanceUid;
    std::string studyDate = "20160720", studyTime = "000000", seriesDescription;
    int seriesNumber = 1, instanceNumber = 1;
    std::string laterality; // "L" / "R"
    std::string view; // "CC" / "MLO", written to PatientOrientation as CBIS-DDSM does and to ViewPosition
    std::string modality = "MG";
    std::string sopClassUid = "1.2.840.10008.5.1.4.1.1.7"; // Secondary Capture, as in CBIS-DDSM
    std::string manufacturer = "MammoScope synthetic phantom";
    std::string bodyPart = "BREAST";
};

// Writes a 16-bit (or, when img.bitsStored <= 8, 8-bit) MONOCHROME2 image.
Status write(const std::filesystem::path& path, const Image16& img, const WriteInfo& info, Compression compression = Compression::None);

// A DICOM UID under the 2.25 (UUID-derived) root from 128 bits of a caller-chosen hash: deterministic.
std::string uidFromHash(uint64_t hi, uint64_t lo);

} // namespace ms::dicom

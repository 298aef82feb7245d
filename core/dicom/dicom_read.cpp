// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dicom/dicom.h"

#include "core/common/strings.h"
#include "core/dicom/dicom_common.h"
#include "core/dicom/j2k.h"
#include "core/dicom/jpegll.h"
#include "core/dicom/nesting.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

namespace fs = std::filesystem;

namespace ms::dicom
{

namespace
{

std::string getString(DcmItem* item, const DcmTagKey& key, int pos = -1)
{
    OFString s;
    OFCondition c = pos < 0 ? item->findAndGetOFStringArray(key, s) : item->findAndGetOFString(key, s, unsigned(pos));
    if (c.bad())
        return {};
    return std::string(trim(s.c_str()));
}

std::vector<double> getDoubles(DcmItem* item, const DcmTagKey& key)
{
    std::vector<double> out;
    std::string all = getString(item, key);
    if (all.empty())
        return out;
    for (const auto& p : split(all, '\\'))
        if (auto d = parseDouble(p))
            out.push_back(*d);
    return out;
}

std::string tagText(const DcmTagKey& k)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "(%04x,%04x)", k.getGroup(), k.getElement());
    return buf;
}

bool isJpeg2000(E_TransferSyntax x)
{
    return x == EXS_JPEG2000LosslessOnly || x == EXS_JPEG2000 || x == EXS_JPEG2000MulticomponentLosslessOnly
        || x == EXS_JPEG2000Multicomponent;
}

// Integer attribute with a clear error when present but not a number (e.g. Number of Frames "1A").
Result<int> getInt(DcmItem* item, const DcmTagKey& key, int fallback, const std::string& file)
{
    DcmElement* e = nullptr;
    if (item->findAndGetElement(key, e).bad() || !e)
        return fallback;
    if (e->ident() == EVR_US) {
        Uint16 v = 0;
        if (e->getUint16(v).good())
            return int(v);
        return fallback;
    }
    if (e->ident() == EVR_SS) {
        Sint16 v = 0;
        if (e->getSint16(v).good())
            return int(v);
        return fallback;
    }
    OFString s;
    if (e->getOFString(s, 0).bad() || trim(s.c_str()).empty())
        return fallback;
    auto v = parseInt(s.c_str());
    if (!v)
        return Error(std::string(DcmTag(key).getTagName()) + " is '" + s.c_str() + "', not an integer", file, "tag " + tagText(key));
    return int(*v);
}

const std::set<std::pair<unsigned, unsigned>>& identifyingTags()
{
    static const std::set<std::pair<unsigned, unsigned>> s
        = { { 0x0010, 0x0010 }, { 0x0010, 0x0030 }, { 0x0010, 0x1000 }, { 0x0010, 0x1001 }, { 0x0010, 0x1040 }, { 0x0010, 0x2154 },
              { 0x0010, 0x1005 }, { 0x0010, 0x1060 }, { 0x0008, 0x0090 }, { 0x0008, 0x0080 }, { 0x0008, 0x0081 }, { 0x0008, 0x1050 },
              { 0x0008, 0x1070 }, { 0x0032, 0x1032 }, { 0x0010, 0x0032 }, { 0x0010, 0x2160 }, { 0x0008, 0x1048 }, { 0x0010, 0x21b0 } };
    return s;
}

void collectTags(DcmItem* item, int depth, std::vector<Tag>& out)
{
    for (unsigned long i = 0; i < item->card(); ++i) {
        DcmElement* e = item->getElement(i);
        if (!e)
            continue;
        Tag t;
        DcmTag tag = e->getTag();
        t.tag = tagText(tag.getXTag());
        t.vr = DcmVR(e->ident()).getVRName();
        t.name = tag.getTagName();
        t.depth = depth;
        t.identifying = identifyingTags().count({ tag.getGTag(), tag.getETag() }) > 0;
        if (e->ident() == EVR_SQ) {
            auto* sq = static_cast<DcmSequenceOfItems*>(e);
            t.value = "(sequence, " + std::to_string(sq->card()) + " item" + (sq->card() == 1 ? "" : "s") + ")";
            out.push_back(t);
            for (unsigned long k = 0; k < sq->card(); ++k)
                collectTags(sq->getItem(k), depth + 1, out);
            continue;
        }
        if (tag.getXTag() == DCM_PixelData || e->ident() == EVR_OB || e->ident() == EVR_OW || e->ident() == EVR_UN) {
            t.value = "(" + std::to_string(e->getLength()) + " bytes)";
        } else {
            OFString s;
            if (e->getOFStringArray(s).good())
                t.value = s.c_str();
            if (t.value.size() > 256)
                t.value = t.value.substr(0, 253) + "...";
        }
        out.push_back(std::move(t));
    }
}

std::string viewFrom(const std::string& s)
{
    std::string u = toUpper(trim(s));
    for (const char* v : { "MLO", "CC", "ML", "LM", "XCCL", "XCCM", "FB", "SIO", "LMO", "AT" })
        if (u == v)
            return v;
    return {};
}

Header parseHeader(DcmFileFormat& ff)
{
    DcmDataset* ds = ff.getDataset();
    DcmMetaInfo* meta = ff.getMetaInfo();
    Header h;
    h.sopClassUid = getString(ds, DCM_SOPClassUID);
    h.sopInstanceUid = getString(ds, DCM_SOPInstanceUID);
    h.studyUid = getString(ds, DCM_StudyInstanceUID);
    h.seriesUid = getString(ds, DCM_SeriesInstanceUID);
    h.patientId = getString(ds, DCM_PatientID);
    h.patientName = getString(ds, DCM_PatientName);
    h.studyDate = getString(ds, DCM_StudyDate);
    h.modality = getString(ds, DCM_Modality);
    h.seriesDescription = getString(ds, DCM_SeriesDescription);
    h.bodyPart = getString(ds, DCM_BodyPartExamined);
    h.photometric = getString(ds, DCM_PhotometricInterpretation);
    h.presentationIntent = getString(ds, DCM_PresentationIntentType);

    std::string lat = toUpper(getString(ds, DCM_ImageLaterality));
    if (lat.empty())
        lat = toUpper(getString(ds, DCM_Laterality));
    if (lat.empty()) {
        std::string bp = toUpper(h.bodyPart);
        if (bp.find("LEFT") != std::string::npos)
            lat = "L";
        else if (bp.find("RIGHT") != std::string::npos)
            lat = "R";
    }
    if (lat == "L" || lat == "R")
        h.laterality = lat;
    h.view = viewFrom(getString(ds, DCM_ViewPosition));
    if (h.view.empty())
        h.view = viewFrom(getString(ds, DCM_PatientOrientation));

    E_TransferSyntax x = ds->getOriginalXfer();
    OFString tsuid;
    if (meta && meta->findAndGetOFString(DCM_TransferSyntaxUID, tsuid).good() && !tsuid.empty())
        h.transferSyntaxUid = tsuid.c_str();
    DcmXfer xf(x);
    if (h.transferSyntaxUid.empty() && x != EXS_Unknown)
        h.transferSyntaxUid = xf.getXferID();
    h.transferSyntaxName = x != EXS_Unknown ? xf.getXferName() : "unknown";
    h.encapsulated = xf.isEncapsulated();

    Uint16 v = 0;
    if (ds->findAndGetUint16(DCM_Rows, v).good())
        h.rows = v;
    if (ds->findAndGetUint16(DCM_Columns, v).good())
        h.columns = v;
    if (ds->findAndGetUint16(DCM_BitsAllocated, v).good())
        h.bitsAllocated = v;
    if (ds->findAndGetUint16(DCM_BitsStored, v).good())
        h.bitsStored = v;
    if (ds->findAndGetUint16(DCM_HighBit, v).good())
        h.highBit = v;
    if (ds->findAndGetUint16(DCM_PixelRepresentation, v).good())
        h.pixelRepresentation = v;
    if (ds->findAndGetUint16(DCM_SamplesPerPixel, v).good())
        h.samplesPerPixel = v;
    if (h.bitsStored == 0)
        h.bitsStored = h.bitsAllocated;
    if (h.highBit == 0 && h.bitsStored > 0)
        h.highBit = h.bitsStored - 1;
    h.frames = 1;
    if (auto f = parseInt(getString(ds, DCM_NumberOfFrames)))
        h.frames = int(std::max<long long>(1, *f));

    auto ps = getDoubles(ds, DCM_PixelSpacing);
    if (ps.size() < 2)
        ps = getDoubles(ds, DCM_ImagerPixelSpacing);
    if (ps.size() >= 2 && ps[0] > 0 && ps[1] > 0) {
        h.spacingY = ps[0];
        h.spacingX = ps[1];
    }
    auto wc = getDoubles(ds, DCM_WindowCenter);
    auto ww = getDoubles(ds, DCM_WindowWidth);
    auto expl = split(getString(ds, DCM_WindowCenterWidthExplanation), '\\');
    for (size_t i = 0; i < std::min(wc.size(), ww.size()); ++i) {
        if (ww[i] < 1)
            continue;
        WindowPreset p { wc[i], ww[i], {} };
        p.name = i < expl.size() && !trim(expl[i]).empty() ? std::string(trim(expl[i])) : "File window " + std::to_string(i + 1);
        h.windows.push_back(p);
    }
    h.hasPixelData = ds->tagExists(DCM_PixelData);
    return h;
}

Error fileError(const fs::path& p, const std::string& msg, const std::string& where = {})
{
    return Error(msg, p.string(), where);
}

Result<std::vector<uint16_t>> lutData(DcmItem* item, int entries, const fs::path& path, const char* what)
{
    DcmElement* e = nullptr;
    if (item->findAndGetElement(DCM_LUTData, e).bad() || !e)
        return fileError(path, std::string(what) + " has no LUT Data", "tag (0028,3006)");
    std::vector<uint16_t> data;
    Uint16* w = nullptr;
    Uint8* b = nullptr;
    unsigned long n = e->getLength();
    if (e->ident() == EVR_OW || e->ident() == EVR_US || e->ident() == EVR_xs || e->ident() == EVR_lt) {
        if (e->getUint16Array(w).good() && w)
            data.assign(w, w + n / 2);
    } else if (e->getUint8Array(b).good() && b) {
        data.assign(b, b + n);
    }
    if (int(data.size()) < entries)
        return fileError(path,
            std::string(what) + " has " + std::to_string(data.size()) + " entries, its descriptor says " + std::to_string(entries),
            "tag (0028,3006)");
    data.resize(size_t(entries));
    return data;
}

// LUT Descriptor: entries (0 = 65536), first mapped (may be signed), bits.
bool lutDescriptor(DcmItem* item, int& entries, int& first, int& bits, bool signedFirst)
{
    // The descriptor is US or SS (the VR follows the pixel representation); read the raw 16-bit words either way.
    DcmElement* e = nullptr;
    if (item->findAndGetElement(DCM_LUTDescriptor, e).bad() || !e || e->getLength() < 6)
        return false;
    Uint16 a = 0, f = 0, c = 0;
    if (e->ident() == EVR_SS) {
        Sint16 sa = 0, sf = 0, sc = 0;
        if (e->getSint16(sa, 0).bad() || e->getSint16(sf, 1).bad() || e->getSint16(sc, 2).bad())
            return false;
        a = Uint16(sa);
        f = Uint16(sf);
        c = Uint16(sc);
    } else if (e->getUint16(a, 0).bad() || e->getUint16(f, 1).bad() || e->getUint16(c, 2).bad()) {
        return false;
    }
    entries = a == 0 ? 65536 : a;
    first = signedFirst ? int(int16_t(f)) : int(f);
    bits = c;
    return true;
}

bool hasPreamble(const fs::path& p)
{
    FILE* f = std::fopen(p.c_str(), "rb");
    if (!f)
        return false;
    char buf[132] = {};
    size_t n = std::fread(buf, 1, sizeof buf, f);
    std::fclose(f);
    return n == 132 && std::memcmp(buf + 128, "DICM", 4) == 0;
}

// Loads a file; a file without preamble and meta header that DCMTK's detection cannot parse is retried as a raw
// Little Endian data set, explicit then implicit VR (files written without the Part 10 header).
OFCondition load(DcmFileFormat& ff, const fs::path& path, bool headerOnly)
{
    // DCMTK recurses once per sequence level: a file nested thousands deep overflows the stack. Walked first.
    if (const NestingScan n = scanNesting(path, kMaxSequenceDepth); n.maxDepth > kMaxSequenceDepth)
        return makeOFCondition(0, 2, OF_error,
            ("sequences nested more than " + std::to_string(kMaxSequenceDepth) + " levels deep (at byte " + std::to_string(n.at)
                + "); the file is damaged or crafted")
                .c_str());
    auto once = [&](E_TransferSyntax x, E_FileReadMode mode) {
        ff.clear();
        return headerOnly ? ff.loadFileUntilTag(path.c_str(), x, EGL_noChange, DCM_MaxReadLength, mode, DCM_PixelData)
                          : ff.loadFile(path.c_str(), x, EGL_noChange, DCM_MaxReadLength, mode);
    };
    OFCondition c = once(EXS_Unknown, ERM_autoDetect);
    if (c.bad() && !hasPreamble(path)) {
        for (E_TransferSyntax x : { EXS_LittleEndianExplicit, EXS_LittleEndianImplicit }) {
            OFCondition c2 = once(x, ERM_dataset);
            if (c2.good())
                return c2;
        }
        c = once(EXS_Unknown, ERM_autoDetect); // report the first error
    }
    return c;
}

std::string describeLoadError(const OFCondition& c)
{
    std::string t = c.text();
    if (t.find("premature end") != std::string::npos || t.find("Delimitation") != std::string::npos)
        return "file is truncated or damaged, not a complete DICOM file (" + t + ")";
    if (t.find("Invalid stream") != std::string::npos)
        return "not a DICOM file, or its structure is damaged (" + t + ")";
    return "not a readable DICOM file (" + t + ")";
}

// RLE Lossless (PS3.5 annex G): each frame is one fragment that starts with a 64-byte header, the number of segments
// (1-15) and their offsets into the fragment. DCMTK's decoder reads past the fragment when an offset points beyond it
// (a segmentation fault on a crafted file): the header is checked first. Returns why not, or an empty string.
std::string rleHeaderProblem(DcmPixelData* pd)
{
    DcmPixelSequence* seq = nullptr;
    if (pd->getEncapsulatedRepresentation(EXS_RLELossless, nullptr, seq).bad() || !seq)
        return "";
    for (unsigned long i = 1; i < seq->card(); ++i) {
        DcmPixelItem* item = nullptr;
        Uint8* bytes = nullptr;
        if (seq->getItem(item, i).bad() || !item)
            return "fragment " + std::to_string(i) + " cannot be read";
        const size_t len = item->getLength();
        if (len == 0)
            continue;
        if (item->getUint8Array(bytes).bad() || !bytes || len < 64)
            return "fragment " + std::to_string(i) + " is shorter than an RLE header (64 bytes)";
        auto u32 = [&](size_t k) {
            return uint32_t(bytes[k]) | uint32_t(bytes[k + 1]) << 8 | uint32_t(bytes[k + 2]) << 16 | uint32_t(bytes[k + 3]) << 24;
        };
        const uint32_t segments = u32(0);
        if (segments < 1 || segments > 15)
            return "fragment " + std::to_string(i) + " says " + std::to_string(segments) + " RLE segments (1-15)";
        uint32_t previous = 64;
        for (uint32_t sgm = 0; sgm < segments; ++sgm) {
            const uint32_t off = u32(4 + 4 * size_t(sgm));
            if (off < previous || off >= len)
                return "fragment " + std::to_string(i) + ": RLE segment " + std::to_string(sgm + 1) + " starts at byte "
                    + std::to_string(off) + ", outside the fragment's " + std::to_string(len) + " bytes (or before the previous segment)";
            previous = off;
        }
    }
    return "";
}

// The first frame's compressed bytes: its fragment, or its fragments joined (a frame may span several; in multi-frame
// data the first frame ends at the fragment that ends with an EOI / EOC marker, FF D9 in JPEG and JPEG 2000 alike).
// `joined` holds the bytes when they had to be copied. False: no encapsulated data.
bool firstFrameBytes(DcmPixelData* pd, E_TransferSyntax xfer, int frames, std::vector<uint8_t>& joined, const uint8_t*& data, size_t& size)
{
    DcmPixelSequence* seq = nullptr;
    data = nullptr;
    size = 0;
    if (pd->getEncapsulatedRepresentation(xfer, nullptr, seq).bad() || !seq || seq->card() < 2)
        return false;
    for (unsigned long i = 1; i < seq->card(); ++i) {
        DcmPixelItem* item = nullptr;
        Uint8* bytes = nullptr;
        if (seq->getItem(item, i).bad() || !item || item->getUint8Array(bytes).bad() || !bytes)
            return false;
        const size_t len = item->getLength();
        if (i == 1 && (seq->card() == 2 || frames > 1)) {
            data = bytes;
            size = len;
        } else {
            if (joined.empty() && data) {
                joined.assign(data, data + size);
                data = nullptr;
            }
            joined.insert(joined.end(), bytes, bytes + len);
        }
        const uint8_t* end = joined.empty() ? data + size : joined.data() + joined.size();
        const size_t have = joined.empty() ? size : joined.size();
        if (frames > 1 && have >= 2 && end[-2] == 0xFF && end[-1] == 0xD9)
            break; // the first frame ends here
    }
    if (!joined.empty()) {
        data = joined.data();
        size = joined.size();
    }
    return data && size > 0;
}

// The first frame decoded by our lossless JPEG decoder. False: leave it to DCMTK.
bool tryBuiltinJpegLossless(DcmPixelData* pd, E_TransferSyntax xfer, int frames, std::vector<uint16_t>& out)
{
    std::vector<uint8_t> joined;
    const uint8_t* data = nullptr;
    size_t size = 0;
    if (!firstFrameBytes(pd, xfer, frames, joined, data, size))
        return false;
    JpegLosslessInfo info;
    std::string err = decodeJpegLossless(data, size, out.data(), out.size(), &info);
    return err.empty() && size_t(info.width) * size_t(info.height) == out.size();
}

} // namespace

std::vector<std::string> supportedTransferSyntaxes()
{
    return { "Implicit VR Little Endian", "Explicit VR Little Endian", "Explicit VR Big Endian", "Deflated Explicit VR Little Endian",
        "RLE Lossless", "JPEG Baseline (Process 1)", "JPEG Extended (Process 2 & 4)", "JPEG Spectral Selection / Progressive",
        "JPEG Lossless (Process 14, SV1)", "JPEG Lossless (Process 14)", "JPEG-LS Lossless", "JPEG-LS Near-lossless", "JPEG 2000 Lossless",
        "JPEG 2000" };
}

std::string detail::loadGuarded(DcmFileFormat& ff, const fs::path& path, bool headerOnly)
{
    const OFCondition c = load(ff, path, headerOnly);
    return c.good() ? std::string() : describeLoadError(c);
}

Result<Header> readHeader(const fs::path& path)
{
    detail::ensureCodecs();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        return fileError(path, "file not found");
    DcmFileFormat ff;
    OFCondition c = load(ff, path, true);
    if (c.bad())
        return fileError(path, describeLoadError(c));
    Header h = parseHeader(ff);
    if (h.sopClassUid.empty() && h.rows == 0 && h.studyUid.empty())
        return fileError(path, "not a DICOM file (no SOP Class, Study UID or image attributes)");
    return h;
}

Result<File> read(const fs::path& path, const ReadOptions& opt)
{
    detail::ensureCodecs();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        return fileError(path, "file not found");
    DcmFileFormat ff;
    OFCondition c = load(ff, path, false);
    if (c.bad())
        return fileError(path, describeLoadError(c));
    DcmDataset* ds = ff.getDataset();
    File f;
    f.header = parseHeader(ff);
    Header& h = f.header;
    if (opt.wantTags)
        collectTags(ds, 0, f.tags);

    if (!h.hasPixelData)
        return fileError(path,
            "contains no image (no Pixel Data; SOP Class " + (h.sopClassUid.empty() ? std::string("unknown") : h.sopClassUid)
                + (h.modality.empty() ? "" : ", modality " + h.modality) + ")");
    E_TransferSyntax x = ds->getOriginalXfer();
    if (isJpeg2000(x) && !h.encapsulated)
        return fileError(path, "transfer syntax " + h.transferSyntaxName + " but the pixel data is not encapsulated", "tag (7fe0,0010)");
    if (h.samplesPerPixel != 1)
        return fileError(
            path, "colour images are not supported (Samples per Pixel " + std::to_string(h.samplesPerPixel) + ")", "tag (0028,0002)");
    if (h.rows <= 0 && h.columns <= 0)
        return fileError(path,
            std::string("contains no image (no Rows, Columns or Photometric Interpretation)")
                + (h.transferSyntaxUid.empty() ? "; its File Meta Information also lacks the Transfer Syntax UID (0002,0010)" : ""));
    if (h.rows <= 0 || h.columns <= 0)
        return fileError(
            path, "image has no size (Rows " + std::to_string(h.rows) + ", Columns " + std::to_string(h.columns) + ")", "tag (0028,0010)");
    if (h.bitsAllocated != 8 && h.bitsAllocated != 16)
        return fileError(path, "Bits Allocated " + std::to_string(h.bitsAllocated) + " is not supported (8 or 16 only)", "tag (0028,0100)");
    if (h.bitsStored < 1 || h.bitsStored > h.bitsAllocated || h.highBit >= h.bitsAllocated || h.highBit + 1 < h.bitsStored)
        return fileError(path,
            "inconsistent Bits Stored " + std::to_string(h.bitsStored) + " / High Bit " + std::to_string(h.highBit) + " for Bits Allocated "
                + std::to_string(h.bitsAllocated),
            "tag (0028,0101)");
    std::string pi = toUpper(h.photometric);
    if (pi != "MONOCHROME1" && pi != "MONOCHROME2" && !pi.empty())
        return fileError(path, "photometric interpretation " + h.photometric + " is not supported (grayscale only)", "tag (0028,0004)");
    auto frames = getInt(ds, DCM_NumberOfFrames, 1, path.string());
    if (!frames)
        return frames.error();

    const size_t w = size_t(h.columns), hh = size_t(h.rows), n = w * hh;
    const size_t bytesPerPixel = size_t(h.bitsAllocated / 8);
    DcmElement* pe = nullptr;
    if (ds->findAndGetElement(DCM_PixelData, pe).bad() || !pe)
        return fileError(path, "pixel data missing", "tag (7fe0,0010)");

    // Nothing is allocated for more pixels than the file can hold (a 582-byte header claiming 65535 x 65535 pixels
    // made 8-17 GB of allocations): native data needs its bytes in the file; compressed data expands at most ~1000:1
    // (RLE 128:1, lossless JPEG 16:1, a flat lossy JPEG or deflated data somewhat over 500:1); one frame at most 2 GiB.
    {
        std::error_code sizeError;
        const uintmax_t fileBytes = fs::file_size(path, sizeError);
        const bool compressed = h.encapsulated || ds->getOriginalXfer() == EXS_DeflatedLittleEndianExplicit;
        const long double need = (long double)n * (long double)bytesPerPixel;
        const long double can = sizeError ? 0.0L : (long double)fileBytes * (compressed ? 1100.0L : 1.0L);
        if (need > 2147483648.0L || (!sizeError && need > can))
            return fileError(path,
                "Rows x Columns (" + std::to_string(h.rows) + " x " + std::to_string(h.columns) + ") need "
                    + std::to_string((unsigned long long)need) + " bytes for one frame, more than this " + std::to_string(fileBytes)
                    + "-byte file can hold; the header is wrong or the file is cut",
                "tag (0028,0010)");
    }
    Image16 img(static_cast<int>(w), static_cast<int>(hh));
    img.spacingX = h.spacingX;
    img.spacingY = h.spacingY;
    img.photometric = pi == "MONOCHROME1" ? Photometric::Monochrome1 : Photometric::Monochrome2;
    img.bitsStored = h.bitsStored;

    // The first frame, decoded straight into our buffer: native data is read from the file once, compressed data
    // is decompressed frame by frame (no copy of the whole object, no decoding of other frames).
    std::vector<uint8_t> bytes8;
    void* target = nullptr;
    size_t targetSize = n * bytesPerPixel;
    if (h.bitsAllocated == 16) {
        target = img.pixels.data();
    } else {
        bytes8.resize(n + 1);
        target = bytes8.data();
        targetSize = n + 1;
    }
    f.decoder = h.encapsulated ? "dcmtk" : "native";
    const E_TransferSyntax origXfer = ds->getOriginalXfer();
    if (opt.builtinJpegLossless && h.bitsAllocated == 16 && (origXfer == EXS_JPEGProcess14SV1 || origXfer == EXS_JPEGProcess14)) {
        if (tryBuiltinJpegLossless(static_cast<DcmPixelData*>(pe), origXfer, h.frames, img.pixels))
            f.decoder = "builtin-jpeg-lossless";
    }
    if (origXfer == EXS_RLELossless && h.encapsulated)
        if (const std::string why = rleHeaderProblem(static_cast<DcmPixelData*>(pe)); !why.empty())
            return fileError(path, why + "; the pixel data is damaged or crafted", "tag (7fe0,0010)");
    if (isJpeg2000(origXfer)) {
        // DCMTK has no JPEG 2000 decoder: OpenJPEG decodes the first frame straight into our buffer.
        std::vector<uint8_t> joined;
        const uint8_t* data = nullptr;
        size_t size = 0;
        if (!firstFrameBytes(static_cast<DcmPixelData*>(pe), origXfer, h.frames, joined, data, size))
            return fileError(path, "JPEG 2000 pixel data has no fragment to decode", "tag (7fe0,0010)");
        if (const std::string why = decodeJpeg2000(data, size, int(w), int(hh), int(bytesPerPixel), target); !why.empty())
            return fileError(path, why, "tag (7fe0,0010)");
        f.decoder = "openjpeg";
    }
    const bool decoded = f.decoder == "builtin-jpeg-lossless" || f.decoder == "openjpeg";
    Uint32 frameSize = 0;
    OFCondition fc = decoded ? EC_Normal : pe->getUncompressedFrameSize(ds, frameSize);
    if (!decoded && fc.good() && frameSize < n * bytesPerPixel)
        fc = makeOFCondition(0, 1, OF_error, "frame size smaller than Rows x Columns");
    if (!decoded && fc.good()) {
        Uint32 startFragment = 0;
        OFString colorModel;
        if (!h.encapsulated && pe->getLength() < n * bytesPerPixel)
            return fileError(path,
                "pixel data is truncated: " + std::to_string(pe->getLength()) + " bytes, one frame needs "
                    + std::to_string(n * bytesPerPixel),
                "tag (7fe0,0010)");
        fc = pe->getUncompressedFrame(
            ds, 0, startFragment, target, Uint32(std::max<size_t>(targetSize, frameSize + (frameSize & 1))), colorModel);
    }
    if (fc.bad()) {
        // Fall back to converting the whole data set (some codecs cannot decode single frames).
        OFCondition cc = ds->chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
        if (cc.bad() || !ds->canWriteXfer(EXS_LittleEndianExplicit))
            return fileError(path,
                "cannot decode pixel data in " + h.transferSyntaxName + " (" + h.transferSyntaxUid
                    + "): " + std::string(cc.bad() ? cc.text() : fc.text()));
        if (ds->findAndGetElement(DCM_PixelData, pe).bad() || !pe || pe->getLength() < n * bytesPerPixel)
            return fileError(path,
                "pixel data is truncated: " + std::to_string(pe ? pe->getLength() : 0) + " bytes, one frame needs "
                    + std::to_string(n * bytesPerPixel),
                "tag (7fe0,0010)");
        if (h.bitsAllocated == 16) {
            Uint16* d = nullptr;
            if (pe->getUint16Array(d).bad() || !d)
                return fileError(path, "cannot read 16-bit pixel data", "tag (7fe0,0010)");
            std::memcpy(img.pixels.data(), d, n * 2);
        } else {
            Uint8* d = nullptr;
            if (pe->getUint8Array(d).bad() || !d)
                return fileError(path, "cannot read 8-bit pixel data", "tag (7fe0,0010)");
            std::memcpy(bytes8.data(), d, n);
        }
    }

    // Stored values: mask to Bits Stored, sign-extend, and keep them unsigned with the offset in the intercept.
    const int shift = h.highBit + 1 - h.bitsStored;
    const uint32_t maskBits = (1u << h.bitsStored) - 1u;
    const bool isSigned = h.pixelRepresentation == 1;
    auto rawValue = [&](size_t i) -> int32_t {
        uint32_t v = h.bitsAllocated == 16 ? img.pixels[i] : bytes8[i];
        v = (v >> shift) & maskBits;
        if (isSigned && (v & (1u << (h.bitsStored - 1))))
            return int32_t(v) - int32_t(1u << h.bitsStored);
        return int32_t(v);
    };

    // Modality transform: a Modality LUT Sequence wins over Rescale Slope/Intercept.
    DcmItem* mlut = nullptr;
    if (ds->findAndGetSequenceItem(DCM_ModalityLUTSequence, mlut, 0).good() && mlut) {
        int entries = 0, first = 0, bits = 16;
        if (!lutDescriptor(mlut, entries, first, bits, isSigned))
            return fileError(path, "Modality LUT Sequence has no valid LUT Descriptor", "tag (0028,3002)");
        auto data = lutData(mlut, entries, path, "Modality LUT");
        if (!data)
            return data.error();
        for (size_t i = 0; i < n; ++i) {
            long idx = std::clamp<long>(long(rawValue(i)) - first, 0, long(entries) - 1);
            img.pixels[i] = (*data)[size_t(idx)];
        }
        img.bitsStored = std::clamp(bits, 1, 16);
    } else {
        double slope = 1, intercept = 0;
        auto sv = getDoubles(ds, DCM_RescaleSlope);
        auto iv = getDoubles(ds, DCM_RescaleIntercept);
        if (!sv.empty() && sv[0] != 0 && std::isfinite(sv[0]))
            slope = sv[0];
        if (!iv.empty() && std::isfinite(iv[0]))
            intercept = iv[0];
        const int32_t offset = isSigned ? int32_t(1u << (h.bitsStored - 1)) : 0;
        const bool identity = h.bitsAllocated == 16 && !isSigned && shift == 0 && h.bitsStored == 16;
        if (!identity)
            for (size_t i = 0; i < n; ++i)
                img.pixels[i] = uint16_t(rawValue(i) + offset);
        img.slope = slope;
        img.intercept = intercept - slope * offset;
    }
    img.windows = h.windows;

    for (unsigned long k = 0;; ++k) {
        DcmItem* vi = nullptr;
        if (ds->findAndGetSequenceItem(DCM_VOILUTSequence, vi, long(k)).bad() || !vi)
            break;
        VoiLut v;
        int entries = 0;
        if (!lutDescriptor(vi, entries, v.firstMapped, v.bits, isSigned))
            continue;
        auto data = lutData(vi, entries, path, "VOI LUT");
        if (!data)
            continue; // a broken VOI LUT is not worth refusing the image; the windows still work
        v.data = std::move(*data);
        v.explanation = getString(vi, DCM_LUTExplanation);
        if (v.explanation.empty())
            v.explanation = "VOI LUT " + std::to_string(k + 1);
        img.voiLuts.push_back(std::move(v));
    }
    f.image = std::move(img);
    return f;
}

} // namespace ms::dicom

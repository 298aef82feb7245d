// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dicom/deid.h"

#include "core/common/paths.h"
#include "core/common/sha256.h"
#include "core/dicom/dicom.h"
#include "core/dicom/dicom_common.h"
#include "core/dicom/pacs_detail.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace fs = std::filesystem;

namespace ms::dicom
{
namespace
{

using Tag = std::pair<Uint16, Uint16>;

// PS3.15 Table E.1-1, Basic Profile: attributes removed (X). Sequences among them go whole.
const std::set<Tag> kRemove = {
    { 0x0008, 0x0080 }, // Institution Name
    { 0x0008, 0x0081 }, // Institution Address
    { 0x0008, 0x0082 }, // Institution Code Sequence
    { 0x0008, 0x0092 }, // Referring Physician's Address
    { 0x0008, 0x0094 }, // Referring Physician's Telephone Numbers
    { 0x0008, 0x0096 }, // Referring Physician Identification Sequence
    { 0x0008, 0x1010 }, // Station Name
    { 0x0008, 0x1030 }, // Study Description
    { 0x0008, 0x103E }, // Series Description
    { 0x0008, 0x1040 }, // Institutional Department Name
    { 0x0008, 0x1048 }, // Physician(s) of Record
    { 0x0008, 0x1049 }, // Physician(s) of Record Identification Sequence
    { 0x0008, 0x1050 }, // Performing Physician's Name
    { 0x0008, 0x1052 }, // Performing Physician Identification Sequence
    { 0x0008, 0x1060 }, // Name of Physician(s) Reading Study
    { 0x0008, 0x1062 }, // Physician(s) Reading Study Identification Sequence
    { 0x0008, 0x1070 }, // Operators' Name
    { 0x0008, 0x1072 }, // Operator Identification Sequence
    { 0x0008, 0x1080 }, // Admitting Diagnoses Description
    { 0x0008, 0x1084 }, // Admitting Diagnoses Code Sequence
    { 0x0008, 0x1110 }, // Referenced Study Sequence
    { 0x0008, 0x1120 }, // Referenced Patient Sequence
    { 0x0008, 0x2111 }, // Derivation Description
    { 0x0010, 0x0021 }, // Issuer of Patient ID
    { 0x0010, 0x0032 }, // Patient's Birth Time
    { 0x0010, 0x0050 }, // Patient's Insurance Plan Code Sequence
    { 0x0010, 0x0101 }, // Patient's Primary Language Code Sequence
    { 0x0010, 0x1000 }, // Other Patient IDs
    { 0x0010, 0x1001 }, // Other Patient Names
    { 0x0010, 0x1002 }, // Other Patient IDs Sequence
    { 0x0010, 0x1005 }, // Patient's Birth Name
    { 0x0010, 0x1010 }, // Patient's Age
    { 0x0010, 0x1020 }, // Patient's Size
    { 0x0010, 0x1030 }, // Patient's Weight
    { 0x0010, 0x1040 }, // Patient's Address
    { 0x0010, 0x1060 }, // Patient's Mother's Birth Name
    { 0x0010, 0x1080 }, // Military Rank
    { 0x0010, 0x1081 }, // Branch of Service
    { 0x0010, 0x1090 }, // Medical Record Locator
    { 0x0010, 0x2000 }, // Medical Alerts
    { 0x0010, 0x2110 }, // Allergies
    { 0x0010, 0x2150 }, // Country of Residence
    { 0x0010, 0x2152 }, // Region of Residence
    { 0x0010, 0x2154 }, // Patient's Telephone Numbers
    { 0x0010, 0x2160 }, // Ethnic Group
    { 0x0010, 0x2180 }, // Occupation
    { 0x0010, 0x21A0 }, // Smoking Status
    { 0x0010, 0x21B0 }, // Additional Patient History
    { 0x0010, 0x21C0 }, // Pregnancy Status
    { 0x0010, 0x21D0 }, // Last Menstrual Date
    { 0x0010, 0x21F0 }, // Patient's Religious Preference
    { 0x0010, 0x4000 }, // Patient Comments
    { 0x0018, 0x1030 }, // Protocol Name
    { 0x0018, 0x4000 }, // Acquisition Comments
    { 0x0020, 0x4000 }, // Image Comments
    { 0x0032, 0x1032 }, // Requesting Physician
    { 0x0032, 0x1060 }, // Requested Procedure Description
    { 0x0032, 0x4000 }, // Study Comments
    { 0x0038, 0x0010 }, // Admission ID
    { 0x0038, 0x0300 }, // Current Patient Location
    { 0x0038, 0x0400 }, // Patient's Institution Residence
    { 0x0038, 0x4000 }, // Visit Comments
    { 0x0040, 0x0241 }, // Performed Station AE Title
    { 0x0040, 0x0242 }, // Performed Station Name
    { 0x0040, 0x0243 }, // Performed Location
    { 0x0040, 0x0253 }, // Performed Procedure Step ID
    { 0x0040, 0x0254 }, // Performed Procedure Step Description
    { 0x0040, 0x0275 }, // Request Attributes Sequence
    { 0x0040, 0x0280 }, // Comments on the Performed Procedure Step
    { 0x0040, 0x1001 }, // Requested Procedure ID
    { 0x0040, 0x2016 }, // Placer Order Number / Imaging Service Request
    { 0x0040, 0x2017 }, // Filler Order Number / Imaging Service Request
    { 0x0400, 0x0550 }, // Modified Attributes Sequence
    { 0x0400, 0x0561 }, // Original Attributes Sequence
    { 0x0008, 0x0051 }, // Issuer of Accession Number Sequence
    { 0x0008, 0x0201 }, // Timezone Offset From UTC
    { 0x0008, 0x4000 }, // Identifying Comments
    { 0x0018, 0x1004 }, // Plate ID
    { 0x0018, 0x1005 }, // Generator ID
    { 0x0018, 0x1007 }, // Cassette ID
    { 0x0018, 0x1008 }, // Gantry ID
    { 0x0018, 0x700A }, // Detector ID
    { 0x0032, 0x1030 }, // Reason for Study
    { 0x0040, 0x0001 }, // Scheduled Station AE Title
    { 0x0040, 0x0007 }, // Scheduled Procedure Step Description
    { 0x0040, 0x0009 }, // Scheduled Procedure Step ID
    { 0x0040, 0x0010 }, // Scheduled Station Name
    { 0x0040, 0x1002 }, // Reason for the Requested Procedure
    { 0x0040, 0x1102 }, // Person's Address
    { 0x0040, 0x1103 }, // Person's Telephone Numbers
    { 0x0040, 0x1400 }, // Requested Procedure Comments
    { 0x0040, 0x2400 }, // Imaging Service Request Comments
    { 0x0040, 0xA088 }, // Verifying Observer Identification Code Sequence
    { 0x0070, 0x0086 }, // Content Creator's Identification Code Sequence
    { 0x0088, 0x0200 }, // Icon Image Sequence (a thumbnail may show burned-in text)
    { 0x4FFE, 0x0001 }, // MAC Parameters Sequence
    { 0xFFFA, 0xFFFA }, // Digital Signatures Sequence
};

// Date-times that are versions of coding resources, not events: kept.
const std::set<Tag> kKeepDateTime = {
    { 0x0008, 0x0106 }, // Context Group Version
    { 0x0008, 0x0107 }, // Context Group Local Version
    { 0x0040, 0xDB06 }, // Template Version
    { 0x0040, 0xDB07 }, // Template Local Version
};

// Emptied (Z): attributes modules require (Type 2) whose value identifies.
const std::set<Tag> kEmpty = {
    { 0x0008, 0x0050 }, // Accession Number
    { 0x0010, 0x0030 }, // Patient's Birth Date
    { 0x0010, 0x0040 }, // Patient's Sex
    { 0x0020, 0x0010 }, // Study ID
};

// UIDs that name a class, a syntax or a coding scheme, not an instance: kept.
const std::set<Tag> kKeepUid = {
    { 0x0002, 0x0002 }, // Media Storage SOP Class UID
    { 0x0002, 0x0010 }, // Transfer Syntax UID
    { 0x0002, 0x0012 }, // Implementation Class UID
    { 0x0004, 0x1510 }, // Referenced SOP Class UID in File
    { 0x0004, 0x1512 }, // Referenced Transfer Syntax UID in File
    { 0x0008, 0x0016 }, // SOP Class UID
    { 0x0008, 0x001A }, // Related General SOP Class UID
    { 0x0008, 0x001B }, // Original Specialized SOP Class UID
    { 0x0008, 0x010C }, // Coding Scheme UID
    { 0x0008, 0x0117 }, // Context UID
    { 0x0008, 0x1150 }, // Referenced SOP Class UID
    { 0x0008, 0x1190 }, // Retrieve URL (not a UID, listed to be safe)
    { 0x0040, 0xDB0D }, // Template Extension Creator UID
};

std::string keyed(const std::string& key, const char* domain, const std::string& value)
{
    return sha256Hex(key + '\x1f' + domain + '\x1f' + value);
}

std::uint64_t hexWord(const std::string& hex, size_t at)
{
    return std::stoull(hex.substr(at, 16), nullptr, 16);
}

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's civil calendar algorithms).
long daysFromCivil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = unsigned(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + long(doe) - 719468;
}

void civilFromDays(long z, int& y, unsigned& m, unsigned& d)
{
    z += 719468;
    const long era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = unsigned(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long yy = long(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = int(yy + (m <= 2));
}

// "YYYYMMDD" shifted back by `days`; empty when it is not a valid date (an unparsable date could identify too).
std::string shiftDate(const std::string& v, int days)
{
    if (v.size() != 8 || !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }))
        return {};
    const int y = std::stoi(v.substr(0, 4));
    const unsigned m = unsigned(std::stoi(v.substr(4, 2))), d = unsigned(std::stoi(v.substr(6, 2)));
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return {};
    int ny = 0;
    unsigned nm = 0, nd = 0;
    civilFromDays(daysFromCivil(y, m, d) - days, ny, nm, nd);
    if (ny < 1 || ny > 9999)
        return {};
    char b[16];
    std::snprintf(b, sizeof b, "%04d%02u%02u", ny, nm, nd);
    return b;
}

std::vector<std::string> splitValues(const std::string& v)
{
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        const size_t bs = v.find('\\', start);
        out.push_back(v.substr(start, bs == std::string::npos ? std::string::npos : bs - start));
        if (bs == std::string::npos)
            return out;
        start = bs + 1;
    }
}

std::string joinValues(const std::vector<std::string>& v)
{
    std::string out;
    for (size_t i = 0; i < v.size(); ++i)
        out += (i ? "\\" : "") + v[i];
    return out;
}

std::string trimmed(std::string s)
{
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0'))
        s.pop_back();
    size_t i = 0;
    while (i < s.size() && s[i] == ' ')
        ++i;
    return s.substr(i);
}

struct Ctx {
    const std::string& key;
    std::string pseudonym;
    int shift = 0;
};

void clean(DcmItem* item, const Ctx& ctx, bool top)
{
    std::vector<DcmTagKey> remove;
    for (unsigned long i = 0; i < item->card(); ++i) {
        DcmElement* e = item->getElement(i);
        if (!e)
            continue;
        const DcmTag& tag = e->getTag();
        const Tag t { tag.getGroup(), tag.getElement() };
        const bool overlay = t.first >= 0x6000 && t.first <= 0x60FF && t.first % 2 == 0;
        // Unknown-VR elements are opaque: they may hold anything, so they go too.
        if (tag.isPrivate() || overlay || kRemove.count(t) || e->getVR() == EVR_UN) {
            remove.push_back(tag);
            continue;
        }
        if (e->ident() == EVR_SQ) {
            auto* sq = static_cast<DcmSequenceOfItems*>(e);
            for (unsigned long k = 0; k < sq->card(); ++k)
                clean(sq->getItem(k), ctx, false);
            continue;
        }
        if (t == Tag { 0x0010, 0x0010 } || t == Tag { 0x0010, 0x0020 }) { // Patient's Name, Patient ID
            e->putString(ctx.pseudonym.c_str());
            continue;
        }
        if (t == Tag { 0x0018, 0x1000 }) { // Device Serial Number: Type 1 in Enhanced General Equipment (SEG), so a dummy (D)
            e->putString(("DEID-" + keyed(ctx.key, "device", "").substr(0, 8)).c_str());
            continue;
        }
        if (kEmpty.count(t)) {
            e->putString("");
            continue;
        }
        // The rule follows the dictionary's VR as well as the file's: a UID, date or name stored under another VR (explicit
        // VR files keep what they say) is still one.
        const DcmEVR fileVr = e->getVR(), dictVr = DcmTag(tag.getXTag()).getEVR();
        const auto isVr = [&](DcmEVR v) { return fileVr == v || dictVr == v; };
        const DcmEVR vr = isVr(EVR_PN) ? EVR_PN : isVr(EVR_UI) ? EVR_UI : isVr(EVR_DA) ? EVR_DA : isVr(EVR_DT) ? EVR_DT : fileVr;
        if (vr == EVR_PN) {
            // Any other person name; the Person Name of an SR PNAME item is Type 1, so it gets a placeholder.
            e->putString(t == Tag { 0x0040, 0xA123 } ? "ANONYMOUS" : "");
            continue;
        }
        OFString value;
        if (vr == EVR_UI && !kKeepUid.count(t)) {
            if (e->getOFStringArray(value).good() && !value.empty()) {
                std::vector<std::string> parts = splitValues(value.c_str());
                for (std::string& p : parts)
                    p = deidUid(ctx.key, trimmed(p));
                e->putString(joinValues(parts).c_str());
            }
            continue;
        }
        if ((vr == EVR_DA || vr == EVR_DT) && !kKeepDateTime.count(t)) {
            if (e->getOFStringArray(value).good() && !value.empty()) {
                std::vector<std::string> parts = splitValues(value.c_str());
                for (std::string& p : parts) {
                    p = trimmed(p);
                    if (vr == EVR_DA) {
                        // a range "FROM-TO" in a query has no place in an object; each date alone
                        p = shiftDate(p, ctx.shift);
                    } else if (p.size() >= 8) {
                        const std::string day = shiftDate(p.substr(0, 8), ctx.shift);
                        p = day.empty() ? std::string() : day + p.substr(8);
                    } else {
                        p.clear();
                    }
                }
                e->putString(joinValues(parts).c_str());
            }
            continue;
        }
    }
    for (const DcmTagKey& k : remove)
        item->findAndDeleteElement(k);
    if (top) {
        item->putAndInsertString(DCM_PatientIdentityRemoved, "YES");
        item->putAndInsertString(DCM_DeidentificationMethod, "MammoScope PS3.15 basic profile\\dates shifted per patient\\UIDs remapped");
        item->findAndDeleteElement(DCM_DeidentificationMethodCodeSequence);
        const std::pair<const char*, const char*> codes[] = { { "113100", "Basic Application Confidentiality Profile" },
            { "113107", "Retain Longitudinal Temporal Information Modified Dates Option" } };
        for (const auto& [code, meaning] : codes) {
            DcmItem* it = nullptr;
            if (item->findOrCreateSequenceItem(DCM_DeidentificationMethodCodeSequence, it, -2).good() && it) {
                it->putAndInsertString(DCM_CodeValue, code);
                it->putAndInsertString(DCM_CodingSchemeDesignator, "DCM");
                it->putAndInsertString(DCM_CodeMeaning, meaning);
            }
        }
        item->putAndInsertString(DCM_LongitudinalTemporalInformationModified, "MODIFIED");
    }
}

Result<DeidResult> deidentifyLoaded(DcmFileFormat& ff, const fs::path& in, const DeidOptions& options)
{
    const std::string& key = options.key;
    DcmDataset* ds = ff.getDataset();
    OFString pid, sopClass, burned;
    ds->findAndGetOFStringArray(DCM_PatientID, pid);
    ds->findAndGetOFString(DCM_SOPClassUID, sopClass);
    if (sopClass.empty())
        return Error("not a DICOM object (no SOP Class UID)", in.string());
    std::string id = trimmed(pid.c_str());
    if (auto it = options.patientOf.find(id); it != options.patientOf.end())
        id = it->second;
    Ctx ctx { key, deidPseudonym(key, id), deidDateShiftDays(key, id) };
    clean(ds, ctx, true);
    DcmMetaInfo* meta = ff.getMetaInfo();
    meta->findAndDeleteElement(DCM_SourceApplicationEntityTitle);
    meta->findAndDeleteElement(DCM_SendingApplicationEntityTitle);
    meta->findAndDeleteElement(DCM_ReceivingApplicationEntityTitle);
    meta->findAndDeleteElement(DCM_PrivateInformationCreatorUID);
    meta->findAndDeleteElement(DCM_PrivateInformation);
    DeidResult r;
    r.pseudonym = ctx.pseudonym;
    OFString sop;
    ds->findAndGetOFString(DCM_SOPInstanceUID, sop);
    r.sopInstanceUid = sop.c_str();
    meta->putAndInsertString(DCM_MediaStorageSOPInstanceUID, sop.c_str());
    ds->findAndGetOFString(DCM_BurnedInAnnotation, burned);
    r.burnedInAnnotation = trimmed(burned.c_str()) == "YES";
    return r;
}

Status save(DcmFileFormat& ff, const fs::path& out)
{
    std::error_code ec;
    if (!out.parent_path().empty())
        fs::create_directories(out.parent_path(), ec);
    std::random_device rd;
    const fs::path tmp = out.parent_path() / ("." + out.filename().string() + ".tmp-" + std::to_string(rd()));
    const E_TransferSyntax xfer = ff.getDataset()->getOriginalXfer();
    const OFCondition c = ff.saveFile(tmp.c_str(), xfer == EXS_Unknown ? EXS_LittleEndianExplicit : xfer, EET_ExplicitLength, EGL_recalcGL,
        EPD_noChange, 0, 0, EWM_updateMeta);
    if (c.bad()) {
        fs::remove(tmp, ec);
        return Error("cannot write: " + std::string(c.text()), out.string());
    }
    fs::rename(tmp, out, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return Error("cannot write: " + ec.message(), out.string());
    }
    return {};
}

Status checkKey(const DeidOptions& o)
{
    if (o.key.size() < 16)
        return Error("the de-identification key must have at least 16 characters (it keys the pseudonyms; keep it secret)");
    return {};
}

} // namespace

Result<std::string> deidKey(const std::optional<fs::path>& keyFile, bool* made)
{
    if (made)
        *made = false;
    auto firstLine = [](const fs::path& f, std::string& out) {
        std::string all;
        if (!readFile(f, all))
            return false;
        out = all.substr(0, all.find('\n'));
        while (!out.empty() && (out.back() == '\r' || out.back() == ' '))
            out.pop_back();
        return true;
    };
    std::string key;
    if (keyFile) {
        if (!firstLine(*keyFile, key))
            return Error("cannot read the key file", keyFile->string());
        if (key.size() < 16)
            return Error("the key (its first line) has fewer than 16 characters", keyFile->string());
        return key;
    }
    if (const char* env = std::getenv("MAMMOSCOPE_DEID_KEY"); env && *env) {
        key = env;
        if (key.size() < 16)
            return Error("MAMMOSCOPE_DEID_KEY has fewer than 16 characters");
        return key;
    }
    const fs::path f = appDataDir() / "deid-key";
    std::error_code ec;
    if (fs::exists(f, ec) || ec) {
        // Never replaced: pseudonyms and UIDs of every earlier export hang on it.
        if (!firstLine(f, key))
            return Error(
                "cannot read this account's de-identification key (it is never made again: earlier exports depend on it)", f.string());
        if (key.size() < 16)
            return Error("this account's de-identification key has fewer than 16 characters; give --key-file", f.string());
        return key;
    }
    std::random_device rd;
    char hex[65];
    for (int i = 0; i < 8; ++i)
        std::snprintf(hex + 8 * i, 9, "%08x", unsigned(rd()));
    key = hex;
    fs::create_directories(f.parent_path(), ec);
    // Created readable by its owner only, and only if nobody made it meanwhile.
    const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST && firstLine(f, key) && key.size() >= 16)
            return key;
        return Error("cannot make this account's de-identification key: " + std::string(std::strerror(errno)), f.string());
    }
    const std::string line = key + "\n";
    const bool written = ::write(fd, line.data(), line.size()) == ssize_t(line.size());
    ::close(fd);
    if (!written) {
        fs::remove(f, ec);
        return Error("cannot write this account's de-identification key", f.string());
    }
    if (made)
        *made = true;
    return key;
}

std::string deidPseudonym(const std::string& key, const std::string& patientId)
{
    return "ANON-" + keyed(key, "patient", patientId).substr(0, 10);
}

int deidDateShiftDays(const std::string& key, const std::string& patientId)
{
    return 1 + int(hexWord(keyed(key, "date", patientId), 0) % 3650);
}

std::string deidUid(const std::string& key, const std::string& uid)
{
    if (uid.empty() || uid.rfind("1.2.840.10008.", 0) == 0)
        return uid;
    const std::string h = keyed(key, "uid", uid);
    return uidFromHash(hexWord(h, 0), hexWord(h, 16));
}

Result<DeidResult> deidentifyFile(const fs::path& in, const fs::path& out, const DeidOptions& options)
{
    if (Status s = checkKey(options); !s)
        return s.error();
    std::error_code ec;
    if (fs::exists(out, ec) && fs::equivalent(in, out, ec))
        return Error("refusing to write over the input", in.string());
    detail::ensureCodecs();
    DcmFileFormat ff;
    if (std::string why = detail::loadGuarded(ff, in, false); !why.empty())
        return Error(why, in.string());
    if (ff.loadAllDataIntoMemory().bad())
        return Error("cannot read the whole file", in.string());
    auto r = deidentifyLoaded(ff, in, options);
    if (!r)
        return r;
    if (Status s = save(ff, out); !s)
        return s.error();
    return r;
}

Result<DeidReport> deidentifyFolder(const fs::path& in, const fs::path& out, const DeidOptions& options, Progress& progress)
{
    if (Status s = checkKey(options); !s)
        return s.error();
    std::error_code ec;
    if (!fs::is_directory(in, ec))
        return Error("not a folder", in.string());
    if (resolvesInside(out, in) || resolvesInside(in, out))
        return Error("the output folder may not be inside the input folder, nor the input inside the output", out.string());
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(in, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec) && !it->is_symlink(ec))
            files.push_back(it->path());
    if (ec)
        return Error("cannot list the folder: " + ec.message(), in.string());
    std::sort(files.begin(), files.end());
    return deidentifyFiles(files, out, options, progress);
}

Result<DeidReport> deidentifyFiles(const std::vector<fs::path>& files, const fs::path& out, const DeidOptions& options, Progress& progress)
{
    if (Status s = checkKey(options); !s)
        return s.error();
    detail::ensureCodecs();
    DeidReport rep;
    std::set<fs::path> written;
    for (size_t i = 0; i < files.size(); ++i) {
        if (progress.cancelled())
            return Error("de-identification cancelled; " + std::to_string(rep.written) + " files were written to " + out.string());
        progress.report(double(i) / double(files.size()), "de-identifying");
        if (resolvesInside(files[i], out)) {
            rep.problems.push_back(files[i].string() + ": inside the output folder (left out)");
            continue;
        }
        DcmFileFormat ff;
        if (std::string why = detail::loadGuarded(ff, files[i], false); !why.empty()) {
            rep.problems.push_back(files[i].string() + ": " + why + " (left out)");
            continue;
        }
        if (ff.loadAllDataIntoMemory().bad()) {
            rep.problems.push_back(files[i].string() + ": cannot read the whole file (left out)");
            continue;
        }
        auto r = deidentifyLoaded(ff, files[i], options);
        if (!r) {
            rep.problems.push_back(r.error().toString() + " (left out)");
            continue;
        }
        // The new UID names the file only when it is a plain UID (a kept 1.2.840.10008 value could hold anything).
        const std::string stem
            = detail::validUid(r->sopInstanceUid) ? r->sopInstanceUid : "object-" + sha256Hex(r->sopInstanceUid).substr(0, 16);
        const fs::path target = out / r->pseudonym / (stem + ".dcm");
        if (!written.insert(target).second) {
            rep.problems.push_back(files[i].string() + ": the same SOP Instance UID as another file (left out)");
            continue;
        }
        if (Status s = save(ff, target); !s)
            return s.error();
        ++rep.written;
        if (r->burnedInAnnotation)
            rep.burnedIn.push_back(target.string());
    }
    progress.report(1.0, "de-identified");
    return rep;
}

} // namespace ms::dicom

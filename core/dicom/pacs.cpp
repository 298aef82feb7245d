// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dicom/pacs.h"

#include "core/common/paths.h"
#include "core/common/sha256.h"
#include "core/dicom/dicom_common.h"
#include "core/dicom/pacs_detail.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/scu.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <system_error>

namespace fs = std::filesystem;

namespace ms::dicom
{
namespace
{

std::string where(const PacsNode& n)
{
    return n.calledAe + " at " + n.host + ":" + std::to_string(n.port);
}

Error netError(const PacsNode& n, const std::string& what, const OFCondition& c)
{
    return Error("PACS " + where(n) + ": " + what + ": " + std::string(c.text()));
}

// Storage classes a mammography study holds (images, our SEG/SR, other CADs' reports, presentation states, keys).
const char* const kStorageClasses[] = {
    UID_DigitalMammographyXRayImageStorageForPresentation,
    UID_DigitalMammographyXRayImageStorageForProcessing,
    UID_DigitalXRayImageStorageForPresentation,
    UID_DigitalXRayImageStorageForProcessing,
    UID_ComputedRadiographyImageStorage,
    UID_SecondaryCaptureImageStorage,
    UID_MultiframeGrayscaleWordSecondaryCaptureImageStorage,
    UID_MultiframeGrayscaleByteSecondaryCaptureImageStorage,
    UID_BreastTomosynthesisImageStorage,
    UID_BreastProjectionXRayImageStorageForPresentation,
    UID_BreastProjectionXRayImageStorageForProcessing,
    UID_UltrasoundImageStorage,
    UID_MRImageStorage,
    UID_SegmentationStorage,
    UID_ComprehensiveSRStorage,
    UID_EnhancedSRStorage,
    UID_BasicTextSRStorage,
    UID_MammographyCADSRStorage,
    UID_XRayRadiationDoseSRStorage,
    UID_EnhancedXRayRadiationDoseSRStorage,
    UID_KeyObjectSelectionDocumentStorage,
    UID_GrayscaleSoftcopyPresentationStateStorage,
    UID_ParametricMapStorage,
    UID_EncapsulatedPDFStorage,
};

// What we accept when the PACS sends: the uncompressed syntaxes first, then every compression the reader decodes.
OFList<OFString> receiveSyntaxes()
{
    OFList<OFString> x;
    for (const char* s : { UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax,
             UID_BigEndianExplicitTransferSyntax, UID_DeflatedExplicitVRLittleEndianTransferSyntax, UID_JPEGProcess14SV1TransferSyntax,
             UID_JPEGProcess14TransferSyntax, UID_JPEGLSLosslessTransferSyntax, UID_JPEG2000LosslessOnlyTransferSyntax,
             UID_JPEG2000TransferSyntax, UID_RLELosslessTransferSyntax, UID_JPEGProcess1TransferSyntax })
        x.push_back(s);
    return x;
}

// The image classes a mammography study mostly holds: these get a context of their own for each compressed syntax, so
// that a PACS that cannot transcode can still send what it stores.
const char* const kImageClasses[]
    = { UID_DigitalMammographyXRayImageStorageForPresentation, UID_DigitalMammographyXRayImageStorageForProcessing,
          UID_BreastTomosynthesisImageStorage, UID_DigitalXRayImageStorageForPresentation, UID_SecondaryCaptureImageStorage };
const char* const kCompressedSyntaxes[] = { UID_JPEGProcess14SV1TransferSyntax, UID_JPEGProcess14TransferSyntax,
    UID_JPEGLSLosslessTransferSyntax, UID_JPEG2000LosslessOnlyTransferSyntax, UID_JPEG2000TransferSyntax, UID_RLELosslessTransferSyntax,
    UID_JPEGProcess1TransferSyntax };

OFList<OFString> plainSyntaxes()
{
    OFList<OFString> x;
    x.push_back(UID_LittleEndianExplicitTransferSyntax);
    x.push_back(UID_LittleEndianImplicitTransferSyntax);
    return x;
}

void configure(DcmSCU& scu, const PacsNode& n)
{
    scu.setAETitle(n.callingAe.c_str());
    scu.setPeerHostName(n.host.c_str());
    scu.setPeerPort(Uint16(n.port));
    scu.setPeerAETitle(n.calledAe.c_str());
    scu.setMaxReceivePDULength(ASC_DEFAULTMAXPDU);
    scu.setConnectionTimeout(Sint32(n.timeoutSeconds));
    scu.setACSETimeout(Uint32(n.timeoutSeconds));
    scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    scu.setDIMSETimeout(Uint32(n.timeoutSeconds));
    scu.setVerbosePCMode(OFFalse);
}

Status associate(DcmSCU& scu, const PacsNode& n)
{
    if (OFCondition c = scu.initNetwork(); c.bad())
        return netError(n, "cannot set up the network", c);
    if (OFCondition c = scu.negotiateAssociation(); c.bad())
        return netError(n, "no association (is it running, and does it know the AE title " + n.callingAe + "?)", c);
    return {};
}

bool validAe(const std::string& ae)
{
    if (ae.empty() || ae.size() > 16)
        return false;
    bool nonSpace = false;
    for (unsigned char ch : ae) {
        if (ch < 0x20 || ch > 0x7e || ch == '\\')
            return false;
        nonSpace = nonSpace || ch != ' ';
    }
    return nonSpace;
}

bool validDate(const std::string& d)
{
    auto digits8 = [](std::string_view s) {
        return s.size() == 8 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
    };
    if (d.empty())
        return true;
    const auto dash = d.find('-');
    if (dash == std::string::npos)
        return digits8(d);
    const std::string_view from = std::string_view(d).substr(0, dash), to = std::string_view(d).substr(dash + 1);
    if (from.empty() && to.empty())
        return false;
    return (from.empty() || digits8(from)) && (to.empty() || digits8(to));
}

using detail::validUid;

std::string text(DcmItem* ds, const DcmTagKey& tag)
{
    OFString v;
    if (ds && ds->findAndGetOFStringArray(tag, v).good())
        return std::string(v.c_str());
    return {};
}

int integer(DcmItem* ds, const DcmTagKey& tag)
{
    const std::string v = text(ds, tag);
    if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) || c == ' '; }))
        return -1;
    try {
        return std::stoi(v);
    } catch (...) {
        return -1;
    }
}

// A C-FIND that stops taking answers at the limit or on cancellation.
class FindScu : public DcmSCU
{
public:
    FindScu(size_t limit, Progress& p) : m_limit(limit), m_progress(p) { }
    std::vector<StudyMatch> studies;
    bool truncated = false, cancelled = false;

    OFCondition handleFINDResponse(const T_ASC_PresentationContextID presID, QRResponse* response, OFBool& waitForNextResponse) override
    {
        OFCondition c = DcmSCU::handleFINDResponse(presID, response, waitForNextResponse);
        if (c.bad() || !response || !DICOM_PENDING_STATUS(response->m_status) || !response->m_dataset)
            return c;
        DcmDataset* ds = response->m_dataset;
        StudyMatch m;
        m.studyInstanceUid = text(ds, DCM_StudyInstanceUID);
        m.patientId = text(ds, DCM_PatientID);
        m.patientName = text(ds, DCM_PatientName);
        m.studyDate = text(ds, DCM_StudyDate);
        m.studyTime = text(ds, DCM_StudyTime);
        m.accessionNumber = text(ds, DCM_AccessionNumber);
        m.modalities = text(ds, DCM_ModalitiesInStudy);
        m.description = text(ds, DCM_StudyDescription);
        m.series = integer(ds, DCM_NumberOfStudyRelatedSeries);
        m.instances = integer(ds, DCM_NumberOfStudyRelatedInstances);
        if (studies.size() >= m_limit) {
            truncated = true;
        } else if (validUid(m.studyInstanceUid)) { // an answer without a usable UID cannot be retrieved: left out
            studies.push_back(std::move(m));
            m_progress.report(0.5, std::to_string(studies.size()) + " studies found");
        }
        if (truncated || m_progress.cancelled()) {
            cancelled = m_progress.cancelled();
            sendCANCELRequest(presID);
            waitForNextResponse = OFFalse;
        }
        return c;
    }

private:
    size_t m_limit;
    Progress& m_progress;
};

// A C-GET that writes what arrives under names of its own into `dir`, within a budget, cancellable.
class GetScu : public DcmSCU
{
public:
    GetScu(fs::path dir, const RetrieveLimits& l, Progress& p) : m_dir(std::move(dir)), m_limits(l), m_progress(p) { }
    size_t files = 0;
    std::uint64_t bytes = 0;
    int failed = 0, warnings = 0;
    std::string problem; // why the session was stopped on our side
    bool cancelled = false;

    OFCondition handleSTORERequest(
        const T_ASC_PresentationContextID, DcmDataset* incoming, OFBool& continueSession, Uint16& status) override
    {
        if (!incoming)
            return DIMSE_NULLKEY;
        // DCMTK hands the data set over: this handler owns it (DcmSCU's own handler gives it to a DcmFileFormat too).
        std::unique_ptr<DcmDataset> owned(incoming);
        if (m_progress.cancelled()) {
            cancelled = true;
            continueSession = OFFalse;
            status = STATUS_STORE_Refused_OutOfResources;
            return EC_Normal;
        }
        if (files >= m_limits.maxFiles) {
            problem = "the study has more than " + std::to_string(m_limits.maxFiles) + " objects (the retrieve limit)";
            continueSession = OFFalse;
            status = STATUS_STORE_Refused_OutOfResources;
            return EC_Normal;
        }
        OFString sopClass, sopInstance;
        E_TransferSyntax xfer = EXS_Unknown;
        getDatasetInfo(incoming, sopClass, sopInstance, xfer);
        if (sopClass.empty() || sopInstance.empty()) {
            status = STATUS_STORE_Error_DataSetDoesNotMatchSOPClass;
            ++failed;
            return EC_Normal;
        }
        char name[32];
        std::snprintf(name, sizeof name, "%06zu.dcm", files + 1);
        const fs::path out = m_dir / name;
        DcmFileFormat ff(owned.release(), OFFalse); // takes the data set over, no copy
        const OFCondition c = ff.saveFile(out.c_str(), xfer == EXS_Unknown ? EXS_LittleEndianExplicit : xfer, EET_ExplicitLength,
            EGL_recalcGL, EPD_noChange, 0, 0, EWM_createNewMeta);
        if (c.bad()) {
            problem = "cannot write " + out.string() + ": " + std::string(c.text());
            continueSession = OFFalse;
            status = STATUS_STORE_Refused_OutOfResources;
            return EC_Normal;
        }
        std::error_code ec;
        bytes += fs::file_size(out, ec);
        ++files;
        if (bytes > m_limits.maxBytes) {
            problem = "the study is larger than " + std::to_string(m_limits.maxBytes >> 20) + " MiB (the retrieve limit)";
            continueSession = OFFalse;
        }
        status = STATUS_Success;
        return EC_Normal;
    }

    OFCondition handleCGETResponse(const T_ASC_PresentationContextID presID, RetrieveResponse* response, OFBool& continueSession) override
    {
        OFCondition c = DcmSCU::handleCGETResponse(presID, response, continueSession);
        if (response) {
            failed = std::max<int>(failed, response->m_numberOfFailedSubops);
            warnings = std::max<int>(warnings, response->m_numberOfWarningSubops);
            const double done = response->m_numberOfCompletedSubops + response->m_numberOfFailedSubops + response->m_numberOfWarningSubops;
            const double all = done + response->m_numberOfRemainingSubops;
            m_progress.report(all > 0 ? done / all : 0.0, std::to_string(files) + " objects received");
            m_lastStatus = response->m_status;
        }
        if (m_progress.cancelled()) {
            cancelled = true;
            continueSession = OFFalse;
        }
        return c;
    }

    Uint16 lastStatus() const { return m_lastStatus; }

private:
    fs::path m_dir;
    RetrieveLimits m_limits;
    Progress& m_progress;
    Uint16 m_lastStatus = 0xFFFF;
};

std::string randomSuffix()
{
    std::random_device rd;
    char b[17];
    std::snprintf(b, sizeof b, "%08x%08x", rd(), rd());
    return b;
}

} // namespace

void detail::sortStudies(std::vector<StudyMatch>& studies)
{
    std::sort(studies.begin(), studies.end(), [](const StudyMatch& a, const StudyMatch& b) {
        return std::tie(b.studyDate, b.studyTime, a.studyInstanceUid) < std::tie(a.studyDate, a.studyTime, b.studyInstanceUid);
    });
}

bool detail::validUid(const std::string& u)
{
    if (u.empty() || u.size() > 64 || u.front() == '.' || u.back() == '.' || u.find("..") != std::string::npos)
        return false;
    return std::all_of(u.begin(), u.end(), [](unsigned char c) { return std::isdigit(c) || c == '.'; });
}

Result<fs::path> detail::makePartialFolder(const fs::path& destRoot, const std::string& studyUid)
{
    std::error_code ec;
    fs::create_directories(destRoot, ec);
    if (ec)
        return Error("cannot create the folder: " + ec.message(), destRoot.string());
    const fs::path partial = destRoot / (".partial-" + studyFolderName(studyUid) + "-" + randomSuffix());
    fs::create_directory(partial, ec);
    if (ec)
        return Error("cannot create the folder: " + ec.message(), partial.string());
    return partial;
}

Result<fs::path> detail::commitStudyFolder(const fs::path& partial, const fs::path& destRoot, const std::string& studyUid, bool& replaced)
{
    std::error_code ec;
    const fs::path final = destRoot / studyFolderName(studyUid);
    replaced = false;
    if (fs::exists(final, ec)) {
        const fs::path old = destRoot / (".old-" + studyFolderName(studyUid) + "-" + randomSuffix());
        fs::rename(final, old, ec);
        if (ec) {
            removeTree(partial);
            return Error("cannot replace the earlier retrieve: " + ec.message(), final.string());
        }
        fs::rename(partial, final, ec);
        if (ec) {
            fs::rename(old, final, ec);
            removeTree(partial);
            return Error("cannot move the retrieved study into place", final.string());
        }
        removeTree(old);
        replaced = true;
        return final;
    }
    fs::rename(partial, final, ec);
    if (ec) {
        const std::string why = ec.message();
        removeTree(partial);
        return Error("cannot move the retrieved study into place: " + why, final.string());
    }
    return final;
}

Status validatePacsNode(const PacsNode& n)
{
    if (n.host.empty() || n.host.size() > 253 || !std::all_of(n.host.begin(), n.host.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '_';
        }))
        return Error("PACS host '" + n.host + "' is not a host name or address");
    if (n.port < 1 || n.port > 65535)
        return Error("PACS port " + std::to_string(n.port) + " is outside 1..65535");
    if (!validAe(n.calledAe))
        return Error("the PACS's AE title '" + n.calledAe + "' is not 1 to 16 printable characters without a backslash");
    if (!validAe(n.callingAe))
        return Error("our AE title '" + n.callingAe + "' is not 1 to 16 printable characters without a backslash");
    if (n.timeoutSeconds < 1 || n.timeoutSeconds > 3600)
        return Error("PACS timeout " + std::to_string(n.timeoutSeconds) + " s is outside 1..3600");
    return {};
}

Status validateStudyQuery(const StudyQuery& q)
{
    const std::pair<const char*, const std::string*> keys[]
        = { { "patient ID", &q.patientId }, { "patient name", &q.patientName }, { "study date", &q.studyDate },
              { "accession number", &q.accessionNumber }, { "modality", &q.modality }, { "study UID", &q.studyInstanceUid } };
    for (const auto& [name, v] : keys) {
        if (v->size() > 64)
            return Error(std::string("the ") + name + " is longer than 64 characters");
        for (unsigned char c : *v)
            if (c < 0x20 || c == 0x7f || c == '\\')
                return Error(std::string("the ") + name + " holds a control character or a backslash");
    }
    if (!validDate(q.studyDate))
        return Error("the study date '" + q.studyDate + "' is not YYYYMMDD or a range YYYYMMDD-YYYYMMDD");
    if (!q.studyInstanceUid.empty() && !validUid(q.studyInstanceUid))
        return Error("the study UID '" + q.studyInstanceUid + "' is not a DICOM UID (digits and dots, at most 64)");
    if (!q.modality.empty() && !std::all_of(q.modality.begin(), q.modality.end(), [](unsigned char c) {
            return std::isupper(c) || std::isdigit(c) || c == '_';
        }))
        return Error("the modality '" + q.modality + "' is not a DICOM modality code such as MG");
    return {};
}

std::string studyFolderName(const std::string& uid)
{
    if (validUid(uid))
        return uid;
    return "study-" + sha256Hex(uid).substr(0, 16);
}

Status pacsEcho(const PacsNode& node)
{
    if (Status s = validatePacsNode(node); !s)
        return s;
    detail::ensureCodecs();
    DcmSCU scu;
    configure(scu, node);
    scu.addPresentationContext(UID_VerificationSOPClass, plainSyntaxes());
    if (Status s = associate(scu, node); !s)
        return s;
    const OFCondition c = scu.sendECHORequest(0);
    scu.releaseAssociation();
    if (c.bad())
        return netError(node, "C-ECHO failed", c);
    return {};
}

Result<StudySearch> pacsFindStudies(const PacsNode& node, const StudyQuery& q, size_t limit, Progress& progress)
{
    if (Status s = validatePacsNode(node); !s)
        return s.error();
    if (Status s = validateStudyQuery(q); !s)
        return s.error();
    detail::ensureCodecs();
    FindScu scu(std::max<size_t>(limit, 1), progress);
    configure(scu, node);
    scu.addPresentationContext(UID_FINDStudyRootQueryRetrieveInformationModel, plainSyntaxes());
    if (Status s = associate(scu, node); !s)
        return s.error();
    DcmDataset keys;
    keys.putAndInsertOFStringArray(DCM_QueryRetrieveLevel, "STUDY");
    keys.putAndInsertOFStringArray(DCM_StudyInstanceUID, q.studyInstanceUid.c_str());
    keys.putAndInsertOFStringArray(DCM_PatientID, q.patientId.c_str());
    keys.putAndInsertOFStringArray(DCM_PatientName, q.patientName.c_str());
    keys.putAndInsertOFStringArray(DCM_StudyDate, q.studyDate.c_str());
    keys.putAndInsertOFStringArray(DCM_StudyTime, "");
    keys.putAndInsertOFStringArray(DCM_AccessionNumber, q.accessionNumber.c_str());
    keys.putAndInsertOFStringArray(DCM_ModalitiesInStudy, q.modality.c_str());
    keys.putAndInsertOFStringArray(DCM_StudyDescription, "");
    keys.putAndInsertOFStringArray(DCM_NumberOfStudyRelatedSeries, "");
    keys.putAndInsertOFStringArray(DCM_NumberOfStudyRelatedInstances, "");
    const T_ASC_PresentationContextID pc = scu.findPresentationContextID(UID_FINDStudyRootQueryRetrieveInformationModel, "");
    if (pc == 0) {
        scu.releaseAssociation();
        return Error("PACS " + where(node) + " does not accept study-root C-FIND");
    }
    const OFCondition c = scu.sendFINDRequest(pc, &keys, nullptr);
    if (scu.cancelled) {
        scu.abortAssociation();
        return Error("search cancelled");
    }
    if (c.bad()) {
        scu.abortAssociation();
        return netError(node, "C-FIND failed", c);
    }
    if (scu.truncated)
        scu.abortAssociation(); // answers after the C-CANCEL may still be on their way
    else
        scu.releaseAssociation();
    StudySearch out;
    out.studies = std::move(scu.studies);
    out.truncated = scu.truncated;
    detail::sortStudies(out.studies);
    return out;
}

Result<Retrieved> pacsRetrieveStudy(
    const PacsNode& node, const std::string& studyUid, const fs::path& destRoot, const RetrieveLimits& limits, Progress& progress)
{
    if (Status s = validatePacsNode(node); !s)
        return s.error();
    if (!validUid(studyUid))
        return Error("the study UID '" + studyUid + "' is not a DICOM UID (digits and dots, at most 64)");
    auto madePartial = detail::makePartialFolder(destRoot, studyUid);
    if (!madePartial)
        return madePartial.error();
    const fs::path partial = *madePartial;
    // (removeTree, not fs::remove_all: see core/common/paths.h)
    auto discard = [&] { removeTree(partial); };

    detail::ensureCodecs();
    GetScu scu(partial, limits, progress);
    configure(scu, node);
    scu.addPresentationContext(UID_GETStudyRootQueryRetrieveInformationModel, plainSyntaxes());
    for (const char* sop : kStorageClasses)
        scu.addPresentationContext(sop, receiveSyntaxes(), ASC_SC_ROLE_SCP);
    for (const char* sop : kImageClasses)
        for (const char* x : kCompressedSyntaxes) {
            OFList<OFString> one;
            one.push_back(x);
            scu.addPresentationContext(sop, one, ASC_SC_ROLE_SCP);
        }
    if (Status s = associate(scu, node); !s) {
        discard();
        return s.error();
    }
    const T_ASC_PresentationContextID pc = scu.findPresentationContextID(UID_GETStudyRootQueryRetrieveInformationModel, "");
    if (pc == 0) {
        scu.releaseAssociation();
        discard();
        return Error("PACS " + where(node) + " does not accept study-root C-GET");
    }
    DcmDataset keys;
    keys.putAndInsertOFStringArray(DCM_QueryRetrieveLevel, "STUDY");
    keys.putAndInsertOFStringArray(DCM_StudyInstanceUID, studyUid.c_str());
    progress.report(0.0, "retrieving");
    const OFCondition c = scu.sendCGETRequest(pc, &keys, nullptr);
    if (scu.cancelled || !scu.problem.empty() || c.bad()) {
        scu.abortAssociation();
        discard();
        if (scu.cancelled)
            return Error("retrieve cancelled; nothing was kept");
        if (!scu.problem.empty())
            return Error("PACS " + where(node) + ": " + scu.problem + "; nothing was kept");
        return netError(node, "C-GET failed", c);
    }
    scu.releaseAssociation();
    if (scu.files == 0) {
        discard();
        return Error("PACS " + where(node) + " sent no object for this study (unknown study, or C-GET refused: status 0x" + [&] {
            char b[8];
            std::snprintf(b, sizeof b, "%04x", unsigned(scu.lastStatus()));
            return std::string(b);
        }() + ")");
    }
    const Uint16 last = scu.lastStatus();
    if (scu.failed > 0 || (last != STATUS_Success && last != STATUS_GET_Warning_SubOperationsCompleteOneOrMoreFailures)) {
        discard();
        char b[8];
        std::snprintf(b, sizeof b, "%04x", unsigned(last));
        return Error("PACS " + where(node) + " could not send the whole study (" + std::to_string(scu.failed) + " of "
            + std::to_string(scu.files + size_t(scu.failed)) + " objects failed, final status 0x" + b + "); nothing was kept");
    }
    Retrieved r;
    r.files = scu.files;
    r.bytes = scu.bytes;
    r.failed = scu.failed;
    r.warnings = scu.warnings;
    auto placed = detail::commitStudyFolder(partial, destRoot, studyUid, r.replaced);
    if (!placed)
        return placed.error();
    r.folder = *placed;
    progress.report(1.0, std::to_string(r.files) + " objects received");
    return r;
}

Result<Sent> pacsSend(const PacsNode& node, const std::vector<fs::path>& files, Progress& progress)
{
    if (Status s = validatePacsNode(node); !s)
        return s.error();
    detail::ensureCodecs();
    Sent out;
    // Read each file's SOP class and transfer syntax first (header only, with the reader's guards).
    struct Item {
        fs::path path;
        std::string sopClass, xfer;
    };
    std::vector<Item> items;
    std::map<std::string, std::set<std::string>> contexts;
    for (const fs::path& f : files) {
        DcmFileFormat ff;
        if (std::string why = detail::loadGuarded(ff, f, true); !why.empty()) {
            out.problems.push_back(f.string() + ": " + why);
            continue;
        }
        OFString sop, xferUid;
        ff.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPClassUID, sop);
        ff.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, xferUid);
        if (sop.empty())
            ff.getDataset()->findAndGetOFString(DCM_SOPClassUID, sop);
        if (sop.empty() || xferUid.empty()) {
            out.problems.push_back(f.string() + ": no SOP class or transfer syntax in the file's meta header");
            continue;
        }
        items.push_back({ f, sop.c_str(), xferUid.c_str() });
        contexts[sop.c_str()].insert(xferUid.c_str());
    }
    if (items.empty())
        return out;
    size_t proposed = 0; // DICOM allows 128 presentation contexts on one association
    for (const auto& [sop, xfers] : contexts)
        proposed += xfers.size() + 1;
    if (proposed > 128)
        return Error("the files need " + std::to_string(proposed)
            + " presentation contexts (SOP classes times transfer syntaxes); at most "
              "128 fit one association: send fewer kinds of files at once");
    DcmSCU scu;
    configure(scu, node);
    for (const auto& [sop, xfers] : contexts) {
        // One context per class with the file's own syntax (so nothing is transcoded), one with the plain ones.
        for (const std::string& x : xfers) {
            OFList<OFString> l;
            l.push_back(x.c_str());
            scu.addPresentationContext(sop.c_str(), l);
        }
        scu.addPresentationContext(sop.c_str(), plainSyntaxes());
    }
    if (Status s = associate(scu, node); !s)
        return s.error();
    for (size_t i = 0; i < items.size(); ++i) {
        if (progress.cancelled()) {
            scu.releaseAssociation();
            out.problems.push_back("cancelled after " + std::to_string(out.sent) + " of " + std::to_string(items.size()) + " files");
            return out;
        }
        const Item& it = items[i];
        T_ASC_PresentationContextID pc = scu.findPresentationContextID(it.sopClass.c_str(), it.xfer.c_str());
        if (pc == 0) {
            out.problems.push_back(it.path.string() + ": the PACS accepts neither its SOP class nor its transfer syntax");
            continue;
        }
        Uint16 status = 0;
        const OFCondition c = scu.sendSTORERequest(pc, OFFilename(it.path.c_str()), nullptr, status);
        if (c.bad()) {
            scu.abortAssociation();
            return netError(node, "C-STORE of " + it.path.string() + " failed after " + std::to_string(out.sent) + " files", c);
        }
        if (status == STATUS_Success || (status & 0xf000) == 0xb000)
            ++out.sent;
        else {
            char b[8];
            std::snprintf(b, sizeof b, "%04x", unsigned(status));
            out.problems.push_back(it.path.string() + ": the PACS refused it (status 0x" + b + ")");
        }
        progress.report(double(i + 1) / double(items.size()), std::to_string(out.sent) + " sent");
    }
    scu.releaseAssociation();
    return out;
}

} // namespace ms::dicom

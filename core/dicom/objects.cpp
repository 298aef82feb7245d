// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dicom/objects.h"

#include "core/dicom/dicom_common.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmfg/fgderimg.h>
#include <dcmtk/dcmfg/fgfracon.h>
#include <dcmtk/dcmfg/fgpixmsr.h>
#include <dcmtk/dcmiod/iodmacro.h>
#include <dcmtk/dcmiod/iodreferences.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <dcmtk/dcmseg/segment.h>
#include <dcmtk/dcmsr/codes/dcm.h>
#include <dcmtk/dcmsr/dsrdoc.h>

#include <cmath>
#include <cstdio>
#include <memory>

namespace fs = std::filesystem;

namespace ms::dicom
{

namespace
{

std::string versionOf(const Producer& p)
{
    return p.softwareVersion.empty() ? std::string(MS_VERSION) : p.softwareVersion;
}

std::string newUid(const char* root)
{
    char buf[100];
    return dcmGenerateUniqueIdentifier(buf, root);
}

std::string text(DcmItem* item, const DcmTagKey& key)
{
    OFString v;
    if (item && item->findAndGetOFStringArray(key, v).good())
        return v.c_str();
    return "";
}

// What a SEG or SR needs of its source image.
struct Source {
    std::unique_ptr<DcmFileFormat> file = std::make_unique<DcmFileFormat>();
    DcmDataset* ds = nullptr;
    std::string sopClass, sopInstance, series, study, patientId, laterality, orientation, spacing, charset;
    int rows = 0, columns = 0;
};

Result<Source> loadSource(const fs::path& path)
{
    detail::ensureCodecs();
    Source s;
    if (const std::string why = detail::loadGuarded(*s.file, path, true); !why.empty())
        return Error(why, path.string());
    s.ds = s.file->getDataset();
    s.sopClass = text(s.ds, DCM_SOPClassUID);
    s.sopInstance = text(s.ds, DCM_SOPInstanceUID);
    s.series = text(s.ds, DCM_SeriesInstanceUID);
    s.study = text(s.ds, DCM_StudyInstanceUID);
    s.patientId = text(s.ds, DCM_PatientID);
    s.laterality = text(s.ds, DCM_ImageLaterality);
    if (s.laterality.empty())
        s.laterality = text(s.ds, DCM_Laterality);
    s.orientation = text(s.ds, DCM_PatientOrientation);
    s.spacing = text(s.ds, DCM_PixelSpacing);
    if (s.spacing.empty())
        s.spacing = text(s.ds, DCM_ImagerPixelSpacing);
    s.charset = text(s.ds, DCM_SpecificCharacterSet);
    Uint16 r = 0, c = 0;
    s.ds->findAndGetUint16(DCM_Rows, r);
    s.ds->findAndGetUint16(DCM_Columns, c);
    s.rows = r;
    s.columns = c;
    if (s.sopClass.empty() || s.sopInstance.empty() || s.study.empty() || s.series.empty())
        return Error("has no SOP Class, SOP Instance, Study or Series Instance UID: nothing can refer to it", path.string());
    if (s.rows < 1 || s.columns < 1)
        return Error("has no image size (Rows, Columns)", path.string());
    return s;
}

std::string check(const OFCondition& c, const char* what)
{
    return c.good() ? std::string() : std::string(what) + ": " + c.text();
}

// Saves to a temporary file beside `out`, then renames: a failed export leaves no half-written object behind.
Status saveAtomically(DcmFileFormat& ff, const fs::path& out)
{
    std::error_code ec;
    fs::create_directories(out.parent_path(), ec);
    const fs::path tmp = out.string() + ".part";
    const OFCondition c = ff.saveFile(tmp.c_str(), EXS_LittleEndianExplicit);
    if (c.bad()) {
        fs::remove(tmp, ec);
        return Error(std::string("cannot write it: ") + c.text(), out.string());
    }
    fs::rename(tmp, out, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return Error("cannot move it into place: " + ec.message(), out.string());
    }
    return {};
}

// SNOMED CT codes of an abnormality type, for the SEG's segmented property type and the SR's finding.
struct Code {
    const char *value, *scheme, *meaning;
};
Code typeCode(const std::string& type)
{
    if (type == "mass")
        return { "4147007", "SCT", "Mass" };
    if (type == "calcification")
        return { "18115005", "SCT", "Calcification" };
    return { "49755003", "SCT", "Morphologically Altered Structure" };
}

std::string capitalised(std::string s)
{
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z')
        s[0] = char(s[0] - 'a' + 'A');
    return s;
}

std::string lowerWords(std::string s)
{
    for (char& ch : s)
        ch = ch == '_' ? ' ' : (ch >= 'A' && ch <= 'Z' ? char(ch - 'A' + 'a') : ch);
    return s;
}

} // namespace

Status writeSegmentation(const fs::path& sourcePath, const std::vector<SegSegment>& segments, const fs::path& out, const SegOptions& opt)
{
    if (segments.empty())
        return Error("no segments to write", out.string());
    auto src = loadSource(sourcePath);
    if (!src)
        return src.error();
    const Source& s = *src;
    for (size_t i = 0; i < segments.size(); ++i) {
        const RleMask& m = segments[i].mask;
        if (m.width() != s.columns || m.height() != s.rows)
            return Error("segment " + std::to_string(i + 1) + " is " + std::to_string(m.width()) + "x" + std::to_string(m.height())
                    + ", the image " + std::to_string(s.columns) + "x" + std::to_string(s.rows),
                sourcePath.string());
        if (m.area() == 0)
            return Error("segment " + std::to_string(i + 1) + " is empty", sourcePath.string());
    }
    if (segments.size() > 65535)
        return Error("more than 65535 segments", out.string());

    const std::string version = versionOf(opt.producer);
    IODGeneralEquipmentModule::EquipmentInfo eq(opt.producer.manufacturer.c_str(), opt.producer.model.c_str(), "0", version.c_str());
    ContentIdentificationMacro ci;
    std::string err;
    err += check(ci.setInstanceNumber("1"), "instance number");
    err += check(ci.setContentLabel("MAMMOSCOPE_ROI"), "content label");
    err += check(ci.setContentDescription("Regions of interest"), "content description");
    err += check(ci.setContentCreatorName("MammoScope^"), "content creator");
    DcmSegmentation* raw = nullptr;
    err += check(DcmSegmentation::createBinarySegmentation(raw, Uint16(s.rows), Uint16(s.columns), eq, ci), "create");
    std::unique_ptr<DcmSegmentation> seg(raw);
    if (!seg || !err.empty())
        return Error("DCMTK could not create the segmentation: " + err, out.string());
    // Patient and study from the source; not its Frame of Reference (a 2D projection has no plane positions, which
    // DCMTK then demands), nor its series or equipment (the X-ray unit did not make this object).
    err += check(seg->importHierarchy(*s.ds, OFTrue, OFTrue, OFFalse, OFFalse, OFTrue), "import patient and study");
    seg->getEquipment().clearData();
    err += check(seg->setEquipmentInfo(eq), "equipment");
    seg->getRules()->addRule(new IODRule(DCM_FrameOfReferenceUID, "1", "1C", "FrameOfReferenceModule", DcmIODTypes::IE_FOR), OFTrue);
    seg->getRules()->addRule(new IODRule(DCM_PositionReferenceIndicator, "1", "1C", "FrameOfReferenceModule", DcmIODTypes::IE_FOR), OFTrue);
    err += check(seg->getSeries().setSeriesInstanceUID(newUid(SITE_SERIES_UID_ROOT).c_str()), "series UID");
    err += check(seg->getSeries().setSeriesNumber("900"), "series number");
    err += check(seg->getSeries().setSeriesDescription(opt.seriesDescription.c_str()), "series description");
    err += check(seg->getSeries().setBodyPartExamined("BREAST"), "body part");
    // Patient Orientation has two values (row\\column direction, "A\\R"); CBIS-DDSM keeps the view ("CC") there,
    // which is not one: left empty then.
    if (s.orientation.find('\\') != std::string::npos)
        err += check(seg->getGeneralImage().setPatientOrientation(s.orientation.c_str()), "patient orientation");
    err += check(seg->getSOPCommon().setSOPInstanceUID(newUid(SITE_INSTANCE_UID_ROOT).c_str()), "SOP instance UID");

    const bool automatic = !opt.algorithmName.empty();
    AlgorithmIdentificationMacro algo;
    if (automatic) {
        err += check(algo.getAlgorithmFamilyCode().set("123110", "DCM", "Artificial Intelligence"), "algorithm family");
        err += check(algo.setAlgorithmName(opt.algorithmName.c_str()), "algorithm name");
        err += check(algo.setAlgorithmVersion(opt.algorithmVersion.empty() ? "1" : opt.algorithmVersion.c_str()), "algorithm version");
        if (!opt.algorithmParameters.empty())
            err += check(algo.setAlgorithmParameters(opt.algorithmParameters.c_str()), "algorithm parameters");
    }
    if (!s.spacing.empty()) {
        FGPixelMeasures pm;
        if (pm.setPixelSpacing(s.spacing.c_str()).good())
            err += check(seg->addForAllFrames(pm), "pixel measures");
    }
    ImageSOPInstanceReferenceMacro ref;
    err += check(ref.setReferencedSOPClassUID(s.sopClass.c_str()), "referenced SOP class");
    err += check(ref.setReferencedSOPInstanceUID(s.sopInstance.c_str()), "referenced SOP instance");
    OFVector<ImageSOPInstanceReferenceMacro> refs;
    refs.push_back(ref);
    std::unique_ptr<FGDerivationImage> deriv(DcmSegmentation::createDerivationImageFG(refs, "Regions of interest of the source image"));
    if (!deriv)
        err += "derivation image: DCMTK refused the reference; ";
    err += check(seg->getDimensions().addDimensionIndex(
                     DCM_ReferencedSegmentNumber, newUid(SITE_INSTANCE_UID_ROOT).c_str(), DCM_SegmentIdentificationSequence, "Segment"),
        "dimension index");
    if (!err.empty())
        return Error("DCMTK refused a value: " + err, out.string());

    const size_t framePixels = size_t(s.rows) * size_t(s.columns);
    std::vector<Uint8> frame(framePixels);
    std::vector<Uint8> packed(((framePixels * segments.size() + 7) / 8 + 1) / 2 * 2, 0);
    for (size_t i = 0; i < segments.size(); ++i) {
        const SegSegment& g = segments[i];
        const std::string type = g.type.empty() ? std::string("abnormality") : g.type;
        const std::string label = g.label.empty() ? capitalised(type) : g.label;
        DcmSegment* segment = nullptr;
        OFCondition c = DcmSegment::create(segment, label.substr(0, 64).c_str(),
            CodeSequenceMacro("49755003", "SCT", "Morphologically Altered Structure"),
            CodeSequenceMacro(typeCode(type).value, typeCode(type).scheme, typeCode(type).meaning),
            automatic ? DcmSegTypes::SAT_AUTOMATIC : DcmSegTypes::SAT_MANUAL, automatic ? opt.algorithmName.c_str() : "");
        if (c.bad() || !segment)
            return Error("segment " + std::to_string(i + 1) + ": " + c.text(), out.string());
        std::string desc = capitalised(type);
        if (!g.pathology.empty())
            desc += ", " + lowerWords(g.pathology);
        if (!g.description.empty())
            desc += ", " + g.description;
        err += check(segment->setSegmentDescription(desc.substr(0, 64).c_str()), "segment description");
        if (automatic)
            err += check(segment->setSegmentationAlgorithmIdentification(algo), "segment algorithm");
        err += check(segment->getGeneralAnatomyCode().getAnatomicRegion().set("76752008", "SCT", "Breast"), "anatomic region");
        if (s.laterality == "L" || s.laterality == "R")
            segment->getGeneralAnatomyCode().getAnatomicRegionModifier().push_back(
                s.laterality == "L" ? new CodeSequenceMacro("7771000", "SCT", "Left") : new CodeSequenceMacro("24028007", "SCT", "Right"));
        if (!g.trackingUid.empty()) {
            err += check(segment->setTrackingID(g.trackingId.empty() ? label.substr(0, 64).c_str() : g.trackingId.c_str()), "tracking ID");
            err += check(segment->setTrackingUID(g.trackingUid.c_str()), "tracking UID");
        }
        if (g.pathology == "MALIGNANT")
            err += check(segment->setRecommendedDisplayCIELabValue(34050, 53592, 48573), "colour"); // red
        else
            err += check(segment->setRecommendedDisplayCIELabValue(62662, 40931, 15820), "colour"); // amber
        Uint16 number = 0;
        c = seg->addSegment(segment, number);
        if (c.bad()) {
            delete segment;
            return Error("segment " + std::to_string(i + 1) + ": " + c.text(), out.string());
        }
        FGFrameContent fc;
        err += check(fc.setDimensionIndexValues(number, 0), "dimension index value");
        OFVector<FGBase*> perFrame;
        perFrame.push_back(deriv.get());
        perFrame.push_back(&fc);
        const Gray8 g8 = g.mask.toGray(1);
        for (size_t p = 0; p < framePixels; ++p) {
            frame[p] = g8.pixels[p] ? 1 : 0;
            if (frame[p]) {
                const size_t bit = i * framePixels + p;
                packed[bit / 8] = Uint8(packed[bit / 8] | (1u << (bit % 8)));
            }
        }
        err += check(seg->addFrame(frame.data(), number, perFrame), "frame");
        if (!err.empty())
            return Error("DCMTK refused segment " + std::to_string(i + 1) + ": " + err, out.string());
    }
    IODReferences iodRefs;
    iodRefs.add(new IODImageReference(s.patientId.c_str(), s.study.c_str(), s.series.c_str(), s.sopInstance.c_str(), s.sopClass.c_str()));
    seg->getCommonInstanceReference().addReferences(iodRefs);

    DcmFileFormat ff;
    OFCondition c = seg->writeDataset(*ff.getDataset());
    if (c.bad())
        return Error(std::string("DCMTK could not build the segmentation: ") + c.text(), out.string());
    DcmDataset* d = ff.getDataset();
    if (!d->tagExists(DCM_PatientOrientation))
        d->insertEmptyElement(DCM_PatientOrientation); // type 2C here: present, empty when the source has none
    c = d->putAndInsertUint8Array(DCM_PixelData, packed.data(), (unsigned long)packed.size());
    if (c.bad())
        return Error(std::string("cannot set the pixel data: ") + c.text(), out.string());
    return saveAtomically(ff, out);
}

Result<SegRead> readSegmentation(const fs::path& file)
{
    detail::ensureCodecs();
    DcmFileFormat ff;
    if (const std::string why = detail::loadGuarded(ff, file, false); !why.empty())
        return Error(why, file.string());
    DcmDataset* d = ff.getDataset();
    if (text(d, DCM_SOPClassUID) != UID_SegmentationStorage)
        return Error("is not a DICOM Segmentation (SOP Class " + text(d, DCM_SOPClassUID) + ")", file.string());
    SegRead r;
    Uint16 rows = 0, cols = 0, bits = 0;
    d->findAndGetUint16(DCM_Rows, rows);
    d->findAndGetUint16(DCM_Columns, cols);
    d->findAndGetUint16(DCM_BitsAllocated, bits);
    Sint32 frames = 1;
    d->findAndGetSint32(DCM_NumberOfFrames, frames);
    if (rows < 1 || cols < 1 || frames < 1 || frames > 65535)
        return Error("has a size of " + std::to_string(cols) + "x" + std::to_string(rows) + " with " + std::to_string(frames) + " frames",
            file.string());
    if (bits != 1 || text(d, DCM_SegmentationType) != "BINARY")
        return Error("is not a binary segmentation (" + text(d, DCM_SegmentationType) + ", " + std::to_string(bits)
                + " bits): fractional ones are not read",
            file.string());
    r.rows = rows;
    r.columns = cols;
    const Uint8* pixels = nullptr;
    unsigned long length = 0;
    const size_t framePixels = size_t(rows) * size_t(cols);
    if (d->findAndGetUint8Array(DCM_PixelData, pixels, &length).bad() || !pixels
        || uint64_t(length) * 8 < uint64_t(framePixels) * uint64_t(frames))
        return Error("pixel data holds " + std::to_string(length) + " bytes, " + std::to_string((framePixels * size_t(frames) + 7) / 8)
                + " needed for " + std::to_string(frames) + " frames of " + std::to_string(cols) + "x" + std::to_string(rows),
            file.string());
    // the image it was made of
    DcmItem* series = nullptr;
    if (d->findAndGetSequenceItem(DCM_ReferencedSeriesSequence, series, 0).good() && series) {
        DcmItem* inst = nullptr;
        if (series->findAndGetSequenceItem(DCM_ReferencedInstanceSequence, inst, 0).good() && inst) {
            r.referencedSopInstanceUid = text(inst, DCM_ReferencedSOPInstanceUID);
            r.referencedSopClassUid = text(inst, DCM_ReferencedSOPClassUID);
        }
    }
    // segments
    DcmSequenceOfItems* segs = nullptr;
    if (d->findAndGetSequence(DCM_SegmentSequence, segs).bad() || !segs || segs->card() == 0)
        return Error("has no Segment Sequence", file.string());
    for (unsigned long i = 0; i < segs->card(); ++i) {
        DcmItem* it = segs->getItem(i);
        SegRead::Segment g;
        Uint16 n = 0;
        it->findAndGetUint16(DCM_SegmentNumber, n);
        g.number = n;
        g.label = text(it, DCM_SegmentLabel);
        g.description = text(it, DCM_SegmentDescription);
        g.trackingUid = text(it, DCM_TrackingUID);
        DcmItem* type = nullptr;
        if (it->findAndGetSequenceItem(DCM_SegmentedPropertyTypeCodeSequence, type, 0).good())
            g.propertyType = text(type, DCM_CodeMeaning);
        g.mask = RleMask(cols, rows);
        r.segments.push_back(std::move(g));
    }
    // frames: each names its segment in the per-frame Segment Identification
    DcmSequenceOfItems* perFrame = nullptr;
    d->findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, perFrame);
    std::vector<uint8_t> on(framePixels);
    for (Sint32 f = 0; f < frames; ++f) {
        int segmentNumber = 0;
        DcmItem* fg
            = perFrame && static_cast<unsigned long>(f) < perFrame->card() ? perFrame->getItem(static_cast<unsigned long>(f)) : nullptr;
        DcmItem* ident = nullptr;
        Uint16 n = 0;
        if (fg && fg->findAndGetSequenceItem(DCM_SegmentIdentificationSequence, ident, 0).good() && ident
            && ident->findAndGetUint16(DCM_ReferencedSegmentNumber, n).good())
            segmentNumber = n;
        SegRead::Segment* target = nullptr;
        for (auto& g : r.segments)
            if (g.number == segmentNumber)
                target = &g;
        if (!target)
            return Error(
                "frame " + std::to_string(f + 1) + " names segment " + std::to_string(segmentNumber) + ", which the file does not define",
                file.string());
        for (size_t p = 0; p < framePixels; ++p) {
            const size_t bit = size_t(f) * framePixels + p;
            on[p] = (pixels[bit / 8] >> (bit % 8)) & 1;
        }
        RleMask m = RleMask::fromBinary(on.data(), cols, rows, 1);
        target->mask = target->mask.unite(m);
    }
    return r;
}

Status writeFindingsSr(const fs::path& sourcePath, const std::vector<SrFinding>& findings, const fs::path& out, const SrOptions& opt)
{
    auto src = loadSource(sourcePath);
    if (!src)
        return src.error();
    const Source& s = *src;
    DSRDocument doc;
    std::string err;
    err += check(doc.createNewDocument(DSRTypes::DT_ComprehensiveSR), "create");
    err += check(doc.readStudyData(*s.ds), "patient and study");
    if (!s.charset.empty())
        err += check(doc.setSpecificCharacterSet(s.charset.c_str()), "character set");
    err += check(doc.createNewSeriesInStudy(s.study.c_str()), "series");
    err += check(doc.setSeriesNumber("901"), "series number");
    err += check(doc.setInstanceNumber("1"), "instance number");
    err += check(doc.setSeriesDescription(opt.seriesDescription.c_str()), "series description");
    err += check(doc.setManufacturer(opt.producer.manufacturer.c_str()), "manufacturer");
    err += check(doc.setManufacturerModelName(opt.producer.model.c_str()), "model");
    err += check(doc.setSoftwareVersions(versionOf(opt.producer).c_str()), "software version");
    if (!err.empty())
        return Error("DCMTK refused a value: " + err, out.string());

    DSRDocumentTree& t = doc.getTree();
    const auto HAS_OBS = DSRTypes::RT_hasObsContext;
    const auto HAS_MOD = DSRTypes::RT_hasConceptMod;
    const auto CONTAINS = DSRTypes::RT_contains;
    auto ok = [&](OFCondition c, const char* what) { err += check(c, what); };
    auto added = [&](size_t node, const char* what) {
        if (node == 0)
            err += std::string(what) + ": not added; ";
    };

    added(t.addContentItem(DSRTypes::RT_isRoot, DSRTypes::VT_Container), "root");
    ok(t.getCurrentContentItem().setConceptName(CODE_DCM_ImagingMeasurementReport), "report title");
    ok(t.getCurrentContentItem().setTemplateIdentification("1500", "DCMR"), "template");
    ok(t.addChildContentItem(HAS_MOD, DSRTypes::VT_Code, DSRCodedEntryValue("121049", "DCM", "Language of Content Item and Descendants")),
        "language");
    ok(t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue("en-US", "RFC5646", "English (United States)")), "language");
    ok(t.addContentItem(HAS_OBS, DSRTypes::VT_Code, DSRCodedEntryValue("121005", "DCM", "Observer Type")), "observer");
    ok(t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue("121007", "DCM", "Device")), "observer");
    ok(t.addContentItem(HAS_OBS, DSRTypes::VT_UIDRef, DSRCodedEntryValue("121012", "DCM", "Device Observer UID")), "device");
    ok(t.getCurrentContentItem().setStringValue(newUid(SITE_INSTANCE_UID_ROOT).c_str()), "device");
    ok(t.addContentItem(HAS_OBS, DSRTypes::VT_Text, DSRCodedEntryValue("121013", "DCM", "Device Observer Name")), "device name");
    ok(t.getCurrentContentItem().setStringValue(opt.producer.model.c_str()), "device name");
    ok(t.addContentItem(HAS_OBS, DSRTypes::VT_Text, DSRCodedEntryValue("121014", "DCM", "Device Observer Manufacturer")), "manufacturer");
    ok(t.getCurrentContentItem().setStringValue(opt.producer.manufacturer.c_str()), "manufacturer");
    ok(t.addContentItem(HAS_OBS, DSRTypes::VT_Text, DSRCodedEntryValue("121015", "DCM", "Device Observer Model Name")), "model");
    ok(t.getCurrentContentItem().setStringValue(opt.modelName.empty() ? opt.producer.model.c_str() : opt.modelName.c_str()), "model");
    ok(t.addContentItem(HAS_MOD, DSRTypes::VT_Code, CODE_DCM_ProcedureReported), "procedure");
    ok(t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue("71651007", "SCT", "Mammography")), "procedure");

    const DSRImageReferenceValue image(s.sopClass.c_str(), s.sopInstance.c_str());
    ok(t.addContentItem(CONTAINS, DSRTypes::VT_Container, DSRCodedEntryValue("111028", "DCM", "Image Library")), "image library");
    ok(t.addChildContentItem(CONTAINS, DSRTypes::VT_Container, DSRCodedEntryValue("126200", "DCM", "Image Library Group")), "group");
    added(t.addContentItem(CONTAINS, DSRTypes::VT_Image, DSRTypes::AM_belowCurrent), "library image");
    ok(t.getCurrentContentItem().setImageReference(image), "library image");
    t.goUp();
    t.goUp();
    ok(t.addContentItem(CONTAINS, DSRTypes::VT_Container, CODE_DCM_ImagingMeasurements), "measurements");
    const size_t measurements = t.getNodeID();
    if (!err.empty())
        return Error("DCMTK refused the report's structure: " + err, out.string());

    const std::string weights = opt.weightsSha256.empty() ? std::string() : "weights-sha256=" + opt.weightsSha256;
    auto algorithm = [&] {
        ok(t.addContentItem(HAS_MOD, DSRTypes::VT_Text, CODE_DCM_AlgorithmName), "algorithm name");
        ok(t.getCurrentContentItem().setStringValue(opt.modelName.empty() ? "unnamed model" : opt.modelName.c_str()), "algorithm name");
        ok(t.addContentItem(HAS_MOD, DSRTypes::VT_Text, CODE_DCM_AlgorithmVersion), "algorithm version");
        ok(t.getCurrentContentItem().setStringValue(opt.modelVersion.empty() ? "1" : opt.modelVersion.c_str()), "algorithm version");
        if (!weights.empty()) {
            ok(t.addContentItem(HAS_MOD, DSRTypes::VT_Text, CODE_DCM_AlgorithmParameters), "algorithm parameters");
            ok(t.getCurrentContentItem().setStringValue(weights.c_str()), "algorithm parameters");
        }
    };
    auto score = [](double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.4f", std::isfinite(v) ? std::min(1.0, std::max(0.0, v)) : 0.0);
        return std::string(buf);
    };
    const DSRCodedEntryValue unitless("1", "UCUM", "no units");
    int k = 0;
    for (const auto& f : findings) {
        ++k;
        t.gotoNode(measurements);
        ok(t.addChildContentItem(CONTAINS, DSRTypes::VT_Container, DSRCodedEntryValue("125007", "DCM", "Measurement Group")), "group");
        ok(t.getCurrentContentItem().setTemplateIdentification("1410", "DCMR"), "group template");
        const std::string tid = "MammoScope finding " + std::to_string(k);
        ok(t.addChildContentItem(HAS_OBS, DSRTypes::VT_Text, CODE_DCM_TrackingIdentifier), "tracking id");
        ok(t.getCurrentContentItem().setStringValue(tid.c_str()), "tracking id");
        ok(t.addContentItem(HAS_OBS, DSRTypes::VT_UIDRef, CODE_DCM_TrackingUniqueIdentifier), "tracking uid");
        ok(t.getCurrentContentItem().setStringValue(f.trackingUid.empty() ? newUid(SITE_INSTANCE_UID_ROOT).c_str() : f.trackingUid.c_str()),
            "tracking uid");
        ok(t.addContentItem(CONTAINS, DSRTypes::VT_Code, CODE_DCM_Finding), "finding");
        const Code type = typeCode(f.type);
        ok(t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue(type.value, type.scheme, type.meaning)), "finding");
        ok(t.addContentItem(CONTAINS, DSRTypes::VT_SCoord, DSRCodedEntryValue("111030", "DCM", "Image Region")), "region");
        const bool polygon = f.outline.size() >= 3;
        DSRSpatialCoordinatesValue sc(polygon ? DSRTypes::GT_Polyline : DSRTypes::GT_Circle);
        if (polygon) {
            for (const auto& [x, y] : f.outline)
                sc.getGraphicDataList().addItem(Float32(x), Float32(y));
            sc.getGraphicDataList().addItem(Float32(f.outline.front().first), Float32(f.outline.front().second)); // closed
        } else {
            // a point: a small circle (TID 1410 takes polylines, circles and ellipses), centre then a perimeter point
            sc.getGraphicDataList().addItem(Float32(f.centerX), Float32(f.centerY));
            sc.getGraphicDataList().addItem(Float32(f.centerX + 3.0), Float32(f.centerY));
        }
        ok(t.getCurrentContentItem().setSpatialCoordinates(sc), "region");
        added(t.addContentItem(DSRTypes::RT_selectedFrom, DSRTypes::VT_Image, DSRTypes::AM_belowCurrent), "selected from");
        ok(t.getCurrentContentItem().setImageReference(image), "selected from");
        t.goUp();
        ok(t.addContentItem(HAS_MOD, DSRTypes::VT_Code, DSRCodedEntryValue("363698007", "SCT", "Finding Site")), "site");
        ok(t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue("76752008", "SCT", "Breast")), "site");
        if (s.laterality == "L" || s.laterality == "R") {
            ok(t.addChildContentItem(HAS_MOD, DSRTypes::VT_Code, DSRCodedEntryValue("272741003", "SCT", "Laterality")), "laterality");
            ok(t.getCurrentContentItem().setCodeValue(
                   s.laterality == "L" ? DSRCodedEntryValue("7771000", "SCT", "Left") : DSRCodedEntryValue("24028007", "SCT", "Right")),
                "laterality");
            t.goUp();
        }
        algorithm();
        ok(t.addContentItem(CONTAINS, DSRTypes::VT_Num, CODE_DCM_CertaintyOfFinding), "certainty");
        ok(t.getCurrentContentItem().setNumericValue(DSRNumericMeasurementValue(score(f.score).c_str(), unitless)), "certainty");
        if (f.pathology == "malignant" || f.pathology == "benign") {
            ok(t.addContentItem(CONTAINS, DSRTypes::VT_Code, CODE_DCM_Pathology), "pathology");
            ok(t.getCurrentContentItem().setCodeValue(f.pathology == "malignant"
                       ? DSRCodedEntryValue("86049000", "SCT", "Neoplasm, malignant (primary)")
                       : DSRCodedEntryValue("3898006", "SCT", "Neoplasm, benign")),
                "pathology");
        }
    }
    if (opt.imageScore >= 0) {
        t.gotoNode(measurements);
        ok(t.addChildContentItem(CONTAINS, DSRTypes::VT_Container, DSRCodedEntryValue("125007", "DCM", "Measurement Group")),
            "image group");
        ok(t.getCurrentContentItem().setTemplateIdentification("1501", "DCMR"), "image group template");
        ok(t.addChildContentItem(HAS_OBS, DSRTypes::VT_Text, CODE_DCM_TrackingIdentifier), "tracking id");
        ok(t.getCurrentContentItem().setStringValue("MammoScope image assessment"), "tracking id");
        ok(t.addContentItem(HAS_OBS, DSRTypes::VT_UIDRef, CODE_DCM_TrackingUniqueIdentifier), "tracking uid");
        ok(t.getCurrentContentItem().setStringValue(newUid(SITE_INSTANCE_UID_ROOT).c_str()), "tracking uid");
        algorithm();
        ok(t.addContentItem(CONTAINS, DSRTypes::VT_Num, CODE_DCM_ProbabilityOfCancer), "probability of cancer");
        ok(t.getCurrentContentItem().setNumericValue(DSRNumericMeasurementValue(score(opt.imageScore).c_str(), unitless)),
            "probability of cancer");
        added(t.addContentItem(DSRTypes::RT_inferredFrom, DSRTypes::VT_Image, DSRTypes::AM_belowCurrent), "inferred from");
        ok(t.getCurrentContentItem().setImageReference(image), "inferred from");
    }
    ok(doc.getCurrentRequestedProcedureEvidence().addItem(s.study.c_str(), s.series.c_str(), s.sopClass.c_str(), s.sopInstance.c_str()),
        "evidence");
    ok(doc.setPreliminaryFlag(DSRTypes::PF_Preliminary), "preliminary");
    if (!err.empty())
        return Error("DCMTK refused a finding: " + err, out.string());
    DcmFileFormat ff;
    const OFCondition c = doc.write(*ff.getDataset());
    if (c.bad())
        return Error(std::string("DCMTK could not build the report: ") + c.text(), out.string());
    return saveAtomically(ff, out);
}

Result<SrRead> readFindingsSr(const fs::path& file)
{
    detail::ensureCodecs();
    DcmFileFormat ff;
    if (const std::string why = detail::loadGuarded(ff, file, false); !why.empty())
        return Error(why, file.string());
    DSRDocument doc;
    const OFCondition c = doc.read(*ff.getDataset());
    if (c.bad())
        return Error(std::string("is not a structured report DCMTK can read (") + c.text() + ")", file.string());
    SrRead r;
    DSRDocumentTree& t = doc.getTree();
    if (!t.gotoRoot())
        return r;
    // Depth-first over the content tree: a measurement group (125007) opens a finding that its descendants fill.
    size_t groupLevel = 0;
    SrRead::Finding current;
    bool inGroup = false;
    std::string imageScoreUid;
    double imageScore = -1;
    auto close = [&] {
        if (inGroup && !current.points.empty() && !current.imageSopInstanceUid.empty())
            r.findings.push_back(current);
        if (inGroup && imageScore >= 0 && !imageScoreUid.empty())
            r.imageScores.emplace_back(imageScoreUid, imageScore);
        current = SrRead::Finding();
        imageScoreUid.clear();
        imageScore = -1;
        inGroup = false;
    };
    size_t visited = 0;
    do {
        if (++visited > 1000000)
            return Error("has more than a million content items", file.string());
        const size_t level = t.getLevel();
        if (inGroup && level <= groupLevel)
            close();
        DSRContentItem& item = t.getCurrentContentItem();
        const std::string code = item.getConceptName().getCodeValue().c_str();
        const auto vt = item.getValueType();
        if (vt == DSRTypes::VT_Container && code == "125007") {
            close();
            inGroup = true;
            groupLevel = level;
            continue;
        }
        if (vt == DSRTypes::VT_Text && (code == "111001") && r.algorithmName.empty())
            r.algorithmName = item.getStringValue().c_str();
        if (!inGroup)
            continue;
        if (vt == DSRTypes::VT_Code && code == "121071" && item.getCodeValuePtr())
            current.type = item.getCodeValuePtr()->getCodeMeaning().c_str();
        else if (vt == DSRTypes::VT_Code && code == "111042" && item.getCodeValuePtr())
            current.pathology = item.getCodeValuePtr()->getCodeMeaning().c_str();
        else if (vt == DSRTypes::VT_Num && item.getNumericValuePtr()) {
            const double v = std::atof(item.getNumericValuePtr()->getNumericValue().c_str());
            if (code == "111047") // probability of cancer: the image's score
                imageScore = std::isfinite(v) ? v : -1;
            else if (code == "111012" || code == "113011") // certainty of finding, probability
                current.score = std::isfinite(v) ? v : -1;
        } else if (vt == DSRTypes::VT_SCoord && item.getSpatialCoordinatesPtr()) {
            DSRSpatialCoordinatesValue* sc = item.getSpatialCoordinatesPtr();
            current.graphicType = DSRTypes::graphicTypeToEnumeratedValue(sc->getGraphicType());
            const DSRGraphicDataList& list = sc->getGraphicDataList();
            for (size_t k = 1; k <= list.getNumberOfItems() && k <= 100000; ++k) {
                Float32 x = 0, y = 0;
                if (list.getItem(k, x, y).good() && std::isfinite(x) && std::isfinite(y))
                    current.points.emplace_back(double(x), double(y));
            }
        } else if (vt == DSRTypes::VT_Image && item.getImageReferencePtr()) {
            const std::string uid = item.getImageReferencePtr()->getSOPInstanceUID().c_str();
            if (current.imageSopInstanceUid.empty())
                current.imageSopInstanceUid = uid;
            if (imageScoreUid.empty())
                imageScoreUid = uid;
        }
    } while (t.iterate());
    close();
    return r;
}

} // namespace ms::dicom

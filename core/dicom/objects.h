// SPDX-License-Identifier: GPL-3.0-or-later
// DICOM objects that other viewers and PACS read (#16): ROIs as a binary Segmentation (SEG) and a model's findings as
// a Comprehensive SR (TID 1500 structure), each referencing its source image by its UIDs and copying its patient and
// study, written with DCMTK's dcmseg and dcmsr (behind this header). Both validate with dicom3tools' dciodvfy
// without errors (a test runs it).
//
// 2D mammograms have no Frame of Reference in general (projection images: no Image Position (Patient)); the SEG is
// written without one (DCMTK 3.6.7 would otherwise demand plane positions) and carries the source's Patient
// Orientation. DCMTK 3.6.7 drops the last pixels of a frame when it packs bits of frames whose size is not a multiple
// of 4 pixels; the pixel data is therefore packed here (PS3.5 8.1.1: frames concatenated bit by bit, lowest bit
// first, padded to an even length) and read back the same way.
#pragma once

#include "core/common/result.h"
#include "core/image/mask.h"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace ms::dicom
{

// Who made the object (General Equipment of the SEG and SR).
struct Producer {
    std::string manufacturer = "MammoScope project";
    std::string model = "MammoScope";
    std::string softwareVersion; // empty: this build's version
};

// One segment: one abnormality's ROI at the source image's size.
struct SegSegment {
    std::string type; // mass | calcification | anything else (coded as a morphologically abnormal structure)
    std::string pathology; // MALIGNANT | BENIGN | BENIGN_WITHOUT_CALLBACK | "" (in the segment description)
    std::string label; // Segment Label, e.g. "1 mass"; empty: from the type
    std::string description; // added to the description, e.g. "curated" or the abnormality key
    std::string trackingId, trackingUid; // optional: link to an SR finding
    RleMask mask;
};

struct SegOptions {
    Producer producer;
    std::string seriesDescription = "MammoScope ROIs";
    // Empty: the segments are manual (a curator's or the dataset's ROIs); else the algorithm that made them.
    std::string algorithmName, algorithmVersion, algorithmParameters;
};

// A binary SEG of `source` (a DICOM image) with one segment (one frame) per entry. Refuses masks whose size differs
// from the source image and empty masks; writes `out` atomically (a temporary file renamed), never the source.
Status writeSegmentation(const std::filesystem::path& source, const std::vector<SegSegment>& segments, const std::filesystem::path& out,
    const SegOptions& options);

// A SEG as read back: its segments' masks (unpacked here), labels, types and the image it references.
struct SegRead {
    std::string referencedSopInstanceUid, referencedSopClassUid;
    int rows = 0, columns = 0;
    struct Segment {
        int number = 0;
        std::string label, description, propertyType, trackingUid;
        RleMask mask;
    };
    std::vector<Segment> segments;
};
Result<SegRead> readSegmentation(const std::filesystem::path& file);

// One finding of a model: its outline (closed polygon, image pixel coordinates, x then y, pixel centres at +0.5) or,
// with fewer than three points, its centre.
struct SrFinding {
    std::string type; // mass | calcification | suspicious region (anything else)
    std::string pathology; // malignant | benign | "" (not stated)
    double score = 0; // 0-1
    std::vector<std::pair<double, double>> outline;
    double centerX = 0, centerY = 0;
    std::string trackingUid; // optional: the SEG segment of the same finding
};

struct SrOptions {
    Producer producer;
    std::string modelName, modelVersion, weightsSha256;
    double imageScore = -1; // the image-level malignancy score (0-1); < 0: none
    std::string seriesDescription = "MammoScope AI findings";
};

// A Comprehensive SR (Imaging Measurement Report, TID 1500) of `source`: an image library with the source image,
// one measurement group (TID 1410) per finding with its tracking identifiers, finding type, image region (SCOORD
// polyline or circle, selected from the image), finding site (breast, laterality), the algorithm (name, version,
// weights hash), its certainty and, when stated, its pathology; and a group (TID 1501) with the image-level probability of cancer. Marked
// preliminary and unverified: a model's output, not a report signed by a reader. Written atomically.
Status writeFindingsSr(const std::filesystem::path& source, const std::vector<SrFinding>& findings, const std::filesystem::path& out,
    const SrOptions& options);

// The findings of an SR as read back (ours, or another CAD's TID 1500 report): every measurement group with an image
// region (SCOORD) selected from an image, its finding type, certainty or probability and pathology when given; and
// the image-level probability of cancer per image.
struct SrRead {
    struct Finding {
        std::string imageSopInstanceUid; // the image its region is on
        std::string type; // the finding's code meaning ("Mass", "Calcification", ...); empty when not coded
        std::string pathology; // code meaning, empty when not given
        double score = -1; // certainty of finding or probability, 0-1; -1: none
        std::string graphicType; // POINT | POLYLINE | CIRCLE | ELLIPSE | MULTIPOINT
        std::vector<std::pair<double, double>> points; // image pixels (column, row)
    };
    std::vector<Finding> findings;
    std::vector<std::pair<std::string, double>> imageScores; // SOP Instance UID -> probability of cancer
    std::string algorithmName;
};
Result<SrRead> readFindingsSr(const std::filesystem::path& file);

} // namespace ms::dicom

// SPDX-License-Identifier: GPL-3.0-or-later
// Synthetic mammograms ("phantoms") that look like CBIS-DDSM cases: breast outline and skin line, pectoral muscle
// on MLO, power-law (1/f^3) fibroglandular texture at BI-RADS densities 1-4, masses with the CBIS-DDSM shapes and
// margins and calcification clusters with its types and distributions, pathology drawn first and morphology drawn
// from it the way BI-RADS describes (with overlap, so the task is learnable but not trivial: a reader who saw every
// mass's shape and margins, or every cluster's calcification type and distribution, perfectly would separate
// malignant from benign with an AUC of about 0.98 and 0.99; tested).
// Deterministic: generatePatient(opt, i) depends only on opt and i, on every platform.
#pragma once

#include "core/image/image.h"
#include "core/image/mask.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ms::synth
{

enum class LesionType { Mass, Calcification };

struct LesionSpec {
    LesionType type = LesionType::Mass;
    std::string shape, margins; // mass: ROUND/OVAL/LOBULATED/IRREGULAR; CIRCUMSCRIBED/...
    std::string calcType, calcDistribution; // calcification: PLEOMORPHIC/...; CLUSTERED/...
    std::string pathology; // MALIGNANT / BENIGN / BENIGN_WITHOUT_CALLBACK
    int assessment = 3;
    int subtlety = 3;
    double sizeMm = 10; // mass radius, or calcification cluster radius
    double u = 0.5, v = 0.0; // position: u from chest wall (0) to nipple (1), v across (-1..1)
    double orientation = 0; // radians
    uint64_t seed = 0; // shape details
};

struct Lesion {
    LesionSpec spec;
    int number = 1; // abnormality id within the image
    RleMask mask; // full-image-size ROI mask
};

struct View {
    std::string side; // LEFT / RIGHT
    std::string view; // CC / MLO
    Image16 image; // MONOCHROME2, chest wall at the left for LEFT and at the right for RIGHT
    RleMask breast; // breast region (for background sampling)
    std::vector<Lesion> lesions;
};

struct PatientCase {
    int index = 0;
    std::string id; // P_00001
    int density = 2; // BI-RADS breast density 1-4
    bool test = false; // official test split
    std::vector<View> views; // R-CC, L-CC, R-MLO, L-MLO
};

struct Options {
    uint64_t seed = 1;
    int width = 512;
    int height = 832;
    double testFraction = 0.2;
    double normalPatientFraction = 0.15; // patients with no lesion at all
    bool renderImages = true; // false: lesion specs and masks only (fast)
    // 1: the original phantoms (the demo model's); 2: closer to real mammograms where `mammoscope-cli realism` found
    // the largest gaps against mini-MIAS: breasts of varied size (smaller on average), a thin skin ramp instead of a
    // broad dark rim, less fine texture (the tissue's power spectrum steeper). The same lesions (kind, pathology, place
    // relative to the breast).
    int anatomy = 1;
    double pixelSpacingMm() const { return 250.0 / height; } // a 24x30-ish cm detector, as DDSM's scans
};

PatientCase generatePatient(const Options& opt, int index);

// Lesion specification sampling (exposed for tests of the morphology/pathology correlation).
LesionSpec sampleLesion(uint64_t seed, LesionType type);

} // namespace ms::synth

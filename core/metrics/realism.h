// SPDX-License-Identifier: GPL-3.0-or-later
// How much a phantom looks like a real mammogram, measured rather than assumed: features of one mammogram as a network
// sees it (the 8-bit model view at a fixed pixel size, chest wall left: sampling::mapSample), and a small
// real-vs-phantom classifier whose held-out accuracy is the realism gap (0.5: indistinguishable).
#pragma once

#include "core/image/image.h"

#include <string>
#include <vector>

namespace ms::metrics
{

struct RealismFeatures {
    bool ok = false; // false: no breast, or no tissue window fits in it
    double areaMm2 = 0; // breast area
    double widthMm = 0, heightMm = 0; // its bounding box
    double fill = 0; // area / bounding box: the outline's shape
    double mean = 0, sd = 0, skewness = 0, kurtosis = 0, p10 = 0, p50 = 0, p90 = 0; // 8-bit values inside the breast
    double skinRatio = 0; // mean of the breast's outer 2-pixel band / mean of the breast: the skin line's contrast
    double spectrumSlope = 0; // beta of P(f) ~ 1/f^beta over the tissue (radially averaged, Hann window)
    // As a vector for the classifier, and the names in the same order.
    std::vector<double> vector() const;
    static std::vector<std::string> names();
};

// breast: pixels of `view` above `breastThreshold` (the model view puts air at 0), the largest 4-connected part.
RealismFeatures realismFeatures(const Gray8& view, double mmPerPixel, int breastThreshold = 8);

// The radially averaged power spectrum's slope (beta, P ~ 1/f^beta) of a square window whose side is a power of two,
// between 1/side*2 and 1/4 cycles per pixel; Hann-windowed, mean removed.
double spectrumSlope(const std::vector<double>& window, int side);

// Logistic regression (standardised features, L2) judged by k-fold cross-validation over groups (a woman's images
// stay in one fold): held-out accuracy at 0.5 and held-out AUC, pooled over the folds.
struct ClassifierFigures {
    double accuracy = -1, auc = -1;
    int samples = 0;
};
ClassifierFigures logisticCrossValidated(const std::vector<std::vector<double>>& x, const std::vector<int>& y,
    const std::vector<std::string>& groups, int folds, unsigned long long seed);

} // namespace ms::metrics

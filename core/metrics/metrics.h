// SPDX-License-Identifier: GPL-3.0-or-later
// Metrics of classifiers: accuracy, confusion matrix, per-class precision/recall/F1, ROC curves and AUC
// (one-vs-rest and of any score against a binary truth).
#pragma once

#include "core/common/json.h"

#include <cstddef>
#include <string>
#include <vector>

namespace ms::metrics
{

// Area under the ROC curve of `scores` for the positives in `positive` (ties count one half). NaN when a class is
// missing.
double rocAuc(const std::vector<double>& scores, const std::vector<bool>& positive);
// Pearson's correlation of two equally long series; NaN with fewer than 3 pairs or a constant series.
double pearson(const std::vector<double>& a, const std::vector<double>& b);

struct RocPoint {
    double fpr = 0, tpr = 0, threshold = 0;
};
std::vector<RocPoint> rocCurve(const std::vector<double>& scores, const std::vector<bool>& positive);

struct ClassReport {
    std::string name;
    double precision = 0, recall = 0, f1 = 0, auc = 0;
    long support = 0;
};

struct Report {
    size_t samples = 0;
    double accuracy = 0;
    double loss = 0; // mean cross-entropy, if given
    std::vector<std::vector<long>> confusion; // [truth][predicted]
    std::vector<ClassReport> classes;
    double macroF1 = 0;
    double malignantAuc = 0; // malignant vs benign, when the classes say which is which (NaN otherwise)
    Json toJson() const;
};

// probabilities: samples x classes, row-major. malignantClasses: indices that are malignant; benign-vs-malignant
// AUC is computed over samples whose truth is one of malignant or benignClasses (background left out).
Report evaluate(const std::vector<float>& probabilities, const std::vector<int>& labels, const std::vector<std::string>& classNames,
    const std::vector<int>& malignantClasses = {}, const std::vector<int>& benignClasses = {});

} // namespace ms::metrics

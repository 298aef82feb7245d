// SPDX-License-Identifier: GPL-3.0-or-later
// What a curator may write into each field: the CBIS-DDSM vocabularies and ranges, with messages that say what was
// refused and what is allowed.
#pragma once

#include "core/common/result.h"

#include <string>
#include <vector>

namespace ms::annotations
{

struct FieldInfo {
    std::string name; // "pathology", as stored
    std::string label; // "Pathology", as shown
    std::string csvColumn; // "pathology", "mass shape", ... ("breast density"/"breast_density": both spellings handled)
    std::vector<std::string> vocabulary; // allowed values (empty: a number in [min, max])
    int min = 0, max = 0;
    bool compound = false; // CBIS-DDSM joins several terms with '-' (e.g. "LOBULATED-IRREGULAR")
    std::string appliesTo; // "mass", "calcification" or "" (any)
};

const std::vector<FieldInfo>& attributeFields();
const FieldInfo* fieldInfo(const std::string& name);

const std::vector<std::string>& reviewStatuses(); // unreviewed, reviewed, corrected, flagged
const std::vector<std::string>& abnormalityTypes(); // mass, calcification

// Checks a value for a field: "assessment 7 is not a BI-RADS category (0-5)", "pathology 'maybe' is not one of ...".
Status validate(const std::string& field, const std::string& value);

} // namespace ms::annotations

// SPDX-License-Identifier: GPL-3.0-or-later
// CBIS-DDSM vocabularies and file names (shared by the reader, the synthetic generator's writer and the editors).
#pragma once

#include <string>
#include <vector>

namespace ms::dataset::cbis
{

const std::vector<std::string>& pathologies(); // MALIGNANT, BENIGN, BENIGN_WITHOUT_CALLBACK
const std::vector<std::string>& massShapes(); // single terms; CSV cells join several with '-'
const std::vector<std::string>& massMargins();
const std::vector<std::string>& calcTypes();
const std::vector<std::string>& calcDistributions();

// The official column headers of the mass and calcification description files, spelled as TCIA does.
const std::vector<std::string>& massHeader();
const std::vector<std::string>& calcHeader();

// "mass_case_description_train_set.csv" etc.
std::string descriptionFileName(bool mass, bool train);
// Kaggle's dicom_info.csv columns.
const std::vector<std::string>& kaggleDicomInfoHeader();

} // namespace ms::dataset::cbis

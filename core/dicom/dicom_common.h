// SPDX-License-Identifier: GPL-3.0-or-later
// Private: DCMTK set-up shared by reader and writer.
#pragma once

#include <string>

namespace ms::dicom::detail
{

// Registers the decoders/encoders once and quiets DCMTK's own logging (errors come back as results).
void ensureCodecs();

} // namespace ms::dicom::detail

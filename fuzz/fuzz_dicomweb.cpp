// SPDX-License-Identifier: GPL-3.0-or-later
// What a DICOMweb server sends back: the Content-Type's boundary, multipart/related bodies (WADO-RS), QIDO-RS JSON
// (studies and instances). The first line of an input is the Content-Type, the rest the body; the body is also
// parsed as QIDO JSON. Every part must lie inside the body.
#include "core/dicom/dicomweb.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string in(reinterpret_cast<const char*>(data), size);
    const size_t nl = in.find('\n');
    const std::string contentType = nl == std::string::npos ? in : in.substr(0, nl);
    const std::string body = nl == std::string::npos ? std::string() : in.substr(nl + 1);
    const std::string boundary = ms::dicom::multipartBoundary(contentType);
    if (auto parts = ms::dicom::parseMultipart(body, boundary.empty() ? std::string("B") : boundary))
        for (const auto& p : *parts)
            if (p.body.data() < body.data() || p.body.data() + p.body.size() > body.data() + body.size())
                std::abort();
    (void)ms::dicom::parseQidoStudies(body);
    (void)ms::dicom::parseQidoInstances(body);
    return 0;
}

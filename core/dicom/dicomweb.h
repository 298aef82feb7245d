// SPDX-License-Identifier: GPL-3.0-or-later
// A PACS over DICOMweb (#16), with libcurl behind this header: search studies (QIDO-RS), retrieve a study instance by
// instance into a folder (WADO-RS, multipart/related), and store files (STOW-RS). The same guarantees as the DIMSE
// client (core/dicom/pacs.h): files named here, a study complete or not at all, a byte and file budget, cancellable,
// patient names never in an error message; credentials are never in an error message or a log either (URLs are shown
// without their user-info part).
#pragma once

#include "core/dicom/pacs.h"

#include <string>
#include <string_view>
#include <vector>

namespace ms::dicom
{

struct WebNode {
    std::string baseUrl = "http://127.0.0.1:8042/dicom-web"; // the DICOMweb root (QIDO/WADO/STOW share it)
    std::string user, password; // HTTP basic authentication when user is not empty
    std::string bearerToken; // or an OAuth bearer token
    int timeoutSeconds = 30; // connecting, and for each request a minimum transfer rate over this time
    bool verifyTls = true;
};

// http:// or https:// URL without spaces, control characters or credentials in it; credentials over plain http:// only
// to this machine; timeout 1..3600.
Status validateWebNode(const WebNode& node);
// The URL as shown to the user: without user:password@.
std::string displayUrl(const std::string& url);

Result<StudySearch> webFindStudies(const WebNode& node, const StudyQuery& query, size_t limit = 1000, Progress& progress = nullProgress());
Result<Retrieved> webRetrieveStudy(const WebNode& node, const std::string& studyInstanceUid, const std::filesystem::path& destRoot,
    const RetrieveLimits& limits = {}, Progress& progress = nullProgress());
Result<Sent> webSend(const WebNode& node, const std::vector<std::filesystem::path>& files, Progress& progress = nullProgress());

// The parsers of what a server sends, exposed for the tests and the fuzz target (fuzz_dicomweb).
// QIDO-RS study results (the DICOM JSON model, PS3.18 F.2): an array of objects keyed by tag.
Result<std::vector<StudyMatch>> parseQidoStudies(std::string_view json);
// Instance results: (series UID, SOP instance UID) pairs; an entry without usable UIDs is an error (the study could
// not be retrieved whole).
Result<std::vector<std::pair<std::string, std::string>>> parseQidoInstances(std::string_view json);
// The boundary parameter of a multipart Content-Type (quoted or not); empty when there is none.
std::string multipartBoundary(std::string_view contentType);
struct MultipartPart {
    std::string contentType;
    std::string_view body; // into the parsed buffer
};
// The parts of a multipart body (RFC 2046): preamble and epilogue ignored; a body that does not close is an error.
Result<std::vector<MultipartPart>> parseMultipart(std::string_view body, std::string_view boundary);

} // namespace ms::dicom

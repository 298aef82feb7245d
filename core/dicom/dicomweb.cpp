// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dicom/dicomweb.h"

#include "core/common/json.h"
#include "core/common/paths.h"
#include "core/dicom/dicom.h"
#include "core/dicom/pacs_detail.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>

namespace fs = std::filesystem;

namespace ms::dicom
{
namespace
{

using detail::validUid;

// The most a single reply may hold: a QIDO answer or one instance (a DBT object can be a few hundred MB).
constexpr size_t kMaxJsonReply = size_t(64) << 20;
constexpr size_t kMaxInstanceReply = size_t(2) << 30;
// STOW-RS requests are cut at about this size (a single larger file goes alone).
constexpr size_t kStowBatchBytes = size_t(64) << 20;

void initCurl()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string trimSlash(std::string s)
{
    while (!s.empty() && s.back() == '/')
        s.pop_back();
    return s;
}

struct Reply {
    long status = 0;
    std::string contentType;
    std::string body;
};

struct Transfer {
    std::string* body;
    std::string* contentType;
    size_t maxBytes;
    bool tooLarge = false;
    Progress* progress;
};

size_t onBody(char* data, size_t size, size_t n, void* user)
{
    auto* t = static_cast<Transfer*>(user);
    const size_t len = size * n;
    if (t->body->size() + len > t->maxBytes) {
        t->tooLarge = true;
        return 0; // aborts the transfer
    }
    t->body->append(data, len);
    return len;
}

size_t onHeader(char* data, size_t size, size_t n, void* user)
{
    auto* t = static_cast<Transfer*>(user);
    const size_t len = size * n;
    std::string line(data, len);
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (lower.rfind("content-type:", 0) == 0) {
        std::string v = line.substr(13);
        while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
            v.pop_back();
        const size_t first = v.find_first_not_of(' ');
        *t->contentType = first == std::string::npos ? std::string() : v.substr(first);
    }
    return len;
}

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    auto* t = static_cast<Transfer*>(user);
    return t->progress && t->progress->cancelled() ? 1 : 0;
}

std::string httpWords(long status)
{
    switch (status) {
    case 400:
        return "the server did not understand the request";
    case 401:
        return "authentication needed or refused";
    case 403:
        return "not allowed for this user";
    case 404:
        return "not found";
    case 406:
        return "the server cannot send this media type";
    case 409:
        return "conflict";
    case 413:
        return "the request is too large for the server";
    case 415:
        return "the server does not accept this media type";
    case 503:
        return "the server is busy or unavailable";
    default:
        return status >= 500 ? "server error" : "unexpected answer";
    }
}

// One HTTP request. Bodies beyond maxBytes, cancellation and transport failures are errors naming the URL (without
// its user-info) but never the credentials.
Result<Reply> request(const WebNode& node, const std::string& url, const std::vector<std::string>& headers, const std::string* post,
    size_t maxBytes, Progress& progress)
{
    initCurl();
    Reply reply;
    Transfer t { &reply.body, &reply.contentType, maxBytes, false, &progress };
    char errbuf[CURL_ERROR_SIZE] = {};
    struct curl_slist* list = nullptr;
    for (const std::string& h : headers)
        list = curl_slist_append(list, h.c_str());
    if (!node.bearerToken.empty())
        list = curl_slist_append(list, ("Authorization: Bearer " + node.bearerToken).c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headerList(list, &curl_slist_free_all);
    // Declared after the buffers it points to, so that it is cleaned up before them.
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl)
        return Error("cannot start an HTTP client");
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, long(node.timeoutSeconds));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, long(node.timeoutSeconds));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, node.verifyTls ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, node.verifyTls ? 2L : 0L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headerList.get());
    curl_easy_setopt(c, CURLOPT_USERAGENT, "MammoScope");
    if (!node.user.empty()) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, long(CURLAUTH_BASIC));
        curl_easy_setopt(c, CURLOPT_USERNAME, node.user.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, node.password.c_str());
    }
    if (post) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post->data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(post->size()));
    }
    const CURLcode rc = curl_easy_perform(c);
    // The URL without its query: a search's keys (patient name, ID) never go into a message.
    const std::string where = "DICOMweb server " + displayUrl(url.substr(0, url.find('?')));
    if (progress.cancelled())
        return Error("cancelled");
    if (t.tooLarge)
        return Error(where + ": the answer is larger than " + std::to_string(maxBytes >> 20) + " MiB");
    if (rc != CURLE_OK)
        return Error(where + ": " + (errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc))));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

std::string escape(const std::string& v)
{
    initCurl();
    char* e = curl_easy_escape(nullptr, v.c_str(), int(v.size()));
    std::string out = e ? e : "";
    curl_free(e);
    return out;
}

// The value of a DICOM JSON attribute: its first Value as text (strings, numbers, a PN's Alphabetic group), several
// values joined with a backslash as in DICOM.
std::string attribute(const Json& obj, const char* tag)
{
    const Json* a = obj.find(tag);
    if (!a || !a->isObject())
        return {};
    const Json* v = a->find("Value");
    if (!v || !v->isArray())
        return {};
    std::string out;
    for (const Json& e : v->elements()) {
        std::string s;
        if (e.isString())
            s = e.string();
        else if (e.isNumber())
            s = std::to_string(e.integer());
        else if (e.isObject())
            if (const Json* alpha = e.find("Alphabetic"); alpha && alpha->isString())
                s = alpha->string();
        out += (out.empty() ? "" : "\\") + s;
    }
    return out;
}

int attributeInt(const Json& obj, const char* tag)
{
    const std::string v = attribute(obj, tag);
    if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }))
        return -1;
    return std::stoi(v);
}

Result<Json> parseArray(std::string_view json)
{
    if (json.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return Json::array(); // 204 No Content and empty bodies: no match
    auto j = Json::parse(json);
    if (!j)
        return Error("the server's answer is not JSON: " + j.error().message);
    if (!j->isArray())
        return Error("the server's answer is not a JSON array of results");
    return j;
}

Status checkStatus(const WebNode& node, const Reply& r, const char* what)
{
    if (r.status >= 200 && r.status < 300)
        return {};
    return Error("DICOMweb server " + displayUrl(node.baseUrl) + ": " + what + " answered HTTP " + std::to_string(r.status) + " ("
        + httpWords(r.status) + ")");
}

} // namespace

std::string displayUrl(const std::string& url)
{
    const size_t scheme = url.find("://");
    if (scheme == std::string::npos)
        return url;
    const size_t hostStart = scheme + 3;
    const size_t pathStart = url.find('/', hostStart);
    const size_t at = url.rfind('@', pathStart == std::string::npos ? std::string::npos : pathStart);
    if (at == std::string::npos || at < hostStart)
        return url;
    return url.substr(0, hostStart) + url.substr(at + 1);
}

Status validateWebNode(const WebNode& n)
{
    const std::string& u = n.baseUrl;
    if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0)
        return Error("the DICOMweb URL must start with http:// or https://");
    if (u.size() > 2000 || std::any_of(u.begin(), u.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; }))
        return Error("the DICOMweb URL holds spaces or control characters");
    if (u.find('@') != std::string::npos)
        return Error("put the user name and password in their fields, not in the URL");
    if (n.timeoutSeconds < 1 || n.timeoutSeconds > 3600)
        return Error("DICOMweb timeout " + std::to_string(n.timeoutSeconds) + " s is outside 1..3600");
    if (u.rfind("http://", 0) == 0 && (!n.user.empty() || !n.bearerToken.empty())) {
        // Credentials travel in clear over plain HTTP: only to this machine.
        const std::string host = u.substr(7, u.find_first_of(":/", 7) - 7);
        if (host != "127.0.0.1" && host != "localhost" && host != "[::1]")
            return Error("credentials would go in clear over http:// to " + host + ": use https://");
    }
    for (const std::string* s : { &n.user, &n.password, &n.bearerToken })
        if (std::any_of(s->begin(), s->end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
            return Error("the DICOMweb credentials hold control characters");
    return {};
}

Result<std::vector<StudyMatch>> parseQidoStudies(std::string_view json)
{
    auto arr = parseArray(json);
    if (!arr)
        return arr.error();
    std::vector<StudyMatch> out;
    for (const Json& o : arr->elements()) {
        if (!o.isObject())
            continue;
        StudyMatch m;
        m.studyInstanceUid = attribute(o, "0020000D");
        if (!validUid(m.studyInstanceUid))
            continue; // cannot be retrieved
        m.patientId = attribute(o, "00100020");
        m.patientName = attribute(o, "00100010");
        m.studyDate = attribute(o, "00080020");
        m.studyTime = attribute(o, "00080030");
        m.accessionNumber = attribute(o, "00080050");
        m.modalities = attribute(o, "00080061");
        m.description = attribute(o, "00081030");
        m.series = attributeInt(o, "00201206");
        m.instances = attributeInt(o, "00201208");
        out.push_back(std::move(m));
    }
    return out;
}

Result<std::vector<std::pair<std::string, std::string>>> parseQidoInstances(std::string_view json)
{
    auto arr = parseArray(json);
    if (!arr)
        return arr.error();
    std::vector<std::pair<std::string, std::string>> out;
    for (const Json& o : arr->elements()) {
        if (!o.isObject())
            continue;
        std::string series = attribute(o, "0020000E"), sop = attribute(o, "00080018");
        if (!validUid(series) || !validUid(sop))
            return Error("the server lists an instance without a usable series or SOP instance UID");
        out.emplace_back(std::move(series), std::move(sop));
    }
    return out;
}

std::string multipartBoundary(std::string_view ct)
{
    std::string lower(ct);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    size_t at = 0;
    while ((at = lower.find("boundary", at)) != std::string::npos) {
        size_t p = at + 8;
        while (p < ct.size() && ct[p] == ' ')
            ++p;
        if (p >= ct.size() || ct[p] != '=') {
            at = p;
            continue;
        }
        ++p;
        while (p < ct.size() && ct[p] == ' ')
            ++p;
        std::string b;
        if (p < ct.size() && ct[p] == '"') {
            const size_t end = ct.find('"', p + 1);
            if (end == std::string_view::npos)
                return {};
            b = std::string(ct.substr(p + 1, end - p - 1));
        } else {
            const size_t end = ct.find_first_of("; \t", p);
            b = std::string(ct.substr(p, end == std::string_view::npos ? std::string_view::npos : end - p));
        }
        return b.size() <= 200 ? b : std::string(); // RFC 2046: at most 70; be lenient, not unbounded
    }
    return {};
}

Result<std::vector<MultipartPart>> parseMultipart(std::string_view body, std::string_view boundary)
{
    if (boundary.empty())
        return Error("the multipart answer has no boundary");
    const std::string delim = "--" + std::string(boundary);
    std::vector<MultipartPart> parts;
    // The first delimiter: at the start or after a CRLF (the preamble).
    size_t pos = body.rfind(delim, 0) == 0 ? 0 : body.find("\r\n" + delim);
    if (pos == std::string_view::npos)
        return Error("the multipart answer has no part");
    if (pos != 0)
        pos += 2;
    for (;;) {
        pos += delim.size();
        if (body.substr(pos, 2) == "--")
            return parts; // the close delimiter; the epilogue is ignored
        // transport padding, then CRLF
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t'))
            ++pos;
        if (body.substr(pos, 2) != "\r\n")
            return Error("the multipart answer is malformed after a boundary");
        pos += 2;
        const size_t headersEnd = body.find("\r\n\r\n", pos);
        const size_t emptyHeaders = body.substr(pos, 2) == "\r\n" ? pos : std::string_view::npos;
        size_t contentStart = 0;
        MultipartPart part;
        if (emptyHeaders != std::string_view::npos) {
            contentStart = pos + 2;
        } else {
            if (headersEnd == std::string_view::npos)
                return Error("the multipart answer ends inside a part's headers");
            for (size_t line = pos; line < headersEnd;) {
                size_t eol = body.find("\r\n", line);
                if (eol == std::string_view::npos || eol > headersEnd)
                    eol = headersEnd;
                std::string h(body.substr(line, eol - line));
                std::string lower = h;
                std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
                if (lower.rfind("content-type:", 0) == 0) {
                    std::string v = h.substr(13);
                    const size_t first = v.find_first_not_of(" \t");
                    part.contentType = first == std::string::npos ? std::string() : v.substr(first);
                }
                line = eol + 2;
            }
            contentStart = headersEnd + 4;
        }
        const size_t next = body.find("\r\n" + delim, contentStart);
        if (next == std::string_view::npos)
            return Error("the multipart answer ends inside a part (cut short?)");
        part.body = body.substr(contentStart, next - contentStart);
        parts.push_back(std::move(part));
        if (parts.size() > 100000)
            return Error("the multipart answer has more than 100,000 parts");
        pos = next + 2;
    }
}

Result<StudySearch> webFindStudies(const WebNode& node, const StudyQuery& q, size_t limit, Progress& progress)
{
    if (Status s = validateWebNode(node); !s)
        return s.error();
    if (Status s = validateStudyQuery(q); !s)
        return s.error();
    limit = std::max<size_t>(limit, 1);
    std::string url = trimSlash(node.baseUrl) + "/studies?limit=" + std::to_string(limit + 1)
        + "&includefield=00081030&includefield=00201206&includefield=00201208&includefield=00080061";
    const std::pair<const char*, const std::string*> keys[] = { { "PatientID", &q.patientId }, { "PatientName", &q.patientName },
        { "StudyDate", &q.studyDate }, { "AccessionNumber", &q.accessionNumber }, { "ModalitiesInStudy", &q.modality },
        { "StudyInstanceUID", &q.studyInstanceUid } };
    for (const auto& [name, v] : keys)
        if (!v->empty())
            url += std::string("&") + name + "=" + escape(*v);
    progress.report(0.2, "searching");
    auto r = request(node, url, { "Accept: application/dicom+json" }, nullptr, kMaxJsonReply, progress);
    if (!r)
        return r.error();
    if (r->status == 204)
        return StudySearch {};
    if (Status s = checkStatus(node, *r, "the study search"); !s)
        return s.error();
    auto studies = parseQidoStudies(r->body);
    if (!studies)
        return Error("DICOMweb server " + displayUrl(node.baseUrl) + ": " + studies.error().message);
    StudySearch out;
    out.studies = std::move(*studies);
    if (out.studies.size() > limit) {
        out.studies.resize(limit);
        out.truncated = true;
    }
    detail::sortStudies(out.studies);
    return out;
}

Result<Retrieved> webRetrieveStudy(
    const WebNode& node, const std::string& studyUid, const fs::path& destRoot, const RetrieveLimits& limits, Progress& progress)
{
    if (Status s = validateWebNode(node); !s)
        return s.error();
    if (!validUid(studyUid))
        return Error("the study UID '" + studyUid + "' is not a DICOM UID (digits and dots, at most 64)");
    const std::string base = trimSlash(node.baseUrl) + "/studies/" + studyUid;
    progress.report(0.0, "listing the study");
    auto listed
        = request(node, base + "/instances?includefield=0020000E", { "Accept: application/dicom+json" }, nullptr, kMaxJsonReply, progress);
    if (!listed)
        return listed.error();
    if (listed->status == 204 || listed->status == 404)
        return Error("DICOMweb server " + displayUrl(node.baseUrl) + " has no such study");
    if (Status s = checkStatus(node, *listed, "listing the study's instances"); !s)
        return s.error();
    auto instances = parseQidoInstances(listed->body);
    if (!instances)
        return Error("DICOMweb server " + displayUrl(node.baseUrl) + ": " + instances.error().message);
    if (instances->empty())
        return Error("DICOMweb server " + displayUrl(node.baseUrl) + " lists no instance for this study");
    if (instances->size() > limits.maxFiles)
        return Error("the study has " + std::to_string(instances->size()) + " objects, more than " + std::to_string(limits.maxFiles)
            + " (the retrieve limit); nothing was kept");
    auto madePartial = detail::makePartialFolder(destRoot, studyUid);
    if (!madePartial)
        return madePartial.error();
    const fs::path partial = *madePartial;
    Retrieved r;
    auto fail = [&](Error e) {
        removeTree(partial);
        e.message += e.message.find("nothing was kept") == std::string::npos ? "; nothing was kept" : "";
        return e;
    };
    for (size_t i = 0; i < instances->size(); ++i) {
        const auto& [series, sop] = (*instances)[i];
        progress.report(double(i) / double(instances->size()), std::to_string(r.files) + " objects received");
        auto got = request(node, base + "/series/" + series + "/instances/" + sop,
            { "Accept: multipart/related; type=\"application/dicom\"; transfer-syntax=*" }, nullptr, kMaxInstanceReply, progress);
        if (!got)
            return fail(got.error().message == "cancelled" ? Error("retrieve cancelled") : got.error());
        if (Status s = checkStatus(node, *got, "retrieving an instance"); !s)
            return fail(s.error());
        auto parts = parseMultipart(got->body, multipartBoundary(got->contentType));
        if (!parts)
            return fail(Error("DICOMweb server " + displayUrl(node.baseUrl) + ": " + parts.error().message));
        if (parts->empty())
            return fail(Error("DICOMweb server " + displayUrl(node.baseUrl) + " sent no object for an instance it listed"));
        for (const MultipartPart& part : *parts) {
            if (r.files >= limits.maxFiles)
                return fail(Error("the study has more than " + std::to_string(limits.maxFiles) + " objects (the retrieve limit)"));
            r.bytes += part.body.size();
            if (r.bytes > limits.maxBytes)
                return fail(Error("the study is larger than " + std::to_string(limits.maxBytes >> 20) + " MiB (the retrieve limit)"));
            char name[32];
            std::snprintf(name, sizeof name, "%06zu.dcm", r.files + 1);
            const fs::path file = partial / name;
            {
                std::ofstream out(file, std::ios::binary);
                out.write(part.body.data(), std::streamsize(part.body.size()));
                if (!out)
                    return fail(Error("cannot write", file.string()));
            }
            if (auto h = readHeader(file); !h || h->sopClassUid.empty())
                return fail(Error(
                    "DICOMweb server " + displayUrl(node.baseUrl) + " sent a part that is not a DICOM object (" + part.contentType + ")"));
            ++r.files;
        }
    }
    auto placed = detail::commitStudyFolder(partial, destRoot, studyUid, r.replaced);
    if (!placed)
        return placed.error();
    r.folder = *placed;
    progress.report(1.0, std::to_string(r.files) + " objects received");
    return r;
}

Result<Sent> webSend(const WebNode& node, const std::vector<fs::path>& files, Progress& progress)
{
    if (Status s = validateWebNode(node); !s)
        return s.error();
    Sent out;
    struct Item {
        fs::path path;
        std::string sop;
        std::string bytes;
    };
    std::vector<Item> batch;
    size_t batchBytes = 0, done = 0;
    std::random_device rd;
    const std::string boundary = "MammoScope-" + std::to_string(rd()) + "-" + std::to_string(rd());
    auto flush = [&]() -> Status {
        if (batch.empty())
            return {};
        std::string body;
        body.reserve(batchBytes + batch.size() * 128);
        for (const Item& it : batch) {
            body += "--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n";
            body += it.bytes;
            body += "\r\n";
        }
        body += "--" + boundary + "--\r\n";
        auto r = request(node, trimSlash(node.baseUrl) + "/studies",
            { "Content-Type: multipart/related; type=\"application/dicom\"; boundary=" + boundary, "Accept: application/dicom+json" },
            &body, kMaxJsonReply, progress);
        if (!r)
            return r.error();
        if (r->status != 200 && r->status != 202 && r->status != 409)
            return checkStatus(node, *r, "storing");
        // Failed SOP Sequence (0008,1198): which instances the server refused, and why.
        std::map<std::string, std::string> failed;
        if (auto j = Json::parse(r->body); j && j->isObject())
            if (const Json* f = j->find("00081198"); f && f->isObject())
                if (const Json* v = f->find("Value"); v && v->isArray())
                    for (const Json& item : v->elements())
                        if (item.isObject())
                            failed[attribute(item, "00081155")] = attribute(item, "00081197");
        for (const Item& it : batch) {
            if (r->status == 409 || failed.count(it.sop))
                out.problems.push_back(it.path.string() + ": the server refused it"
                    + (failed.count(it.sop) && !failed[it.sop].empty() ? " (failure reason " + failed[it.sop] + ")" : std::string()));
            else
                ++out.sent;
        }
        done += batch.size();
        progress.report(double(done) / double(files.size()), std::to_string(out.sent) + " sent");
        batch.clear();
        batchBytes = 0;
        return {};
    };
    for (const fs::path& f : files) {
        if (progress.cancelled()) {
            out.problems.push_back("cancelled after " + std::to_string(out.sent) + " of " + std::to_string(files.size()) + " files");
            return out;
        }
        auto h = readHeader(f);
        if (!h || h->sopClassUid.empty()) {
            out.problems.push_back(f.string() + ": " + (h ? std::string("no SOP class") : h.error().message));
            ++done;
            continue;
        }
        Item it { f, h->sopInstanceUid, {} };
        if (!readFile(f, it.bytes)) {
            out.problems.push_back(f.string() + ": cannot read");
            ++done;
            continue;
        }
        if (batchBytes + it.bytes.size() > kStowBatchBytes)
            if (Status s = flush(); !s)
                return s.error();
        batchBytes += it.bytes.size();
        batch.push_back(std::move(it));
    }
    if (Status s = flush(); !s)
        return s.error();
    return out;
}

} // namespace ms::dicom

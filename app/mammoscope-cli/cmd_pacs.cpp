// SPDX-License-Identifier: GPL-3.0-or-later
// mammoscope-cli pacs echo|find|get|send: a PACS from scripts, over DIMSE (C-ECHO, C-FIND, C-GET, C-STORE) or
// DICOMweb (QIDO-RS, WADO-RS, STOW-RS).
#include "commands.h"
#include "core/common/json.h"
#include "core/dicom/dicomweb.h"
#include "core/dicom/pacs.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace ms::cli
{
namespace
{

const char* kUsage = "usage: mammoscope-cli pacs echo [NODE]\n"
                     "       mammoscope-cli pacs find [NODE] [--patient-id ID] [--patient-name NAME] [--date YYYYMMDD[-YYYYMMDD]]\n"
                     "                                [--accession A] [--modality MG|any] [--study UID] [--limit N] [--json]\n"
                     "       mammoscope-cli pacs get [NODE] --study UID --out DIR [--max-files N] [--json]\n"
                     "       mammoscope-cli pacs send [NODE] FILE|FOLDER... [--json]\n"
                     "  NODE: DIMSE: --host H (127.0.0.1) --port P (4242) --aet PACS_AE (ORTHANC) --our-aet AE (MAMMOSCOPE)\n"
                     "        DICOMweb: --url http(s)://HOST/ROOT [--user U] [--password-file F] [--token-file F] [--insecure]\n"
                     "        (the password also from $MAMMOSCOPE_PACS_PASSWORD; never on the command line); both: --timeout S (30)\n"
                     "  get retrieves the study with C-GET into DIR/<study UID>/ (complete or not at all) and prints that folder;\n"
                     "  open it like any folder (mammoscope DIR/<study UID>). send stores DICOM files (folders: every file in them).\n";

int fail(const Error& e)
{
    std::fprintf(stderr, "mammoscope-cli pacs: %s\n", e.toString().c_str());
    return 1;
}

Json studyJson(const dicom::StudyMatch& m)
{
    Json j = Json::object();
    j.set("study_uid", m.studyInstanceUid);
    j.set("patient_id", m.patientId);
    j.set("patient_name", m.patientName);
    j.set("study_date", m.studyDate);
    j.set("study_time", m.studyTime);
    j.set("accession", m.accessionNumber);
    j.set("modalities", m.modalities);
    j.set("description", m.description);
    j.set("series", m.series);
    j.set("instances", m.instances);
    return j;
}

} // namespace

int cmdPacs(int argc, char** argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "%s", kUsage);
        return 2;
    }
    const std::string sub = argv[2];
    Args a = Args::parse(argc, argv, 3, { "json", "quiet", "insecure" });
    std::vector<std::string> known
        = { "host", "port", "aet", "our-aet", "timeout", "json", "quiet", "url", "user", "password-file", "token-file", "insecure" };
    if (sub == "find")
        known.insert(known.end(), { "patient-id", "patient-name", "date", "accession", "modality", "study", "limit" });
    else if (sub == "get")
        known.insert(known.end(), { "study", "out", "max-files" });
    else if (sub != "echo" && sub != "send") {
        std::fprintf(stderr, "mammoscope-cli pacs: unknown action '%s'\n%s", sub.c_str(), kUsage);
        return 2;
    }
    if (auto u = a.unknown(known); !u.empty()) {
        std::fprintf(stderr, "%s%s\n", kUsage, u.c_str());
        return 2;
    }
    if ((sub == "send") != !a.positional.empty()) {
        std::fprintf(stderr, "%s%s\n", kUsage, sub == "send" ? "send needs files or folders" : "no file arguments expected");
        return 2;
    }
    std::string err;
    dicom::PacsNode node;
    node.host = a.get("host", node.host);
    node.calledAe = a.get("aet", node.calledAe);
    node.callingAe = a.get("our-aet", node.callingAe);
    const auto port = a.integer("port", node.port, 1, 65535, err);
    const auto timeout = a.integer("timeout", node.timeoutSeconds, 1, 3600, err);
    const auto limit = a.integer("limit", 1000, 1, 1000000, err);
    const auto maxFiles = a.integer("max-files", 10000, 1, 10000000, err);
    if (!port || !timeout || !limit || !maxFiles) {
        std::fprintf(stderr, "mammoscope-cli pacs: %s\n", err.c_str());
        return 2;
    }
    node.port = int(*port);
    node.timeoutSeconds = int(*timeout);
    const bool web = a.get("url").has_value();
    dicom::WebNode wnode;
    if (web) {
        auto firstLine = [](const std::string& f, std::string& out) {
            std::ifstream in(f);
            if (!in)
                return false;
            std::getline(in, out);
            while (!out.empty() && (out.back() == '\r' || out.back() == '\n'))
                out.pop_back();
            return true;
        };
        wnode.baseUrl = *a.get("url");
        wnode.user = a.get("user", "");
        wnode.timeoutSeconds = node.timeoutSeconds;
        wnode.verifyTls = !a.flag("insecure");
        if (auto f = a.get("password-file"); f && !firstLine(*f, wnode.password))
            return fail(Error("cannot read the password file", *f));
        if (!a.get("password-file"))
            if (const char* env = std::getenv("MAMMOSCOPE_PACS_PASSWORD"))
                wnode.password = env;
        if (auto f = a.get("token-file"); f && !firstLine(*f, wnode.bearerToken))
            return fail(Error("cannot read the token file", *f));
        if (Status s = dicom::validateWebNode(wnode); !s)
            return fail(s.error());
    } else if (Status s = dicom::validatePacsNode(node); !s) {
        return fail(s.error());
    }
    const bool json = a.flag("json");
    StderrProgress progress(!json && !a.flag("quiet"));

    if (sub == "echo") {
        if (web) { // DICOMweb has no echo: a search for one study shows the server answers and takes the credentials
            dicom::StudyQuery any;
            any.modality.clear();
            if (auto r = dicom::webFindStudies(wnode, any, 1, progress); !r)
                return fail(r.error());
        } else if (Status s = dicom::pacsEcho(node); !s) {
            return fail(s.error());
        }
        if (json)
            std::printf("%s\n", Json::object().set("echo", true).dump().c_str());
        else if (web)
            std::printf("%s answers QIDO-RS\n", dicom::displayUrl(wnode.baseUrl).c_str());
        else
            std::printf("%s at %s:%d answers C-ECHO\n", node.calledAe.c_str(), node.host.c_str(), node.port);
        return 0;
    }
    if (sub == "find") {
        dicom::StudyQuery q;
        q.patientId = a.get("patient-id", "");
        q.patientName = a.get("patient-name", "");
        q.studyDate = a.get("date", "");
        q.accessionNumber = a.get("accession", "");
        q.modality = a.get("modality", "MG");
        if (q.modality == "any")
            q.modality.clear();
        q.studyInstanceUid = a.get("study", "");
        auto r
            = web ? dicom::webFindStudies(wnode, q, size_t(*limit), progress) : dicom::pacsFindStudies(node, q, size_t(*limit), progress);
        if (!r)
            return fail(r.error());
        if (json) {
            Json arr = Json::array();
            for (const auto& m : r->studies)
                arr.push(studyJson(m));
            Json j = Json::object();
            j.set("studies", std::move(arr));
            j.set("truncated", r->truncated);
            std::printf("%s\n", j.dump(2).c_str());
        } else {
            std::printf("%-10s %-16s %-24s %-12s %-8s %6s  %s\n", "date", "patient ID", "patient name", "accession", "modality", "images",
                "study UID");
            for (const auto& m : r->studies)
                std::printf("%-10s %-16s %-24s %-12s %-8s %6d  %s\n", m.studyDate.c_str(), m.patientId.c_str(), m.patientName.c_str(),
                    m.accessionNumber.c_str(), m.modalities.c_str(), m.instances, m.studyInstanceUid.c_str());
            std::printf("%zu studies%s\n", r->studies.size(), r->truncated ? " (more match: raise --limit or narrow the search)" : "");
        }
        return 0;
    }
    if (sub == "get") {
        if (!a.get("study") || !a.get("out")) {
            std::fprintf(stderr, "%sget needs --study UID and --out DIR\n", kUsage);
            return 2;
        }
        dicom::RetrieveLimits limits;
        limits.maxFiles = size_t(*maxFiles);
        auto r = web ? dicom::webRetrieveStudy(wnode, *a.get("study"), *a.get("out"), limits, progress)
                     : dicom::pacsRetrieveStudy(node, *a.get("study"), *a.get("out"), limits, progress);
        if (!r)
            return fail(r.error());
        if (json) {
            Json j = Json::object();
            j.set("folder", r->folder.string());
            j.set("files", r->files);
            j.set("bytes", static_cast<unsigned long long>(r->bytes));
            j.set("failed", r->failed);
            j.set("warnings", r->warnings);
            j.set("replaced", r->replaced);
            std::printf("%s\n", j.dump(2).c_str());
        } else {
            std::printf("%s\n", r->folder.c_str());
            std::fprintf(stderr, "%zu objects, %.1f MB%s%s\n", r->files, double(r->bytes) / 1e6,
                r->failed ? (", " + std::to_string(r->failed) + " the PACS could not send").c_str() : "",
                r->replaced ? " (replaced an earlier retrieve)" : "");
        }
        return r->failed ? 3 : 0;
    }
    // send
    auto files = filesOf(a.positional);
    if (!files)
        return fail(files.error());
    auto r = web ? dicom::webSend(wnode, *files, progress) : dicom::pacsSend(node, *files, progress);
    if (!r)
        return fail(r.error());
    if (json) {
        Json probs = Json::array();
        for (const auto& p : r->problems)
            probs.push(p);
        Json j = Json::object();
        j.set("sent", r->sent);
        j.set("problems", std::move(probs));
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        for (const auto& p : r->problems)
            std::fprintf(stderr, "not sent: %s\n", p.c_str());
        std::printf("%zu of %zu files sent\n", r->sent, files->size());
    }
    return r->problems.empty() ? 0 : 3;
}

} // namespace ms::cli

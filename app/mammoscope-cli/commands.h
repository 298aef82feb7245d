// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "app/common/cliargs.h"
#include "core/common/json.h"
#include "core/common/progress.h"
#include "core/dataset/dataset.h"

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ms::cli
{

// Progress on stderr ("42% reading DICOM headers"), erased when done; off for --json and --quiet.
class StderrProgress : public Progress
{
public:
    explicit StderrProgress(bool on) : m_on(on) { }
    void report(double f, std::string_view msg) override
    {
        if (m_on)
            std::fprintf(stderr, "\r%3d%% %-40.*s", int(f * 100), int(msg.size()), msg.data());
    }
    ~StderrProgress() override
    {
        if (m_on)
            std::fprintf(stderr, "\r%-50s\r", "");
    }

private:
    bool m_on;
};

int cmdIndex(int argc, char** argv);
int cmdInfo(int argc, char** argv);
int cmdRender(int argc, char** argv);
int cmdSynth(int argc, char** argv);
int cmdBench(int argc, char** argv);
int cmdPrepare(int argc, char** argv);
// prepare --task lesion-map (cmd_prepare_map.cpp), after the dataset and its corrections are read
int prepareLesionMap(const dataset::Dataset& ds, const std::string& out, const Args& a);
// prepare --task tissue (cmd_tissue.cpp): images and their tissue label maps
int prepareTissue(const dataset::Dataset& ds, const std::string& out, const Args& a);
int cmdSegment(int argc, char** argv);
int cmdRealism(int argc, char** argv);
int cmdSegmentEval(int argc, char** argv);
int cmdInfer(int argc, char** argv);
int cmdScore(int argc, char** argv);
// export --format dicom-sr: the model's suspicious regions of every DICOM image as a Comprehensive SR (cmd_infer.cpp).
int exportFindingsSr(
    const dataset::Dataset& ds, const std::string& modelDir, const std::string& device, const std::string& out, bool json, bool quiet);
int cmdExport(int argc, char** argv);
int cmdAnnotate(int argc, char** argv);
// pacs echo|find|get|send (cmd_pacs.cpp)
int cmdPacs(int argc, char** argv);
// FILE|FOLDER arguments as a list of files: folders walked recursively, regular files only (symbolic links are not
// followed), each folder's files in name order; an argument that is neither is an error naming it (cmd_deid.cpp).
Result<std::vector<std::filesystem::path>> filesOf(const std::vector<std::string>& args);
// A de-identification's report as JSON fields (problems, burned_in_annotation) of `j` (cmd_deid.cpp).
void setDeidJson(Json& j, const std::vector<std::string>& problems, const std::vector<std::string>& burnedIn);
// deidentify (cmd_deid.cpp)
int cmdDeidentify(int argc, char** argv);

} // namespace ms::cli

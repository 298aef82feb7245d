// SPDX-License-Identifier: GPL-3.0-or-later
// Samples straight from the phantom generator, in memory: what `--data synth:PATIENTS:SEED` gives the engine on a
// machine with no DICOM or image libraries. Same sampler, same splits as prepared shards.
#pragma once

#include "core/common/progress.h"
#include "core/sampling/sampling.h"
#include "core/synth/phantom.h"

#include <map>
#include <string>

namespace ms::sampling
{

struct SynthSpec {
    int patients = 100;
    uint64_t seed = 1;
    int width = 512, height = 832;
};

// Parses "synth:PATIENTS:SEED[:WxH]".
bool parseSynthSpec(const std::string& s, SynthSpec& out, std::string& error);

// Generates the patients (threads in parallel) and samples them into train / val / test sets.
std::map<std::string, shards::SampleSet> sampleSynthetic(
    const SynthSpec& spec, const Options& opt, int threads = 0, Progress& progress = nullProgress());

} // namespace ms::sampling

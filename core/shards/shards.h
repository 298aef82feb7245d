// SPDX-License-Identifier: GPL-3.0-or-later
// Shards: prepared training samples, decoded once. A shard file is
//
//   "MSSHARD1"                      8 bytes magic
//   u32 header length, header JSON  {"version":1,"task","classes","width","height","channels","split","count"}
//   u32 CRC-32 of the header JSON
//   count records:  u32 meta length, meta JSON {"id","patient","image","abnormality","label","x","y"},
//                   width*height*channels bytes of 8-bit pixels, u32 CRC-32 of meta JSON + pixels
//
// (integers little endian). A folder of shards has a manifest, dataset.json, naming the task, the classes, the
// sample size and the shards of each split (train, val, test). Readers check every checksum and say which shard and
// which record is damaged.
#pragma once

#include "core/common/json.h"
#include "core/common/result.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ms::shards
{

// A lesion of a whole-image sample (lesion-map task): a circle in sample pixels and its class.
struct LesionCircle {
    float x = 0, y = 0, r = 0;
    std::string kind; // CIRC, SPIC, MISC, CALC, ARCH, ASYM (mini-MIAS), mass, calcification
    bool malignant = false;
};

struct SampleMeta {
    std::string id; // unique within the set
    std::string patient;
    std::string image; // image key in the source dataset
    int abnormality = -1; // abnormality index in the source dataset, -1 for background / whole images
    int label = 0;
    int x = 0, y = 0; // where the sample was taken (source pixels, top-left)
    // lesion-map samples: the lesions with coordinates, and whether the image has ground truth at all and which
    // (abnormal: a lesion is recorded, with or without coordinates)
    std::vector<LesionCircle> lesions;
    bool abnormal = false;
    std::string partner; // id of the same woman's other breast in the same view, when the set has it
    double geometry[4] = { 1, 0, 0, 0 }; // scale, flipped, offsetX, offsetY (sampling::MapGeometry)
};

// Samples of one split in memory: pixels back to back, one byte per pixel.
struct SampleSet {
    std::string task;
    std::vector<std::string> classes;
    int width = 0, height = 0, channels = 1;
    std::vector<SampleMeta> meta;
    std::vector<uint8_t> pixels;

    size_t size() const { return meta.size(); }
    size_t sampleBytes() const { return size_t(width) * size_t(height) * size_t(channels); }
    const uint8_t* sample(size_t i) const { return pixels.data() + i * sampleBytes(); }
    void add(const SampleMeta& m, const uint8_t* px);
    std::vector<long> classCounts() const;
};

uint32_t crc32(const void* data, size_t n, uint32_t crc = 0);

// Writes `set` as shards of at most `perShard` samples named <split>-NNN.mss into dir; returns the file names.
Result<std::vector<std::string>> writeShards(
    const std::filesystem::path& dir, const std::string& split, const SampleSet& set, size_t perShard = 2048);
Result<SampleSet> readShard(const std::filesystem::path& file);

struct Manifest {
    std::string task;
    std::vector<std::string> classes;
    int width = 0, height = 0, channels = 1;
    Json source; // what was prepared from: dataset, options
    std::vector<std::pair<std::string, std::vector<std::string>>> splits; // split -> shard files
    std::vector<std::pair<std::string, long>> counts;
    Json toJson() const;
    static Result<Manifest> fromJson(const Json& j);
};

Status writeManifest(const std::filesystem::path& dir, const Manifest& m);
Result<Manifest> readManifest(const std::filesystem::path& dir);
// Loads every shard of one split (empty set when the split has none).
Result<SampleSet> loadSplit(const std::filesystem::path& dir, const std::string& split);

} // namespace ms::shards

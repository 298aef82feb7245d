// SPDX-License-Identifier: GPL-3.0-or-later
// Engine-internal helpers shared by train, eval and bench (LibTorch).
#pragma once

#include "core/models/nets.h"
#include "core/runs/runfolder.h"
#include "core/shards/shards.h"

#include <torch/torch.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>

namespace ms::training
{

using runs::nowSeconds;
using runs::RunFolder;

torch::Device parseDevice(const std::string& s);
std::string deviceName(const torch::Device& d);
// Peak device memory in bytes since the last reset (CUDA), else the process's resident memory.
long long deviceMemoryBytes(const torch::Device& d, bool reset);
void synchronize(const torch::Device& d);
long long deviceTotalMemory(int cudaIndex);
void setupThreads(int threads);

// uint8 N x H x W samples -> normalised float N x 1 x H x W on the device: (x/255 - 0.5) / 0.25.
torch::Tensor toInput(const torch::Tensor& u8, const torch::Device& d);
torch::Tensor gatherBatch(const shards::SampleSet& set, const std::vector<size_t>& idx, size_t begin, size_t end, bool pin);

// A background thread gathers the next batches (pinned on CUDA) while the device works.
class Prefetcher
{
public:
    Prefetcher(const shards::SampleSet& set, std::vector<size_t> order, size_t batch, size_t firstBatch, size_t limit, bool pin);
    ~Prefetcher();
    // The next (batch index, uint8 data, labels); false at the end.
    bool next(size_t& index, torch::Tensor& data, torch::Tensor& labels);
    size_t total() const { return m_total; }

private:
    void run();
    const shards::SampleSet& m_set;
    std::vector<size_t> m_order;
    size_t m_batch, m_next, m_total = 0;
    bool m_pin;
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::tuple<size_t, torch::Tensor, torch::Tensor>> m_queue;
    bool m_done = false, m_quit = false;
};

// Data-parallel training plugs in here. One process needs nothing; DataParallel (distributed.h: c10d, NCCL or Gloo)
// all-reduces the gradients in buckets during backward and averages them in afterBackward.
class GradientSync
{
public:
    virtual ~GradientSync() = default;
    virtual void afterBackward(const std::vector<torch::Tensor>& parameters) { (void)parameters; }
    virtual int rank() const { return 0; }
    virtual int worldSize() const { return 1; }
};

// One SGD step (momentum, Nesterov, weight decay as torch::optim::SGD defines them) with multi-tensor (_foreach)
// kernels: a handful of launches instead of several per parameter. Keeps its momentum buffers in the optimizer's own
// state, so checkpoints and torch::optim::SGD::step stay interchangeable.
void sgdStep(torch::optim::SGD& opt);

// Softmax probabilities of every sample (row-major N x classes).
std::vector<float> predict(models::Net& net, const shards::SampleSet& set, const torch::Device& d, int batch, bool bf16, bool channelsLast);
// The same for the samples `idx` (in that order).
std::vector<float> predict(models::Net& net, const shards::SampleSet& set, const std::vector<size_t>& idx, const torch::Device& d,
    int batch, bool bf16, bool channelsLast);

// Loads the data named by a training config: shards folder or synth:... . Returns train/val/test sets.
struct LoadedData {
    std::map<std::string, shards::SampleSet> splits;
    std::string description;
    double spacingMm = 0; // pixel size of the images samples were taken from (0: unknown); inference resamples to it
};
// lesionPatches: per abnormality, for synth: data (shards carry what prepare sampled).
bool loadData(
    const std::string& data, const std::string& task, int size, int threads, LoadedData& out, std::string& error, int lesionPatches = 4);

using runs::CrossvalConfig;
// crossval on tissue samples (tissuecv.cpp): called by crossval once the manifest says task 'tissue'.
int crossvalTissue(const CrossvalConfig& c, const shards::Manifest& man);

} // namespace ms::training

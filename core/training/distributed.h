// SPDX-License-Identifier: GPL-3.0-or-later
// Data-parallel training on LibTorch's own c10d process groups: NCCL between CUDA GPUs, Gloo on CPUs. One process a
// device, each with a replica; gradients are averaged in buckets while backward is still running (as PyTorch DDP:
// a hook on every parameter's gradient copies it into its bucket, and a full bucket's all-reduce starts at once,
// overlapping the rest of backward; buckets start in one fixed order on every rank). No communication of our own:
// every byte goes through c10d's collectives.
#pragma once

#include "core/runs/launch.h"
#include "core/training/internal.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace ms::training
{

// Whether this build can join a group on `backend` ("nccl" or "gloo").
bool hasBackend(const std::string& backend);

// One GPU a rank: false (after saying why on stderr) when `device` is CUDA and this machine has fewer GPUs than the
// ranks it runs. Started by --nproc-per-node, every rank knows how many share the machine and all end at once with
// rank 0's message; under torchrun or srun the rank without a GPU says so and its launcher ends the group.
bool enoughGpus(const runs::LaunchEnv& launch, const std::string& device);

// An exception's message without the C++ stack trace LibTorch appends ("Exception raised from ..."): for users.
std::string messageOf(const std::exception& e);

class DataParallel final : public GradientSync
{
public:
    // Joins the group `env` describes: a c10d TCPStore at MASTER_ADDR:MASTER_PORT (rank 0 serves it), then the
    // process group. backend: auto (NCCL for a CUDA device, else Gloo), nccl or gloo; gradSync: fp32 or bf16 (the
    // all-reduce's precision; bf16 halves the bytes, NCCL only). nullptr with `error` saying why.
    static std::unique_ptr<DataParallel> join(const runs::LaunchEnv& env, const torch::Device& device, const std::string& backend,
        const std::string& gradSync, std::string& error);
    ~DataParallel() override;
    DataParallel(const DataParallel&) = delete;
    DataParallel& operator=(const DataParallel&) = delete;

    int rank() const override;
    int worldSize() const override;
    const std::string& backend() const;

    // Hooks on these parameters' gradients (once, before the first backward). Buckets: reverse registration order
    // (backward produces the last layers' gradients first), the first ~1 MiB, then ~25 MiB each.
    void attach(const std::vector<torch::Tensor>& parameters);
    size_t buckets() const;
    // Waits for every bucket's all-reduce and writes the average into each parameter's .grad. A parameter without a
    // gradient on this step (unused) contributes zeros and keeps no gradient.
    void afterBackward(const std::vector<torch::Tensor>& parameters) override;

    // Rank 0's values into every rank's tensors (parameters at the start, batch-norm statistics before validation).
    void broadcast(const std::vector<torch::Tensor>& tensors);
    // Element-wise sums over the ranks.
    std::vector<double> sum(const std::vector<double>& values);
    // The same for a tensor on this rank's device, in place (synchronised batch norm's statistics).
    void sumInPlace(torch::Tensor& t);
    // Every rank's vector, in rank order.
    std::vector<std::vector<float>> gather(const std::vector<float>& mine);
    // The largest absolute difference between this replica's values and rank 0's (a check that replicas agree).
    double maxDifferenceFromRank0(const std::vector<torch::Tensor>& tensors);

    struct Impl;

private:
    explicit DataParallel(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m;
};

// Softmax probabilities of every sample of `set` (row-major N x classes, as predict()), each rank scoring every
// worldSize-th sample and the rows gathered: the same rows on every rank.
std::vector<float> predictSharded(
    models::Net& net, const shards::SampleSet& set, const torch::Device& d, int batch, bool bf16, bool channelsLast, DataParallel& dp);

// The shard of an epoch's order this rank trains on, as PyTorch's DistributedSampler: the order padded (repeating
// its start) to a multiple of the world size, then every worldSize-th index from `rank`. With a per-rank batch b the
// ranks' batches k together hold exactly the samples of one process's batch k at batch b x worldSize.
std::vector<size_t> shardOrder(const std::vector<size_t>& order, int rank, int worldSize);

} // namespace ms::training

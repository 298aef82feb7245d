// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/training/distributed.h"

#include "core/models/torchcompat.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif
#if defined(MS_WITH_GLOO)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if defined(MS_WITH_NCCL)
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace ms::training
{

namespace
{

// LibTorch 2 splits a process group into backends; the collectives we call have the same signatures on both.
#if TORCH_VERSION_MAJOR >= 2
using Group = c10d::Backend;
#else
using Group = c10d::ProcessGroup;
#endif

constexpr size_t kFirstBucketBytes = size_t(1) << 20;
constexpr size_t kBucketBytes = size_t(25) << 20;

std::chrono::milliseconds timeoutFromEnv()
{
    // MS_DIST_TIMEOUT: seconds a collective waits for the slowest rank (default 600; a rank that died is noticed
    // sooner: Gloo sees its connection close, and the launchers stop the group when one rank exits).
    long long s = 600;
    if (const char* v = std::getenv("MS_DIST_TIMEOUT"); v && std::atoll(v) > 0)
        s = std::atoll(v);
    return std::chrono::milliseconds(s * 1000);
}

} // namespace

bool hasBackend(const std::string& backend)
{
#if defined(MS_WITH_GLOO)
    if (backend == "gloo")
        return true;
#endif
#if defined(MS_WITH_NCCL)
    if (backend == "nccl")
        return true;
#endif
    return false;
}

bool enoughGpus(const runs::LaunchEnv& launch, const std::string& device)
{
    if (!launch.distributed() || device.rfind("cuda", 0) != 0)
        return true;
    const int gpus = int(torch::cuda::device_count());
    const bool ours = launch.launcher == "mammoscope-train";
    const int here = ours ? std::max(launch.localWorldSize, launch.localRank + 1) : launch.localRank + 1;
    if (here <= gpus)
        return true;
    if (ours && launch.rank == 0)
        std::fprintf(stderr,
            "mammoscope-train: %d ranks on this machine need %d GPUs (one a rank), but it has %d; use --nproc-per-node %d or --device "
            "cpu\n",
            here, here, gpus, std::max(1, gpus));
    else if (!ours)
        std::fprintf(stderr,
            "mammoscope-train: rank %d (local rank %d) needs cuda:%d, but this machine has %d GPUs; start at most %d ranks a node or use "
            "--device cpu\n",
            launch.rank, launch.localRank, launch.localRank, gpus, gpus);
    return false;
}

std::string messageOf(const std::exception& e)
{
    std::string what = e.what();
    what = what.substr(0, what.find("\nException raised from"));
    while (!what.empty() && (what.back() == '\n' || what.back() == ' '))
        what.pop_back();
    return what;
}

struct DataParallel::Impl {
    runs::LaunchEnv env;
    torch::Device device = torch::kCPU;
    std::string backend;
    bool bf16 = false;
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<Group> group;

    struct Slot {
        size_t bucket = 0;
        int64_t offset = 0, numel = 0;
        bool seen = false;
    };
    struct Bucket {
        std::vector<size_t> params;
        at::Tensor flat;
        size_t pending = 0;
        bool ready = false;
        c10::intrusive_ptr<c10d::Work> work;
    };
    std::vector<torch::Tensor> params;
    std::vector<Slot> slots;
    std::vector<Bucket> buckets;
    size_t nextLaunch = 0;
    std::mutex mutex;
    bool attached = false;

    void wait(const c10::intrusive_ptr<c10d::Work>& w) { w->wait(); }

    // Starts the all-reduce of every ready bucket from nextLaunch on, in order (the same order on every rank: Gloo
    // and NCCL match collectives by their sequence).
    void launchReady()
    {
        while (nextLaunch < buckets.size() && buckets[nextLaunch].ready) {
            Bucket& b = buckets[nextLaunch++];
            std::vector<at::Tensor> io { b.flat };
            b.work = group->allreduce(io, c10d::AllreduceOptions());
        }
    }

    void onGradient(size_t i, const at::Tensor& grad)
    {
        std::lock_guard<std::mutex> lock(mutex);
        Slot& s = slots[i];
        if (s.seen)
            return; // a leaf's gradient arrives once a backward; nothing else is summed twice
        s.seen = true;
        Bucket& b = buckets[s.bucket];
        {
            torch::NoGradGuard ng;
            b.flat.narrow(0, s.offset, s.numel).copy_(grad.reshape({ -1 }));
        }
        if (--b.pending == 0) {
            b.ready = true;
            launchReady();
        }
    }
};

DataParallel::DataParallel(std::unique_ptr<Impl> impl) : m(std::move(impl))
{
}
DataParallel::~DataParallel() = default;

int DataParallel::rank() const
{
    return m->env.rank;
}
int DataParallel::worldSize() const
{
    return m->env.worldSize;
}
const std::string& DataParallel::backend() const
{
    return m->backend;
}
size_t DataParallel::buckets() const
{
    return m->buckets.size();
}

std::unique_ptr<DataParallel> DataParallel::join(
    const runs::LaunchEnv& env, const torch::Device& device, const std::string& backendIn, const std::string& gradSync, std::string& error)
{
    auto impl = std::make_unique<Impl>();
    impl->env = env;
    impl->device = device;
    impl->backend = backendIn == "auto" || backendIn.empty() ? (device.is_cuda() ? "nccl" : "gloo") : backendIn;
    impl->bf16 = gradSync == "bf16";
    if (!hasBackend(impl->backend)) {
        error = "this build of mammoscope-train has no " + impl->backend + " process group (LibTorch " + torchcompat::version()
            + (impl->backend == "nccl" ? ", built without NCCL: CUDA ranks need a CUDA LibTorch with NCCL)"
                                       : ", built without Gloo's headers: use --dist-backend nccl on CUDA)");
        return nullptr;
    }
    if (impl->backend == "nccl" && !device.is_cuda()) {
        error = "--dist-backend nccl needs CUDA devices (use gloo for CPU ranks)";
        return nullptr;
    }
    if (impl->bf16 && impl->backend != "nccl") {
        error = "--grad-sync bf16 needs NCCL; Gloo all-reduces fp32 gradients";
        return nullptr;
    }
    const auto timeout = timeoutFromEnv();
    try {
        c10d::TCPStoreOptions so;
        so.port = std::uint16_t(env.masterPort);
        so.isServer = env.rank == 0;
        so.numWorkers = size_t(env.worldSize);
        so.waitWorkers = true;
        so.timeout = timeout;
        impl->store = c10::make_intrusive<c10d::TCPStore>(env.masterAddr, so);
    } catch (const std::exception& e) {
        error = "rank " + std::to_string(env.rank) + " could not reach the rendezvous at " + env.masterAddr + ":"
            + std::to_string(env.masterPort) + " (" + messageOf(e) + ")";
        return nullptr;
    }
    try {
#if defined(MS_WITH_GLOO)
        if (impl->backend == "gloo") {
            auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
            const bool loopback = env.masterAddr == "localhost" || env.masterAddr.rfind("127.", 0) == 0;
            if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
                opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
            else if (loopback)
                opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
            else
                opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
            impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, env.rank, env.worldSize, opts);
        }
#endif
#if defined(MS_WITH_NCCL)
        if (impl->backend == "nccl") {
            c10::cuda::set_device(device.index()); // this rank's GPU is the current one (as torch.cuda.set_device)
            auto opts = c10d::ProcessGroupNCCL::Options::create();
            opts->timeout = timeout;
            impl->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl->store, env.rank, env.worldSize, opts);
        }
#endif
    } catch (const std::exception& e) {
        error = "rank " + std::to_string(env.rank) + " could not join the " + impl->backend + " group: " + messageOf(e);
        return nullptr;
    }
    if (!impl->group) {
        error = "no process group for backend " + impl->backend;
        return nullptr;
    }
    return std::unique_ptr<DataParallel>(new DataParallel(std::move(impl)));
}

void DataParallel::attach(const std::vector<torch::Tensor>& parameters)
{
    TORCH_CHECK(!m->attached, "DataParallel::attach called twice");
    m->attached = true;
    m->params = parameters;
    m->slots.assign(parameters.size(), Impl::Slot());
    // Reverse order, the first bucket small so that communication starts early.
    size_t cap = kFirstBucketBytes, bytes = 0;
    for (size_t k = parameters.size(); k-- > 0;) {
        const auto& p = parameters[k];
        const size_t b = size_t(p.numel()) * (m->bf16 ? 2 : size_t(p.element_size()));
        if (m->buckets.empty() || (bytes > 0 && bytes + b > cap)) {
            if (!m->buckets.empty())
                cap = kBucketBytes;
            m->buckets.emplace_back();
            bytes = 0;
        }
        auto& bucket = m->buckets.back();
        m->slots[k].bucket = m->buckets.size() - 1;
        m->slots[k].numel = p.numel();
        bucket.params.push_back(k);
        bytes += b;
    }
    for (auto& bucket : m->buckets) {
        int64_t n = 0;
        for (size_t k : bucket.params) {
            m->slots[k].offset = n;
            n += m->slots[k].numel;
        }
        const auto& first = parameters[bucket.params.front()];
        bucket.flat = torch::zeros({ n }, first.options().dtype(m->bf16 ? torch::kBFloat16 : first.scalar_type()).requires_grad(false));
        bucket.pending = bucket.params.size();
    }
    Impl* impl = m.get();
    for (size_t k = 0; k < parameters.size(); ++k) {
        auto p = parameters[k];
        p.register_hook([impl, k](const torch::Tensor& grad) { impl->onGradient(k, grad); });
    }
}

void DataParallel::afterBackward(const std::vector<torch::Tensor>& parameters)
{
    (void)parameters; // the attached ones
    {
        std::lock_guard<std::mutex> lock(m->mutex);
        // Parameters without a gradient this step still take part (with zeros), so every rank runs the same
        // collectives in the same order.
        for (auto& b : m->buckets) {
            if (b.ready)
                continue;
            for (size_t k : b.params)
                if (!m->slots[k].seen) {
                    torch::NoGradGuard ng;
                    b.flat.narrow(0, m->slots[k].offset, m->slots[k].numel).zero_();
                }
            b.ready = true;
        }
        m->launchReady();
    }
    torch::NoGradGuard ng;
    const double scale = 1.0 / double(m->env.worldSize);
    for (auto& b : m->buckets) {
        m->wait(b.work);
        b.work.reset();
        auto avg = b.flat.to(m->params[b.params.front()].scalar_type()).mul_(scale);
        for (size_t k : b.params) {
            auto& p = m->params[k];
            const auto& s = m->slots[k];
            if (s.seen && p.grad().defined())
                p.mutable_grad().copy_(avg.narrow(0, s.offset, s.numel).view(p.sizes()));
        }
        b.ready = false;
        b.pending = b.params.size();
    }
    for (auto& s : m->slots)
        s.seen = false;
    m->nextLaunch = 0;
}

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors)
{
    torch::NoGradGuard ng;
    // One collective per dtype: the tensors flattened into one buffer.
    std::vector<c10::ScalarType> types;
    for (const auto& t : tensors)
        if (std::find(types.begin(), types.end(), t.scalar_type()) == types.end())
            types.push_back(t.scalar_type());
    for (auto type : types) {
        std::vector<torch::Tensor> parts;
        for (const auto& t : tensors)
            if (t.scalar_type() == type)
                parts.push_back(t.reshape({ -1 }).to(m->device));
        if (parts.empty())
            continue;
        std::vector<at::Tensor> io { torch::cat(parts) };
        c10d::BroadcastOptions o;
        o.rootRank = 0;
        m->wait(m->group->broadcast(io, o));
        int64_t off = 0;
        for (const auto& t : tensors) {
            if (t.scalar_type() != type)
                continue;
            auto dst = t;
            dst.copy_(io[0].narrow(0, off, t.numel()).view(t.sizes()));
            off += t.numel();
        }
    }
}

std::vector<double> DataParallel::sum(const std::vector<double>& values)
{
    if (values.empty())
        return values;
    std::vector<at::Tensor> io { torch::tensor(values, torch::kFloat64).to(m->device) };
    m->wait(m->group->allreduce(io, c10d::AllreduceOptions()));
    auto c = io[0].to(torch::kCPU).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

void DataParallel::sumInPlace(torch::Tensor& t)
{
    std::vector<at::Tensor> io { t.is_contiguous() ? t : t.contiguous() };
    m->wait(m->group->allreduce(io, c10d::AllreduceOptions()));
    if (!t.is_same(io[0]))
        t.copy_(io[0]);
}

std::vector<std::vector<float>> DataParallel::gather(const std::vector<float>& mine)
{
    const int w = m->env.worldSize;
    std::vector<double> sizes(size_t(w), 0.0);
    sizes[size_t(m->env.rank)] = double(mine.size());
    sizes = sum(sizes);
    size_t longest = 0;
    for (double s : sizes)
        longest = std::max(longest, size_t(s));
    auto padded = torch::zeros({ int64_t(std::max<size_t>(1, longest)) }, torch::kFloat32);
    std::copy(mine.begin(), mine.end(), padded.data_ptr<float>());
    std::vector<at::Tensor> in { padded.to(m->device) };
    std::vector<std::vector<at::Tensor>> out(1);
    for (int r = 0; r < w; ++r)
        out[0].push_back(torch::empty_like(in[0]));
    m->wait(m->group->allgather(out, in));
    std::vector<std::vector<float>> all(static_cast<size_t>(w));
    for (int r = 0; r < w; ++r) {
        auto c = out[0][size_t(r)].to(torch::kCPU).contiguous();
        all[size_t(r)].assign(c.data_ptr<float>(), c.data_ptr<float>() + size_t(sizes[size_t(r)]));
    }
    return all;
}

double DataParallel::maxDifferenceFromRank0(const std::vector<torch::Tensor>& tensors)
{
    torch::NoGradGuard ng;
    std::vector<torch::Tensor> copies;
    for (const auto& t : tensors)
        copies.push_back(t.detach().clone());
    broadcast(copies);
    double local = 0;
    for (size_t i = 0; i < tensors.size(); ++i)
        if (tensors[i].is_floating_point() && tensors[i].numel() > 0)
            local = std::max(local, (tensors[i].detach().to(torch::kFloat64) - copies[i].to(torch::kFloat64)).abs().max().item<double>());
    // the largest over the ranks: sum of one-hot maxima is not a max, so gather them
    const auto all = gather({ float(local) });
    double worst = 0;
    for (const auto& v : all)
        if (!v.empty())
            worst = std::max(worst, double(v[0]));
    return worst;
}

std::vector<float> predictSharded(
    models::Net& net, const shards::SampleSet& set, const torch::Device& d, int batch, bool bf16, bool channelsLast, DataParallel& dp)
{
    const size_t w = size_t(dp.worldSize()), classes = set.classes.size();
    std::vector<size_t> idx;
    for (size_t i = size_t(dp.rank()); i < set.size(); i += w)
        idx.push_back(i);
    const auto all = dp.gather(predict(net, set, idx, d, batch, bf16, channelsLast));
    std::vector<float> out(set.size() * classes, 0.0f);
    for (size_t q = 0; q < w; ++q)
        for (size_t j = 0; (j + 1) * classes <= all[q].size(); ++j) {
            const size_t i = q + j * w;
            if (i < set.size())
                std::copy(all[q].begin() + long(j * classes), all[q].begin() + long((j + 1) * classes), out.begin() + long(i * classes));
        }
    return out;
}

std::vector<size_t> shardOrder(const std::vector<size_t>& order, int rank, int worldSize)
{
    if (worldSize <= 1)
        return order;
    const size_t w = size_t(worldSize);
    const size_t total = (order.size() + w - 1) / w * w;
    std::vector<size_t> out;
    out.reserve(total / w);
    for (size_t i = size_t(rank); i < total && !order.empty(); i += w)
        out.push_back(order[i % order.size()]);
    return out;
}

} // namespace ms::training

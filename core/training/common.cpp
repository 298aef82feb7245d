// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/common/strings.h"
#include "core/models/torchcompat.h"
#include "core/sampling/synthsource.h"
#include "core/training/engine.h"
#include "core/training/internal.h"

#include <cstdlib>
#include <dlfcn.h>
#include <fstream>
#include <malloc.h>
#include <sstream>
#include <thread>
#include <unistd.h>

#ifdef MS_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>
#endif

namespace ms::training
{

torch::Device parseDevice(const std::string& s)
{
    if (s == "cuda")
        return torch::Device(torch::kCUDA, 0);
    if (s.rfind("cuda:", 0) == 0)
        return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(std::stoi(s.substr(5))));
    return torch::Device(torch::kCPU);
}

bool checkDevice(const std::string& device, std::string& message)
{
    const int n = int(torch::cuda::device_count());
    std::string valid = "cpu";
    for (int i = 0; i < n; ++i)
        valid += ", cuda:" + std::to_string(i);
    if (n > 0)
        valid += " (cuda = cuda:0)";
    if (device == "cpu")
        return true;
    if (device == "cuda" || device.rfind("cuda:", 0) == 0) {
        int idx = 0;
        if (device != "cuda") {
            auto v = parseInt(device.substr(5));
            if (!v) {
                message = "unknown device '" + device + "'; valid devices here: " + valid;
                return false;
            }
            idx = int(*v);
        }
        if (idx >= 0 && idx < n)
            return true;
        message = n == 0 ? "device '" + device + "' asked for, but this LibTorch (" + torchcompat::version()
                + ") sees no CUDA device; valid devices here: " + valid
                         : "device '" + device + "' does not exist; valid devices here: " + valid;
        return false;
    }
    message = "unknown device '" + device + "'; valid devices here: " + valid;
    return false;
}

std::string deviceName(const torch::Device& d)
{
    if (d.is_cuda()) {
#ifdef MS_WITH_CUDA
        cudaDeviceProp p {};
        if (cudaGetDeviceProperties(&p, d.index()) == cudaSuccess)
            return p.name;
#endif
        return "CUDA device " + std::to_string(d.index());
    }
    std::ifstream f("/proc/cpuinfo");
    for (std::string line; std::getline(f, line);)
        if (line.rfind("model name", 0) == 0)
            return std::string(trim(line.substr(line.find(':') + 1))) + " (" + std::to_string(at::get_num_threads()) + " threads)";
    return "CPU";
}

long long deviceMemoryBytes(const torch::Device& d, bool reset)
{
    if (d.is_cuda()) {
#ifdef MS_WITH_CUDA
        auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(d.index());
        // Index 0 is StatType::AGGREGATE (the enum moved namespaces between LibTorch 1.13 and 2.x).
        long long peak = stats.allocated_bytes[0].peak;
        if (reset)
            c10::cuda::CUDACachingAllocator::resetPeakStats(d.index());
        return peak;
#else
        (void)reset;
        return 0;
#endif
    }
    (void)reset;
    std::ifstream f("/proc/self/statm");
    long pages = 0, rss = 0;
    f >> pages >> rss;
    return (long long)rss * sysconf(_SC_PAGESIZE);
}

void synchronize(const torch::Device& d)
{
    if (d.is_cuda()) {
#ifdef MS_WITH_CUDA
        cudaDeviceSynchronize();
#endif
    }
}

long long deviceTotalMemory(int cudaIndex)
{
#ifdef MS_WITH_CUDA
    cudaDeviceProp p {};
    if (cudaGetDeviceProperties(&p, cudaIndex) == cudaSuccess)
        return (long long)p.totalGlobalMem;
#else
    (void)cudaIndex;
#endif
    return 0;
}

void setupThreads(int threads)
{
    const int n = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
    // Debian's LibTorch starts with one thread; OpenBLAS threads fight ours unless held to one. OpenBLAS reads its
    // environment when it loads, before main(), so the setting goes through its API when it is there.
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    using SetThreads = void (*)(int);
    if (auto* f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        f(1);
    at::set_num_threads(n);
    // Keep freed tensor memory in the heap: glibc otherwise maps and unmaps every large buffer, and the page faults
    // cost a third of CPU training time here.
    mallopt(M_MMAP_THRESHOLD, 512 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
}

torch::Tensor gatherBatch(const shards::SampleSet& set, const std::vector<size_t>& idx, size_t begin, size_t end, bool pin)
{
    const int64_t n = int64_t(end - begin), h = set.height, w = set.width;
    auto opts = torch::TensorOptions().dtype(torch::kUInt8);
    torch::Tensor t = torch::empty({ n, 1, h, w }, opts);
    if (pin)
        t = t.pin_memory();
    uint8_t* dst = t.data_ptr<uint8_t>();
    const size_t bytes = set.sampleBytes();
    for (size_t i = begin; i < end; ++i)
        std::memcpy(dst + (i - begin) * bytes, set.sample(idx[i]), bytes);
    return t;
}

Prefetcher::Prefetcher(const shards::SampleSet& set, std::vector<size_t> order, size_t batch, size_t firstBatch, size_t limit, bool pin)
    : m_set(set), m_order(std::move(order)), m_batch(batch), m_next(firstBatch), m_pin(pin)
{
    m_total = (m_order.size() + batch - 1) / batch;
    if (limit)
        m_total = std::min(m_total, limit);
    m_thread = std::thread([this] { run(); });
}

Prefetcher::~Prefetcher()
{
    {
        std::lock_guard<std::mutex> l(m_mutex);
        m_quit = true;
    }
    m_cv.notify_all();
    m_thread.join();
}

bool Prefetcher::next(size_t& index, torch::Tensor& data, torch::Tensor& labels)
{
    std::unique_lock<std::mutex> l(m_mutex);
    m_cv.wait(l, [this] { return !m_queue.empty() || m_done; });
    if (m_queue.empty())
        return false;
    std::tie(index, data, labels) = m_queue.front();
    m_queue.pop_front();
    m_cv.notify_all();
    return true;
}

void Prefetcher::run()
{
    for (size_t b = m_next; b < m_total; ++b) {
        const size_t s = b * m_batch, e = std::min(m_order.size(), s + m_batch);
        torch::Tensor data = gatherBatch(m_set, m_order, s, e, m_pin);
        std::vector<int64_t> lab;
        for (size_t i = s; i < e; ++i)
            lab.push_back(m_set.meta[m_order[i]].label);
        torch::Tensor labels = torch::tensor(lab, torch::kInt64);
        std::unique_lock<std::mutex> l(m_mutex);
        m_cv.wait(l, [this] { return m_queue.size() < 3 || m_quit; });
        if (m_quit)
            return;
        m_queue.emplace_back(b, data, labels);
        m_cv.notify_all();
    }
    std::lock_guard<std::mutex> l(m_mutex);
    m_done = true;
    m_cv.notify_all();
}

namespace
{
// The optimizer state's key: a string of the TensorImpl address in LibTorch 1.13, the address itself later.
template <class Map> typename Map::key_type stateKey(const Map&, const torch::Tensor& p)
{
    if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
        std::ostringstream ss; // what c10::guts::to_string did
        ss << p.unsafeGetTensorImpl();
        return ss.str();
    } else
        return typename Map::key_type(p.unsafeGetTensorImpl());
}
} // namespace

void sgdStep(torch::optim::SGD& opt)
{
    torch::NoGradGuard ng;
    for (auto& group : opt.param_groups()) {
        auto& o = static_cast<torch::optim::SGDOptions&>(group.options());
        std::vector<torch::Tensor> params, grads, bufs, fresh, freshGrads;
        for (auto& p : group.params()) {
            if (!p.grad().defined())
                continue;
            params.push_back(p);
            grads.push_back(p.grad());
        }
        if (params.empty())
            continue;
        if (o.weight_decay() != 0)
            grads = at::_foreach_add(grads, params, o.weight_decay());
        if (o.momentum() != 0) {
            auto& state = opt.state();
            for (size_t i = 0; i < params.size(); ++i) {
                auto key = stateKey(state, params[i]);
                auto it = state.find(key);
                if (it == state.end()) {
                    // First step: the buffer is the gradient itself.
                    auto st = std::make_unique<torch::optim::SGDParamState>();
                    st->momentum_buffer(grads[i].clone().detach());
                    bufs.push_back(st->momentum_buffer());
                    state[key] = std::move(st);
                    fresh.push_back(bufs.back());
                } else {
                    bufs.push_back(static_cast<torch::optim::SGDParamState&>(*it->second).momentum_buffer());
                }
            }
            // buf = momentum * buf + (1 - dampening) * grad, for the buffers that existed before this step.
            std::vector<torch::Tensor> oldBufs, oldGrads;
            for (size_t i = 0; i < bufs.size(); ++i) {
                bool isFresh = false;
                for (auto& f : fresh)
                    isFresh = isFresh || f.is_same(bufs[i]);
                if (!isFresh) {
                    oldBufs.push_back(bufs[i]);
                    oldGrads.push_back(grads[i]);
                }
            }
            if (!oldBufs.empty()) {
                at::_foreach_mul_(oldBufs, o.momentum());
                at::_foreach_add_(oldBufs, oldGrads, 1.0 - o.dampening());
            }
            if (o.nesterov())
                grads = at::_foreach_add(grads, bufs, o.momentum());
            else
                grads = bufs;
        }
        at::_foreach_add_(params, grads, -o.lr());
    }
}

torch::Tensor toInput(const torch::Tensor& u8, const torch::Device& d)
{
    return models::normaliseInput(u8.to(d, /*non_blocking=*/true));
}

std::vector<float> predict(models::Net& net, const shards::SampleSet& set, const torch::Device& d, int batch, bool bf16, bool channelsLast)
{
    std::vector<size_t> idx(set.size());
    for (size_t i = 0; i < idx.size(); ++i)
        idx[i] = i;
    return predict(net, set, idx, d, batch, bf16, channelsLast);
}

std::vector<float> predict(models::Net& net, const shards::SampleSet& set, const std::vector<size_t>& idx, const torch::Device& d,
    int batch, bool bf16, bool channelsLast)
{
    torch::NoGradGuard ng;
    net.eval();
    std::vector<float> out;
    out.reserve(idx.size() * set.classes.size());
    for (size_t b = 0; b < idx.size(); b += size_t(batch)) {
        const size_t e = std::min(idx.size(), b + size_t(batch));
        auto x = toInput(gatherBatch(set, idx, b, e, false), d);
        if (channelsLast)
            x = x.contiguous(at::MemoryFormat::ChannelsLast);
        torch::Tensor logits;
        {
            torchcompat::CudaAutocast autocast(bf16 && d.is_cuda());
            logits = net.forward(x).to(torch::kFloat32);
        }
        auto p = torch::softmax(logits, 1).to(torch::kCPU).contiguous();
        out.insert(out.end(), p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    }
    return out;
}

bool loadData(
    const std::string& data, const std::string& task, int size, int threads, LoadedData& out, std::string& error, int lesionPatches)
{
    if (data.rfind("synth:", 0) == 0) {
        sampling::SynthSpec spec;
        if (!sampling::parseSynthSpec(data, spec, error))
            return false;
        sampling::Options opt;
        if (!sampling::parseTask(task, opt.task)) {
            error = "unknown task '" + task + "' (patches, roi, whole)";
            return false;
        }
        opt.size = size;
        opt.lesionPatches = lesionPatches;
        if (opt.task == sampling::Task::Whole) {
            opt.wholeWidth = size;
            opt.wholeHeight = size * spec.height / spec.width;
        }
        out.splits = sampling::sampleSynthetic(spec, opt, threads);
        out.spacingMm = 250.0 / double(spec.height); // the phantoms' detector (core/synth) at scale 1
        out.description = data + " (" + task + ", " + std::to_string(size) + " px, generated in memory)";
        return true;
    }
    for (const char* s : { "train", "val", "test" }) {
        auto set = shards::loadSplit(data, s);
        if (!set) {
            error = set.error().toString();
            return false;
        }
        out.splits[s] = std::move(*set);
    }
    out.description = data;
    if (auto m = shards::readManifest(data))
        out.spacingMm = m->source["spacing_mm"].number(0);
    return true;
}

} // namespace ms::training

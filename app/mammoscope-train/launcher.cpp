// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/mammoscope-train/launcher.h"
#include "core/runs/launch.h"

#include "core/common/strings.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace ms::launcher
{

namespace
{

std::atomic<int> g_signal { 0 };

void onSignal(int sig)
{
    g_signal = sig;
}

std::string describe(int status)
{
    if (WIFEXITED(status))
        return "exited with code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
    return "stopped";
}

} // namespace

std::vector<std::string> takeNprocPerNode(const std::vector<std::string>& args, int& n)
{
    n = 1;
    std::vector<std::string> out;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string value;
        if (args[i] == "--nproc-per-node") {
            value = i + 1 < args.size() ? args[i + 1] : std::string();
            ++i;
        } else if (args[i].rfind("--nproc-per-node=", 0) == 0) {
            value = args[i].substr(std::strlen("--nproc-per-node="));
        } else {
            out.push_back(args[i]);
            continue;
        }
        const auto v = parseInt(value);
        n = v && *v >= 1 && *v <= 1024 ? int(*v) : 0;
    }
    return out;
}

int runLocalRanks(int n, const std::vector<std::string>& args, int graceSeconds, std::string* rank0KilledBy)
{
    const int port = runs::freeLoopbackPort(); // rank 0's TCPStore binds it a moment later
    if (port == 0) {
        std::fprintf(stderr, "mammoscope-train: no free port on 127.0.0.1 for the ranks' rendezvous\n");
        return 1;
    }
    int toRank0[2];
    if (::pipe(toRank0) != 0) {
        std::fprintf(stderr, "mammoscope-train: cannot create a pipe: %s\n", std::strerror(errno));
        return 1;
    }
    ::fcntl(toRank0[1], F_SETFD, FD_CLOEXEC);
    std::fflush(stdout);
    std::fflush(stderr);
    if (rank0KilledBy)
        rank0KilledBy->clear();
    std::vector<pid_t> pids(size_t(n), -1);
    for (int r = 0; r < n; ++r) {
        const pid_t pid = ::fork();
        if (pid < 0) {
            std::fprintf(stderr, "mammoscope-train: cannot start rank %d: %s\n", r, std::strerror(errno));
            for (pid_t p : pids)
                if (p > 0)
                    ::kill(p, SIGTERM);
            return 1;
        }
        if (pid == 0) {
            if (r == 0) {
                ::dup2(toRank0[0], STDIN_FILENO);
            } else {
                const int devnull = ::open("/dev/null", O_RDONLY);
                if (devnull >= 0)
                    ::dup2(devnull, STDIN_FILENO);
            }
            ::close(toRank0[0]);
            ::setenv("RANK", std::to_string(r).c_str(), 1);
            ::setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
            ::setenv("WORLD_SIZE", std::to_string(n).c_str(), 1);
            ::setenv("LOCAL_WORLD_SIZE", std::to_string(n).c_str(), 1);
            ::setenv("MASTER_ADDR", "127.0.0.1", 1);
            ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
            ::setenv("MS_LAUNCHER", "mammoscope-train", 1);
            std::vector<char*> argv;
            static std::string self = "mammoscope-train";
            argv.push_back(self.data());
            std::vector<std::string> copy = args;
            for (auto& a : copy)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv("/proc/self/exe", argv.data());
            std::fprintf(stderr, "mammoscope-train: cannot start rank %d: %s\n", r, std::strerror(errno));
            ::_exit(127);
        }
        pids[size_t(r)] = pid;
    }
    ::close(toRank0[0]);
    std::fprintf(stderr, "mammoscope-train: started %d ranks (rendezvous 127.0.0.1:%d)\n", n, port);

    // stdin -> rank 0, line by line, until stdin closes or the ranks are done.
    std::atomic<bool> done { false };
    const int writeEnd = toRank0[1];
    std::thread relay([writeEnd, &done] {
        char buf[4096];
        while (!done) {
            pollfd p { STDIN_FILENO, POLLIN, 0 };
            const int r = ::poll(&p, 1, 200);
            if (r <= 0)
                continue;
            const ssize_t got = ::read(STDIN_FILENO, buf, sizeof buf);
            if (got <= 0)
                break;
            if (::write(writeEnd, buf, size_t(got)) != got)
                break;
        }
    });

    struct sigaction sa {
    };
    sa.sa_handler = onSignal;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    int alive = n, firstFailure = 0, forwarded = 0;
    bool stopping = false;
    auto stopSince = std::chrono::steady_clock::time_point();
    bool killed = false;
    std::vector<bool> running(size_t(n), true);
    while (alive > 0) {
        if (const int sig = g_signal.exchange(0); sig != 0) {
            forwarded = sig;
            for (int r = 0; r < n; ++r)
                if (running[size_t(r)])
                    ::kill(pids[size_t(r)], sig);
        }
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            int r = 0;
            while (r < n && pids[size_t(r)] != pid)
                ++r;
            if (r == n)
                continue;
            running[size_t(r)] = false;
            --alive;
            if (r == 0 && rank0KilledBy && WIFSIGNALED(status))
                *rank0KilledBy = describe(status);
            const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            if (!ok && firstFailure == 0) {
                firstFailure = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
                if (!stopping && alive > 0) {
                    std::fprintf(stderr, "mammoscope-train: rank %d %s; stopping the other %d rank%s\n", r, describe(status).c_str(), alive,
                        alive == 1 ? "" : "s");
                    stopping = true;
                    stopSince = std::chrono::steady_clock::now();
                    for (int q = 0; q < n; ++q)
                        if (running[size_t(q)])
                            ::kill(pids[size_t(q)], SIGTERM);
                } else {
                    std::fprintf(stderr, "mammoscope-train: rank %d %s\n", r, describe(status).c_str());
                }
            }
            continue;
        }
        if (stopping && !killed && std::chrono::steady_clock::now() - stopSince > std::chrono::seconds(graceSeconds)) {
            killed = true;
            for (int q = 0; q < n; ++q)
                if (running[size_t(q)]) {
                    std::fprintf(stderr, "mammoscope-train: rank %d did not stop within %d s; killing it\n", q, graceSeconds);
                    ::kill(pids[size_t(q)], SIGKILL);
                }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    done = true;
    ::close(writeEnd);
    relay.join();
    (void)forwarded;
    return firstFailure;
}

} // namespace ms::launcher

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/common/paths.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <ftw.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ms
{

static fs::path baseDir(const char* overrideVar, const char* xdgVar, const char* fallback)
{
    fs::path p;
    if (const char* o = std::getenv(overrideVar); o && *o) {
        p = o;
    } else if (const char* x = std::getenv(xdgVar); x && *x) {
        p = fs::path(x) / "MammoScope";
    } else {
        const char* home = std::getenv("HOME");
        p = fs::path(home && *home ? home : "/tmp") / fallback / "MammoScope";
    }
    std::error_code ec;
    fs::create_directories(p, ec);
    return p;
}

fs::path appDataDir()
{
    return baseDir("MAMMOSCOPE_DATA_DIR", "XDG_DATA_HOME", ".local/share");
}
fs::path appCacheDir()
{
    return baseDir("MAMMOSCOPE_CACHE_DIR", "XDG_CACHE_HOME", ".cache");
}

bool readFile(const fs::path& p, std::string& out)
{
    std::ifstream f(p, std::ios::binary);
    if (!f)
        return false;
    f.seekg(0, std::ios::end);
    auto n = f.tellg();
    if (n < 0)
        return false;
    out.resize(size_t(n));
    f.seekg(0);
    f.read(out.data(), n);
    return bool(f) || f.eof();
}

std::string writeFileAtomic(const fs::path& p, const std::string& data)
{
    fs::path tmp = p;
    tmp += ".tmp";
    {
        // Never through a symbolic link planted at the temporary's name: remove what is there, then create it anew
        // without following links (O_EXCL | O_NOFOLLOW); the rename replaces a link at p itself, not its target.
        std::error_code rec;
        fs::remove(tmp, rec);
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
            return "cannot open " + tmp.string() + " for writing";
        size_t done = 0;
        while (done < data.size()) {
            const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                ::close(fd);
                return "cannot write " + tmp.string();
            }
            done += size_t(n);
        }
        if (::close(fd) != 0)
            return "cannot write " + tmp.string();
    }
    std::error_code ec;
    fs::rename(tmp, p, ec);
    if (ec)
        return "cannot rename " + tmp.string() + ": " + ec.message();
    return {};
}

static int removeEntry(const char* path, const struct stat*, int, struct FTW*)
{
    return std::remove(path);
}

bool removeTree(const fs::path& p)
{
    struct stat st;
    if (lstat(p.c_str(), &st) != 0)
        return true; // nothing there
    return nftw(p.c_str(), removeEntry, 16, FTW_DEPTH | FTW_PHYS) == 0;
}

std::string relativePathProblem(const std::string& rel)
{
    if (rel.empty())
        return "the path is empty";
    if (rel.find('\0') != std::string::npos)
        return "the path holds a NUL character";
    const fs::path p(rel);
    if (p.is_absolute() || p.has_root_name() || p.has_root_directory() || rel.front() == '/' || rel.front() == '\\')
        return "the path is absolute";
    for (const auto& part : p)
        if (part == "..")
            return "the path steps out of its folder with \"..\"";
    return {};
}

bool resolvesInside(const fs::path& p, const fs::path& root)
{
    std::error_code ec;
    const fs::path r = fs::weakly_canonical(fs::absolute(root, ec), ec);
    if (ec || r.empty())
        return false;
    const fs::path c = fs::weakly_canonical(fs::absolute(p, ec), ec);
    if (ec || c.empty())
        return false;
    auto ci = c.begin();
    for (auto ri = r.begin(); ri != r.end(); ++ri) {
        if (ri->empty()) // a trailing separator
            continue;
        if (ci == c.end() || *ci != *ri)
            return false;
        ++ci;
    }
    return true;
}

} // namespace ms

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dicom/nesting.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctag.h>

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

namespace fs = std::filesystem;

namespace ms::dicom
{

namespace
{

constexpr uint32_t kUndefined = 0xFFFFFFFFu;

// Bytes from a file (seeking past values) or from memory (an inflated data set).
class Source
{
public:
    explicit Source(const fs::path& p) : file_(p, std::ios::binary)
    {
        std::error_code ec;
        size_ = fs::file_size(p, ec);
        if (ec)
            size_ = 0;
    }
    explicit Source(std::vector<uint8_t> bytes) : mem_(std::move(bytes)), inMemory_(true) { size_ = mem_.size(); }
    bool read(void* out, size_t n)
    {
        if (pos_ + n > size_)
            return false;
        if (inMemory_) {
            std::memcpy(out, mem_.data() + pos_, n);
        } else {
            if (filePos_ != pos_) // seek only past skipped values: sequential reads stay buffered
                file_.seekg(std::streamoff(pos_));
            if (!file_.read(static_cast<char*>(out), std::streamsize(n))) {
                filePos_ = UINT64_MAX;
                return false;
            }
            filePos_ = pos_ + n;
        }
        pos_ += n;
        return true;
    }
    bool skip(uint64_t n)
    {
        if (n > size_ - pos_)
            return false;
        pos_ += n;
        return true;
    }
    uint64_t pos() const { return pos_; }
    uint64_t size() const { return size_; }
    bool atEnd() const { return pos_ >= size_; }
    // The rest of the file, for inflating a deflated data set (at most `cap` bytes out).
    bool inflateRest(std::vector<uint8_t>& out, size_t cap)
    {
        std::vector<uint8_t> in(size_t(size_ - pos_));
        if (!read(in.data(), in.size()))
            return false;
        z_stream z {};
        if (inflateInit2(&z, -15) != Z_OK)
            return false;
        z.next_in = in.data();
        z.avail_in = uInt(in.size());
        out.resize(std::min<size_t>(cap, std::max<size_t>(in.size() * 4, 1 << 16)));
        int rc = Z_OK;
        size_t have = 0;
        while (rc == Z_OK) {
            if (have == out.size()) {
                if (out.size() >= cap)
                    break;
                out.resize(std::min(cap, out.size() * 2));
            }
            z.next_out = out.data() + have;
            z.avail_out = uInt(out.size() - have);
            rc = inflate(&z, Z_NO_FLUSH);
            have = out.size() - z.avail_out;
        }
        inflateEnd(&z);
        out.resize(have);
        return rc == Z_STREAM_END || rc == Z_OK || rc == Z_BUF_ERROR;
    }

private:
    std::ifstream file_;
    std::vector<uint8_t> mem_;
    bool inMemory_ = false;
    uint64_t size_ = 0, pos_ = 0, filePos_ = 0;
};

bool longVr(const char* vr)
{
    static const char* kLong[] = { "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV" };
    for (const char* v : kLong)
        if (vr[0] == v[0] && vr[1] == v[1])
            return true;
    return false;
}

bool isVr(const char* vr)
{
    return vr[0] >= 'A' && vr[0] <= 'Z' && vr[1] >= 'A' && vr[1] <= 'Z';
}

struct Level {
    uint64_t end; // UINT64_MAX: undefined length, ends at its delimiter
    bool sequence; // a sequence (else an item)
    bool fragments; // encapsulated pixel data: its items are skipped, not parsed
};

// Walks one data set from the source's position. Returns when the data ends, the structure cannot be followed or
// the depth exceeds `limit`.
void walk(Source& s, bool explicitVr, bool bigEndian, int limit, NestingScan& out)
{
    auto u16 = [&](const uint8_t* b) { return bigEndian ? uint16_t(b[0] << 8 | b[1]) : uint16_t(b[1] << 8 | b[0]); };
    auto u32 = [&](const uint8_t* b) {
        return bigEndian ? uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3]
                         : uint32_t(b[3]) << 24 | uint32_t(b[2]) << 16 | uint32_t(b[1]) << 8 | b[0];
    };
    std::vector<Level> stack;
    int depth = 0;
    auto push = [&](uint64_t end, bool sequence, bool fragments) {
        stack.push_back({ end, sequence, fragments });
        if (sequence && ++depth > out.maxDepth) {
            out.maxDepth = depth;
            out.at = s.pos();
        }
    };
    auto pop = [&]() {
        if (stack.back().sequence)
            --depth;
        stack.pop_back();
    };
    while (true) {
        while (!stack.empty() && stack.back().end != UINT64_MAX && s.pos() >= stack.back().end)
            pop(); // defined lengths end by position
        if (out.maxDepth > limit)
            return;
        if (s.atEnd()) {
            out.complete = true;
            return;
        }
        uint8_t h[8];
        if (!s.read(h, 4))
            return;
        const uint16_t group = u16(h), element = u16(h + 2);
        if (group == 0xFFFE) { // item, item delimiter, sequence delimiter: a tag and a 4-byte length, no VR
            if (!s.read(h + 4, 4))
                return;
            const uint32_t len = u32(h + 4);
            if (element == 0xE000) {
                if (!stack.empty() && stack.back().fragments) {
                    if (len == kUndefined || !s.skip(len))
                        return;
                    continue;
                }
                push(len == kUndefined ? UINT64_MAX : s.pos() + len, false, false);
            } else if (element == 0xE00D) {
                if (!stack.empty() && !stack.back().sequence)
                    pop();
            } else if (element == 0xE0DD) {
                if (!stack.empty() && !stack.back().sequence)
                    pop(); // an item left open
                if (!stack.empty() && stack.back().sequence)
                    pop();
            }
            continue;
        }
        uint32_t len = 0;
        bool sq = false;
        if (explicitVr) {
            if (!s.read(h + 4, 2))
                return;
            const char vr[2] = { char(h[4]), char(h[5]) };
            if (!isVr(vr))
                return; // not explicit VR after all: leave it to DCMTK
            if (longVr(vr)) {
                if (!s.read(h, 6))
                    return;
                len = u32(h + 2);
            } else {
                if (!s.read(h, 2))
                    return;
                len = u16(h);
            }
            sq = vr[0] == 'S' && vr[1] == 'Q';
            // UN with undefined length holds an implicit VR Little Endian sequence: walked as a sequence.
            sq = sq || (vr[0] == 'U' && vr[1] == 'N' && len == kUndefined);
        } else {
            if (!s.read(h + 4, 4))
                return;
            len = u32(h + 4);
            sq = len == kUndefined || DcmTag(DcmTagKey(group, element)).getEVR() == EVR_SQ;
        }
        const bool pixels = group == 0x7FE0 && element == 0x0010 && len == kUndefined;
        if (pixels)
            push(UINT64_MAX, true, true);
        else if (sq)
            push(len == kUndefined ? UINT64_MAX : s.pos() + len, true, false);
        else if (len == kUndefined || !s.skip(len))
            return;
    }
}

} // namespace

NestingScan scanNesting(const fs::path& path, int limit)
{
    NestingScan out;
    Source s(path);
    if (s.size() < 8)
        return out;
    uint8_t pre[132];
    bool explicitVr = true, bigEndian = false, deflated = false;
    if (s.size() >= 132 && s.read(pre, 132) && std::memcmp(pre + 128, "DICM", 4) == 0) {
        // File Meta Information: explicit VR Little Endian, group 0002; its Transfer Syntax UID says the rest.
        std::string ts;
        while (!s.atEnd()) {
            uint8_t h[12];
            const uint64_t at = s.pos();
            if (!s.read(h, 6))
                return out;
            if ((h[1] << 8 | h[0]) != 0x0002) {
                s = Source(path); // re-open at the first data set element
                s.skip(at);
                break;
            }
            const uint16_t element = uint16_t(h[3] << 8 | h[2]);
            const char vr[2] = { char(h[4]), char(h[5]) };
            uint32_t len = 0;
            if (longVr(vr)) {
                if (!s.read(h, 6))
                    return out;
                len = uint32_t(h[5]) << 24 | uint32_t(h[4]) << 16 | uint32_t(h[3]) << 8 | h[2];
            } else {
                if (!s.read(h, 2))
                    return out;
                len = uint32_t(h[1]) << 8 | h[0];
            }
            if (len > 4096)
                return out; // not a meta element DCMTK would accept either
            std::string value(len, '\0');
            if (!s.read(value.data(), len))
                return out;
            if (element == 0x0010) // Transfer Syntax UID
                ts = value;
        }
        while (!ts.empty() && (ts.back() == '\0' || ts.back() == ' '))
            ts.pop_back();
        explicitVr = ts != "1.2.840.10008.1.2";
        bigEndian = ts == "1.2.840.10008.1.2.2";
        deflated = ts == "1.2.840.10008.1.2.1.99";
    } else {
        // No Part 10 header: explicit VR when the bytes after the first tag look like a VR.
        s = Source(path);
        uint8_t h[6];
        if (!s.read(h, 6))
            return out;
        const char vr[2] = { char(h[4]), char(h[5]) };
        explicitVr = isVr(vr);
        s = Source(path);
    }
    if (deflated) {
        std::vector<uint8_t> body;
        if (!s.inflateRest(body, size_t(512) << 20))
            return out;
        Source m(std::move(body));
        walk(m, true, false, limit, out);
        return out;
    }
    walk(s, explicitVr, bigEndian, limit, out);
    return out;
}

} // namespace ms::dicom

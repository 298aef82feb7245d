// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dicom/jpegll.h"

#include <array>
#include <cstring>
#include <vector>

namespace ms::dicom
{

namespace
{

constexpr int kLookupBits = 10;
constexpr int kFullBits = 12; // code + extra bits decoded in one lookup when they fit

struct HuffTable {
    bool present = false;
    // Full lookup: for the next kFullBits bits, the total bits used (code + extra) and the difference (0 = not decodable
    // in one step).
    std::array<uint8_t, 1 << kFullBits> fullLength {};
    std::array<int32_t, 1 << kFullBits> fullDiff {};
    // Fast path: for the next kLookupBits bits, the symbol and its code length (0 = longer code).
    std::array<uint8_t, 1 << kLookupBits> fastSymbol {};
    std::array<uint8_t, 1 << kLookupBits> fastLength {};
    // Slow path (canonical decoding): per length, the largest code and the offset into values.
    int maxCode[18] = {};
    int valOffset[18] = {};
    uint8_t values[256] = {};

    bool build(const uint8_t counts[16], const uint8_t* vals, int nvals)
    {
        // Validated before anything is written: the lookups are indexed by codes, and a table whose counts do not fit
        // their lengths (3 one-bit codes, 255 of them) made codes past the tables' ends; a symbol is a difference
        // category, 0-16, and sizes shifts.
        if (nvals < 0 || nvals > 256)
            return false;
        for (int i = 0; i < nvals; ++i)
            if (vals[i] > 16)
                return false;
        for (int len = 1, code = 0; len <= 16; ++len) {
            code += counts[len - 1];
            if (code > (1 << len))
                return false;
            code <<= 1;
        }
        std::memcpy(values, vals, size_t(nvals));
        fastLength.fill(0);
        fullLength.fill(0);
        int code = 0, k = 0;
        for (int len = 1; len <= 16; ++len) {
            valOffset[len] = k - code;
            for (int i = 0; i < counts[len - 1]; ++i, ++k, ++code) {
                if (len <= kLookupBits) {
                    const int shift = kLookupBits - len;
                    for (int f = 0; f < (1 << shift); ++f) {
                        fastSymbol[size_t((code << shift) | f)] = values[k];
                        fastLength[size_t((code << shift) | f)] = uint8_t(len);
                    }
                }
            }
            maxCode[len] = counts[len - 1] ? code - 1 : -1;
            // Codes whose extra bits also fit: precompute the difference.
            for (int c = code - counts[len - 1]; c < code; ++c) {
                const int sym = values[k - (code - c)];
                const int total = len + (sym == 16 ? 0 : sym);
                if (total > kFullBits)
                    continue;
                const int shift = kFullBits - total;
                for (int extra = 0; extra < (1 << (sym == 16 ? 0 : sym)); ++extra) {
                    int diff;
                    if (sym == 16)
                        diff = 32768;
                    else if (sym == 0)
                        diff = 0;
                    else
                        diff = extra < (1 << (sym - 1)) ? extra - (1 << sym) + 1 : extra;
                    const int prefix = (c << (sym == 16 ? 0 : sym)) | extra;
                    for (int f = 0; f < (1 << shift); ++f) {
                        fullLength[size_t((prefix << shift) | f)] = uint8_t(total);
                        fullDiff[size_t((prefix << shift) | f)] = diff;
                    }
                }
            }
            if (code > (1 << len))
                return false;
            code <<= 1;
        }
        maxCode[17] = 0x7fffffff;
        present = true;
        return true;
    }
};

class BitReader
{
public:
    BitReader(const uint8_t* d, size_t n) : m_d(d), m_n(n) { }

    // Ensures at least 32 bits are buffered (zeros past the end or at a marker).
    inline void fill()
    {
        if (m_bits >= 32)
            return;
        while (m_bits <= 56) {
            uint8_t b = 0;
            if (m_pos < m_n && !m_marker) {
                b = m_d[m_pos];
                if (b == 0xFF) {
                    uint8_t next = m_pos + 1 < m_n ? m_d[m_pos + 1] : 0;
                    if (next == 0x00) {
                        m_pos += 2;
                    } else {
                        m_marker = true; // a marker: stop feeding data
                        b = 0;
                    }
                } else {
                    ++m_pos;
                }
            }
            m_buf |= uint64_t(b) << (56 - m_bits);
            m_bits += 8;
        }
    }
    inline uint32_t peek(int n) const { return uint32_t(m_buf >> (64 - n)); }
    inline void skip(int n)
    {
        m_buf <<= n;
        m_bits -= n;
    }
    inline uint32_t get(int n)
    {
        if (n == 0)
            return 0;
        uint32_t v = peek(n);
        skip(n);
        return v;
    }
    // At a restart marker: drops the remaining bits and the marker.
    bool restart()
    {
        m_buf = 0;
        m_bits = 0;
        m_marker = false;
        while (m_pos + 1 < m_n && !(m_d[m_pos] == 0xFF && m_d[m_pos + 1] >= 0xD0 && m_d[m_pos + 1] <= 0xD7))
            ++m_pos;
        if (m_pos + 1 >= m_n)
            return false;
        m_pos += 2;
        return true;
    }
    size_t position() const { return m_pos; }

private:
    const uint8_t* m_d;
    size_t m_n;
    size_t m_pos = 0;
    uint64_t m_buf = 0;
    int m_bits = 0;
    bool m_marker = false;
};

// The next difference; false on corrupt data.
inline bool decodeDiff(BitReader& br, const HuffTable& t, int& diff)
{
    br.fill();
    const uint32_t look = br.peek(kFullBits);
    const int total = t.fullLength[look];
    if (total) {
        br.skip(total);
        diff = t.fullDiff[look];
        return true;
    }
    int s;
    const uint32_t l10 = br.peek(kLookupBits);
    const int len = t.fastLength[l10];
    if (len) {
        br.skip(len);
        s = t.fastSymbol[l10];
    } else {
        int code = int(br.peek(kLookupBits + 1));
        int l = kLookupBits + 1;
        while (l <= 16 && code > t.maxCode[l]) {
            ++l;
            code = int(br.peek(l));
        }
        if (l > 16)
            return false;
        br.skip(l);
        s = t.values[code + t.valOffset[l]];
    }
    if (s > 16)
        return false;
    if (s == 16) {
        diff = 32768;
        return true;
    }
    const int v = int(br.get(s)); // at least 32 - 16 bits remain after the code
    diff = (s && v < (1 << (s - 1))) ? v - (1 << s) + 1 : v;
    return true;
}

} // namespace

std::string decodeJpegLossless(const uint8_t* d, size_t n, uint16_t* out, size_t outCount, JpegLosslessInfo* infoOut)
{
    HuffTable tables[4];
    JpegLosslessInfo info;
    int restartInterval = 0, componentTable = -1, componentId = -1;
    size_t pos = 0;
    if (n < 4 || d[0] != 0xFF || d[1] != 0xD8)
        return "not a JPEG stream (no SOI marker)";
    pos = 2;
    for (;;) {
        while (pos < n && d[pos] != 0xFF)
            ++pos;
        while (pos < n && d[pos] == 0xFF)
            ++pos;
        if (pos >= n)
            return "JPEG stream ends before the scan";
        const uint8_t marker = d[pos++];
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01)
            continue;
        if (pos + 2 > n)
            return "JPEG stream truncated in a marker segment";
        const size_t len = size_t(d[pos] << 8 | d[pos + 1]);
        if (len < 2 || pos + len > n)
            return "JPEG marker segment runs past the end";
        const uint8_t* seg = d + pos + 2;
        const size_t segLen = len - 2;
        if (marker == 0xC3) { // SOF3: lossless, Huffman
            if (segLen < 6)
                return "short SOF3";
            info.precision = seg[0];
            info.height = seg[1] << 8 | seg[2];
            info.width = seg[3] << 8 | seg[4];
            if (seg[5] != 1)
                return "lossless JPEG with " + std::to_string(seg[5]) + " components";
            componentId = seg[6];
        } else if ((marker >= 0xC0 && marker <= 0xCF) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
            return "not process 14 (SOF marker " + std::to_string(marker) + ")";
        } else if (marker == 0xC4) { // DHT
            size_t p = 0;
            while (p + 17 <= segLen) {
                const int tc = seg[p] >> 4, th = seg[p] & 15;
                const uint8_t* counts = seg + p + 1;
                int total = 0;
                for (int i = 0; i < 16; ++i)
                    total += counts[i];
                if (tc != 0 || th > 3 || total > 256 || p + 17 + size_t(total) > segLen)
                    return "bad Huffman table";
                if (!tables[th].build(counts, seg + p + 17, total))
                    return "bad Huffman table";
                p += 17 + size_t(total);
            }
        } else if (marker == 0xDD) { // DRI
            if (segLen >= 2)
                restartInterval = seg[0] << 8 | seg[1];
        } else if (marker == 0xDA) { // SOS
            if (segLen < 6 || seg[0] != 1)
                return "scan with more than one component";
            if (seg[1] != componentId)
                return "scan component does not match the frame";
            componentTable = seg[2] >> 4;
            info.predictor = seg[3];
            info.pointTransform = seg[5] & 15;
            pos += len;
            break;
        } else if (marker == 0xD9) {
            return "JPEG stream ends before the scan";
        }
        pos += len;
    }
    if (info.width <= 0 || info.height <= 0)
        return "no frame header before the scan";
    if (componentTable < 0 || componentTable > 3 || !tables[componentTable].present)
        return "scan uses a Huffman table that is not defined";
    if (info.predictor < 1 || info.predictor > 7)
        return "predictor " + std::to_string(info.predictor) + " is not a lossless predictor";
    if (info.precision < 2 || info.precision > 16)
        return "sample precision " + std::to_string(info.precision);
    if (size_t(info.width) * size_t(info.height) > outCount)
        return "JPEG frame is larger than the image";
    if (infoOut)
        *infoOut = info;

    const HuffTable& ht = tables[componentTable];
    BitReader br(d + pos, n - pos);
    const int W = info.width, H = info.height, Pt = info.pointTransform, pred = info.predictor;
    const int initial = 1 << (info.precision - Pt - 1);
    int untilRestart = restartInterval;
    bool firstLine = true; // the line after a restart uses the first-line rules
    for (int y = 0; y < H; ++y) {
        uint16_t* row = out + size_t(y) * size_t(W);
        const uint16_t* above = y ? row - W : nullptr;
        if (restartInterval) {
            if (untilRestart == 0) {
                if (!br.restart())
                    return "missing restart marker";
                untilRestart = restartInterval;
                firstLine = true;
            }
            if (untilRestart < W || untilRestart % W != 0)
                return "restart interval " + std::to_string(restartInterval) + " is not a whole number of rows";
            untilRestart -= W;
        }
        int diff = 0;
        // First sample of the row.
        if (!decodeDiff(br, ht, diff))
            return "corrupt Huffman data at row " + std::to_string(y);
        row[0] = uint16_t(((firstLine ? initial : above[0]) + diff) & 0xFFFF);
        if (firstLine || pred == 1) {
            int ra = row[0];
            for (int x = 1; x < W; ++x) {
                if (!decodeDiff(br, ht, diff))
                    return "corrupt Huffman data at row " + std::to_string(y);
                ra = (ra + diff) & 0xFFFF;
                row[x] = uint16_t(ra);
            }
        } else {
            for (int x = 1; x < W; ++x) {
                if (!decodeDiff(br, ht, diff))
                    return "corrupt Huffman data at row " + std::to_string(y);
                const int ra = row[x - 1], rb = above[x], rc = above[x - 1];
                int p;
                switch (pred) {
                case 2:
                    p = rb;
                    break;
                case 3:
                    p = rc;
                    break;
                case 4:
                    p = ra + rb - rc;
                    break;
                case 5:
                    p = ra + ((rb - rc) >> 1);
                    break;
                case 6:
                    p = rb + ((ra - rc) >> 1);
                    break;
                default:
                    p = (ra + rb) >> 1;
                    break;
                }
                row[x] = uint16_t((p + diff) & 0xFFFF);
            }
        }
        firstLine = false;
    }
    if (Pt)
        for (size_t i = 0; i < size_t(W) * size_t(H); ++i)
            out[i] = uint16_t(out[i] << Pt);
    return {};
}

} // namespace ms::dicom

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/imageio/imageio.h"

#include "core/common/strings.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace fs = std::filesystem;

namespace ms::imageio
{

bool isImageFileName(const fs::path& p)
{
    std::string e = toLower(p.extension().string());
    return e == ".png" || e == ".jpg" || e == ".jpeg" || e == ".pgm" || e == ".pnm" || e == ".tif" || e == ".tiff" || e == ".bmp";
}

Result<Image16> read(const fs::path& path)
{
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        return Error("file not found", path.string());
    cv::Mat m;
    try {
        m = cv::imread(path.string(), cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR);
    } catch (const cv::Exception& e) {
        return Error(std::string("cannot decode image: ") + e.what(), path.string());
    }
    if (m.empty())
        return Error("cannot decode image (unknown format, truncated or corrupt)", path.string());
    try {
        if (m.channels() == 3)
            cv::cvtColor(m, m, cv::COLOR_BGR2GRAY);
        else if (m.channels() == 4)
            cv::cvtColor(m, m, cv::COLOR_BGRA2GRAY);
        else if (m.channels() != 1)
            return Error("unsupported number of channels: " + std::to_string(m.channels()), path.string());
    } catch (const cv::Exception& e) {
        return Error(std::string("cannot convert image to gray: ") + e.what(), path.string());
    }
    Image16 img(m.cols, m.rows);
    if (m.depth() == CV_8U) {
        img.bitsStored = 8;
        for (int y = 0; y < m.rows; ++y) {
            const uint8_t* r = m.ptr<uint8_t>(y);
            for (int x = 0; x < m.cols; ++x)
                img.at(x, y) = r[x];
        }
    } else if (m.depth() == CV_16U) {
        img.bitsStored = 16;
        for (int y = 0; y < m.rows; ++y)
            std::memcpy(&img.pixels[size_t(y) * size_t(m.cols)], m.ptr<uint16_t>(y), size_t(m.cols) * 2);
    } else {
        return Error("unsupported pixel depth (only 8- and 16-bit unsigned images)", path.string());
    }
    return img;
}

Result<std::pair<int, int>> readSize(const fs::path& path)
{
    // PNG: IHDR at a fixed place. PGM: text header. Others: decode.
    std::ifstream f(path, std::ios::binary);
    if (!f)
        return Error("file not found", path.string());
    unsigned char hdr[32] = {};
    f.read(reinterpret_cast<char*>(hdr), sizeof hdr);
    if (f.gcount() >= 24 && std::memcmp(hdr, "\x89PNG\r\n\x1a\n", 8) == 0) {
        auto be = [&](int o) { return int((hdr[o] << 24) | (hdr[o + 1] << 16) | (hdr[o + 2] << 8) | hdr[o + 3]); };
        return std::make_pair(be(16), be(20));
    }
    auto img = read(path);
    if (!img)
        return img.error();
    return std::make_pair(img->width, img->height);
}

static Status writeMat(const fs::path& path, const cv::Mat& m, const std::vector<int>& params = {})
{
    std::error_code ec;
    if (path.has_parent_path())
        fs::create_directories(path.parent_path(), ec);
    try {
        if (!cv::imwrite(path.string(), m, params))
            return Error("cannot write image", path.string());
    } catch (const cv::Exception& e) {
        return Error(std::string("cannot write image: ") + e.what(), path.string());
    }
    return {};
}

Status writePng(const fs::path& path, const Gray8& img)
{
    cv::Mat m(img.height, img.width, CV_8UC1, const_cast<uint8_t*>(img.pixels.data()));
    return writeMat(path, m);
}

Status writePng16(const fs::path& path, const Image16& img)
{
    cv::Mat m(img.height, img.width, CV_16UC1, const_cast<uint16_t*>(img.pixels.data()));
    return writeMat(path, m);
}

Status writePngRgb(const fs::path& path, int w, int h, const std::vector<uint8_t>& rgb)
{
    cv::Mat m(h, w, CV_8UC3, const_cast<uint8_t*>(rgb.data()));
    cv::Mat bgr;
    cv::cvtColor(m, bgr, cv::COLOR_RGB2BGR);
    return writeMat(path, bgr);
}

Status writeJpeg(const fs::path& path, const Gray8& img, int quality)
{
    cv::Mat m(img.height, img.width, CV_8UC1, const_cast<uint8_t*>(img.pixels.data()));
    return writeMat(path, m, { cv::IMWRITE_JPEG_QUALITY, quality });
}

std::vector<Polygon> contours(const Gray8& mask)
{
    std::vector<Polygon> out;
    if (mask.empty())
        return out;
    cv::Mat m(mask.height, mask.width, CV_8UC1, const_cast<uint8_t*>(mask.pixels.data()));
    cv::Mat bin = m > 0;
    std::vector<std::vector<cv::Point>> cs;
    try {
        cv::findContours(bin, cs, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    } catch (const cv::Exception&) {
        return out;
    }
    for (const auto& c : cs) {
        Polygon p;
        p.reserve(c.size());
        for (const auto& pt : c)
            p.emplace_back(pt.x, pt.y);
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<Region> connectedRegions(const Gray8& mask)
{
    std::vector<Region> out;
    if (mask.empty())
        return out;
    cv::Mat m(mask.height, mask.width, CV_8UC1, const_cast<uint8_t*>(mask.pixels.data()));
    cv::Mat bin = m > 0, labels, stats, centroids;
    int n = cv::connectedComponentsWithStats(bin, labels, stats, centroids, 8, CV_32S);
    for (int i = 1; i < n; ++i)
        out.push_back({ stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP), stats.at<int>(i, cv::CC_STAT_WIDTH),
            stats.at<int>(i, cv::CC_STAT_HEIGHT), long(stats.at<int>(i, cv::CC_STAT_AREA)) });
    std::sort(out.begin(), out.end(), [](const Region& a, const Region& b) { return a.area > b.area; });
    return out;
}

} // namespace ms::imageio

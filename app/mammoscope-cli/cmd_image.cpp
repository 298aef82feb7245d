// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/common/cliargs.h"
#include "commands.h"

#include "core/common/json.h"
#include "core/common/strings.h"
#include "core/dataset/loader.h"
#include "core/image/resample.h"
#include "core/image/window.h"
#include "core/imageio/imageio.h"

#include <cstdio>

namespace ms::cli
{

int cmdInfo(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "json", "tags" });
    if (auto u = a.unknown({ "json", "tags" }); !u.empty() || a.positional.size() != 1) {
        std::fprintf(stderr, "usage: mammoscope-cli info FILE [--json] [--tags]\n%s\n", u.c_str());
        return 2;
    }
    auto li = dataset::loadImage(a.positional[0], a.flag("tags"));
    if (!li) {
        std::fprintf(stderr, "mammoscope-cli info: %s\n", li.error().toString().c_str());
        return 1;
    }
    const Image16& im = li->image;
    Json j = Json::object();
    j.set("file", a.positional[0]);
    j.set("width", im.width);
    j.set("height", im.height);
    j.set("bits_stored", im.bitsStored);
    j.set("photometric", im.photometric == Photometric::Monochrome1 ? "MONOCHROME1" : "MONOCHROME2");
    j.set("spacing_mm", im.spacingX > 0 ? Json(Json::Array { Json(im.spacingX), Json(im.spacingY) }) : Json());
    j.set("rescale_slope", im.slope);
    j.set("rescale_intercept", im.intercept);
    j.set("min", im.modality(im.minValue()));
    j.set("max", im.modality(im.maxValue()));
    Json w = Json::array();
    for (const auto& p : im.windows) {
        Json o = Json::object();
        o.set("name", p.name);
        o.set("center", p.center);
        o.set("width", p.width);
        w.push(std::move(o));
    }
    j.set("window_presets", w);
    Json v = Json::array();
    for (const auto& l : im.voiLuts)
        v.push(l.explanation);
    j.set("voi_luts", v);
    WindowLevel aw = autoWindow(im);
    j.set("auto_window", Json(Json::Array { Json(aw.center), Json(aw.width) }));
    if (li->header) {
        const auto& h = *li->header;
        j.set("format", "dicom");
        j.set("transfer_syntax", h.transferSyntaxName);
        j.set("transfer_syntax_uid", h.transferSyntaxUid);
        j.set("modality", h.modality);
        j.set("laterality", h.laterality);
        j.set("view", h.view);
        j.set("frames", h.frames);
        j.set("bits_allocated", h.bitsAllocated);
        j.set("pixel_representation", h.pixelRepresentation);
        j.set("patient_id", h.patientId);
        j.set("study_uid", h.studyUid);
        j.set("series_uid", h.seriesUid);
        j.set("sop_instance_uid", h.sopInstanceUid);
    } else {
        j.set("format", "image");
    }
    if (a.flag("tags")) {
        Json t = Json::array();
        for (const auto& tag : li->tags) {
            Json o = Json::object();
            o.set("tag", tag.tag);
            o.set("vr", tag.vr);
            o.set("name", tag.name);
            o.set("value", tag.identifying ? std::string("(hidden: identifying)") : tag.value);
            o.set("depth", tag.depth);
            t.push(std::move(o));
        }
        j.set("tags", t);
    }
    if (a.flag("json")) {
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        for (const auto& [k, val] : j.items())
            if (k != "tags")
                std::printf("%-22s %s\n", k.c_str(), val.isString() ? val.string().c_str() : val.dump().c_str());
    }
    return 0;
}

int cmdRender(int argc, char** argv)
{
    Args a = Args::parse(argc, argv, 2, { "invert" });
    if (auto u = a.unknown({ "out", "window", "overlay", "max-size", "invert" }); !u.empty() || a.positional.size() != 1 || !a.get("out")) {
        std::fprintf(stderr, "usage: mammoscope-cli render FILE --out PNG [--window C,W] [--overlay MASK] [--max-size N] [--invert]\n%s\n",
            u.c_str());
        return 2;
    }
    auto li = dataset::loadImage(a.positional[0]);
    if (!li) {
        std::fprintf(stderr, "mammoscope-cli render: %s\n", li.error().toString().c_str());
        return 1;
    }
    Image16 img = std::move(li->image);
    WindowLevel wl = defaultWindow(img);
    if (auto w = a.get("window")) {
        auto parts = split(*w, ',');
        auto c = parts.size() == 2 ? parseDouble(parts[0]) : std::nullopt;
        auto ww = parts.size() == 2 ? parseDouble(parts[1]) : std::nullopt;
        if (!c || !ww || *ww < 1) {
            std::fprintf(stderr, "mammoscope-cli render: --window needs CENTER,WIDTH with WIDTH >= 1, got '%s'\n", w->c_str());
            return 2;
        }
        wl = { *c, *ww };
    }
    Gray8 g = renderWindow(img, wl, a.flag("invert"));
    std::vector<uint8_t> rgb(g.pixels.size() * 3);
    for (size_t i = 0; i < g.pixels.size(); ++i)
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = g.pixels[i];
    if (auto ov = a.get("overlay")) {
        auto m = dataset::loadMask(*ov);
        if (!m) {
            std::fprintf(stderr, "mammoscope-cli render: overlay: %s\n", m.error().toString().c_str());
            return 1;
        }
        if (m->width != img.width || m->height != img.height) {
            std::fprintf(stderr, "mammoscope-cli render: overlay %s is %dx%d, the image is %dx%d\n", ov->c_str(), m->width, m->height,
                img.width, img.height);
            return 1;
        }
        const Gray8& mk = *m;
        const int thick = std::max(1, img.width / 600);
        auto on = [&](int x, int y) { return x >= 0 && y >= 0 && x < mk.width && y < mk.height && mk.at(x, y) > 0; };
        for (int y = 0; y < mk.height; ++y)
            for (int x = 0; x < mk.width; ++x) {
                if (!on(x, y))
                    continue;
                bool edge = false;
                for (int d = 1; d <= thick && !edge; ++d)
                    edge = !on(x - d, y) || !on(x + d, y) || !on(x, y - d) || !on(x, y + d);
                if (edge) {
                    size_t i = (size_t(y) * size_t(mk.width) + size_t(x)) * 3;
                    rgb[i] = 255;
                    rgb[i + 1] = 60;
                    rgb[i + 2] = 40;
                }
            }
    }
    int w = g.width, h = g.height;
    if (auto ms = a.get("max-size")) {
        const auto parsed = parseInt(*ms);
        if (!parsed || *parsed < 1 || *parsed > 65535) {
            std::fprintf(stderr, "mammoscope-cli render: --max-size takes 1-65535 pixels, got '%s'\n", ms->c_str());
            return 2;
        }
        const int m = int(*parsed);
        if (m > 0 && std::max(w, h) > m) {
            // Shrink each channel with area averaging.
            double s = double(m) / std::max(w, h);
            int nw = std::max(1, int(w * s)), nh = std::max(1, int(h * s));
            std::vector<uint8_t> out(size_t(nw) * nh * 3);
            for (int c = 0; c < 3; ++c) {
                Gray8 ch(w, h);
                for (size_t i = 0; i < ch.pixels.size(); ++i)
                    ch.pixels[i] = rgb[3 * i + size_t(c)];
                Gray8 r = resizeGray(ch, nw, nh);
                for (size_t i = 0; i < r.pixels.size(); ++i)
                    out[3 * i + size_t(c)] = r.pixels[i];
            }
            rgb.swap(out);
            w = nw;
            h = nh;
        }
    }
    auto st = imageio::writePngRgb(*a.get("out"), w, h, rgb);
    if (!st) {
        std::fprintf(stderr, "mammoscope-cli render: %s\n", st.error().toString().c_str());
        return 1;
    }
    std::fprintf(stderr, "wrote %s (%dx%d, window %g/%g)\n", a.get("out")->c_str(), w, h, wl.center, wl.width);
    return 0;
}

} // namespace ms::cli

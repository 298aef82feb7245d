// SPDX-License-Identifier: GPL-3.0-or-later
#include "j2k.h"

#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace ms::dicom
{

namespace
{

struct Source {
    const uint8_t* data = nullptr;
    size_t size = 0, pos = 0;
};

OPJ_SIZE_T readFn(void* buffer, OPJ_SIZE_T n, void* user)
{
    auto* s = static_cast<Source*>(user);
    if (s->pos >= s->size)
        return OPJ_SIZE_T(-1); // end of stream, as OpenJPEG expects it
    const size_t k = std::min<size_t>(n, s->size - s->pos);
    std::memcpy(buffer, s->data + s->pos, k);
    s->pos += k;
    return k;
}

OPJ_OFF_T skipFn(OPJ_OFF_T n, void* user)
{
    auto* s = static_cast<Source*>(user);
    if (n < 0) {
        const size_t back = std::min<size_t>(size_t(-n), s->pos);
        s->pos -= back;
        return -OPJ_OFF_T(back);
    }
    const size_t k = std::min<size_t>(size_t(n), s->size - s->pos);
    s->pos += k;
    return OPJ_OFF_T(k);
}

OPJ_BOOL seekFn(OPJ_OFF_T n, void* user)
{
    auto* s = static_cast<Source*>(user);
    if (n < 0 || size_t(n) > s->size)
        return OPJ_FALSE;
    s->pos = size_t(n);
    return OPJ_TRUE;
}

void keepError(const char* msg, void* user)
{
    auto* e = static_cast<std::string*>(user);
    if (e->empty() && msg) {
        *e = msg;
        while (!e->empty() && (e->back() == '\n' || e->back() == ' '))
            e->pop_back();
    }
}

void ignore(const char*, void*)
{
}

struct Sink {
    std::vector<uint8_t>* out = nullptr;
    size_t pos = 0;
};

OPJ_SIZE_T writeFn(void* buffer, OPJ_SIZE_T n, void* user)
{
    auto* s = static_cast<Sink*>(user);
    if (s->out->size() < s->pos + n)
        s->out->resize(s->pos + n);
    std::memcpy(s->out->data() + s->pos, buffer, n);
    s->pos += n;
    return n;
}

OPJ_OFF_T sinkSkipFn(OPJ_OFF_T n, void* user)
{
    auto* s = static_cast<Sink*>(user);
    if (n < 0 && size_t(-n) > s->pos)
        return -1;
    s->pos = size_t(OPJ_OFF_T(s->pos) + n);
    if (s->out->size() < s->pos)
        s->out->resize(s->pos);
    return n;
}

OPJ_BOOL sinkSeekFn(OPJ_OFF_T n, void* user)
{
    auto* s = static_cast<Sink*>(user);
    if (n < 0)
        return OPJ_FALSE;
    s->pos = size_t(n);
    if (s->out->size() < s->pos)
        s->out->resize(s->pos);
    return OPJ_TRUE;
}

} // namespace

std::string decodeJpeg2000(const uint8_t* data, size_t size, int width, int height, int bytesPerSample, void* out, Jpeg2000Info* info)
{
    if (!data || size < 12 || !out || width <= 0 || height <= 0 || (bytesPerSample != 1 && bytesPerSample != 2))
        return "no JPEG 2000 data";
    // A raw codestream starts with SOC + SIZ (FF 4F FF 51); a JP2 file with its signature box.
    static const uint8_t jp2Sig[12] = { 0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A };
    const bool j2k = data[0] == 0xFF && data[1] == 0x4F && data[2] == 0xFF && data[3] == 0x51;
    const bool jp2 = std::memcmp(data, jp2Sig, 12) == 0;
    if (!j2k && !jp2)
        return "the pixel data is not a JPEG 2000 codestream (no SOC/SIZ marker at its start)";

    Source src { data, size, 0 };
    std::unique_ptr<opj_stream_t, void (*)(opj_stream_t*)> stream(opj_stream_create(64 * 1024, OPJ_TRUE), opj_stream_destroy);
    std::unique_ptr<opj_codec_t, void (*)(opj_codec_t*)> codec(
        opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K), opj_destroy_codec);
    if (!stream || !codec)
        return "OpenJPEG could not start";
    opj_stream_set_user_data(stream.get(), &src, nullptr);
    opj_stream_set_user_data_length(stream.get(), OPJ_UINT64(size));
    opj_stream_set_read_function(stream.get(), readFn);
    opj_stream_set_skip_function(stream.get(), skipFn);
    opj_stream_set_seek_function(stream.get(), seekFn);
    std::string error;
    opj_set_error_handler(codec.get(), keepError, &error);
    opj_set_warning_handler(codec.get(), ignore, nullptr);
    opj_set_info_handler(codec.get(), ignore, nullptr);
    opj_dparameters_t params;
    opj_set_default_decoder_parameters(&params);
    if (!opj_setup_decoder(codec.get(), &params))
        return "OpenJPEG decoder setup failed";

    opj_image_t* raw = nullptr;
    if (!opj_read_header(stream.get(), codec.get(), &raw) || !raw) {
        if (raw)
            opj_image_destroy(raw);
        return "JPEG 2000 header cannot be read" + (error.empty() ? std::string() : " (" + error + ")");
    }
    std::unique_ptr<opj_image_t, void (*)(opj_image_t*)> image(raw, opj_image_destroy);
    // Everything that decides the size of what OpenJPEG will allocate is checked against the DICOM header first.
    const long long w = (long long)image->x1 - image->x0, h = (long long)image->y1 - image->y0;
    if (info) {
        info->width = int(std::clamp<long long>(w, 0, 1 << 30));
        info->height = int(std::clamp<long long>(h, 0, 1 << 30));
        info->components = int(image->numcomps);
        info->precision = image->numcomps ? int(image->comps[0].prec) : 0;
        info->isSigned = image->numcomps && image->comps[0].sgnd;
        info->jp2 = jp2;
    }
    if (image->numcomps != 1)
        return "the JPEG 2000 codestream has " + std::to_string(image->numcomps) + " components (grayscale images have one)";
    if (w != width || h != height)
        return "the JPEG 2000 codestream is " + std::to_string(w) + " x " + std::to_string(h) + " pixels, the DICOM header says "
            + std::to_string(width) + " x " + std::to_string(height);
    const opj_image_comp_t& c0 = image->comps[0];
    if (c0.dx != 1 || c0.dy != 1)
        return "the JPEG 2000 component is subsampled (" + std::to_string(c0.dx) + " x " + std::to_string(c0.dy) + ")";
    if (c0.prec < 1 || int(c0.prec) > 8 * bytesPerSample)
        return "the JPEG 2000 precision of " + std::to_string(c0.prec) + " bits does not fit the " + std::to_string(8 * bytesPerSample)
            + " bits allocated";
    opj_codec_set_threads(codec.get(), 1);
    if (!opj_decode(codec.get(), stream.get(), image.get()) || !opj_end_decompress(codec.get(), stream.get()))
        return "the JPEG 2000 codestream cannot be decoded" + (error.empty() ? std::string() : " (" + error + ")");
    const opj_image_comp_t& c = image->comps[0];
    if (!c.data || c.w != OPJ_UINT32(width) || c.h != OPJ_UINT32(height))
        return "OpenJPEG returned no image of the expected size";
    const size_t n = size_t(width) * size_t(height);
    const int32_t lo = c.sgnd ? -(1 << (c.prec - 1)) : 0;
    const int32_t hi = c.sgnd ? (1 << (c.prec - 1)) - 1 : int32_t((1u << c.prec) - 1u);
    if (bytesPerSample == 2) {
        auto* o = static_cast<uint16_t*>(out);
        for (size_t i = 0; i < n; ++i)
            o[i] = uint16_t(std::clamp(c.data[i], lo, hi)); // two's complement for signed samples
    } else {
        auto* o = static_cast<uint8_t*>(out);
        for (size_t i = 0; i < n; ++i)
            o[i] = uint8_t(std::clamp(c.data[i], lo, hi));
    }
    return "";
}

std::string encodeJpeg2000(
    const uint16_t* pixels, int width, int height, int precision, bool lossless, float ratio, std::vector<uint8_t>& out)
{
    out.clear();
    if (!pixels || width <= 0 || height <= 0 || precision < 1 || precision > 16 || (!lossless && !(ratio > 1)))
        return "invalid JPEG 2000 encoding request";
    opj_image_cmptparm_t cp;
    std::memset(&cp, 0, sizeof cp);
    cp.dx = cp.dy = 1;
    cp.w = OPJ_UINT32(width);
    cp.h = OPJ_UINT32(height);
    cp.prec = OPJ_UINT32(precision);
    cp.sgnd = 0;
    std::unique_ptr<opj_image_t, void (*)(opj_image_t*)> image(opj_image_create(1, &cp, OPJ_CLRSPC_GRAY), opj_image_destroy);
    if (!image)
        return "OpenJPEG could not allocate the image";
    image->x1 = OPJ_UINT32(width);
    image->y1 = OPJ_UINT32(height);
    const size_t n = size_t(width) * size_t(height);
    const uint32_t maxValue = (1u << precision) - 1u;
    for (size_t i = 0; i < n; ++i)
        image->comps[0].data[i] = OPJ_INT32(std::min<uint32_t>(pixels[i], maxValue));

    opj_cparameters_t params;
    opj_set_default_encoder_parameters(&params);
    params.tcp_numlayers = 1;
    params.cp_disto_alloc = 1;
    params.tcp_rates[0] = lossless ? 0 : ratio; // 0: lossless
    params.irreversible = lossless ? 0 : 1;
    params.numresolution = 1;
    while (params.numresolution < 6 && (width >> params.numresolution) >= 16 && (height >> params.numresolution) >= 16)
        ++params.numresolution;
    std::unique_ptr<opj_codec_t, void (*)(opj_codec_t*)> codec(opj_create_compress(OPJ_CODEC_J2K), opj_destroy_codec);
    std::string error;
    opj_set_error_handler(codec.get(), keepError, &error);
    opj_set_warning_handler(codec.get(), ignore, nullptr);
    opj_set_info_handler(codec.get(), ignore, nullptr);
    if (!codec || !opj_setup_encoder(codec.get(), &params, image.get()))
        return "OpenJPEG encoder setup failed" + (error.empty() ? std::string() : " (" + error + ")");
    Sink sink { &out, 0 };
    std::unique_ptr<opj_stream_t, void (*)(opj_stream_t*)> stream(opj_stream_create(64 * 1024, OPJ_FALSE), opj_stream_destroy);
    opj_stream_set_user_data(stream.get(), &sink, nullptr);
    opj_stream_set_write_function(stream.get(), writeFn);
    opj_stream_set_skip_function(stream.get(), sinkSkipFn);
    opj_stream_set_seek_function(stream.get(), sinkSeekFn);
    if (!opj_start_compress(codec.get(), image.get(), stream.get()) || !opj_encode(codec.get(), stream.get())
        || !opj_end_compress(codec.get(), stream.get()))
        return "JPEG 2000 encoding failed" + (error.empty() ? std::string() : " (" + error + ")");
    stream.reset(); // flushes what is buffered into `out`
    if (out.size() < 12)
        return "JPEG 2000 encoding produced no codestream";
    return "";
}

} // namespace ms::dicom

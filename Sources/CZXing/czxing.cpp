// The one C entry point over ZXing-C++ 1.4: C++ types and exceptions stay in this file.
#define ZX_USE_UTF8 1
#include "czxing.h"
#include <ZXing/BitMatrix.h>
#include <ZXing/CharacterSet.h>
#include <ZXing/MultiFormatWriter.h>
#include <ZXing/ReadBarcode.h>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

extern "C" int czxing_read_qr(const uint8_t *pixels, int width, int height, int row_stride,
                              int try_harder, int binarizer, int max_symbols, czxing_symbol **symbols,
                              char *error, size_t error_size) {
    *symbols = nullptr;
    try {
        ZXing::ImageView view(pixels, width, height, ZXing::ImageFormat::Lum, row_stride, 1);
        ZXing::DecodeHints hints;
        hints.setFormats(ZXing::BarcodeFormat::QRCode);
        hints.setTryHarder(try_harder != 0);
        hints.setTryRotate(try_harder != 0);
        hints.setTryDownscale(try_harder != 0);
        switch (binarizer) {
        case 1: hints.setBinarizer(ZXing::Binarizer::GlobalHistogram); break;
        case 2: hints.setBinarizer(ZXing::Binarizer::FixedThreshold); break;
        default: hints.setBinarizer(ZXing::Binarizer::LocalAverage); break;
        }
        hints.setMaxNumberOfSymbols(static_cast<uint8_t>(max_symbols > 255 ? 255 : max_symbols));
        auto results = ZXing::ReadBarcodes(view, hints);
        int count = 0;
        for (const auto &r : results) if (r.isValid()) ++count;
        if (count == 0) return 0;
        auto *out = static_cast<czxing_symbol *>(std::calloc(count, sizeof(czxing_symbol)));
        if (!out) return -1;
        int i = 0;
        for (const auto &r : results) {
            if (!r.isValid()) continue;
            const auto &b = r.bytes();
            out[i].length = b.size();
            out[i].bytes = static_cast<uint8_t *>(std::malloc(b.size() > 0 ? b.size() : 1));
            if (b.size() > 0) std::memcpy(out[i].bytes, b.data(), b.size());
            if (r.hasECI()) {
                const std::string text = r.text();
                out[i].eci_text = static_cast<char *>(std::malloc(text.size() + 1));
                if (out[i].eci_text) {
                    std::memcpy(out[i].eci_text, text.data(), text.size());
                    out[i].eci_text[text.size()] = 0;
                    out[i].eci_text_length = text.size();
                }
            }
            const auto &q = r.position();
            out[i].centre_x = (q.topLeft().x + q.topRight().x + q.bottomRight().x + q.bottomLeft().x) / 4;
            out[i].centre_y = (q.topLeft().y + q.topRight().y + q.bottomRight().y + q.bottomLeft().y) / 4;
            ++i;
        }
        *symbols = out;
        return count;
    } catch (const std::exception &e) {
        if (error && error_size > 0) { std::strncpy(error, e.what(), error_size - 1); error[error_size - 1] = 0; }
        return -1;
    } catch (...) {
        if (error && error_size > 0) { std::strncpy(error, "unknown ZXing exception", error_size - 1); error[error_size - 1] = 0; }
        return -1;
    }
}

extern "C" void czxing_free(czxing_symbol *symbols, int count) {
    if (!symbols) return;
    for (int i = 0; i < count; ++i) {
        std::free(symbols[i].bytes);
        std::free(symbols[i].eci_text);
    }
    std::free(symbols);
}

extern "C" int czxing_write_qr_eci(const char *text, const char *charset, uint8_t **modules, char *error, size_t error_size) {
    *modules = nullptr;
    try {
        auto set = ZXing::CharacterSetFromString(charset);
        if (set == ZXing::CharacterSet::Unknown) throw std::invalid_argument(std::string("unknown character set ") + charset);
        auto matrix = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode).setEncoding(set).setMargin(0).encode(std::string(text), 0, 0);
        int size = matrix.width();
        auto *out = static_cast<uint8_t *>(std::malloc(static_cast<size_t>(size) * size));
        if (!out) return -1;
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x) out[y * size + x] = matrix.get(x, y) ? 1 : 0;
        *modules = out;
        return size;
    } catch (const std::exception &e) {
        if (error && error_size > 0) { std::strncpy(error, e.what(), error_size - 1); error[error_size - 1] = 0; }
        return -1;
    }
}

#ifndef CZXING_H
#define CZXING_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One decoded QR symbol: its payload bytes (as the symbol holds them) and its centre in pixels.
typedef struct {
    uint8_t *bytes;
    size_t length;
    /// The text as the symbol's ECI designators say (UTF-8), or NULL when it has none.
    char *eci_text;
    size_t eci_text_length;
    int centre_x;
    int centre_y;
} czxing_symbol;

/// Reads every QR code in an 8-bit grayscale image with ZXing-C++.
/// `try_harder` enables ZXing's slower, more thorough search (rotation, downscaling).
/// `binarizer`: 0 local average (ZXing's default), 1 global histogram, 2 fixed threshold 127.
/// Returns the number of symbols written to `*symbols` (an array the caller frees with
/// czxing_free), or -1 when ZXing threw (the message is copied to `error`, NUL-terminated).
int czxing_read_qr(const uint8_t *pixels, int width, int height, int row_stride, int try_harder,
                   int binarizer, int max_symbols, czxing_symbol **symbols, char *error, size_t error_size);

/// Frees what czxing_read_qr returned.
void czxing_free(czxing_symbol *symbols, int count);

/// Encodes UTF-8 `text` as a QR code in the character set named `charset` ("Shift_JIS",
/// "EUC-KR", "UTF-8", … as ZXing names them), with the ECI designator for it: test fixtures of
/// ECI-tagged codes, which libqrencode cannot write. Writes the modules (1 dark, 0 light, no quiet
/// zone) to `*modules` (free with free()) and returns the side length, or -1 (message in `error`).
int czxing_write_qr_eci(const char *text, const char *charset, uint8_t **modules, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif
#endif

// UTF-8 as RFC 3629 defines it: what titles must be, and how text is made safe for a terminal.
#pragma once

#include <cstddef>
#include <string>

namespace collab {

// The length (1 to 4) of the well-formed UTF-8 sequence at `at`, or 0 when it is not one: a stray
// continuation byte, a truncated sequence, an overlong encoding, an encoded surrogate
// (U+D800-U+DFFF) or a code point above U+10FFFF.
std::size_t utf8_sequence_length(const std::string& s, std::size_t at);

bool valid_utf8(const std::string& s);

// `text` with what a terminal would act on shown escaped: C0 controls and DEL as \xNN (ESC as
// \x1b, CR as \x0d, tab as \x09), C1 controls (U+0080-U+009F) as \u0080, and bytes that are not
// UTF-8 as \xNN. Everything else, accented letters included, is left as it is.
std::string terminal_safe(const std::string& text);

}  // namespace collab

#pragma once
// Untrusted text in error messages.

#include <cstddef>
#include <string>
#include <string_view>

namespace strata {

// Renders untrusted text for an error message: quoted, at most `max_bytes` bytes followed by
// "... (N bytes)" when cut, printable ASCII kept, `"` and `\` escaped and every other byte as
// `\xNN` — so a hostile document cannot flood the terminal or send it control sequences.
[[nodiscard]] std::string quote_untrusted(std::string_view text, std::size_t max_bytes = 100);

} // namespace strata

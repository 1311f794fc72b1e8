#include "common/quote.hpp"

#include <fmt/format.h>

namespace strata {

std::string quote_untrusted(std::string_view text, std::size_t max_bytes) {
  std::string out = "\"";
  for (const char c : text.substr(0, max_bytes)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  out += '"';
  if (text.size() > max_bytes) {
    out += fmt::format("... ({} bytes)", text.size());
  }
  return out;
}

} // namespace strata

#pragma once
// Sizes and durations as Docker prints and parses them: the functions of go-units
// (github.com/docker/go-units) that the Docker CLI uses, with identical output.
//
// All functions are pure and thread-safe.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata {

// go-units `HumanSizeWithPrecision(bytes, 3)`, the SIZE column of `images` and `history`:
// decimal units (B kB MB GB TB PB EB ZB YB, base 1000) and C's `%.3g`, so "0B", "999B", "1kB",
// "1.5kB", "4.27MB", "1.23GB"; 999999 bytes is "1e+03kB", exactly as Docker prints it.
[[nodiscard]] std::string human_size(std::int64_t bytes);

// go-units `HumanSizeWithPrecision(bytes, precision)` for other precisions (`HumanSize` is 4).
[[nodiscard]] std::string human_size(std::int64_t bytes, int precision);

// go-units `BytesSize`: binary units (B KiB MiB GiB TiB PiB EiB ZiB YiB, base 1024) with
// `%.4g`, e.g. "1KiB", "1.5MiB", "1023B".
[[nodiscard]] std::string bytes_size(std::int64_t bytes);

// go-units `HumanDuration`, Docker's CREATED column (`human_duration(now - created) + " ago"`)
// and `ps` STATUS ("Up " + ...): "Less than a second", "1 second", "N seconds", "About a
// minute", "N minutes", "About an hour", "N hours" (hours rounded to nearest, < 48), "N days"
// (< 14 days), "N weeks" (< 60 days), "N months" (30-day months, < 2 years), "N years".
// Negative durations (clock skew) read "Less than a second", as in Go.
[[nodiscard]] std::string human_duration(std::chrono::seconds duration);

// go-units `RAMInBytes`, for flags like `run -m 512m`: a decimal number (a fraction allowed,
// truncated after scaling), an optional space, then an optional case-insensitive binary
// multiplier k m g t p (1024^n) optionally followed by "b" or "ib", or just "b":
// "512m" → 536870912, "1.5GiB", "100" → 100, "10 KB". Throws `Error{usage}` naming the value for
// anything else, a negative number or a result beyond `int64`.
[[nodiscard]] std::int64_t parse_size(std::string_view text);

} // namespace strata

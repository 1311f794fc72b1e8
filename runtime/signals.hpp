#pragma once
// Signal names and numbers as Docker spells them (`docker kill -s`, `docker stop --signal`,
// the `STOPSIGNAL` instruction, `--stop-signal`).
//
// Accepted forms, as moby's `signal.ParseSignal` accepts them:
//   - a decimal number from 1 to 64: "15", "9";
//   - a name with or without the `SIG` prefix, in any letter case: "SIGTERM", "TERM", "sigterm";
//     the aliases "IOT", "CLD" and "POLL" included;
//   - a real-time signal relative to either end of the range: "SIGRTMIN", "SIGRTMIN+3",
//     "RTMAX-2", "SIGRTMAX". SIGRTMIN is 34 and SIGRTMAX is 64, as glibc presents them to programs
//     (the kernel's 32 and 33 are reserved for its threads); moby hard-codes the same values.
// Nothing is trimmed; 0, negative numbers, numbers above 64 and offsets that leave 34..64 are
// invalid. Names come from a static table of Linux signal names, not from `strsignal(3)`.
//
// Thread-safety: pure functions over constant tables; safe to call from any thread.
// Failure: `parse_signal` throws `Error{usage}` with the message "invalid signal: X", where X is
// the input, escaped and truncated to 100 bytes.

#include <string>
#include <string_view>

namespace strata::runtime {

// The lowest and highest signal number strata accepts anywhere.
inline constexpr int k_min_signal = 1;
inline constexpr int k_max_signal = 64;

// Parses a signal in any of the forms above and returns its number (1..64).
[[nodiscard]] int parse_signal(std::string_view text);

// The canonical name of `number`: "SIGTERM", "SIGRTMIN", "SIGRTMIN+3", "SIGRTMAX-2". Numbers
// without a name (the glibc-reserved 32 and 33, or anything outside 1..64) are returned in decimal,
// so for every n in 1..64, `parse_signal(signal_name(n)) == n`. Never throws except `bad_alloc`.
[[nodiscard]] std::string signal_name(int number);

} // namespace strata::runtime

#include "runtime/signals.hpp"

#include "common/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <csignal>
#include <optional>

namespace strata::runtime {
namespace {

// glibc reserves the kernel's first two real-time signals (32, 33) for its threads, so programs
// see SIGRTMIN = 34; moby's `signal_linux.go` hard-codes 34 and 64 for the same reason.
constexpr int k_rtmin = 34;
constexpr int k_rtmax = k_max_signal;

struct NamedSignal {
  std::string_view name; // without the "SIG" prefix, upper case
  int number;
};

// Linux signal names, in number order; for a number with aliases the canonical name comes first.
// The numbers are the libc macros, so the table is right on every Linux architecture.
constexpr std::array k_signals{
    NamedSignal{"HUP", SIGHUP},       NamedSignal{"INT", SIGINT},
    NamedSignal{"QUIT", SIGQUIT},     NamedSignal{"ILL", SIGILL},
    NamedSignal{"TRAP", SIGTRAP},     NamedSignal{"ABRT", SIGABRT},
    NamedSignal{"IOT", SIGIOT},       NamedSignal{"BUS", SIGBUS},
    NamedSignal{"FPE", SIGFPE},       NamedSignal{"KILL", SIGKILL},
    NamedSignal{"USR1", SIGUSR1},     NamedSignal{"SEGV", SIGSEGV},
    NamedSignal{"USR2", SIGUSR2},     NamedSignal{"PIPE", SIGPIPE},
    NamedSignal{"ALRM", SIGALRM},     NamedSignal{"TERM", SIGTERM},
    NamedSignal{"STKFLT", SIGSTKFLT}, NamedSignal{"CHLD", SIGCHLD},
    NamedSignal{"CLD", SIGCHLD},      NamedSignal{"CONT", SIGCONT},
    NamedSignal{"STOP", SIGSTOP},     NamedSignal{"TSTP", SIGTSTP},
    NamedSignal{"TTIN", SIGTTIN},     NamedSignal{"TTOU", SIGTTOU},
    NamedSignal{"URG", SIGURG},       NamedSignal{"XCPU", SIGXCPU},
    NamedSignal{"XFSZ", SIGXFSZ},     NamedSignal{"VTALRM", SIGVTALRM},
    NamedSignal{"PROF", SIGPROF},     NamedSignal{"WINCH", SIGWINCH},
    NamedSignal{"IO", SIGIO},         NamedSignal{"POLL", SIGPOLL},
    NamedSignal{"PWR", SIGPWR},       NamedSignal{"SYS", SIGSYS},
};
static_assert(std::all_of(k_signals.begin(), k_signals.end(),
                          [](const NamedSignal& s) { return s.number > 0 && s.number < k_rtmin; }),
              "standard signals must lie below the real-time range");

constexpr std::size_t k_max_quoted = 100;

// The input as shown in the error message: at most 100 bytes, non-printable bytes as `\xNN`.
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, k_max_quoted)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  if (text.size() > k_max_quoted) {
    out += "...";
  }
  return out;
}

// A non-empty run of ASCII digits as a number; nullopt for anything else, including overflow.
std::optional<int> parse_decimal(std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (already upper case, without "SIG").
std::optional<int> parse_realtime(std::string_view name) {
  const bool from_min = name.starts_with("RTMIN");
  if (!from_min && !name.starts_with("RTMAX")) {
    return std::nullopt;
  }
  const int base = from_min ? k_rtmin : k_rtmax;
  std::string_view offset = name.substr(5);
  if (offset.empty()) {
    return base;
  }
  if (offset.front() != (from_min ? '+' : '-')) {
    return std::nullopt;
  }
  const auto n = parse_decimal(offset.substr(1));
  if (!n || *n > k_rtmax - k_rtmin) {
    return std::nullopt;
  }
  return from_min ? base + *n : base - *n;
}

std::optional<int> parse_name(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  });
  std::string_view name = upper;
  if (name.starts_with("SIG")) {
    name.remove_prefix(3);
  }
  const auto* found = std::find_if(k_signals.begin(), k_signals.end(),
                                   [name](const NamedSignal& s) { return s.name == name; });
  if (found != k_signals.end()) {
    return found->number;
  }
  return parse_realtime(name);
}

} // namespace

int parse_signal(std::string_view text) {
  auto number = parse_decimal(text);
  if (!number) {
    number = parse_name(text);
  }
  if (!number || *number < k_min_signal || *number > k_max_signal) {
    throw Error(ErrorKind::usage, fmt::format("invalid signal: {}", printable(text)));
  }
  return *number;
}

std::string signal_name(int number) {
  const auto* found = std::find_if(k_signals.begin(), k_signals.end(),
                                   [number](const NamedSignal& s) { return s.number == number; });
  if (found != k_signals.end()) {
    return fmt::format("SIG{}", found->name);
  }
  // The split kill(1) and glibc's `sigabbrev_np` use: 34..49 from SIGRTMIN, 50..64 from SIGRTMAX.
  constexpr int k_rtmid = k_rtmin + (k_rtmax - k_rtmin) / 2;
  if (number == k_rtmin) {
    return "SIGRTMIN";
  }
  if (number > k_rtmin && number <= k_rtmid) {
    return fmt::format("SIGRTMIN+{}", number - k_rtmin);
  }
  if (number > k_rtmid && number < k_rtmax) {
    return fmt::format("SIGRTMAX-{}", k_rtmax - number);
  }
  if (number == k_rtmax) {
    return "SIGRTMAX";
  }
  return std::to_string(number);
}

} // namespace strata::runtime

// `TransferDisplay` (transfer_display.hpp).

#include "cli/transfer_display.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/human.hpp"

namespace strata::cli {
namespace {

constexpr std::size_t k_bar_width = 50;
constexpr auto k_redraw_interval = std::chrono::milliseconds(100);

bool is_short_id(std::string_view text) {
  return text.size() == 12 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

} // namespace

std::string progress_bar(std::uint64_t done, std::uint64_t total) {
  std::string bar(k_bar_width, ' ');
  if (total > 0) {
    const std::size_t filled =
        static_cast<std::size_t>(std::min<std::uint64_t>(done, total) * k_bar_width / total);
    std::fill_n(bar.begin(), filled, '=');
    if (filled < k_bar_width) {
      bar[filled] = '>';
    }
  }
  return fmt::format("[{}] {:>8}/{}", bar, human_size(static_cast<std::int64_t>(done)),
                     human_size(static_cast<std::int64_t>(total)));
}

void TransferDisplay::line(std::string_view text) {
  const std::lock_guard guard(mutex_);
  const std::size_t colon = text.find(": ");
  if (colon != std::string_view::npos && is_short_id(text.substr(0, colon))) {
    set_row(std::string(text.substr(0, colon)), std::string(text.substr(colon + 2)));
    redraw();
    return;
  }
  fmt::print(out_, "{}\n", text);
  drawn_ = 0; // rows already drawn stay above this line
  rows_.clear();
  std::fflush(out_);
}

void TransferDisplay::bytes(const store::Digest& blob, std::uint64_t done, std::uint64_t total) {
  const std::lock_guard guard(mutex_);
  const std::string id = blob.short_id();
  if (std::none_of(rows_.begin(), rows_.end(), [&](const auto& row) { return row.first == id; })) {
    return; // not a layer being pulled (the image config)
  }
  set_row(id, verb_ + " " + progress_bar(done, total));
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ >= k_redraw_interval || done == total) {
    redraw();
  }
}

void TransferDisplay::set_row(const std::string& id, std::string text) {
  const auto it = std::find_if(rows_.begin(), rows_.end(),
                               [&](const auto& row) { return row.first == id; });
  if (it == rows_.end()) {
    rows_.emplace_back(id, std::move(text));
  } else {
    it->second = std::move(text);
  }
}

void TransferDisplay::redraw() {
  std::string screen;
  if (drawn_ > 0) {
    screen += fmt::format("\x1b[{}A", drawn_); // back to the first row
  }
  for (const auto& [id, text] : rows_) {
    screen += fmt::format("\x1b[2K\r{}: {}\n", id, text);
  }
  drawn_ = rows_.size();
  std::fputs(screen.c_str(), out_);
  std::fflush(out_);
  last_draw_ = std::chrono::steady_clock::now();
}

} // namespace strata::cli

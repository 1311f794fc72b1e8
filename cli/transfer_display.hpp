#pragma once
// `TransferDisplay`: docker's pull and push output on a terminal — one row per layer
// ("d471ee7c6ee2: Downloading [=====>     ]  5.243MB/50.33MB", "... Pushing [==>  ] ..."), redrawn
// in place as bytes move; other lines printed as they come. In a pipe `strata pull`/`push` print
// the status lines alone (no display).
//
// Thread-safety: `line` and `bytes` may be called from the download threads at once.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/digest.hpp"

namespace strata::cli {

class TransferDisplay {
public:
  // `verb`: what a row with a bar says, "Downloading" or "Pushing".
  TransferDisplay(std::FILE* out, std::string verb) : out_(out), verb_(std::move(verb)) {}

  // A status line from the registry client: "<12 hex>: <status>" updates that layer's row,
  // anything else is printed above the rows.
  void line(std::string_view text);
  // Bytes of a layer moved: its row (once `line` made one) shows a bar, redrawn at most ten
  // times a second. Blobs without a row (the image config) are not shown.
  void bytes(const store::Digest& blob, std::uint64_t done, std::uint64_t total);

private:
  void set_row(const std::string& id, std::string text);
  void redraw();

  std::FILE* out_;
  std::string verb_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> rows_; // short ID, its text
  std::size_t drawn_ = 0;                                  // rows on the screen
  std::chrono::steady_clock::time_point last_draw_{};
};

// docker's progress bar: "[=====>      ]  5.243MB/50.33MB" (50 columns between the brackets).
[[nodiscard]] std::string progress_bar(std::uint64_t done, std::uint64_t total);

} // namespace strata::cli

#include "builder/progress.hpp"

#include <fmt/format.h>

namespace strata::builder {
namespace {

constexpr std::size_t k_tail_lines = 10;

} // namespace

Progress::Progress(ProgressMode mode, std::FILE* out, bool explain)
    : mode_(mode), out_(out), explain_(explain) {
  if (mode_ != ProgressMode::tty) {
    return;
  }
  ticker_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!tick_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; })) {
      print("");
    }
  });
}

Progress::~Progress() {
  if (ticker_.joinable()) {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
      print(""); // the final status
    }
    tick_.notify_all();
    ticker_.join();
  }
}

double Progress::seconds(const Vertex& v) const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - v.started).count();
}

void Progress::print(const std::string& text) {
  if (mode_ == ProgressMode::quiet) {
    return;
  }
  if (mode_ == ProgressMode::tty && drawn_lines_ > 0) {
    std::fprintf(out_, "\x1b[%zuA\x1b[J", drawn_lines_); // erase the status lines
    drawn_lines_ = 0;
  }
  std::fputs(text.c_str(), out_);
  if (mode_ == ProgressMode::tty) {
    redraw_locked();
  }
  std::fflush(out_);
}

// tty: the status area below everything already printed.
void Progress::redraw_locked() {
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::fprintf(out_, "\x1b[34m[+] Building %.1fs (%zu/%zu)%s\x1b[0m\n", total, finished_,
               vertices_.size(), stopping_ ? " FINISHED" : "");
  ++drawn_lines_;
  for (const auto& [number, v] : vertices_) {
    if (v.finished) {
      continue;
    }
    std::fprintf(out_, " => %s %.1fs\n", v.name.c_str(), seconds(v));
    ++drawn_lines_;
    if (!v.last.empty()) {
      std::fprintf(out_, "\x1b[2m => > %s\x1b[0m\n", v.last.back().substr(0, 120).c_str());
      ++drawn_lines_;
    }
  }
}

// tty: the one line a finished vertex leaves (with its last output lines after an error).
void Progress::finish_tty(int vertex, Vertex& v, std::string_view word) {
  (void)vertex;
  v.finished = true;
  ++finished_;
  std::string line = fmt::format(" => {}{}{} {:.1f}s\n", word, word.empty() ? "" : " ", v.name,
                                 seconds(v));
  if (word == "ERROR") {
    for (const std::string& out : v.last) {
      line += " => > " + out + "\n";
    }
  }
  print(line);
}

int Progress::begin(std::string name) {
  const std::lock_guard lock(mutex_);
  const int number = next_++;
  Vertex& v = vertices_[number];
  v.name = std::move(name);
  v.started = std::chrono::steady_clock::now();
  if (mode_ != ProgressMode::tty) {
    print(fmt::format("\n#{} {}\n", number, v.name));
  }
  return number;
}

void Progress::emit_line(int vertex, Vertex& v, std::string_view line) {
  v.last.emplace_back(line);
  if (v.last.size() > k_tail_lines) {
    v.last.pop_front();
  }
  if (mode_ != ProgressMode::tty) {
    print(fmt::format("#{} {:.3f} {}\n", vertex, seconds(v), line));
  }
}

// An unterminated last line of output is shown when its vertex ends.
void Progress::flush_partial(int vertex, Vertex& v) {
  if (!v.partial.empty()) {
    emit_line(vertex, v, v.partial);
    v.partial.clear();
  }
}

void Progress::output(int vertex, std::string_view bytes) {
  const std::lock_guard lock(mutex_);
  Vertex& v = vertices_[vertex];
  v.partial.append(bytes);
  // A line ends at '\n' or '\r' (progress bars), or after 16 KiB (a flood without newlines).
  std::size_t start = 0;
  for (std::size_t nl = v.partial.find_first_of("\r\n"); nl != std::string::npos;
       nl = v.partial.find_first_of("\r\n", start)) {
    emit_line(vertex, v, std::string_view(v.partial).substr(start, nl - start));
    start = nl + 1;
    if (v.partial[nl] == '\r' && start < v.partial.size() && v.partial[start] == '\n') {
      ++start; // "\r\n" ends one line
    }
  }
  v.partial.erase(0, start);
  constexpr std::size_t k_max_line = 16 * 1024;
  while (v.partial.size() > k_max_line) {
    emit_line(vertex, v, std::string_view(v.partial).substr(0, k_max_line));
    v.partial.erase(0, k_max_line);
  }
}

void Progress::note(int vertex, std::string_view text) {
  const std::lock_guard lock(mutex_);
  if (mode_ != ProgressMode::tty) {
    print(fmt::format("#{} {}\n", vertex, text));
  }
}

void Progress::explain(int vertex, std::string_view reason) {
  if (!explain_) {
    return;
  }
  note(vertex, fmt::format("cache miss: {}", reason));
}

void Progress::warning(std::string_view text) {
  const std::lock_guard lock(mutex_);
  if (mode_ == ProgressMode::quiet) {
    std::fprintf(out_, "%.*s\n", static_cast<int>(text.size()), text.data());
    std::fflush(out_);
    return;
  }
  print(std::string(text) + "\n");
}

void Progress::cached(int vertex) {
  const std::lock_guard lock(mutex_);
  if (mode_ == ProgressMode::tty) {
    finish_tty(vertex, vertices_[vertex], "CACHED");
    return;
  }
  vertices_[vertex].finished = true;
  print(fmt::format("#{} CACHED\n", vertex));
}

void Progress::done(int vertex) {
  const std::lock_guard lock(mutex_);
  Vertex& v = vertices_[vertex];
  flush_partial(vertex, v);
  if (mode_ == ProgressMode::tty) {
    finish_tty(vertex, v, "");
    return;
  }
  v.finished = true;
  print(fmt::format("#{} DONE {:.1f}s\n", vertex, seconds(v)));
}

void Progress::error(int vertex, std::string_view message) {
  const std::lock_guard lock(mutex_);
  Vertex& v = vertices_[vertex];
  flush_partial(vertex, v);
  if (mode_ == ProgressMode::tty) {
    finish_tty(vertex, v, "ERROR");
    return;
  }
  v.finished = true;
  print(fmt::format("#{} ERROR: {}\n", vertex, message));
}

std::string Progress::name(int vertex) const {
  const std::lock_guard lock(mutex_);
  const auto it = vertices_.find(vertex);
  return it == vertices_.end() ? std::string() : it->second.name;
}

std::vector<std::string> Progress::tail(int vertex, std::size_t lines) const {
  const std::lock_guard lock(mutex_);
  const auto it = vertices_.find(vertex);
  if (it == vertices_.end()) {
    return {};
  }
  const auto& last = it->second.last;
  const std::size_t skip = last.size() > lines ? last.size() - lines : 0;
  return {last.begin() + static_cast<std::ptrdiff_t>(skip), last.end()};
}

} // namespace strata::builder

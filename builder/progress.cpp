#include "builder/progress.hpp"

#include <fmt/format.h>

namespace strata::builder {
namespace {

constexpr std::size_t k_tail_lines = 10;

} // namespace

Progress::Progress(ProgressMode mode, std::FILE* out, bool explain)
    : mode_(mode), out_(out), explain_(explain) {}

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

// tty: one status line per running vertex, below everything already printed.
void Progress::redraw_locked() {
  for (const auto& [number, v] : vertices_) {
    if (!v.finished) {
      std::fprintf(out_, "\x1b[36m => #%d %s %.1fs\x1b[0m\n", number, v.name.c_str(), seconds(v));
      ++drawn_lines_;
    }
  }
}

int Progress::begin(std::string name) {
  const std::lock_guard lock(mutex_);
  const int number = next_++;
  Vertex& v = vertices_[number];
  v.name = std::move(name);
  v.started = std::chrono::steady_clock::now();
  print(fmt::format("\n#{} {}\n", number, v.name));
  return number;
}

void Progress::emit_line(int vertex, Vertex& v, std::string_view line) {
  v.last.emplace_back(line);
  if (v.last.size() > k_tail_lines) {
    v.last.pop_front();
  }
  print(fmt::format("#{} {:.3f} {}\n", vertex, seconds(v), line));
}

void Progress::output(int vertex, std::string_view bytes) {
  const std::lock_guard lock(mutex_);
  Vertex& v = vertices_[vertex];
  v.partial.append(bytes);
  std::size_t start = 0;
  for (std::size_t nl = v.partial.find('\n'); nl != std::string::npos;
       nl = v.partial.find('\n', start)) {
    emit_line(vertex, v, std::string_view(v.partial).substr(start, nl - start));
    start = nl + 1;
  }
  v.partial.erase(0, start);
}

void Progress::note(int vertex, std::string_view text) {
  const std::lock_guard lock(mutex_);
  print(fmt::format("#{} {}\n", vertex, text));
}

void Progress::explain(int vertex, std::string_view reason) {
  if (!explain_) {
    return;
  }
  note(vertex, fmt::format("cache miss: {}", reason));
}

void Progress::warning(std::string_view text) {
  const std::lock_guard lock(mutex_);
  std::fprintf(out_, "%.*s\n", static_cast<int>(text.size()), text.data());
  std::fflush(out_);
}

void Progress::cached(int vertex) {
  const std::lock_guard lock(mutex_);
  vertices_[vertex].finished = true;
  print(fmt::format("#{} CACHED\n", vertex));
}

void Progress::done(int vertex) {
  const std::lock_guard lock(mutex_);
  Vertex& v = vertices_[vertex];
  if (!v.partial.empty()) {
    emit_line(vertex, v, v.partial);
    v.partial.clear();
  }
  v.finished = true;
  print(fmt::format("#{} DONE {:.1f}s\n", vertex, seconds(v)));
}

void Progress::error(int vertex, std::string_view message) {
  const std::lock_guard lock(mutex_);
  Vertex& v = vertices_[vertex];
  if (!v.partial.empty()) {
    emit_line(vertex, v, v.partial);
    v.partial.clear();
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

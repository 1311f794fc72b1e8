#pragma once
// `Progress`: what a build shows while it runs, in BuildKit's `--progress=plain` shape.
//
// Vocabulary: a *vertex* is one unit of work the user sees (`[internal] load build definition`,
// `[2/3] RUN make`, `exporting to image`), numbered `#N` in the order it starts. Plain output is
// line-oriented and parsable, safe in a pipe:
//   #5 [2/3] RUN make
//   #5 0.215 cc -o hello hello.c        (a line of the step's output, seconds since it started)
//   #5 DONE 0.3s                        (or `#5 CACHED`, or `#5 ERROR: message`)
// and, with `explain`, `#5 cache miss: <reason>`. Quiet mode prints nothing (the caller prints
// the image ID); its output is still kept per vertex so a failure can show the last lines.
// `tty` mode (BuildKit's terminal view) keeps a status area at the bottom of the terminal, redrawn
// ten times a second by a ticker thread: `[+] Building 3.2s (7/9)`, then one line per running
// vertex with its timer and its last output line; a vertex that ends leaves one line above it
// (` => [2/3] RUN make   1.2s`, ` => CACHED [3/3] COPY . .`, ` => ERROR [2/3] RUN x` with its
// last output lines).
//
// Thread-safety: every member may be called from any thread (parallel stages); lines are written
// whole, under one mutex. Ownership: borrows the output stream.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace strata::builder {

enum class ProgressMode { plain, tty, quiet };

class Progress {
public:
  explicit Progress(ProgressMode mode, std::FILE* out = stderr, bool explain = false);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress();

  // Starts a vertex and prints its header; returns its number.
  int begin(std::string name);
  // Output of the vertex's process: split into lines, each printed with the elapsed time.
  void output(int vertex, std::string_view bytes);
  // A status line of the vertex ("writing image sha256:... done").
  void note(int vertex, std::string_view text);
  // Why a step missed the cache; printed in plain mode when `explain` was asked for.
  void explain(int vertex, std::string_view reason);
  // A build-wide warning, printed on its own line (also in quiet mode: on stderr it does not
  // disturb the image ID on stdout).
  void warning(std::string_view text);
  void cached(int vertex);
  void done(int vertex);
  void error(int vertex, std::string_view message);
  // The vertex's name and its last `lines` output lines (for a failure's summary).
  [[nodiscard]] std::string name(int vertex) const;
  [[nodiscard]] std::vector<std::string> tail(int vertex, std::size_t lines) const;
  [[nodiscard]] ProgressMode mode() const noexcept { return mode_; }
  [[nodiscard]] bool explaining() const noexcept { return explain_; }

private:
  struct Vertex {
    std::string name;
    std::chrono::steady_clock::time_point started;
    std::string partial;             // an output line not yet ended
    std::deque<std::string> last;    // the last output lines (bounded)
    bool finished = false;
  };
  void emit_line(int vertex, Vertex& v, std::string_view line);
  void flush_partial(int vertex, Vertex& v);
  void print(const std::string& text);
  void redraw_locked();
  void finish_tty(int vertex, Vertex& v, std::string_view word);
  double seconds(const Vertex& v) const;

  ProgressMode mode_;
  std::FILE* out_;
  bool explain_;
  mutable std::mutex mutex_;
  std::map<int, Vertex> vertices_;
  int next_ = 1;
  std::size_t drawn_lines_ = 0; // tty: status lines currently on screen
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::size_t finished_ = 0;
  bool stopping_ = false;
  std::condition_variable tick_;
  std::thread ticker_; // tty only
};

} // namespace strata::builder

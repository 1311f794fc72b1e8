#pragma once
// `UniqueFd`: the sole owner of one file descriptor (STYLE.md §4).
// Move-only. The destructor closes and ignores errors; `close()` reports them.
// Not thread-safe: one owner, one thread at a time.

namespace strata {

class UniqueFd {
public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool is_valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return is_valid(); }
  // Gives up ownership without closing.
  [[nodiscard]] int release() noexcept;
  // Closes now; throws `Error{io}` if close(2) fails. A no-op on an empty wrapper.
  void close();

private:
  int fd_ = -1;
};

} // namespace strata

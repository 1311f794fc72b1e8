#pragma once
// `ScopeExit`: runs a callable when the scope ends, unless `release()` was called.
// For one-off cleanup only; every OS resource has its own owning wrapper (STYLE.md §4).

#include <utility>

namespace strata {

template <typename F> class [[nodiscard]] ScopeExit {
public:
  explicit ScopeExit(F fn) noexcept : fn_(std::move(fn)) {}
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;
  ~ScopeExit() {
    if (active_) {
      fn_();
    }
  }
  void release() noexcept { active_ = false; }

private:
  F fn_;
  bool active_ = true;
};

} // namespace strata

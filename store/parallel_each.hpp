#pragma once
// `parallel_each`: runs `work(i)` for i in [0, count) on up to `threads` threads (the caller's
// among them); the first exception stops the items not yet started and is rethrown once every
// thread has finished. For the registry client's parallel downloads and uploads.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <future>
#include <vector>

namespace strata::store {

inline void parallel_each(std::size_t count, unsigned threads,
                          const std::function<void(std::size_t)>& work) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  const auto worker = [&] {
    for (std::size_t i = next++; i < count && !stop; i = next++) {
      try {
        work(i);
      } catch (...) {
        stop = true;
        throw;
      }
    }
  };
  const std::size_t n = std::min<std::size_t>(std::max(1U, threads), count);
  std::vector<std::future<void>> running;
  for (std::size_t t = 1; t < n; ++t) {
    running.push_back(std::async(std::launch::async, worker));
  }
  std::exception_ptr failure;
  try {
    worker();
  } catch (...) {
    failure = std::current_exception();
  }
  for (auto& f : running) {
    try {
      f.get();
    } catch (...) {
      if (!failure) {
        failure = std::current_exception();
      }
    }
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
}

} // namespace strata::store

#include "store/curl_api.hpp"

#include <dlfcn.h>

#include <fmt/format.h>

#include "common/error.hpp"

namespace strata::store {
namespace {

template <typename F> void load_symbol(void* library, const char* name, F& out) {
  out = reinterpret_cast<F>(::dlsym(library, name));
  if (out == nullptr) {
    throw Error(ErrorKind::unsupported, fmt::format("libcurl.so.4 lacks {}", name));
  }
}

} // namespace

const CurlApi& curl_api() {
  static const CurlApi api = [] {
    void* library = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      throw Error(ErrorKind::unsupported,
                  fmt::format("this needs libcurl (apt-get install libcurl4): {}", ::dlerror()));
    }
    CurlApi a;
    load_symbol(library, "curl_easy_init", a.easy_init);
    load_symbol(library, "curl_easy_setopt", a.easy_setopt);
    load_symbol(library, "curl_easy_perform", a.easy_perform);
    load_symbol(library, "curl_easy_getinfo", a.easy_getinfo);
    load_symbol(library, "curl_easy_cleanup", a.easy_cleanup);
    load_symbol(library, "curl_easy_strerror", a.easy_strerror);
    load_symbol(library, "curl_global_init", a.global_init);
    load_symbol(library, "curl_slist_append", a.slist_append);
    load_symbol(library, "curl_slist_free_all", a.slist_free_all);
    a.global_init(CURL_GLOBAL_DEFAULT);
    return a;
  }();
  return api;
}

} // namespace strata::store

#pragma once
// libcurl, loaded with dlopen on first use. Linked, it would bring some 25 shared libraries into
// the start-up of every command; only `pull`, `push` and a build's `ADD <url>` need it, so the
// modules keep only its include path (store/CMakeLists.txt, builder/CMakeLists.txt).
//
// Failure: `Error{unsupported}` when libcurl.so.4 or one of its functions is missing.
// Thread-safety: `curl_api` is safe to call from any thread (loaded once, then read-only).

#include <curl/curl.h>

namespace strata::store {

struct CurlApi {
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
};

// The loaded library (curl_global_init already called).
[[nodiscard]] const CurlApi& curl_api();

} // namespace strata::store

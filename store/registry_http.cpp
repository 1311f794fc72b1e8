#include "store/registry_http.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <thread>

#include <curl/curl.h>
#include <fmt/format.h>

#include "store/curl_api.hpp"
#include "store/sha256.hpp"

namespace strata::store::registry_detail {
namespace {

constexpr std::size_t k_max_error_body = 64UL * 1024;

using store::CurlApi;
using store::curl_api;

class Curl {
public:
  Curl() : api_(curl_api()), handle_(api_.easy_init()) {
    if (handle_ == nullptr) {
      throw Error(ErrorKind::internal, "curl_easy_init failed");
    }
  }
  Curl(const Curl&) = delete;
  Curl& operator=(const Curl&) = delete;
  ~Curl() {
    api_.slist_free_all(headers_);
    api_.easy_cleanup(handle_);
  }
  template <typename T> void set(CURLoption option, T value) const {
    api_.easy_setopt(handle_, option, value);
  }
  void add_header(const std::string& line) {
    curl_slist* next = api_.slist_append(headers_, line.c_str());
    if (next == nullptr) {
      throw Error(ErrorKind::internal, "curl_slist_append failed");
    }
    headers_ = next;
  }
  [[nodiscard]] CURLcode perform() const {
    set(CURLOPT_HTTPHEADER, headers_);
    return api_.easy_perform(handle_);
  }
  [[nodiscard]] long status() const {
    long code = 0;
    api_.easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &code);
    return code;
  }
  [[nodiscard]] std::string effective_url() const {
    const char* url = nullptr;
    api_.easy_getinfo(handle_, CURLINFO_EFFECTIVE_URL, &url);
    return url != nullptr ? url : "";
  }
  [[nodiscard]] const char* strerror(CURLcode code) const { return api_.easy_strerror(code); }

private:
  const CurlApi& api_;
  CURL* handle_;
  curl_slist* headers_ = nullptr;
};

// One exchange's state, shared with libcurl's callbacks (which must not throw).
struct Exchange {
  const Request* request = nullptr;
  Response response;
  std::exception_ptr failure; // thrown by the sink, or a cap exceeded
  // upload
  std::uint64_t sent = 0;
  Sha256 sent_hash;
  bool sent_corrupt = false;
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const std::size_t n = size * count;
  record_header_line(ex->response, std::string_view(data, n));
  return n;
}

// Headers of which one value is meant: a repeated line replaces the previous one rather than
// joining it into a list that would mean nothing (a Location "a, b").
bool is_single_valued_header(std::string_view lower_name) {
  for (const std::string_view name :
       {"location", "content-type", "content-length", "content-range", "range",
        "docker-content-digest", "docker-upload-uuid", "oci-chunk-min-length"}) {
    if (lower_name == name) {
      return true;
    }
  }
  return false;
}

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const std::size_t n = size * count;
  const std::string_view bytes(data, n);
  if (!ex->response.ok()) {
    if (ex->response.body.size() < k_max_error_body) {
      ex->response.body.append(bytes.substr(0, k_max_error_body - ex->response.body.size()));
    }
    return n;
  }
  try {
    if (ex->request->sink) {
      ex->request->sink(bytes);
    } else if (ex->response.body.size() + n > ex->request->max_body) {
      throw Error(ErrorKind::corrupt, fmt::format("{}: the response is larger than {} bytes",
                                                  ex->request->url, ex->request->max_body));
    } else {
      ex->response.body.append(bytes);
    }
  } catch (...) {
    ex->failure = std::current_exception();
    return 0; // aborts the transfer (CURLE_WRITE_ERROR)
  }
  return n;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const Request& r = *ex->request;
  const std::size_t room = size * count;
  std::size_t n = 0;
  if (r.body_fd < 0) {
    n = std::min<std::size_t>(room, r.body.size() - ex->sent);
    std::copy_n(r.body.data() + ex->sent, n, buffer);
  } else if (ex->sent < r.body_size) {
    const std::size_t want = std::min<std::uint64_t>(room, r.body_size - ex->sent);
    const ssize_t got =
        ::pread(r.body_fd, buffer, want, static_cast<off_t>(r.body_offset + ex->sent));
    if (got <= 0) {
      ex->sent_corrupt = true; // short or unreadable blob
      return CURL_READFUNC_ABORT;
    }
    n = static_cast<std::size_t>(got);
  }
  if (n == 0) {
    return 0;
  }
  ex->sent_hash.update(std::string_view(buffer, n));
  ex->sent += n;
  if (r.on_sent) {
    try {
      r.on_sent(ex->sent);
    } catch (...) {
      // a progress display that failed to draw: the upload goes on
    }
  }
  const std::uint64_t total = r.body_fd < 0 ? r.body.size() : r.body_size;
  if (ex->sent == total && r.body_digest && ex->sent_hash.finish() != *r.body_digest) {
    // The last piece: never let the registry see a complete body that is not the stored blob.
    ex->sent_corrupt = true;
    return CURL_READFUNC_ABORT;
  }
  return n;
}

// libcurl ignores an upper-case HTTP_PROXY (httpoxy: CGI programs get it from a request header)
// and reads only `http_proxy` for http URLs; docker (Go's net/http) honours both. For a command
// line tool there is no CGI risk, so HTTP_PROXY is passed on explicitly when `http_proxy` is
// unset. libcurl still applies NO_PROXY/no_proxy to it.
std::string env_http_proxy(const std::string& url) {
  if (!url.starts_with("http://") || std::getenv("http_proxy") != nullptr) {
    return {};
  }
  const char* upper = std::getenv("HTTP_PROXY");
  return upper != nullptr ? upper : "";
}

// The hosts no proxy is used for: the environment's no_proxy (else NO_PROXY; libcurl's order)
// and, as Go's net/http (docker) does whatever the environment says, loopback — `localhost`,
// 127.0.0.1, ::1 and the request's own host when it is loopback (127.0.0.2). Setting
// CURLOPT_NOPROXY replaces libcurl's reading of the environment, hence the merge.
std::string no_proxy_hosts(const std::string& url) {
  const char* env = std::getenv("no_proxy");
  if (env == nullptr || *env == '\0') {
    env = std::getenv("NO_PROXY");
  }
  std::string list = env != nullptr ? env : "";
  if (trim(list) == "*") {
    return "*"; // libcurl's "no proxy at all" is the whole value, not an item of a list
  }
  const auto add = [&](std::string_view host) {
    if (!list.empty() && !list.ends_with(',')) {
      list += ',';
    }
    list += host;
  };
  add("localhost");
  add("127.0.0.1");
  add("::1");
  const std::string origin = url_origin(url);
  if (!origin.empty()) {
    std::string_view host = std::string_view(origin).substr(origin.find("://") + 3);
    host = host.substr(0, host.rfind(':'));
    if (is_loopback(host) && host != "127.0.0.1" && host != "localhost" && host != "[::1]") {
      add(host);
    }
  }
  return list;
}

} // namespace

std::string Response::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

void record_header_line(Response& response, std::string_view raw) {
  const std::string_view line = trim(raw);
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect, or a 100 Continue): only the last one's headers count.
    response.headers.clear();
    const std::size_t space = line.find(' ');
    response.status = space == std::string_view::npos
                          ? 0
                          : std::atol(std::string(line.substr(space + 1, 3)).c_str());
    return;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return;
  }
  const std::string name = lower_ascii(trim(line.substr(0, colon)));
  const std::string_view value = trim(line.substr(colon + 1));
  auto [it, inserted] = response.headers.try_emplace(name, value);
  if (inserted) {
    return;
  }
  if (is_single_valued_header(name) || it->second.empty()) {
    it->second = std::string(value);
  } else if (!value.empty()) {
    // RFC 7230 §3.2.2: several lines of a list-valued header (WWW-Authenticate with a Basic
    // and a Bearer challenge) are one value, joined with commas.
    it->second += ", ";
    it->second += value;
  }
}

Response perform(const Request& request) {
  Curl curl;
  Exchange ex;
  ex.request = &request;
  std::array<char, CURL_ERROR_SIZE> error{};
  curl.set(CURLOPT_URL, request.url.c_str());
  curl.set(CURLOPT_PROTOCOLS_STR, "http,https");
  curl.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl.set(CURLOPT_NOSIGNAL, 1L);
  curl.set(CURLOPT_CONNECTTIMEOUT, 30L);
  curl.set(CURLOPT_LOW_SPEED_LIMIT, 1L); // a transfer stalled for 60 s fails
  curl.set(CURLOPT_LOW_SPEED_TIME, 60L);
  curl.set(CURLOPT_USERAGENT, "strata");
  // Large buffers: fewer callbacks and syscalls per blob (libcurl's defaults are 16 and 64 KiB).
  curl.set(CURLOPT_BUFFERSIZE, 512L * 1024);
  curl.set(CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);
  // Proxies: libcurl's own reading of http_proxy, HTTPS_PROXY and ALL_PROXY is kept
  // (CURLOPT_PROXY is never set but for docker's uppercase HTTP_PROXY, see `env_http_proxy`);
  // NO_PROXY is the environment's plus loopback (`no_proxy_hosts`).
  // Credentials never travel to another host on a redirect: they are a custom Authorization
  // header, which libcurl drops when the host or port changes (CURLOPT_UNRESTRICTED_AUTH is
  // never set).
  if (const std::string proxy = env_http_proxy(request.url); !proxy.empty()) {
    curl.set(CURLOPT_PROXY, proxy.c_str());
  }
  const std::string no_proxy = no_proxy_hosts(request.url);
  curl.set(CURLOPT_NOPROXY, no_proxy.c_str());
  curl.set(CURLOPT_ERRORBUFFER, error.data());
  curl.set(CURLOPT_HEADERFUNCTION, on_header);
  curl.set(CURLOPT_HEADERDATA, &ex);
  curl.set(CURLOPT_WRITEFUNCTION, on_data);
  curl.set(CURLOPT_WRITEDATA, &ex);
  if (!request.tls_verify) {
    curl.set(CURLOPT_SSL_VERIFYPEER, 0L);
    curl.set(CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (request.method == "GET" || request.method == "HEAD") {
    curl.set(CURLOPT_FOLLOWLOCATION, 1L);
    curl.set(CURLOPT_MAXREDIRS, 10L);
    if (request.method == "HEAD") {
      curl.set(CURLOPT_NOBODY, 1L);
    }
  } else if (request.method == "POST") {
    curl.set(CURLOPT_POST, 1L);
    curl.set(CURLOPT_POSTFIELDS, request.body.empty() ? "" : request.body.data());
    curl.set(CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  } else if (request.method == "DELETE") {
    curl.set(CURLOPT_CUSTOMREQUEST, "DELETE");
  } else if (request.method == "PUT" || request.method == "PATCH") {
    curl.set(CURLOPT_UPLOAD, 1L);
    if (request.method == "PATCH") {
      curl.set(CURLOPT_CUSTOMREQUEST, "PATCH");
    }
    curl.set(CURLOPT_READFUNCTION, on_read);
    curl.set(CURLOPT_READDATA, &ex);
    const std::uint64_t size = request.body_fd < 0 ? request.body.size() : request.body_size;
    curl.set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    curl.add_header("Expect:"); // no 100-continue round trip
  } else {
    STRATA_CHECK(false && "unsupported HTTP method");
  }
  for (const auto& header : request.headers) {
    curl.add_header(header);
  }
  const CURLcode code = curl.perform();
  if (ex.failure) {
    std::rethrow_exception(ex.failure);
  }
  if (ex.sent_corrupt) {
    throw Error(ErrorKind::corrupt,
                fmt::format("the stored blob {} is corrupt or short: push aborted",
                            request.body_digest ? request.body_digest->str() : "(manifest)"));
  }
  if (code != CURLE_OK) {
    throw TransportError(ErrorKind::io,
                         fmt::format("{} {}: {}", request.method, request.url,
                                     error[0] != '\0' ? error.data() : curl.strerror(code)));
  }
  ex.response.status = curl.status();
  ex.response.effective_url = curl.effective_url();
  return std::move(ex.response);
}

Response with_retries(std::string_view what, const std::function<Response()>& attempt) {
  for (int i = 1;; ++i) {
    try {
      Response response = attempt();
      if (!response.retryable() || i == k_tries) {
        return response;
      }
    } catch (TransportError& e) {
      if (i == k_tries) {
        e.add_context(std::string(what));
        throw;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500) * (1 << (i - 1)));
  }
}

} // namespace strata::store::registry_detail

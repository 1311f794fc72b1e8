#include "builder/add_sources.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include <curl/curl.h>
#include <fmt/format.h>

#include "common/error.hpp"
#include "common/in_root.hpp"
#include "common/unique_fd.hpp"
#include "store/curl_api.hpp"
#include "store/sha256.hpp"
#include "store/tar_apply.hpp"

namespace strata::builder {
namespace {

constexpr std::uint64_t k_max_download = 16ULL << 30;

struct Download {
  int fd = -1;
  store::Sha256 hash;
  std::uint64_t size = 0;
  bool too_big = false;
  int write_errno = 0;
};

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto* d = static_cast<Download*>(user);
  const std::size_t n = size * count;
  d->size += n;
  if (d->size > k_max_download) {
    d->too_big = true;
    return 0;
  }
  d->hash.update(std::string_view(data, n));
  std::size_t done = 0;
  while (done < n) {
    const ssize_t w = ::write(d->fd, data + done, n - done);
    if (w < 0) {
      d->write_errno = errno;
      return 0;
    }
    done += static_cast<std::size_t>(w);
  }
  return n;
}

std::string url_file_name(const std::string& url) {
  std::string path = url.substr(url.find("://") + 3);
  path = path.substr(0, path.find_first_of("?#"));
  const std::size_t slash = path.find('/');
  path = slash == std::string::npos ? "" : path.substr(slash);
  const std::string name = path.substr(path.rfind('/') + 1);
  return name.empty() ? "index.html" : name;
}

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
  ~Curl() { api_.easy_cleanup(handle_); }
  [[nodiscard]] CURL* get() const noexcept { return handle_; }
  [[nodiscard]] const CurlApi& api() const noexcept { return api_; }

private:
  const CurlApi& api_;
  CURL* handle_;
};

} // namespace

static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancelled = static_cast<const std::function<bool()>*>(user);
  return (*cancelled)() ? 1 : 0; // non-zero aborts the transfer
}

FetchedFile fetch_url(const std::string& url, const std::string& into_dir,
                      const std::optional<std::string>& checksum,
                      const std::function<bool()>& cancelled) {
  FetchedFile out;
  out.name = url_file_name(url);
  out.path = into_dir + "/download";
  const UniqueFd fd(::open(out.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) {
    throw_errno("create", out.path);
  }
  Download download;
  download.fd = fd.get();
  const Curl curl;
  std::array<char, CURL_ERROR_SIZE> error{};
  curl.api().easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl.api().easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl.api().easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl.api().easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl.api().easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 10L);
  curl.api().easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
  curl.api().easy_setopt(curl.get(), CURLOPT_FILETIME, 1L);
  curl.api().easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl.api().easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  curl.api().easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error.data());
  curl.api().easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_data);
  curl.api().easy_setopt(curl.get(), CURLOPT_WRITEDATA, &download);
  curl.api().easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
  curl.api().easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
  curl.api().easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &cancelled);
  curl.api().easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl.api().easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  const CURLcode code = curl.api().easy_perform(curl.get());
  if (download.too_big) {
    throw Error(ErrorKind::io, fmt::format("ADD {}: larger than {} bytes", url, k_max_download));
  }
  if (download.write_errno != 0) {
    throw_errno("write download of", url, download.write_errno);
  }
  if (cancelled()) {
    throw Error(ErrorKind::cancelled, fmt::format("ADD {}: cancelled", url));
  }
  if (code != CURLE_OK) {
    throw Error(ErrorKind::io, fmt::format("ADD {}: {}", url,
                                           error[0] != '\0' ? error.data() : curl.api().easy_strerror(code)));
  }
  out.digest = download.hash.finish();
  if (checksum && *checksum != out.digest.str()) {
    throw Error(ErrorKind::corrupt, fmt::format("ADD {}: digest mismatch {}: {}", url,
                                                out.digest.str(), *checksum));
  }
  long filetime = -1;
  if (curl.api().easy_getinfo(curl.get(), CURLINFO_FILETIME, &filetime) == CURLE_OK && filetime >= 0) {
    out.mtime = static_cast<std::time_t>(filetime);
  }
  return out;
}

bool is_archive(int fd) {
  std::array<unsigned char, 6> head{};
  const ssize_t n = ::pread(fd, head.data(), head.size(), 0);
  const bool xz = n >= 6 && std::memcmp(head.data(), "\xfd" "7zXZ\0", 6) == 0;
  const bool bzip2 = n >= 3 && std::memcmp(head.data(), "BZh", 3) == 0;
  if (xz || bzip2) {
    throw Error(ErrorKind::unsupported,
                fmt::format("ADD of a {} archive is not supported yet (tar, gzip and zstd are)",
                            xz ? "xz" : "bzip2"));
  }
  return store::is_tar_stream(fd);
}

void extract_archive(int fd, int dest_root_fd, const std::string& dest, const CopyOptions& options) {
  if (options.uid || options.gid) {
    throw Error(ErrorKind::unsupported, "ADD --chown of a local archive is not supported yet");
  }
  mkdir_all_in_root(dest_root_fd, dest, 0755);
  const UniqueFd target = open_in_root(dest_root_fd, dest, O_RDONLY | O_DIRECTORY);
  store::ApplyOptions apply;
  apply.privileged = store::Privileged::yes;
  apply.whiteouts = store::WhiteoutMode::remove;
  std::ignore = store::apply_layer(fd, target.get(), apply);
}

} // namespace strata::builder

#include "store/sha256.hpp"

#include "common/error.hpp"
#include "common/unique_fd.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace strata::store {
namespace {

constexpr std::size_t k_read_chunk = 64UL * 1024;

[[noreturn]] void throw_openssl(std::string_view operation) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  std::array<char, 256> text{}; // ERR_error_string_n, not the static-buffer ERR_error_string
  if (code != 0) {
    ERR_error_string_n(code, text.data(), text.size());
  }
  throw Error(ErrorKind::internal,
              fmt::format("sha256: {} failed: {}", operation,
                          code == 0 ? "no OpenSSL error queued" : text.data()));
}

// The SHA-256 implementation, fetched once. OpenSSL 3 re-fetches it from the provider on every
// `EVP_DigestInit_ex` when given the legacy `EVP_sha256()`, which costs a lookup under a lock per
// hash (OpenSSL's "performance" notes in crypto(7) recommend explicit fetching). Deliberately
// never freed: it lives as long as the process. Initialisation of a function-local static is
// thread-safe.
const EVP_MD* sha256_algorithm() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (algorithm == nullptr) {
    throw_openssl("EVP_MD_fetch(SHA256)");
  }
  return algorithm;
}

} // namespace

void Sha256::ContextDeleter::operator()(evp_md_ctx_st* context) const noexcept {
  EVP_MD_CTX_free(context);
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (!context_) {
    throw_openssl("EVP_MD_CTX_new");
  }
  if (EVP_DigestInit_ex(context_.get(), sha256_algorithm(), nullptr) != 1) {
    throw_openssl("EVP_DigestInit_ex");
  }
}

Sha256::Sha256(Sha256&& other) noexcept = default;
Sha256& Sha256::operator=(Sha256&& other) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::update(std::span<const std::byte> bytes) {
  STRATA_CHECK(context_ != nullptr); // spent: `finish` already ran or the object was moved from
  if (bytes.empty()) {
    return;
  }
  if (EVP_DigestUpdate(context_.get(), bytes.data(), bytes.size()) != 1) {
    throw_openssl("EVP_DigestUpdate");
  }
  bytes_hashed_ += bytes.size();
}

void Sha256::update(std::string_view text) { update(std::as_bytes(std::span(text))); }

Digest Sha256::finish() {
  STRATA_CHECK(context_ != nullptr); // spent: `finish` already ran or the object was moved from
  std::array<std::byte, Digest::k_byte_size> value{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(context_.get(), reinterpret_cast<unsigned char*>(value.data()), &size) !=
      1) {
    throw_openssl("EVP_DigestFinal_ex");
  }
  STRATA_CHECK(size == value.size());
  context_.reset();
  return Digest::from_sha256_bytes(value);
}

Digest sha256_of(std::string_view bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return hasher.finish();
}

Digest sha256_of_fd(int fd, std::string_view name) {
  Sha256 hasher;
  // On the heap: 64 KiB is a large share of a worker thread's stack.
  const auto buffer = std::make_unique_for_overwrite<std::byte[]>(k_read_chunk);
  for (;;) {
    const ssize_t n = ::read(fd, buffer.get(), k_read_chunk);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("read", name);
    }
    if (n == 0) {
      return hasher.finish();
    }
    hasher.update(std::span(buffer.get(), static_cast<std::size_t>(n)));
  }
}

Digest sha256_of_file(int dirfd, const std::string& path) {
  // O_NONBLOCK so that opening a FIFO with no writer fails the type check below instead of
  // hanging; it has no effect on reads of a regular file.
  UniqueFd fd(::openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) {
    throw_errno("open", path);
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    throw_errno("stat", path);
  }
  if (!S_ISREG(info.st_mode)) {
    throw Error(ErrorKind::io, fmt::format("hash {}: not a regular file", path));
  }
  return sha256_of_fd(fd.get(), path);
}

} // namespace strata::store

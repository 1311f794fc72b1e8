#pragma once
// `Digest`: an OCI content digest (`sha256:<64 lowercase hex>`), the name of every blob, config,
// manifest, diff ID, chain ID and cache key in strata (DESIGN.md "Vocabulary").
//
// Invariant: every `Digest` object is valid. It can only be made by `parse`/`try_parse` (which
// validate) or `from_sha256_bytes` (which encodes), so there is no default constructor; use
// `std::optional<Digest>` for "no digest". Only `sha256` is supported, as in Docker and BuildKit;
// any other algorithm (including OCI's registered `sha512`) is rejected.
//
// SECURITY: digest strings come from untrusted places (image manifests and configs, `index.json`,
// `docker load` archives, registry responses) and are later joined into paths (`blobs/sha256/..`)
// and URLs. Docker < 1.3.3 used unvalidated IDs as paths (CVE-2014-9358). The strict grammar here
// (no `/`, no `.`, no upper case, exact length) is what makes `blob_path()` safe to join.
//
// Failure: `parse` throws `Error{corrupt}`, because digests are almost always read from stored or
// received documents, where a malformed one means a corrupt or hostile document. Code that parses
// a user's command-line argument (which may also be a short ID or a name) calls `try_parse`
// and reports its own `usage` error. The message names the offending string, escaped and
// truncated to 100 bytes so a hostile document cannot flood or drive the terminal.
//
// Ownership and thread-safety: a plain value (71 bytes inline, no heap); copies are independent.
// Const member functions are safe to call concurrently.

#include <array>
#include <compare>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace strata::store {

class Digest {
public:
  // The only supported algorithm and the size of its encoded part.
  static constexpr std::string_view k_algorithm = "sha256";
  static constexpr std::size_t k_hex_size = 64;
  static constexpr std::size_t k_byte_size = 32;
  // Length of `str()`: "sha256:" + 64 hex digits.
  static constexpr std::size_t k_string_size = k_algorithm.size() + 1 + k_hex_size;
  // Length of `short_id()`, as `docker images` shows image IDs.
  static constexpr std::size_t k_short_size = 12;

  // Validates `text` as exactly `sha256:` followed by 64 characters of `[0-9a-f]`; nothing is
  // trimmed or case-folded. Throws `Error{corrupt}` naming `text` and the reason otherwise.
  [[nodiscard]] static Digest parse(std::string_view text);
  // As `parse`, but returns `std::nullopt` for a malformed string instead of throwing.
  [[nodiscard]] static std::optional<Digest> try_parse(std::string_view text) noexcept;
  // Encodes a raw SHA-256 value (as produced by `Sha256::finish`). Never fails.
  [[nodiscard]] static Digest
  from_sha256_bytes(std::span<const std::byte, k_byte_size> bytes) noexcept;

  // "sha256".
  [[nodiscard]] std::string_view algorithm() const noexcept { return k_algorithm; }
  // The 64 hex digits after the colon.
  [[nodiscard]] std::string hex() const;
  // The full form, "sha256:<hex>", as written in OCI documents.
  [[nodiscard]] std::string str() const;
  // The first 12 hex digits, as Docker prints image and container IDs.
  [[nodiscard]] std::string short_id() const;
  // The path of this blob relative to an OCI layout root: "blobs/sha256/<hex>".
  [[nodiscard]] std::string blob_path() const;

  // Ordered as their `str()` strings are (byte-wise), so sorted output is stable.
  friend bool operator==(const Digest&, const Digest&) noexcept = default;
  friend std::strong_ordering operator<=>(const Digest&, const Digest&) noexcept = default;

private:
  friend struct std::hash<Digest>;
  explicit Digest(std::string_view validated) noexcept;
  [[nodiscard]] std::string_view view() const noexcept { return {text_.data(), text_.size()}; }

  std::array<char, k_string_size> text_;
};

// Prints `str()`; lets GoogleTest and logging show digests readably.
std::ostream& operator<<(std::ostream& out, const Digest& digest);

} // namespace strata::store

template <> struct std::hash<strata::store::Digest> {
  // The digest is already uniformly distributed; hashing its hex text is simple and portable.
  [[nodiscard]] std::size_t operator()(const strata::store::Digest& digest) const noexcept;
};

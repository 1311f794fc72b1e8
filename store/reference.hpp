#pragma once
// `Reference`: a Docker image reference such as `busybox`, `user/app:1`,
// `localhost:5000/x:y` or `busybox@sha256:<hex>`, parsed and normalised with the semantics of
// distribution/reference's `ParseNormalizedNamed` (what `docker pull`, `docker tag` and `FROM`
// accept).
//
// Vocabulary (as distribution/reference uses it):
// - domain: the registry host, with an optional port; a DNS-like name (`example.com`,
//   `localhost`, `127.0.0.1`), or an IPv6 address in brackets (`[::1]`). Always present after
//   normalisation; `docker.io` when the input names none.
// - path: the repository inside the registry, `/`-separated components of lowercase letters and
//   digits joined by `.`, `_`, `__` or one or more `-` (`library/busybox`).
// - name: `domain/path`, at most 255 characters (`docker.io/library/busybox`).
// - tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; optional.
// - digest: a `store::Digest` (`sha256:<64 lowercase hex>`); optional. A reference may have both
//   a tag and a digest (`busybox:1@sha256:...`), as Docker allows.
// - familiar form: what the Docker CLI prints: the name without `docker.io/`, and without
//   `library/` when one component follows it (`busybox:latest`, `user/app:1`).
//
// Normalisation: the first `/`-separated component is the domain when it is `localhost`,
// contains `.` or `:`, or contains an upper-case letter; otherwise the domain is `docker.io` and
// the whole input is the path. `index.docker.io` becomes `docker.io`. On `docker.io`, a path of
// one component gets `library/` in front (`busybox` -> `docker.io/library/busybox`).
// Quirks kept on purpose, because Docker has them: `localhost:5000` without a `/` is the
// repository `library/localhost` with tag `5000`, and `Foo/bar` is the path `bar` on the
// registry `Foo`.
//
// Deliberate differences from distribution/reference:
// - Only `sha256` digests are accepted (see digest.hpp); `sha512` gets "unsupported digest
//   algorithm".
// - The 255-character limit applies to the whole normalised name, domain included (as in
//   distribution v2 and Docker <= 24), not only to the path.
// - A first component that is not a valid domain but would be a valid path component
//   (`foo_bar.com/x`) makes distribution return a name with an empty domain, which no registry
//   can serve; it is refused here as "invalid reference format".
// - Upper case means ASCII `A`-`Z`. Go lower-cases Unicode, so for non-ASCII input it may report
//   "must be lowercase" where this reports "invalid reference format".
//
// Failure: `parse` throws `Error{usage}`, since references come from the command line or a
// Dockerfile. The message is "parse reference <input>: <cause>", where the input is quoted,
// escaped and cut to 100 bytes (it may be hostile), and the cause is distribution's text:
// "invalid reference format", "invalid reference format: repository name must be lowercase",
// "repository name must not be more than 255 characters", "invalid repository name, cannot
// specify 64-byte hexadecimal strings" (a bare 64-hex string looks like an image ID),
// "unsupported digest algorithm", "invalid checksum digest length", "invalid checksum digest
// format".
//
// Matching is a hand-written scanner, linear in the input length, with no regular expressions.
//
// Ownership and thread-safety: a plain value; copies are independent. Const member functions are
// safe to call concurrently.

#include "store/digest.hpp"

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace strata::store {

class Reference {
public:
  static constexpr std::string_view k_default_domain = "docker.io";
  static constexpr std::string_view k_default_tag = "latest";
  // Longest `name()`, in bytes.
  static constexpr std::size_t k_max_name_size = 255;
  // Longest `tag()`, in bytes.
  static constexpr std::size_t k_max_tag_size = 128;

  // Parses and normalises `text` (see the header comment). Throws `Error{usage}` when `text` is
  // not a valid reference.
  [[nodiscard]] static Reference parse(std::string_view text);
  // As `parse`, but returns `std::nullopt` for an invalid reference instead of throwing.
  [[nodiscard]] static std::optional<Reference> try_parse(std::string_view text) noexcept;

  // The registry, e.g. "docker.io", "localhost:5000", "[::1]:5000". Never empty.
  [[nodiscard]] const std::string& domain() const noexcept { return domain_; }
  // The repository inside the registry, e.g. "library/busybox". Never empty.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // `domain()/path()`, e.g. "docker.io/library/busybox".
  [[nodiscard]] std::string name() const;
  [[nodiscard]] const std::optional<std::string>& tag() const noexcept { return tag_; }
  [[nodiscard]] const std::optional<Digest>& digest() const noexcept { return digest_; }

  // This reference with tag "latest" added when it has neither a tag nor a digest (distribution's
  // `TagNameOnly`); otherwise an unchanged copy.
  [[nodiscard]] Reference with_default_tag() const;

  // The full normalised form: `name()`, then ":tag" and "@digest" when present, e.g.
  // "docker.io/library/busybox:latest". `parse(str())` gives back an equal reference.
  [[nodiscard]] std::string str() const;
  // The short form the Docker CLI shows, e.g. "busybox:latest", "user/app:1",
  // "localhost:5000/x:y", "busybox@sha256:...". `parse(familiar())` gives back an equal
  // reference, except for `docker.io/library/<64 hex>`, whose familiar form (as in Docker) is the
  // bare hex string that `parse` refuses as an image ID.
  [[nodiscard]] std::string familiar() const;
  // `familiar()` without tag or digest, e.g. "busybox" (the REPOSITORY column of `images`).
  [[nodiscard]] std::string familiar_name() const;

  // Equal when domain, path, tag and digest are all equal; `busybox` equals
  // `docker.io/library/busybox`, but `busybox` does not equal `busybox:latest`.
  friend bool operator==(const Reference&, const Reference&) = default;

private:
  Reference(std::string domain, std::string path, std::optional<std::string> tag,
            std::optional<Digest> digest) noexcept;
  // `name` followed by ":tag" and "@digest" where present.
  [[nodiscard]] std::string with_tag_and_digest(std::string name) const;

  std::string domain_;
  std::string path_;
  std::optional<std::string> tag_;
  std::optional<Digest> digest_;
};

// Prints `str()`; lets GoogleTest and logging show references readably.
std::ostream& operator<<(std::ostream& out, const Reference& reference);

} // namespace strata::store

#include "store/sha256.hpp"

#include "common/error.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>

namespace strata::store {
namespace {

// FIPS 180-2 / NIST test vectors.
constexpr std::string_view k_empty =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view k_abc =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view k_two_blocks =
    "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
constexpr std::string_view k_million_a =
    "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
std::string pseudo_random(std::size_t size) {
  std::string out(size, '\0');
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (auto& c : out) {
    state ^= state << 13U;
    state ^= state >> 7U;
    state ^= state << 17U;
    c = static_cast<char>(state & 0xffU);
  }
  return out;
}

void write_file(const std::string& path, std::string_view contents) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd) << path;
  ASSERT_EQ(::write(fd.get(), contents.data(), contents.size()),
            static_cast<ssize_t>(contents.size()));
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_of("").str(), k_empty);
  EXPECT_EQ(sha256_of("abc").str(), k_abc);
  EXPECT_EQ(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").str(),
            k_two_blocks);
  EXPECT_EQ(sha256_of(std::string(1000000, 'a')).str(), k_million_a);
}

TEST(Sha256, EmptyHasherGivesEmptyDigest) {
  Sha256 hasher;
  hasher.update("");
  hasher.update(std::span<const std::byte>{});
  EXPECT_EQ(hasher.bytes_hashed(), 0U);
  EXPECT_EQ(hasher.finish().str(), k_empty);
}

TEST(Sha256, OddChunksEqualOneShot) {
  const std::string input = pseudo_random(std::size_t{1024} * 1024);
  const Digest one_shot = sha256_of(input);

  Sha256 hasher;
  const std::size_t sizes[] = {1, 0, 63, 64, 65, 7, 4093, 65537, 3, 127, 1000003};
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < input.size(); ++i) {
    const std::size_t n = std::min(sizes[i % std::size(sizes)], input.size() - pos);
    if (i % 2 == 0) {
      hasher.update(std::string_view(input).substr(pos, n));
    } else {
      hasher.update(std::as_bytes(std::span(input).subspan(pos, n)));
    }
    pos += n;
  }
  EXPECT_EQ(hasher.bytes_hashed(), input.size());
  EXPECT_EQ(hasher.finish(), one_shot);
  EXPECT_NE(one_shot, sha256_of(std::string_view(input).substr(1)));
}

TEST(Sha256, FinishIsUsableOnce) {
  Sha256 hasher;
  hasher.update("abc");
  EXPECT_EQ(hasher.finish().str(), k_abc);
  try {
    std::ignore = hasher.finish();
    FAIL() << "second finish did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::internal);
  }
  EXPECT_THROW(hasher.update("more"), Error);
}

TEST(Sha256, MoveTransfersState) {
  Sha256 first;
  first.update("ab");
  Sha256 second = std::move(first);
  second.update("c");
  EXPECT_EQ(second.bytes_hashed(), 3U);
  EXPECT_THROW(first.update("x"), Error); // NOLINT(bugprone-use-after-move): spent by design

  Sha256 third;
  third.update("ignored");
  third = std::move(second);
  EXPECT_EQ(third.finish().str(), k_abc);
}

TEST(Sha256, HashesFilesByPathAndRelativeToDirfd) {
  const TempDir dir;
  const std::string contents = pseudo_random(200000); // 3 full 64 KiB reads and a partial one
  write_file(dir.path() + "/blob", contents);
  write_file(dir.path() + "/empty", "");

  EXPECT_EQ(sha256_of_file(AT_FDCWD, dir.path() + "/blob"), sha256_of(contents));
  EXPECT_EQ(sha256_of_file(AT_FDCWD, dir.path() + "/empty").str(), k_empty);

  UniqueFd dirfd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dirfd);
  EXPECT_EQ(sha256_of_file(dirfd.get(), "blob"), sha256_of(contents));
  // An absolute path ignores the dirfd, as openat(2) does.
  EXPECT_EQ(sha256_of_file(dirfd.get(), dir.path() + "/empty").str(), k_empty);
}

TEST(Sha256, MissingFileThrowsEnoent) {
  const TempDir dir;
  const std::string path = dir.path() + "/missing";
  try {
    std::ignore = sha256_of_file(AT_FDCWD, path);
    FAIL() << "hashing a missing file did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_EQ(e.sys_errno(), ENOENT);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(Sha256, RejectsNonRegularFilesWithoutBlocking) {
  const TempDir dir;
  EXPECT_THROW(std::ignore = sha256_of_file(AT_FDCWD, dir.path()), Error);
  const std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  try {
    std::ignore = sha256_of_file(AT_FDCWD, fifo); // no writer: must not hang in open(2)
    FAIL() << "hashing a FIFO did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::io);
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

TEST(Sha256, HashesAnOpenFdFromItsOffset) {
  int ends[2];
  ASSERT_EQ(::pipe2(ends, O_CLOEXEC), 0);
  UniqueFd reader(ends[0]);
  UniqueFd writer(ends[1]);
  ASSERT_EQ(::write(writer.get(), "abc", 3), 3);
  writer.close();
  EXPECT_EQ(sha256_of_fd(reader.get(), "pipe").str(), k_abc);

  const TempDir dir;
  write_file(dir.path() + "/f", "xyzabc");
  UniqueFd file(::open((dir.path() + "/f").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(file);
  ASSERT_EQ(::lseek(file.get(), 3, SEEK_SET), 3);
  EXPECT_EQ(sha256_of_fd(file.get(), "f").str(), k_abc);
}

TEST(Sha256, ReadErrorNamesTheInput) {
  try {
    std::ignore = sha256_of_fd(-1, "bad input");
    FAIL() << "reading fd -1 did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), EBADF);
    EXPECT_NE(std::string(e.what()).find("read bad input"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace strata::store

#include "unit/store/store_test_support.hpp"
#include "store/blob_store.hpp"

#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "store/atomic_file.hpp"
#include "store/sha256.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace strata::store {
namespace {

using test_support::entries;
using test_support::exit_code_of;
using test_support::mode_of;
using test_support::start_child;

// Deterministic content that differs by `seed`.
std::string content(std::size_t size, unsigned seed) {
  std::string out(size, '\0');
  std::uint32_t state = 2166136261U ^ seed;
  for (auto& c : out) {
    state = state * 16777619U + 1U;
    c = static_cast<char>(state >> 24U);
  }
  return out;
}

template <typename F> Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(ErrorKind::internal, "no error");
}

bool contains_text(const Error& e, const std::string& text) {
  return std::string(e.what()).find(text) != std::string::npos;
}

class BlobStoreTest : public ::testing::Test {
protected:
  // Nothing is published and no ingest is left behind.
  void expect_empty() {
    EXPECT_TRUE(store_.list().empty());
    EXPECT_TRUE(entries(root_ + "/blobs/sha256").empty());
    EXPECT_TRUE(entries(root_ + "/ingest").empty());
  }

  TempDir dir_{"blob-store-test-"};
  std::string root_ = dir_.path() + "/store";
  BlobStore store_ = BlobStore::open(root_);
};

TEST_F(BlobStoreTest, OpenCreatesOciLayout) {
  EXPECT_EQ(store_.root(), root_);
  EXPECT_EQ(entries(root_), (std::vector<std::string>{"blobs", "index.json", "ingest", "locks",
                                                      "oci-layout", "tmp"}));
  for (const char* sub : {"", "/blobs", "/blobs/sha256", "/ingest", "/tmp", "/locks"}) {
    EXPECT_EQ(mode_of(root_ + sub), 0700U) << sub;
  }
  EXPECT_EQ(nlohmann::json::parse(read_file(root_ + "/oci-layout")),
            nlohmann::json::parse(R"({"imageLayoutVersion":"1.0.0"})"));
  const auto index = nlohmann::json::parse(read_file(root_ + "/index.json"));
  EXPECT_EQ(index["schemaVersion"], 2);
  EXPECT_EQ(index["mediaType"], "application/vnd.oci.image.index.v1+json");
  EXPECT_TRUE(index["manifests"].is_array() && index["manifests"].empty());
}

TEST_F(BlobStoreTest, ReopenKeepsExistingFiles) {
  const Digest d = store_.put_bytes("kept").digest;
  write_file_atomically(root_ + "/index.json", R"({"schemaVersion":2,"manifests":[{}]})");
  const BlobStore again = BlobStore::open(root_ + "/"); // trailing slash normalised
  EXPECT_EQ(again.root(), root_);
  EXPECT_EQ(read_file(root_ + "/index.json"), R"({"schemaVersion":2,"manifests":[{}]})");
  EXPECT_EQ(again.read_blob(d), "kept");
}

TEST_F(BlobStoreTest, OpenRejectsAFileWhereADirectoryBelongs) {
  const std::string root = dir_.path() + "/other";
  ASSERT_EQ(::mkdir(root.c_str(), 0700), 0);
  write_file_atomically(root + "/blobs", "not a directory");
  EXPECT_EQ(error_of([&] { std::ignore = BlobStore::open(root); }).kind(), ErrorKind::corrupt);
}

TEST_F(BlobStoreTest, PutGetDelete) {
  const std::string bytes = "hello, blob";
  const PutResult put = store_.put_bytes(bytes);
  EXPECT_EQ(put.digest, sha256_of(bytes));
  EXPECT_EQ(put.size, bytes.size());
  EXPECT_FALSE(put.already_present);

  EXPECT_TRUE(store_.contains(put.digest));
  EXPECT_EQ(store_.size_of(put.digest), bytes.size());
  EXPECT_EQ(store_.path_of(put.digest), root_ + "/" + put.digest.blob_path());
  EXPECT_EQ(mode_of(*store_.path_of(put.digest)), 0444U);
  EXPECT_EQ(store_.read_blob(put.digest), bytes);
  EXPECT_EQ(sha256_of_fd(store_.open_blob(put.digest).get(), "blob"), put.digest);
  EXPECT_NO_THROW(store_.verify(put.digest));
  EXPECT_EQ(store_.list(), std::vector<Digest>{put.digest});
  EXPECT_TRUE(entries(root_ + "/ingest").empty());

  EXPECT_TRUE(store_.remove(put.digest));
  EXPECT_FALSE(store_.remove(put.digest));
  EXPECT_FALSE(store_.contains(put.digest));
  EXPECT_FALSE(store_.path_of(put.digest));
  const Error e = error_of([&] { std::ignore = store_.read_blob(put.digest); });
  EXPECT_EQ(e.kind(), ErrorKind::not_found);
  EXPECT_TRUE(contains_text(e, put.digest.str())) << e.what();
  expect_empty();
}

TEST_F(BlobStoreTest, PutsFromStreamAndReader) {
  const std::string big = content(300 * 1024 + 7, 1); // several 64 KiB chunks
  std::istringstream in(big);
  const PutResult from_stream = store_.put(in, sha256_of(big), big.size());
  EXPECT_EQ(from_stream.size, big.size());

  const std::string other = content(100 * 1024, 2);
  std::size_t offset = 0;
  const PutResult from_reader = store_.put([&](std::span<char> buffer) {
    const std::size_t n = std::min({buffer.size(), other.size() - offset, std::size_t{777}});
    std::copy_n(other.data() + offset, n, buffer.data());
    offset += n;
    return n;
  });
  EXPECT_EQ(from_reader.digest, sha256_of(other));
  EXPECT_EQ(store_.read_blob(from_stream.digest), big);
  EXPECT_EQ(store_.read_blob(from_reader.digest), other);
  EXPECT_EQ(store_.put_bytes("").digest.str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(BlobStoreTest, PutRejectsDigestMismatch) {
  const Digest wrong = sha256_of("something else");
  const Digest actual = sha256_of("payload");
  const Error e = error_of([&] { std::ignore = store_.put_bytes("payload", wrong); });
  EXPECT_EQ(e.kind(), ErrorKind::corrupt);
  EXPECT_TRUE(contains_text(e, "expected " + wrong.str())) << e.what();
  EXPECT_TRUE(contains_text(e, "got " + actual.str())) << e.what();
  EXPECT_FALSE(store_.contains(actual));
  expect_empty();
}

TEST_F(BlobStoreTest, PutRejectsSizeMismatch) {
  const std::string bytes = content(200 * 1024, 3);
  std::istringstream too_long(bytes);
  Error e = error_of([&] { std::ignore = store_.put(too_long, std::nullopt, 1000); });
  EXPECT_EQ(e.kind(), ErrorKind::corrupt);
  EXPECT_TRUE(contains_text(e, "expected 1000 bytes")) << e.what();
  EXPECT_LT(too_long.tellg(), 200 * 1024); // stopped early, did not read it all

  std::istringstream too_short(bytes);
  e = error_of([&] { std::ignore = store_.put(too_short, sha256_of(bytes), bytes.size() + 1); });
  EXPECT_EQ(e.kind(), ErrorKind::corrupt);
  EXPECT_TRUE(
      contains_text(e, fmt::format("expected {} bytes, got {}", bytes.size() + 1, bytes.size())))
      << e.what();
  expect_empty();
}

TEST_F(BlobStoreTest, FailingReaderLeavesNothing) {
  int calls = 0;
  const auto reader = [&](std::span<char> buffer) -> std::size_t {
    if (++calls == 3) {
      throw Error(ErrorKind::io, "network went away");
    }
    std::fill(buffer.begin(), buffer.end(), 'x');
    return buffer.size();
  };
  EXPECT_EQ(error_of([&] { std::ignore = store_.put(reader); }).message(), "network went away");
  expect_empty();
}

TEST_F(BlobStoreTest, PutIsIdempotent) {
  const PutResult first = store_.put_bytes("same");
  const PutResult second = store_.put_bytes("same");
  EXPECT_FALSE(first.already_present);
  EXPECT_TRUE(second.already_present);
  EXPECT_EQ(first.digest, second.digest);
  EXPECT_EQ(second.size, 4U);
  // With the digest known in advance, a stored blob is not read again.
  bool called = false;
  const PutResult third = store_.put(
      [&](std::span<char>) -> std::size_t {
        called = true;
        return 0;
      },
      first.digest, 4);
  EXPECT_FALSE(called);
  EXPECT_TRUE(third.already_present);
  EXPECT_EQ(error_of([&] {
              std::ignore = store_.put([](std::span<char>) { return 0UL; }, first.digest, 5);
            }).kind(),
            ErrorKind::corrupt);
  EXPECT_EQ(store_.list().size(), 1U);
  EXPECT_TRUE(entries(root_ + "/ingest").empty());
}

// Two processes race 50 times on one blob and each writes 50 blobs of its own.
TEST_F(BlobStoreTest, ConcurrentPutsFromTwoProcesses) {
  const std::string shared = content(256 * 1024, 42);
  const auto writer = [&](unsigned id) {
    return start_child([&, id] {
      BlobStore store = BlobStore::open(root_);
      int published = 0;
      for (unsigned i = 0; i < 50; ++i) {
        published += store.put_bytes(shared).already_present ? 0 : 1;
        std::ignore = store.put_bytes(content(8 * 1024 + i, 1000 * id + i));
      }
      return published;
    });
  };
  const pid_t a = writer(1);
  const pid_t b = writer(2);
  const int published_a = exit_code_of(a);
  const int published_b = exit_code_of(b);
  ASSERT_LE(published_a, 1);
  ASSERT_LE(published_b, 1);
  EXPECT_EQ(published_a + published_b, 1); // RENAME_NOREPLACE: exactly one winner
  const auto blobs = store_.list();
  EXPECT_EQ(blobs.size(), 101U);
  for (const auto& d : blobs) {
    EXPECT_NO_THROW(store_.verify(d)) << d;
  }
  EXPECT_EQ(store_.read_blob(sha256_of(shared), shared.size()), shared);
  EXPECT_TRUE(entries(root_ + "/ingest").empty());
}

// A writer killed mid-ingest leaves only an ingest directory, which is garbage once it is dead
// and untouchable while it is alive.
TEST_F(BlobStoreTest, KilledWriterLeavesOnlyIngestGarbage) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const UniqueFd read_end(fds[0]);
  const UniqueFd write_end(fds[1]);
  const pid_t child = start_child([&] {
    BlobStore store = BlobStore::open(root_);
    int calls = 0;
    std::ignore = store.put([&](std::span<char> buffer) -> std::size_t {
      if (++calls == 3) {
        std::ignore = ::write(write_end.get(), "x", 1);
        ::pause(); // "stuck" mid-stream until killed
      }
      std::fill(buffer.begin(), buffer.end(), 'k');
      return buffer.size();
    });
    return 0;
  });
  pollfd p{read_end.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);

  EXPECT_EQ(store_.remove_stale_ingests(), 0U); // a live writer holds it
  ASSERT_EQ(entries(root_ + "/ingest").size(), 1U);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  EXPECT_EQ(exit_code_of(child), 128 + SIGKILL);

  EXPECT_TRUE(store_.list().empty()); // nothing half-written was published
  const auto garbage = entries(root_ + "/ingest");
  ASSERT_EQ(garbage.size(), 1U);
  EXPECT_EQ(entries(root_ + "/ingest/" + garbage[0]), std::vector<std::string>{"data"});
  EXPECT_EQ(store_.remove_stale_ingests(), 1U);
  expect_empty();
  EXPECT_EQ(store_.read_blob(store_.put_bytes("after").digest), "after");
}

TEST_F(BlobStoreTest, LiveIngestInThisProcessIsNotRemoved) {
  std::size_t removed_during_put = 99;
  bool done = false;
  const PutResult put = store_.put([&](std::span<char> buffer) -> std::size_t {
    if (done) {
      return 0;
    }
    removed_during_put = store_.remove_stale_ingests();
    done = true;
    buffer[0] = 'z';
    return 1;
  });
  EXPECT_EQ(removed_during_put, 0U);
  EXPECT_EQ(store_.read_blob(put.digest), "z");
}

TEST_F(BlobStoreTest, StrayIngestEntriesAreRemoved) {
  ASSERT_EQ(::mkdir((root_ + "/ingest/abandoned").c_str(), 0700), 0);
  write_file_atomically(root_ + "/ingest/abandoned/data", "partial");
  write_file_atomically(root_ + "/ingest/stray-file", "x");
  ASSERT_EQ(::symlink("/etc", (root_ + "/ingest/stray-link").c_str()), 0);
  EXPECT_EQ(store_.remove_stale_ingests(), 3U);
  EXPECT_TRUE(entries(root_ + "/ingest").empty());
  EXPECT_EQ(::access("/etc/passwd", F_OK), 0); // the link was removed, not followed
}

TEST_F(BlobStoreTest, CorruptBlobIsDetected) {
  const PutResult put = store_.put_bytes("original bytes");
  const std::string path = *store_.path_of(put.digest);
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  {
    const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    ASSERT_EQ(::pwrite(fd.get(), "X", 1, 0), 1); // same size, one byte flipped
  }
  const Error read = error_of([&] { std::ignore = store_.read_blob(put.digest); });
  EXPECT_EQ(read.kind(), ErrorKind::corrupt);
  EXPECT_TRUE(contains_text(read, put.digest.str())) << read.what();
  EXPECT_TRUE(contains_text(read, sha256_of("Xriginal bytes").str())) << read.what();
  EXPECT_EQ(error_of([&] { store_.verify(put.digest); }).kind(), ErrorKind::corrupt);
  ASSERT_EQ(::truncate(path.c_str(), 3), 0);
  EXPECT_EQ(error_of([&] { store_.verify(put.digest); }).kind(), ErrorKind::corrupt);
}

TEST_F(BlobStoreTest, ReadBlobIsBounded) {
  const PutResult put = store_.put_bytes(std::string(1000, 'b'));
  EXPECT_EQ(store_.read_blob(put.digest, 1000).size(), 1000U);
  const Error e = error_of([&] { std::ignore = store_.read_blob(put.digest, 999); });
  EXPECT_EQ(e.kind(), ErrorKind::io);
  EXPECT_TRUE(contains_text(e, "larger than 999 bytes")) << e.what();
}

TEST_F(BlobStoreTest, OpenMissingBlobIsNotFound) {
  const Digest missing = sha256_of("never stored");
  const Error e = error_of([&] { std::ignore = store_.open_blob(missing); });
  EXPECT_EQ(e.kind(), ErrorKind::not_found);
  EXPECT_TRUE(contains_text(e, missing.str())) << e.what();
  EXPECT_EQ(error_of([&] { store_.verify(missing); }).kind(), ErrorKind::not_found);
}

TEST_F(BlobStoreTest, SymlinkUnderABlobNameIsNotABlob) {
  const Digest d = sha256_of("root:x:0:0");
  ASSERT_EQ(::symlink("/etc/passwd", (root_ + "/" + d.blob_path()).c_str()), 0);
  EXPECT_FALSE(store_.contains(d));
  EXPECT_EQ(error_of([&] { std::ignore = store_.open_blob(d); }).kind(), ErrorKind::corrupt);
}

TEST_F(BlobStoreTest, ListSkipsNamesThatAreNotDigests) {
  const Digest d = store_.put_bytes("listed").digest;
  write_file_atomically(root_ + "/blobs/sha256/NOT-A-DIGEST", "x");
  EXPECT_EQ(store_.list(), std::vector<Digest>{d});
}

} // namespace
} // namespace strata::store

namespace strata::store {
namespace {

class BlobWriterTest : public ::testing::Test {
protected:
  TempDir dir_{"strata-blobwriter-"};
  BlobStore store_ = BlobStore::open(dir_.path() + "/root");

  [[nodiscard]] std::size_t ingests() const { return entries(dir_.path() + "/root/ingest").size(); }
};

TEST_F(BlobWriterTest, PublishesWhatWasWrittenInPieces) {
  BlobWriter w = store_.writer();
  std::string all;
  for (int i = 0; i < 300; ++i) {
    const std::string piece(i * 37 % 9000 + (i == 7 ? (2 << 20) : 0), static_cast<char>('a' + i % 26));
    w.write(piece);
    all += piece;
  }
  EXPECT_EQ(w.size(), all.size());
  const PutResult r = w.publish(sha256_of(all), all.size());
  EXPECT_EQ(r.digest, sha256_of(all));
  EXPECT_FALSE(r.already_present);
  EXPECT_EQ(store_.read_blob(r.digest, 64 << 20), all);
  EXPECT_EQ(ingests(), 0U);
}

TEST_F(BlobWriterTest, FinishThenPublishSecondCopyIsAlreadyPresent) {
  BlobWriter a = store_.writer();
  BlobWriter b = store_.writer();
  a.write("same");
  b.write("same");
  EXPECT_EQ(a.finish(), b.finish());
  EXPECT_FALSE(a.publish().already_present);
  EXPECT_TRUE(b.publish().already_present);
  EXPECT_EQ(ingests(), 0U);
}

TEST_F(BlobWriterTest, MismatchPublishesNothing) {
  BlobWriter w = store_.writer();
  w.write("hello");
  EXPECT_THROW(std::ignore = w.publish(sha256_of("other")), Error);
  EXPECT_FALSE(store_.contains(sha256_of("hello")));
  BlobWriter v = store_.writer();
  v.write("hello");
  EXPECT_THROW(std::ignore = v.publish(std::nullopt, 4), Error);
  EXPECT_FALSE(store_.contains(sha256_of("hello")));
}

TEST_F(BlobWriterTest, DroppedWriterLeavesNoIngest) {
  {
    BlobWriter w = store_.writer();
    w.write("abandoned");
    EXPECT_EQ(ingests(), 1U);
  }
  EXPECT_EQ(ingests(), 0U);
  EXPECT_TRUE(store_.list().empty());
}

} // namespace
} // namespace strata::store

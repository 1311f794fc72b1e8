// Tests for the layer compressors: every output decodes byte-exact with an independent decoder
// (zlib, libzstd, the gzip/zstd tools), is one gzip member with a reproducible header, does not
// depend on how the input was cut, and errors from the sink propagate.

#include "store/compress.hpp"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include "common/error.hpp"
#include "common/temp_dir.hpp"

namespace strata::store {
namespace {

// Half compressible text, half random bytes, deterministic.
std::string sample(std::size_t size, unsigned seed = 1) {
  std::string out;
  out.reserve(size);
  std::mt19937 rng(seed);
  while (out.size() < size) {
    if ((out.size() / 100'000) % 2 == 0) {
      out += fmt::format("line {} of some fairly repetitive text, value={}\n", out.size(), rng() % 97);
    } else {
      out.push_back(static_cast<char>(rng()));
    }
  }
  out.resize(size);
  return out;
}

// Compresses `input`, fed in pieces of `piece` bytes.
std::string compress(Compression c, const std::string& input, std::optional<int> level = {},
                     std::size_t piece = 100'003) {
  std::string out;
  auto compressor = make_compressor(c, level, [&](std::string_view b) { out.append(b); });
  for (std::size_t pos = 0; pos < input.size(); pos += piece) {
    compressor->write(std::string_view(input).substr(pos, piece));
  }
  compressor->finish();
  return out;
}

// Inflates one gzip member with zlib; fails the test on an error or trailing bytes.
std::string gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + 15), Z_OK);
  std::string out;
  std::string buffer(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer.data());
    z.avail_out = static_cast<uInt>(buffer.size());
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer.data(), buffer.size() - z.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END) << (z.msg != nullptr ? z.msg : "");
  EXPECT_EQ(z.avail_in, 0U) << "bytes after the gzip member";
  inflateEnd(&z);
  return out;
}

std::string unzstd(const std::string& data) {
  ZSTD_DCtx* d = ZSTD_createDCtx();
  std::string out;
  std::string buffer(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::size_t rc = 1;
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buffer.data(), buffer.size(), 0};
    rc = ZSTD_decompressStream(d, &o, &in);
    if (ZSTD_isError(rc) != 0U) {
      ADD_FAILURE() << ZSTD_getErrorName(rc);
      break;
    }
    out.append(buffer.data(), o.pos);
  }
  EXPECT_EQ(rc, 0U) << "incomplete zstd frame";
  ZSTD_freeDCtx(d);
  return out;
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  ASSERT_TRUE(out.good()) << path;
}

// Runs `tool` on `data` written to a temporary file ($1; `original`, if any, is $2); returns its
// exit status.
int run_tool(const std::string& tool, const std::string& data, const std::string& original = {}) {
  const TempDir tmp("compress-");
  write_file(tmp.path() + "/data", data);
  write_file(tmp.path() + "/original", original);
  return std::system(
      fmt::format("set -- '{0}/data' '{0}/original'; {1}", tmp.path(), tool).c_str());
}

TEST(Compress, GzipMultiBlockDecodesByteExact) {
  const auto input = sample(9 * 1024 * 1024 + 12345);
  const auto gz = compress(Compression::gzip, input);
  EXPECT_LT(gz.size(), input.size());
  EXPECT_EQ(gunzip(gz), input);
  EXPECT_EQ(run_tool("gzip -t \"$1\" && gzip -dc <\"$1\" | cmp -s - \"$2\"", gz, input), 0);
}

TEST(Compress, GzipHeaderIsReproducible) {
  const auto gz = compress(Compression::gzip, "hello");
  ASSERT_GE(gz.size(), 18U);
  // ID1 ID2 CM FLG, MTIME 0, XFL 4 (fastest), OS 255.
  EXPECT_EQ(gz.substr(0, 10), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\xff", 10));
  EXPECT_EQ(gunzip(gz), "hello");
}

TEST(Compress, GzipEveryLevelAndEdgeSizes) {
  const auto input = sample(3 * 1024 * 1024 + 7, 2);
  for (int level = 0; level <= 9; ++level) {
    SCOPED_TRACE(level);
    EXPECT_EQ(gunzip(compress(Compression::gzip, input, level)), input);
  }
  for (const std::size_t size : {0UL, 1UL, 1UL << 20, (1UL << 20) + 1, (2UL << 20) - 1}) {
    SCOPED_TRACE(size);
    const auto in = sample(size, 3);
    const auto gz = compress(Compression::gzip, in);
    EXPECT_EQ(gunzip(gz), in);
    EXPECT_EQ(run_tool("gzip -t \"$1\"", gz), 0);
  }
}

TEST(Compress, OutputDoesNotDependOnHowInputIsCut) {
  const auto input = sample(5 * 1024 * 1024, 4);
  for (const auto c : {Compression::gzip, Compression::zstd, Compression::none}) {
    SCOPED_TRACE(to_string(c));
    const auto a = compress(c, input, {}, 1);
    const auto b = compress(c, input, {}, 4 * 1024 * 1024 + 1);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a, compress(c, input));
  }
}

TEST(Compress, ZstdDecodes) {
  const auto input = sample(6 * 1024 * 1024, 5);
  const auto z = compress(Compression::zstd, input);
  EXPECT_LT(z.size(), input.size());
  EXPECT_EQ(unzstd(z), input);
  EXPECT_EQ(run_tool("zstd -q -t \"$1\"", z), 0);
  EXPECT_EQ(unzstd(compress(Compression::zstd, "")), "");
  const auto small = input.substr(0, 300'000);
  EXPECT_EQ(unzstd(compress(Compression::zstd, small, 19, 1 << 16)), small);
}

TEST(Compress, NoneIsPassthrough) {
  const auto input = sample(100'000);
  EXPECT_EQ(compress(Compression::none, input, 5), input);
}

TEST(Compress, NamesAndMediaTypes) {
  for (const auto c : {Compression::gzip, Compression::zstd, Compression::none}) {
    EXPECT_EQ(parse_compression(to_string(c)), c);
  }
  EXPECT_EQ(layer_media_type(Compression::gzip), "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(layer_media_type(Compression::zstd), "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(layer_media_type(Compression::none), "application/vnd.oci.image.layer.v1.tar");
  try {
    std::ignore = parse_compression("xz");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_EQ(e.message(), "invalid compression \"xz\": expected gzip, zstd or none");
  }
  for (const int bad : {-1, 10, 1000}) {
    EXPECT_THROW(std::ignore = make_compressor(Compression::gzip, bad, [](std::string_view) {}),
                 Error);
  }
  for (const int bad : {-5, 0, 20, 22}) {
    EXPECT_THROW(std::ignore = make_compressor(Compression::zstd, bad, [](std::string_view) {}),
                 Error);
  }
}

TEST(Compress, SinkErrorsPropagate) {
  const auto input = sample(20 * 1024 * 1024, 6);
  for (const auto c : {Compression::gzip, Compression::zstd, Compression::none}) {
    SCOPED_TRACE(to_string(c));
    std::size_t seen = 0;
    auto compressor = make_compressor(c, {}, [&](std::string_view b) {
      seen += b.size();
      if (seen > 2 * 1024 * 1024) {
        throw Error(ErrorKind::io, "disk full", ENOSPC);
      }
    });
    try {
      for (std::size_t pos = 0; pos < input.size(); pos += 65536) {
        compressor->write(std::string_view(input).substr(pos, 65536));
      }
      compressor->finish();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.sys_errno(), ENOSPC);
    }
    compressor.reset(); // waits for any worker still busy
  }
}

} // namespace
} // namespace strata::store

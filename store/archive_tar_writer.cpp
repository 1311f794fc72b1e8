#include "store/archive_tar_writer.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

#include "common/error.hpp"
#include "store/atomic_file.hpp"

namespace strata::store {
namespace {

constexpr std::size_t k_block = 512;
constexpr std::size_t k_buffer = 1UL << 20;
// The largest size an 11-digit octal ustar field holds.
constexpr std::uint64_t k_max_octal_size = 077777777777ULL;

void put_octal(char* field, std::size_t width, std::uint64_t value) {
  // `width - 1` digits and a NUL, as Go's archive/tar writes them.
  const std::string digits = fmt::format("{:0{}o}", value, width - 1);
  std::memcpy(field, digits.data(), width - 1);
  field[width - 1] = '\0';
}

void check_name(std::string_view name) {
  STRATA_CHECK(!name.empty() && name.size() <= 100 && !name.starts_with('/') &&
               name.find("..") == std::string_view::npos);
}

} // namespace

TarWriter::TarWriter(int fd, std::string label)
    : fd_(fd), label_(std::move(label)), buffer_(std::make_unique_for_overwrite<char[]>(k_buffer)) {}

TarWriter::~TarWriter() = default;

void TarWriter::header(std::string_view name, char type, std::uint64_t size, std::uint32_t mode) {
  check_name(name);
  std::array<char, k_block> h{};
  std::memcpy(h.data(), name.data(), name.size());
  put_octal(&h[100], 8, mode);
  put_octal(&h[108], 8, 0);                                    // uid
  put_octal(&h[116], 8, 0);                                    // gid
  put_octal(&h[124], 12, size > k_max_octal_size ? 0 : size);  // pax record carries big sizes
  put_octal(&h[136], 12, 0);                                   // mtime
  h[156] = type;
  std::memcpy(&h[257], "ustar", 6); // magic "ustar\0", version "00"
  std::memcpy(&h[263], "00", 2);
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (const char c : h) {
    sum += static_cast<unsigned char>(c);
  }
  put_octal(&h[148], 7, sum); // six digits, NUL, then the space already there
  put({h.data(), h.size()});
}

void TarWriter::pax_size(std::string_view name, std::uint64_t size) {
  // A pax record is "<len> size=<n>\n" where <len> counts itself.
  const std::string body = fmt::format(" size={}\n", size);
  std::size_t len = body.size() + 1;
  while (fmt::format("{}", len).size() + body.size() != len) {
    ++len;
  }
  const std::string record = fmt::format("{}{}", len, body);
  header(fmt::format("PaxHeaders/{}", name.substr(name.rfind('/') + 1)), 'x', record.size(), 0644);
  put(record);
  put(std::string(k_block - record.size() % k_block, '\0'));
}

void TarWriter::add_directory(std::string_view name) {
  header(name, '5', 0, 0755);
}

void TarWriter::add_file(std::string_view name, std::string_view contents) {
  begin_file(name, contents.size());
  file_data(contents);
  end_file();
}

void TarWriter::begin_file(std::string_view name, std::uint64_t size) {
  STRATA_CHECK(!in_file_);
  if (size > k_max_octal_size) {
    pax_size(name, size);
  }
  header(name, '0', size, 0644);
  in_file_ = true;
  remaining_ = size;
  file_size_ = size;
}

void TarWriter::file_data(std::string_view bytes) {
  STRATA_CHECK(in_file_ && bytes.size() <= remaining_);
  remaining_ -= bytes.size();
  if (bytes.size() >= k_buffer) {
    flush(); // large pieces bypass the buffer
    write_all(fd_, bytes, label_);
    return;
  }
  put(bytes);
}

void TarWriter::end_file() {
  STRATA_CHECK(in_file_ && remaining_ == 0);
  in_file_ = false;
  if (const std::size_t tail = file_size_ % k_block; tail != 0) {
    put(std::string(k_block - tail, '\0'));
  }
}

void TarWriter::finish() {
  STRATA_CHECK(!in_file_);
  put(std::string(2 * k_block, '\0'));
  flush();
}

void TarWriter::put(std::string_view bytes) {
  while (!bytes.empty()) {
    if (used_ == k_buffer) {
      flush();
    }
    const std::size_t n = std::min(bytes.size(), k_buffer - used_);
    std::memcpy(buffer_.get() + used_, bytes.data(), n);
    used_ += n;
    bytes.remove_prefix(n);
  }
}

void TarWriter::flush() {
  if (used_ != 0) {
    write_all(fd_, {buffer_.get(), used_}, label_);
    used_ = 0;
  }
}

} // namespace strata::store

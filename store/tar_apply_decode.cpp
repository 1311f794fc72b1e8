// Decoding side of `apply_layer`: one libarchive entry → a validated `Entry` (names cleaned and
// contained, limits enforced). Everything here treats the archive as hostile.

#include <cstring>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include "common/error.hpp"
#include "store/tar_apply.hpp"

namespace strata::store::tar_apply_detail {
namespace {

[[noreturn]] void throw_corrupt(std::string message) {
  throw Error(ErrorKind::corrupt, std::move(message));
}

[[noreturn]] void fail_entry(std::string_view name, std::string_view why) {
  throw_corrupt(fmt::format("layer entry {}: {}", quote_name(name), why));
}

// Fills the type and link target of `out`; returns the link target length.
std::size_t decode_type(archive_entry* e, std::string_view name, const ApplyLimits& limits,
                        Entry& out) {
  std::size_t header = 0;
  if (const char* hardlink = archive_entry_hardlink(e); hardlink != nullptr) {
    out.type = EntryType::hardlink;
    const std::string_view target = hardlink;
    header += target.size();
    if (target.size() > limits.max_name) {
      fail_entry(name, "hardlink target too long");
    }
    auto clean = clean_name(target);
    if (!clean) {
      fail_entry(name, fmt::format("hardlink target {} climbs above the root", quote_name(target)));
    }
    out.link = std::move(*clean);
  } else {
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
      out.type = EntryType::file;
      break;
    case AE_IFDIR:
      out.type = EntryType::directory;
      break;
    case AE_IFLNK: {
      out.type = EntryType::symlink;
      const char* target = archive_entry_symlink(e);
      if (target == nullptr) {
        target = archive_entry_symlink_utf8(e);
      }
      if (target == nullptr || *target == '\0') {
        fail_entry(name, "symlink without a target");
      }
      out.link = target;
      if (out.link.size() > limits.max_name) {
        fail_entry(name, "symlink target too long");
      }
      header += out.link.size();
      break;
    }
    case AE_IFIFO:
      out.type = EntryType::fifo;
      break;
    case AE_IFCHR:
    case AE_IFBLK:
      out.type = archive_entry_filetype(e) == AE_IFCHR ? EntryType::char_device
                                                       : EntryType::block_device;
      out.dev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(e));
      out.dev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(e));
      break;
    default:
      fail_entry(name, "unsupported file type");
    }
  }
  return header;
}

// Reads PAX xattrs into `out`, bounding the decoded header size at `limits.max_header`.
void decode_xattrs(archive_entry* e, std::string_view name, const ApplyLimits& limits,
                   std::size_t header, Entry& out) {
  archive_entry_xattr_reset(e);
  const char* xname = nullptr;
  const void* xvalue = nullptr;
  std::size_t xsize = 0;
  while (archive_entry_xattr_next(e, &xname, &xvalue, &xsize) == ARCHIVE_OK) {
    header += std::strlen(xname) + xsize;
    if (header > limits.max_header) {
      break;
    }
    out.xattrs.emplace_back(xname, std::string(static_cast<const char*>(xvalue), xsize));
  }
  if (header > limits.max_header) {
    fail_entry(name, fmt::format("header larger than {} bytes", limits.max_header));
  }
}

} // namespace

Entry decode_entry(archive_entry* e, const ApplyLimits& limits) {
  const char* raw_name = archive_entry_pathname(e);
  if (raw_name == nullptr) {
    raw_name = archive_entry_pathname_utf8(e);
  }
  if (raw_name == nullptr) {
    throw_corrupt("layer entry without a usable name");
  }
  const std::string_view name = raw_name;
  if (name.size() > limits.max_name) {
    fail_entry(name, fmt::format("name longer than {} bytes", limits.max_name));
  }
  auto path = clean_name(name);
  if (!path) {
    fail_entry(name, "name climbs above the root");
  }
  if (archive_entry_sparse_count(e) > 0) {
    fail_entry(name, "GNU sparse files are not supported");
  }
  Entry out;
  out.path = std::move(*path);
  std::size_t header = name.size();
  const la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
  if (size < 0 || static_cast<std::uint64_t>(size) > limits.max_bytes) {
    fail_entry(name, fmt::format("absurd size {}", size));
  }
  const la_int64_t uid = archive_entry_uid(e);
  const la_int64_t gid = archive_entry_gid(e);
  if (uid < 0 || gid < 0 || uid >= 0xffffffffLL || gid >= 0xffffffffLL) {
    fail_entry(name, "uid or gid out of range");
  }
  out.uid = static_cast<std::uint32_t>(uid);
  out.gid = static_cast<std::uint32_t>(gid);
  out.mode = archive_entry_perm(e) & 07777;
  out.mtime = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  out.atime = archive_entry_atime_is_set(e)
                  ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                  : out.mtime;
  if (out.mtime.tv_nsec < 0 || out.mtime.tv_nsec >= 1'000'000'000 || out.atime.tv_nsec < 0 ||
      out.atime.tv_nsec >= 1'000'000'000) {
    fail_entry(name, "bad timestamp");
  }
  header += decode_type(e, name, limits, out);
  decode_xattrs(e, name, limits, header, out);
  return out;
}

} // namespace strata::store::tar_apply_detail

#include "common/temp_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"

namespace strata {
namespace {

void remove_children(int dirfd, std::string_view where);

// Removes the entry `name` in `dirfd`; recurses into real directories only.
void remove_entry(int dirfd, const char* name, std::string_view where) {
  if (::unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) {
    return;
  }
  if (errno != EISDIR && errno != EPERM) {
    throw_errno("unlink", std::string(where) + "/" + name);
  }
  UniqueFd child(::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!child) {
    throw_errno("open directory", std::string(where) + "/" + name);
  }
  remove_children(child.get(), where);
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
    throw_errno("rmdir", std::string(where) + "/" + name);
  }
}

void remove_children(int dirfd, std::string_view where) {
  // Collect names first: unlinking while iterating a DIR stream may skip entries.
  std::vector<std::string> names;
  {
    UniqueFd dup(::dup(dirfd));
    DIR* dir = dup ? ::fdopendir(dup.get()) : nullptr;
    if (dir == nullptr) {
      throw_errno("open directory", where);
    }
    std::ignore = dup.release(); // now owned by `dir`
    while (const dirent* entry = ::readdir(dir)) {
      const std::string_view name = entry->d_name;
      if (name != "." && name != "..") {
        names.emplace_back(name);
      }
    }
    ::closedir(dir);
  }
  for (const auto& name : names) {
    remove_entry(dirfd, name.c_str(), where);
  }
}

} // namespace

void remove_tree(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent_fd) {
    if (errno == ENOENT) {
      return;
    }
    throw_errno("open directory", parent);
  }
  remove_entry(parent_fd.get(), name.c_str(), parent);
}

void remove_tree_at(int dir_fd, const std::string& name, const std::string& label) {
  remove_entry(dir_fd, name.c_str(), label);
}

TempDir::TempDir(const std::string& prefix, const std::string& parent) {
  std::string base = parent;
  if (base.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  }
  std::string templ = base + "/" + prefix + "XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    throw_errno("create temporary directory in", base);
  }
  path_ = std::move(templ);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(other.release()) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    this->~TempDir();
    path_ = other.release();
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty()) {
    return;
  }
  try {
    remove_tree(path_);
  } catch (const std::exception& e) {
    log::warn("cannot remove temporary directory {}: {}", path_, e.what());
  }
}

std::string TempDir::release() noexcept {
  std::string out = std::move(path_);
  path_.clear();
  return out;
}

} // namespace strata

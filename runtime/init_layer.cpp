// The init layer (container_spec.hpp `init_dir`): docker's `-init` layer. The mount points the
// runtime needs — /dev, /proc, /sys and the /etc files it bind-mounts — are made once in a
// directory of their own, stacked on top of the image's layers, so they never land in the
// container's upper dir (and so never in `commit`'s layer or `export`'s changes).
// A name is only made when the image's topmost entry for it is a directory or absent: an image
// whose `/proc` or `/etc` is a symlink keeps it, and the in-root checks of rootfs.cpp apply to it
// as before.

#include "runtime/init_layer.hpp"

#include "common/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

namespace strata::runtime {
namespace {

enum class Top { absent, directory, other };

Top kind_of(const struct stat& st) {
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
    return Top::absent; // an overlay whiteout hides the lower ones
  }
  return S_ISDIR(st.st_mode) ? Top::directory : Top::other;
}

// What the merged rootfs has at `parent/name` (`parent` empty for a top-level name), from the
// lower dirs, top first. A layer whose `parent` is not a directory hides the layers below (and
// is never followed: a symlinked /etc in an image must not make strata look at the host's).
Top top_entry(const std::vector<std::string>& lower_dirs, const std::string& parent,
              const std::string& name) {
  for (const std::string& lower : lower_dirs) {
    struct stat st {};
    if (!parent.empty()) {
      if (::lstat((lower + "/" + parent).c_str(), &st) != 0) {
        continue;
      }
      if (kind_of(st) != Top::directory) {
        return Top::absent;
      }
    }
    const std::string path = lower + "/" + (parent.empty() ? name : parent + "/" + name);
    if (::lstat(path.c_str(), &st) == 0) {
      return kind_of(st);
    }
  }
  return Top::absent;
}

void make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    throw_errno("mkdir", path);
  }
}

void make_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw_errno("create", path);
  }
  ::close(fd);
}

} // namespace

void make_init_layer(const std::string& dir, const std::vector<std::string>& lower_dirs) {
  make_dir(dir);
  for (const char* name : {"dev", "proc", "sys"}) {
    if (top_entry(lower_dirs, "", name) != Top::other) {
      make_dir(dir + "/" + name);
    }
  }
  if (top_entry(lower_dirs, "", "etc") == Top::other) {
    return;
  }
  make_dir(dir + "/etc");
  for (const char* name : {"hosts", "hostname", "resolv.conf"}) {
    const Top top = top_entry(lower_dirs, "etc", name);
    if (top != Top::directory) { // a symlink is replaced by the bind target, as rootfs.cpp does
      make_file(dir + "/etc/" + name);
    }
  }
}

} // namespace strata::runtime

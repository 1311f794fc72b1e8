#pragma once
// Helpers shared by the store's unit tests: directory listings, modes, forked children and tree
// descriptions.

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace strata::store::test_support {

// The names in `dir`, sorted, without "." and "..".
inline std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    ADD_FAILURE() << "opendir " << dir;
    return out;
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") {
      out.push_back(name);
    }
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// Permission bits of `path` itself (a symlink is not followed).
inline mode_t mode_of(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

// Runs `body` in a forked child that leaves with `_exit(body())`, so GoogleTest's state is never
// touched; an exception exits 101.
inline pid_t start_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int code = 100;
    try {
      code = body();
    } catch (...) {
      code = 101;
    }
    ::_exit(code);
  }
  return pid;
}

// Waits for `pid`: its exit code, or 128 + the signal that killed it.
inline int exit_code_of(pid_t pid) {
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace strata::store::test_support

// ---- Trees --------------------------------------------------------------------------------------

namespace strata::store::test_support {

// Everything a layer round trip must preserve about one node, as text that diffs readably:
// "type mode uid:gid mtime [size content] [-> target] [dev M:m] [xattr k=v ...] [link=first]".
// Hardlinks show the first path (in sorted order) of their inode. The root is not described.
inline std::map<std::string, std::string> describe_tree(const std::string& root) {
  std::map<std::string, std::string> out;
  std::map<std::pair<dev_t, ino_t>, std::string> first;
  std::vector<std::string> todo{""};
  while (!todo.empty()) {
    const std::string rel = todo.back();
    todo.pop_back();
    for (const auto& name : entries(rel.empty() ? root : root + "/" + rel)) {
      const std::string path = rel.empty() ? name : rel + "/" + name;
      const std::string full = root + "/" + path;
      struct stat st {};
      EXPECT_EQ(::lstat(full.c_str(), &st), 0) << full;
      std::ostringstream d;
      d << std::oct << (st.st_mode & S_IFMT) << ' ' << (st.st_mode & 07777) << std::dec << ' '
        << st.st_uid << ':' << st.st_gid;
      if (!S_ISDIR(st.st_mode)) {
        d << " mtime=" << st.st_mtim.tv_sec;
      }
      if (S_ISREG(st.st_mode)) {
        d << " size=" << st.st_size;
        std::ifstream in(full, std::ios::binary);
        d << " data=" << std::hash<std::string>{}(std::string(std::istreambuf_iterator<char>(in), {}));
      }
      if (S_ISLNK(st.st_mode)) {
        char target[4096];
        const auto n = ::readlink(full.c_str(), target, sizeof target);
        d << " -> " << std::string(target, n > 0 ? static_cast<std::size_t>(n) : 0);
      }
      if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        d << " dev " << major(st.st_rdev) << ':' << minor(st.st_rdev);
      }
      if (!S_ISLNK(st.st_mode)) {
        char names[4096];
        const auto n = ::llistxattr(full.c_str(), names, sizeof names);
        std::vector<std::string> keys;
        for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(std::strlen(names + i)) + 1) {
          keys.emplace_back(names + i);
        }
        std::sort(keys.begin(), keys.end());
        for (const auto& key : keys) {
          char value[4096];
          const auto m = ::lgetxattr(full.c_str(), key.c_str(), value, sizeof value);
          d << " xattr " << key << '=' << std::string(value, m > 0 ? static_cast<std::size_t>(m) : 0);
        }
      }
      if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
        const auto [it, fresh] = first.try_emplace({st.st_dev, st.st_ino}, path);
        d << " link=" << it->second;
      }
      out[path] = d.str();
      if (S_ISDIR(st.st_mode)) {
        todo.push_back(path);
      }
    }
  }
  return out;
}

} // namespace strata::store::test_support

#pragma once
// `TempDir`: a fresh private directory (mode 0700) that is removed with its contents when the
// owner goes away. Removal never follows symlinks (it walks with dirfds and `unlinkat`), so a
// tree that a container could have written to is safe to delete (SECURITY.md, GCC PR 104161).
// Move-only; the destructor logs and swallows errors.

#include <string>

namespace strata {

class TempDir {
public:
  // Creates `<parent>/<prefix>XXXXXX`; `parent` defaults to $TMPDIR or /tmp.
  explicit TempDir(const std::string& prefix = "strata-", const std::string& parent = {});
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // Keeps the directory on disk and returns its path.
  [[nodiscard]] std::string release() noexcept;

private:
  std::string path_;
};

// Removes `path` and everything below it without following symlinks. A missing path is fine.
void remove_tree(const std::string& path);
// As `remove_tree` for the entry `name` of the directory `dir_fd` (borrowed); `label` names the
// directory in messages.
void remove_tree_at(int dir_fd, const std::string& name, const std::string& label);

} // namespace strata

#pragma once
// COPY, ADD and WORKDIR (internal): steps that change files without running anything. Each
// writes through a writable overlay view of the stage (`open_writable_view`: its snapshots under
// the step's fresh upper dir), so the destination is resolved in the image as it is — a symlink
// in a lower layer is followed in-root, a file replaced is a copy-up — and the upper dir holds
// exactly the step's changes.
//
// ADD also fetches http(s) URLs (with `--checksum`) and unpacks local tar archives
// (add_sources.hpp).
//
// `FileSources` is the source side of one COPY/ADD, prepared before the cache lookup: the tree
// (the context with .dockerignore, a finished stage, or an image, opened as a read-only merged
// view), the matches and their content digests (the cache key's `files`).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "builder/add_sources.hpp"
#include "builder/build_context.hpp"
#include "builder/build_session.hpp"
#include "builder/build_state.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "parser/instructions.hpp"

namespace strata::builder {

class FileSources {
public:
  // Opens the sources of an expanded COPY/ADD. Throws `Error{not_found}` for a missing source.
  FileSources(BuildSession& session, const parser::Instruction& inst);

  // Source → content digest, for the cache key.
  [[nodiscard]] const std::map<std::string, std::string>& digests() const noexcept {
    return digests_;
  }
  // Each copied file's own digest by path, for `--explain` (filled when explaining).
  [[nodiscard]] const std::map<std::string, std::string>& entry_digests() const noexcept {
    return entries_;
  }
  // Copies the sources into `state` as a new layer and adds the history row.
  void apply(BuildSession& session, ImageState& state, const parser::Instruction& inst);

private:
  void fetch(BuildSession& session, const parser::Instruction& inst, const std::string& url);
  void copy_with_parents(const std::vector<SourceMatch>& matches, int view,
                         const std::string& dest, const CopyOptions& options) const;
  bool extract_if_archive(const parser::Instruction& inst, const SourceMatch& match, int view,
                          const std::string& dest, const CopyOptions& options) const;

  const parser::FileTransfer* transfer_ = nullptr;
  std::optional<TempDir> empty_;
  std::optional<ImageState> image_; // a `--from` image's state (its snapshots)
  UniqueFd root_;
  SourceTree tree_;
  bool from_context_ = true;
  bool parents_ = false;
  std::vector<std::string> excludes_;
  std::vector<SourceMatch> matches_;
  std::map<std::string, std::string> digests_;
  std::map<std::string, std::string> entries_;
  std::vector<FetchedFile> fetched_;
};

// WORKDIR's directory, created (0755) in a layer when missing; history as BuildKit writes it.
void workdir_step(BuildSession& session, ImageState& state, const parser::Instruction& inst);

// The state of an image in the store, unpacked (FROM and `COPY --from=<image>`). Throws
// `Error{not_found}` saying how to get it.
[[nodiscard]] ImageState image_state(BuildSession& session, const std::string& name);

} // namespace strata::builder

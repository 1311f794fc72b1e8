#include "builder/step_files.hpp"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include <array>
#include <functional>

#include <algorithm>

#include <fmt/format.h>

#include "builder/add_sources.hpp"
#include "builder/cache_key.hpp"
#include "builder/copy_files.hpp"
#include "builder/step_layer.hpp"
#include "builder/step_text.hpp"
#include "common/error.hpp"
#include "common/in_root.hpp"
#include "runtime/merged_view.hpp"
#include "runtime/user.hpp"

namespace strata::builder {
namespace {

using nlohmann::json;

const parser::FileTransfer& transfer_of(const parser::Instruction& inst) {
  if (inst.kind == parser::InstructionKind::copy) {
    return inst.as<parser::CopyInstruction>();
  }
  return inst.as<parser::AddInstruction>();
}

std::string join_workdir(const json& config, const std::string& path) {
  if (path.starts_with("/")) {
    return path;
  }
  std::string base = config.value("WorkingDir", std::string());
  if (base.empty()) {
    base = "/";
  }
  return base.ends_with("/") ? base + path : base + "/" + path;
}

UniqueFd open_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    throw_errno("open", path);
  }
  return fd;
}

// A read-only root over a state's layers: one layer is its own tree; several, a merged view.
UniqueFd open_state_root(const ImageState& state, const std::string& scratch) {
  const std::vector<std::string> lowers = state.lower_dirs();
  if (lowers.empty()) {
    return open_dir(scratch);
  }
  if (lowers.size() == 1) {
    return open_dir(lowers.front());
  }
  return runtime::open_merged_view(lowers, scratch);
}

bool is_url(const std::string& source) {
  return source.starts_with("http://") || source.starts_with("https://") ||
         source.starts_with("git@");
}

void refuse_unsupported(const parser::Instruction& inst) {
  const parser::FileTransfer& t = transfer_of(inst);
  const auto fail = [&inst](std::string_view what) {
    throw Error(ErrorKind::unsupported,
                fmt::format("{} {} is not supported yet", inst.keyword, what));
  };
  if (t.link) {
    // --link only changes how BuildKit rebases the layer; the result is the same files.
  }
  if (inst.kind == parser::InstructionKind::copy && inst.as<parser::CopyInstruction>().parents) {
    for (const auto& s : t.sources) {
      if (s.value.find("/./") != std::string::npos || s.value.starts_with("./")) {
        fail("--parents with a `./` pivot");
      }
    }
  }
  if (inst.kind == parser::InstructionKind::add) {
    const auto& add = inst.as<parser::AddInstruction>();
    for (const auto& s : t.sources) {
      if (s.value.starts_with("git@") || s.value.ends_with(".git")) {
        fail(fmt::format("of a git repository ({})", s.value));
      }
    }
    if (add.checksum && (t.sources.size() != 1 || !is_url(t.sources.front().value))) {
      fail("--checksum of anything but one http(s) URL");
    }
  }
}

// Owners for --chown, resolved in the destination image (in-root).
void resolve_chown(const parser::FileTransfer& t, int dest_root, CopyOptions& options) {
  if (!t.chown) {
    return;
  }
  const std::string& spec = t.chown->value;
  const runtime::ExecUser user = runtime::resolve_user(dest_root, spec);
  options.uid = user.uid;
  options.gid = user.gid;
}

// A file created in the destination with `content` written by `fill(fd)`.
void write_new_file(int root, const std::string& path, mode_t mode, const CopyOptions& options,
                    const std::function<void(int)>& fill) {
  const std::size_t slash = path.rfind('/');
  if (slash > 0) {
    mkdir_all_in_root(root, path.substr(0, slash), 0755);
  }
  if (options.chmod) {
    mode = ChmodSpec::parse(*options.chmod).apply(S_IFREG | mode);
  }
  const UniqueFd fd = open_in_root(root, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode);
  fill(fd.get());
  ::fchmod(fd.get(), mode);
  if (::fchown(fd.get(), options.uid.value_or(0), options.gid.value_or(0)) != 0) {
    throw_errno("chown", path);
  }
}

void write_fetched(const FetchedFile& f, int root, const std::string& dest,
                   const CopyOptions& options) {
  const std::string path = dest.ends_with("/") ? dest + f.name : dest;
  write_new_file(root, path, 0600, options, [&](int out) {
    const UniqueFd in(::open(f.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) {
      throw_errno("open", f.path);
    }
    struct stat st {};
    ::fstat(in.get(), &st);
    off_t offset = 0;
    while (offset < st.st_size) {
      const ssize_t n = ::sendfile(out, in.get(), &offset, static_cast<std::size_t>(st.st_size - offset));
      if (n <= 0) {
        throw_errno("copy download to", path);
      }
    }
    if (f.mtime) {
      const std::array<timespec, 2> times{timespec{*f.mtime, 0}, timespec{*f.mtime, 0}};
      ::futimens(out, times.data());
    }
  });
}

void write_inline(const parser::HeredocFile& h, int root, const std::string& dest,
                  const CopyOptions& options) {
  const std::string path = dest.ends_with("/") ? dest + h.name : dest;
  write_new_file(root, path, 0644, options, [&](int fd) {
    std::size_t done = 0;
    while (done < h.content.size()) {
      const ssize_t n = ::write(fd, h.content.data() + done, h.content.size() - done);
      if (n < 0) {
        throw_errno("write", path);
      }
      done += static_cast<std::size_t>(n);
    }
  });
}

// WORKDIR's directory and the parents it lacks, 0755, owned by the config's USER (BuildKit's
// `Mkdir(wd, 0755, WithParents, WithUser(User))`), so `USER node` + `WORKDIR /home/node/app`
// gives the user a directory it can write.
void make_workdir(int root, const std::string& path, const std::string& user) {
  std::vector<std::string> missing;
  std::string prefix;
  for (std::size_t start = 1; start <= path.size();) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    if (end > start) {
      prefix += "/" + path.substr(start, end - start);
      try {
        std::ignore = open_in_root(root, prefix, O_PATH);
      } catch (const Error& e) {
        if (e.sys_errno() != ENOENT) {
          throw;
        }
        missing.push_back(prefix);
      }
    }
    start = end + 1;
  }
  mkdir_all_in_root(root, path, 0755);
  if (user.empty() || missing.empty()) {
    return;
  }
  const runtime::ExecUser owner = runtime::resolve_user(root, user);
  for (const std::string& dir : missing) {
    const UniqueFd fd = open_in_root(root, dir, O_PATH | O_NOFOLLOW);
    if (::fchownat(fd.get(), "", owner.uid, owner.gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
      throw_errno("chown", dir);
    }
  }
}

} // namespace

ImageState image_state(BuildSession& session, const std::string& name) {
  const std::optional<store::ImageRecord> record = session.images.try_resolve(name);
  if (!record) {
    throw Error(ErrorKind::not_found,
                fmt::format("{}: not found in the store: get it with `strata load`, `strata import` "
                            "or `strata pull`",
                            name));
  }
  const store::ImageDetail detail = session.images.load(*record);
  const std::vector<store::Digest> chains = session.images.unpack(detail);
  ImageState state;
  state.config = json::parse(detail.config_bytes);
  for (std::size_t i = 0; i < chains.size(); ++i) {
    BuiltLayer layer;
    layer.blob = detail.manifest.layers.at(i);
    layer.blob.annotations.clear();
    layer.diff_id = detail.config.diff_ids.at(i);
    layer.chain_id = chains[i];
    layer.fs_path = session.images.snapshots().path_of(chains[i]) + "/fs";
    state.layers.push_back(std::move(layer));
  }
  CacheKeyBuilder key;
  key.add("base", record->id);
  state.identity = key.finish();
  return state;
}

FileSources::FileSources(BuildSession& session, const parser::Instruction& inst)
    : transfer_(&transfer_of(inst)) {
  refuse_unsupported(inst);
  for (const auto& e : transfer_->excludes) {
    excludes_.push_back(e.value);
  }
  std::optional<std::string> from;
  if (inst.kind == parser::InstructionKind::copy) {
    if (const auto& f = inst.as<parser::CopyInstruction>().from) {
      from = f->value;
    }
  }
  if (!from) {
    tree_ = SourceTree{session.context_fd.get(), &session.ignore, "context"};
  }
  if (inst.kind == parser::InstructionKind::copy) {
    parents_ = inst.as<parser::CopyInstruction>().parents;
  }
  if (from) {
    empty_.emplace("strata-from-", session.images.root() + "/tmp");
    const std::optional<std::size_t> stage = session.graph.find_stage(*from);
    if (stage) {
      image_ = session.stage_results.at(*stage);
      STRATA_CHECK(image_.has_value());
    } else {
      image_ = image_state(session, *from);
    }
    root_ = open_state_root(*image_, empty_->path());
    tree_ = SourceTree{root_.get(), nullptr, "stage " + *from};
    from_context_ = false;
  }
  std::vector<std::string> sources;
  for (const auto& s : transfer_->sources) {
    if (inst.kind == parser::InstructionKind::add && is_url(s.value)) {
      fetch(session, inst, s.value);
    } else {
      sources.push_back(s.value);
    }
  }
  if (!sources.empty()) {
    matches_ = match_sources(tree_, sources, excludes_);
  }
  std::vector<std::string> reads;
  for (const SourceMatch& m : matches_) {
    DigestExtras extras;
    extras.read_paths = from_context_ ? &reads : nullptr;
    extras.hashes = from_context_ ? &session.hashes : nullptr;
    extras.entries = session.progress.explaining() ? &entries_ : nullptr;
    digests_[m.path] = digest_sources(tree_, {m}, excludes_, extras).str();
  }
  for (const auto& h : transfer_->inline_sources) {
    CacheKeyBuilder key;
    key.add("heredoc", h.content);
    digests_["<<" + h.name] = key.finish().str();
  }
  if (from_context_) {
    session.add_context_reads(reads);
  }
}

void FileSources::apply(BuildSession& session, ImageState& state, const parser::Instruction& inst) {
  StepDir dir(session.images);
  const std::string dest = join_workdir(state.image_config(), transfer_->destination.value);
  {
    const UniqueFd view =
        runtime::open_writable_view(dir.lowers(state), dir.upper(), dir.work());
    CopyOptions options;
    options.from_context = from_context_;
    if (transfer_->chmod) {
      options.chmod = transfer_->chmod->value;
    }
    resolve_chown(*transfer_, view.get(), options);
    std::vector<SourceMatch> plain;
    for (const SourceMatch& m : matches_) {
      if (!extract_if_archive(inst, m, view.get(), dest, options)) {
        plain.push_back(m);
      }
    }
    if (parents_) {
      copy_with_parents(plain, view.get(), dest, options);
    } else if (!plain.empty()) {
      copy_sources(tree_, plain, excludes_, view.get(), dest, options);
    }
    for (const FetchedFile& f : fetched_) {
      write_fetched(f, view.get(), dest, options);
    }
    for (const auto& h : transfer_->inline_sources) {
      write_inline(h, view.get(), dest, options);
    }
  }
  const bool layer = commit_upper(session, dir, state);
  add_history(session, state, copy_created_by(inst), !layer);
}

void FileSources::fetch(BuildSession& session, const parser::Instruction& inst,
                        const std::string& url) {
  if (!empty_) {
    empty_.emplace("strata-add-", session.images.root() + "/tmp");
  }
  const std::string dir = fmt::format("{}/url-{}", empty_->path(), fetched_.size());
  if (::mkdir(dir.c_str(), 0700) != 0) {
    throw_errno("create", dir);
  }
  std::optional<std::string> checksum;
  if (const auto& c = inst.as<parser::AddInstruction>().checksum) {
    checksum = c->value;
  }
  fetched_.push_back(fetch_url(url, dir, checksum, [&session] { return session.stop_requested(); }));
  digests_[url] = fetched_.back().digest.str();
}

// COPY --parents: each match keeps its path below the destination.
void FileSources::copy_with_parents(const std::vector<SourceMatch>& matches, int view,
                                    const std::string& dest, const CopyOptions& options) const {
  const std::string base = dest.ends_with("/") ? dest : dest + "/";
  for (const SourceMatch& m : matches) {
    const std::string clean = m.path == "." ? "" : m.path;
    const std::size_t slash = clean.rfind('/');
    const std::string target =
        m.is_dir ? base + clean + "/"
                 : base + (slash == std::string::npos ? "" : clean.substr(0, slash + 1));
    copy_sources(tree_, {m}, excludes_, view, target, options);
  }
}

bool FileSources::extract_if_archive(const parser::Instruction& inst, const SourceMatch& match,
                                     int view, const std::string& dest,
                                     const CopyOptions& options) const {
  if (inst.kind != parser::InstructionKind::add || match.is_dir || !from_context_) {
    return false;
  }
  const UniqueFd fd = open_in_root(tree_.root_fd, match.path, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !is_archive(fd.get())) {
    return false;
  }
  extract_archive(fd.get(), view, dest, options);
  return true;
}

void workdir_step(BuildSession& session, ImageState& state, const parser::Instruction& inst) {
  const std::string path = state.image_config().value("WorkingDir", std::string("/"));
  StepDir dir(session.images);
  {
    const UniqueFd view =
        runtime::open_writable_view(dir.lowers(state), dir.upper(), dir.work());
    make_workdir(view.get(), path, state.image_config().value("User", std::string()));
  }
  const bool layer = commit_upper(session, dir, state);
  add_history(session, state, config_created_by(inst, state.image_config()), !layer);
}

} // namespace strata::builder

#include "builder/step_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>

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
    fail("--parents");
  }
  if (inst.kind == parser::InstructionKind::add) {
    const auto& add = inst.as<parser::AddInstruction>();
    if (add.checksum) {
      fail("--checksum");
    }
    for (const auto& s : t.sources) {
      if (is_url(s.value)) {
        fail(fmt::format("of a URL ({})", s.value));
      }
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

void write_inline(const parser::HeredocFile& h, int root, const std::string& dest,
                  const CopyOptions& options) {
  const std::string path = dest.ends_with("/") ? dest + h.name : dest;
  const std::size_t slash = path.rfind('/');
  if (slash > 0) {
    mkdir_all_in_root(root, path.substr(0, slash), 0755);
  }
  mode_t mode = 0644;
  if (options.chmod) {
    mode = ChmodSpec::parse(*options.chmod).apply(S_IFREG | mode);
  }
  const UniqueFd fd = open_in_root(root, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode);
  std::size_t done = 0;
  while (done < h.content.size()) {
    const ssize_t n = ::write(fd.get(), h.content.data() + done, h.content.size() - done);
    if (n < 0) {
      throw_errno("write", path);
    }
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(fd.get(), mode);
  if (::fchown(fd.get(), options.uid.value_or(0), options.gid.value_or(0)) != 0) {
    throw_errno("chown", path);
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
  } else {
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
    sources.push_back(s.value);
  }
  if (!sources.empty()) {
    matches_ = match_sources(tree_, sources, excludes_);
  }
  std::vector<std::string> reads;
  for (const SourceMatch& m : matches_) {
    digests_[m.path] = digest_sources(tree_, {m}, excludes_, from_context_ ? &reads : nullptr).str();
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
    if (!matches_.empty()) {
      copy_sources(tree_, matches_, excludes_, view.get(), dest, options);
    }
    for (const auto& h : transfer_->inline_sources) {
      write_inline(h, view.get(), dest, options);
    }
  }
  const bool layer = commit_upper(session, dir, state);
  add_history(session, state, copy_created_by(inst), !layer);
}

void workdir_step(BuildSession& session, ImageState& state, const parser::Instruction& inst) {
  const std::string path = state.image_config().value("WorkingDir", std::string("/"));
  StepDir dir(session.images);
  {
    const UniqueFd view =
        runtime::open_writable_view(dir.lowers(state), dir.upper(), dir.work());
    mkdir_all_in_root(view.get(), path, 0755);
  }
  const bool layer = commit_upper(session, dir, state);
  add_history(session, state, config_created_by(inst, state.image_config()), !layer);
}

} // namespace strata::builder

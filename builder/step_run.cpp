#include "builder/step_run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "builder/context_walk.hpp"
#include "builder/copy_files.hpp"
#include "builder/step_files.hpp"
#include "builder/step_layer.hpp"
#include "builder/step_text.hpp"
#include "common/error.hpp"
#include "common/file_util.hpp"
#include "common/in_root.hpp"
#include "common/unique_fd.hpp"
#include "runtime/exec_path.hpp"
#include "runtime/process.hpp"
#include "store/atomic_file.hpp"
#include "store/file_lock.hpp"
#include "store/sha256.hpp"

namespace strata::builder {
namespace {

using nlohmann::json;

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (::getrandom(raw.data(), raw.size(), 0) != static_cast<ssize_t>(raw.size())) {
    throw_errno("getrandom");
  }
  std::string out;
  for (const unsigned char c : raw) {
    out += fmt::format("{:02x}", c);
  }
  return out;
}

std::vector<std::string> shell_of(const json& config) {
  std::vector<std::string> shell = {"/bin/sh", "-c"};
  if (const auto it = config.find("Shell"); it != config.end() && it->is_array() && !it->empty()) {
    shell = it->get<std::vector<std::string>>();
  }
  return shell;
}

void write_private_file(const std::string& path, std::string_view content, mode_t mode) {
  store::write_file_atomically(path, content, mode);
}

// The argv of the command, and the mounts a heredoc script needs.
std::vector<std::string> command_argv(const parser::CommandLine& command, const json& config,
                                      const StepDir& dir, std::vector<runtime::MountSpec>& mounts) {
  if (command.form == parser::CommandForm::exec) {
    return command.args;
  }
  std::vector<std::string> argv = shell_of(config);
  std::string text = command.args.empty() ? std::string() : command.args.front();
  const auto& heredocs = command.heredocs;
  std::string trimmed = text;
  trimmed.erase(0, trimmed.find_first_not_of(" \t"));
  trimmed.erase(trimmed.find_last_not_of(" \t") + 1);
  const bool script_only = heredocs.size() == 1 && trimmed.starts_with("<<") &&
                           trimmed.find(' ') == std::string::npos;
  if (script_only) {
    // BuildKit: the heredoc is the script, run as a file (its own #! line, else the shell).
    const parser::HeredocFile& h = heredocs.front();
    const std::string host = dir.files() + "/" + "heredoc-script";
    write_private_file(host, h.content, 0755);
    const std::string target = "/dev/pipes/" + h.name;
    mounts.push_back({runtime::MountSpec::Type::bind, host, target, true, {}, {}});
    if (h.content.starts_with("#!")) {
      return {target};
    }
    return {argv.front(), target};
  }
  for (const parser::HeredocFile& h : heredocs) {
    text += "\n" + h.content + h.name;
  }
  argv.push_back(text);
  return argv;
}

std::vector<std::string> run_env(const json& config, const std::map<std::string, std::string>& args) {
  std::vector<std::string> env;
  bool has_path = false;
  if (const auto it = config.find("Env"); it != config.end() && it->is_array()) {
    for (const json& e : *it) {
      if (e.is_string()) {
        env.push_back(e.get<std::string>());
        has_path = has_path || env.back().starts_with("PATH=");
      }
    }
  }
  for (const auto& [key, value] : args) {
    env.push_back(key + "=" + value);
  }
  if (!has_path) {
    env.push_back(std::string("PATH=") + runtime::k_default_path);
  }
  return env;
}

// A cache mount's directory, `cache/mounts/<sha256 of its id>` (the id defaults to the target),
// locked for the RUN as its `sharing=` says: shared (a shared flock: any number of steps at once),
// locked (exclusive: steps wait for each other), private (exclusive, or a directory of its own —
// `<dir>-private-N` — when another step holds it).
std::string cache_mount_dir(BuildSession& session, const parser::MountSpec& m,
                            std::vector<store::FileLock>& locks) {
  if (!m.from.empty() || !m.source.empty()) {
    throw Error(ErrorKind::unsupported,
                fmt::format("RUN --mount={}: a cache mount's from= and source= are not supported yet",
                            m.text));
  }
  const std::string id = m.id.empty() ? m.target : m.id;
  const std::string base = session.images.root() + "/cache/mounts/" + store::sha256_of(id).hex();
  store::ensure_directory(session.images.root() + "/cache/mounts", 0700);
  const parser::MountSharing sharing = m.sharing.value_or(parser::MountSharing::shared);
  std::string dir = base;
  for (int n = 1;; ++n) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      throw_errno("create cache mount", dir);
    }
    if (sharing == parser::MountSharing::shared) {
      locks.emplace_back(dir, store::LockMode::shared);
      break;
    }
    if (sharing == parser::MountSharing::locked) {
      locks.emplace_back(dir, store::LockMode::exclusive);
      break;
    }
    if (auto lock = store::FileLock::try_lock(dir, store::LockMode::exclusive)) {
      locks.push_back(std::move(*lock));
      break;
    }
    dir = fmt::format("{}-private-{}", base, n);
  }
  if (m.uid || m.gid || m.mode) {
    std::ignore = ::chown(dir.c_str(), m.uid.value_or(0), m.gid.value_or(0));
    ::chmod(dir.c_str(), m.mode.value_or(0755));
  }
  return dir;
}

std::string secret_content(const BuildSession& session, const parser::MountSpec& m) {
  const std::string id = m.id.empty() ? m.target.substr(m.target.rfind('/') + 1) : m.id;
  for (const BuildSecret& s : session.options.secrets) {
    if (s.id != id) {
      continue;
    }
    if (!s.env.empty()) {
      const char* value = std::getenv(s.env.c_str());
      return value == nullptr ? std::string() : value;
    }
    return read_file(s.source, 512 * 1024);
  }
  if (m.required) {
    throw Error(ErrorKind::not_found, fmt::format("secret {} not found", id));
  }
  return {};
}

// A read-only bind of part of the context as BuildKit gives it: the files .dockerignore leaves,
// copied into the step's directory (so an ignored secret never reaches the command, and no
// symlink can lead out of the context).
runtime::MountSpec context_bind(BuildSession& session, const parser::MountSpec& m,
                                const StepDir& dir, std::size_t index) {
  const SourceTree tree{session.context_fd.get(), &session.ignore, "context"};
  const std::string source = m.source.empty() ? "." : m.source;
  const std::vector<SourceMatch> matches = match_sources(tree, {source}, {});
  const std::string copy = fmt::format("{}/bind-{}", dir.files(), index);
  if (::mkdir(copy.c_str(), 0755) != 0) {
    throw_errno("create", copy);
  }
  const UniqueFd copy_fd(::open(copy.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!copy_fd) {
    throw_errno("open", copy);
  }
  copy_sources(tree, matches, {}, copy_fd.get(), "/", CopyOptions{});
  std::string host = copy;
  if (matches.size() == 1 && !matches.front().is_dir) {
    host += "/" + matches.front().path.substr(matches.front().path.rfind('/') + 1);
  }
  return {runtime::MountSpec::Type::bind, host, m.target, true, {}, {}};
}

// `path` below one layer's tree: "dir" (mount it), "stop" (an opaque dir, a whiteout or a
// file hides the layers below), "absent". A symlink on the way is refused: the host would
// follow it.
enum class LayerPath { dir, stop, absent };
LayerPath layer_path(const std::string& layer, const std::string& path) {
  std::string current = layer;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    end = end == std::string::npos ? path.size() : end;
    const std::string component = path.substr(start, end - start);
    start = end + 1;
    if (component.empty() || component == ".") {
      continue;
    }
    if (component == "..") {
      throw Error(ErrorKind::usage, fmt::format("bind source {} climbs with ..", path));
    }
    current += "/" + component;
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0) {
      return LayerPath::absent;
    }
    if (S_ISLNK(st.st_mode)) {
      throw Error(ErrorKind::unsupported,
                  fmt::format("RUN --mount from= with a source through a symlink ({})", path));
    }
    if (!S_ISDIR(st.st_mode)) {
      return LayerPath::stop;
    }
  }
  char opaque[2] = {};
  if (::lgetxattr(current.c_str(), "trusted.overlay.opaque", opaque, 1) == 1 && opaque[0] == 'y') {
    return LayerPath::stop; // this layer's dir hides the ones below; it is still mounted
  }
  return LayerPath::dir;
}

// A read-only bind of a stage's (or an image's) tree: its layers as one overlay, never flattened.
runtime::MountSpec stage_bind(BuildSession& session, const parser::MountSpec& m, const StepDir& dir) {
  const std::optional<std::size_t> stage = session.graph.find_stage(m.from);
  const ImageState state = stage ? *session.stage_results.at(*stage) : image_state(session, m.from);
  const std::string source = m.source.empty() ? "/" : m.source;
  runtime::MountSpec spec{runtime::MountSpec::Type::overlay, {}, m.target, true, {}, {}};
  for (const std::string& layer : state.lower_dirs()) {
    const LayerPath found = layer_path(layer, source);
    if (found == LayerPath::absent) {
      continue;
    }
    if (found == LayerPath::dir) {
      spec.lower_dirs.push_back(layer + (source == "/" ? "" : "/" + source));
    }
    const std::string here = layer + "/" + source;
    if (found == LayerPath::stop || (::lgetxattr(here.c_str(), "trusted.overlay.opaque", nullptr, 0) > 0)) {
      break;
    }
  }
  if (spec.lower_dirs.empty()) {
    if (source != "/") {
      throw Error(ErrorKind::not_found,
                  fmt::format("RUN --mount={}: {} is not a directory in {}", m.text, source, m.from));
    }
    spec.lower_dirs.push_back(dir.path() + "/empty");
  }
  return spec;
}

void add_run_mounts(BuildSession& session, const parser::RunInstruction& run, const StepDir& dir,
                    std::vector<runtime::MountSpec>& mounts, std::vector<std::string>& env,
                    std::vector<store::FileLock>& locks) {
  for (const parser::MountSpec& m : run.mounts) {
    switch (m.type) {
    case parser::MountType::cache:
      mounts.push_back({runtime::MountSpec::Type::bind, cache_mount_dir(session, m, locks),
                        m.target, m.readonly, {}, {}});
      break;
    case parser::MountType::tmpfs:
      mounts.push_back({runtime::MountSpec::Type::tmpfs, {}, m.target, false,
                        m.size ? fmt::format("size={}", *m.size) : std::string(), {}});
      break;
    case parser::MountType::secret: {
      const std::string content = secret_content(session, m);
      const std::string id = m.id.empty() ? m.target.substr(m.target.rfind('/') + 1) : m.id;
      if (m.env) {
        env.push_back(*m.env + "=" + content);
      }
      if (m.env && m.target.empty()) {
        break;
      }
      const std::string host = dir.files() + "/secret-" + std::to_string(mounts.size());
      write_private_file(host, content, m.mode.value_or(0400));
      if ((m.uid || m.gid) && ::chown(host.c_str(), m.uid.value_or(0), m.gid.value_or(0)) != 0) {
        throw_errno("chown secret", id);
      }
      mounts.push_back({runtime::MountSpec::Type::bind, host,
                        m.target.empty() ? "/run/secrets/" + id : m.target, true, {}, {}});
      break;
    }
    case parser::MountType::bind:
      if (!m.readonly) {
        throw Error(ErrorKind::unsupported,
                    fmt::format("RUN --mount={}: read-write binds are not supported yet", m.text));
      }
      mounts.push_back(m.from.empty() ? context_bind(session, m, dir, mounts.size())
                                      : stage_bind(session, m, dir));
      break;
    case parser::MountType::ssh:
      throw Error(ErrorKind::unsupported, fmt::format("RUN --mount={}: type=ssh is not supported", m.text));
    }
  }
}

// Streams the container's output into the progress display until it closes; kills the
// container when the build is cancelled.
void relay_output(BuildSession& session, int fd, int vertex) {
  std::array<char, 16384> buffer{};
  while (true) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) {
      throw_errno("poll");
    }
    if (session.stop_requested()) {
      session.check_cancelled(); // the caller's unwinding SIGKILLs the container
    }
    if (ready <= 0) {
      continue;
    }
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    session.progress.output(vertex, std::string_view(buffer.data(), static_cast<std::size_t>(n)));
  }
}

// Whether the first `count` components of `parts` name something below `layer` without any
// symlink on the way; a symlink, or any doubt, counts as "there" (then nothing is removed).
bool in_layer(const std::string& layer, const std::vector<std::string>& parts, std::size_t count) {
  std::string relative;
  for (std::size_t i = 0; i < count; ++i) {
    relative += (i == 0 ? "" : "/") + parts[i];
  }
  const UniqueFd root(::open(layer.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) {
    return true;
  }
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC | O_NOFOLLOW;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root.get(), relative.c_str(), &how, sizeof how)));
  return fd.is_valid() || errno != ENOENT;
}

// The mount points the runtime had to create for `--mount`s (an empty file or directory, and
// the parents it made) are removed from the upper dir, as BuildKit removes its stubs: a mount's
// target never shows in the image unless the image had it. The upper dir was just written by the
// step's own commands, so it is walked by fds, one component at a time, never following a
// symlink (BuildKit's CVE-2024-23652: a stub cleaner that follows a planted symlink deletes
// host files); anything unexpected stops the walk and keeps what is there.
void remove_mount_stubs(const std::string& upper, const std::vector<std::string>& lowers,
                        const std::vector<runtime::MountSpec>& mounts) {
  for (const runtime::MountSpec& m : mounts) {
    const std::vector<std::string> parts = detail::split_path(m.destination);
    std::vector<UniqueFd> dirs;
    dirs.emplace_back(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    for (std::size_t i = 0; i + 1 < parts.size() && dirs.back().is_valid(); ++i) {
      dirs.emplace_back(::openat(dirs.back().get(), parts[i].c_str(),
                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    if (parts.empty() || !dirs.back().is_valid()) {
      continue;
    }
    for (std::size_t k = parts.size(); k > 0; --k) {
      const int parent = dirs[k - 1].get();
      struct stat st {};
      if (::fstatat(parent, parts[k - 1].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        break;
      }
      bool in_lower = false;
      for (const std::string& lower : lowers) {
        in_lower = in_lower || in_layer(lower, parts, k);
      }
      const bool empty_file = S_ISREG(st.st_mode) && st.st_size == 0;
      if (in_lower || !(S_ISDIR(st.st_mode) || empty_file) ||
          ::unlinkat(parent, parts[k - 1].c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0) {
        break; // the image had it, or the command wrote there itself
      }
    }
  }
}

// Waits until the container's PID 1 exits, checking for cancellation ten times a second (its
// output may have closed long before: `RUN exec >/dev/null; long_job`). On cancellation the
// caller's unwinding SIGKILLs the container.
void wait_for_exit(BuildSession& session, pid_t pid) {
  const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    return; // already gone (reaped by nobody but us): `wait` returns at once
  }
  while (true) {
    pollfd p{pidfd.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready > 0) {
      return;
    }
    if (ready < 0 && errno != EINTR) {
      throw_errno("poll");
    }
    session.check_cancelled();
  }
}

std::string joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    out += (out.empty() ? "" : " ") + a;
  }
  return out;
}

} // namespace

std::map<std::string, std::string> run_mount_inputs(BuildSession& session,
                                                    const parser::Instruction& inst) {
  std::map<std::string, std::string> out;
  for (const parser::MountSpec& m : inst.as<parser::RunInstruction>().mounts) {
    if (m.type != parser::MountType::bind) {
      continue;
    }
    const std::string key = "mount:" + m.target;
    if (!m.from.empty()) {
      const std::optional<std::size_t> stage = session.graph.find_stage(m.from);
      out[key] = stage ? session.stage_results.at(*stage)->identity.str()
                       : image_state(session, m.from).identity.str();
      continue;
    }
    const SourceTree tree{session.context_fd.get(), &session.ignore, "context"};
    const std::vector<SourceMatch> matches =
        match_sources(tree, {m.source.empty() ? "." : m.source}, {});
    std::vector<std::string> reads;
    DigestExtras extras;
    extras.read_paths = &reads;
    extras.hashes = &session.hashes;
    out[key] = digest_sources(tree, matches, {}, extras).str();
    session.add_context_reads(reads);
  }
  return out;
}

std::map<std::string, std::string> run_build_args(const parser::VariableScope& scope) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : scope.args()) {
    if (!scope.env().contains(key)) {
      out[key] = value;
    }
  }
  return out;
}

void run_step(BuildSession& session, ImageState& state, const parser::Instruction& inst,
              const std::map<std::string, std::string>& build_args, int vertex) {
  const auto& run = inst.as<parser::RunInstruction>();
  const json& config = state.image_config();
  StepDir dir(session.images);
  runtime::ContainerSpec spec;
  spec.lower_dirs = dir.lowers(state);
  // /dev, /proc, /sys and the /etc files the runtime mounts on live in an init layer of the step,
  // not in its upper dir (docker's init layer; BuildKit's images have none of them either).
  spec.init_dir = dir.path() + "/init";
  spec.upper_dir = dir.upper();
  spec.work_dir = dir.work();
  spec.rootfs = dir.rootfs();
  spec.state_dir = dir.etc();
  spec.args = command_argv(run.command, config, dir, spec.mounts);
  spec.env = run_env(config, build_args);
  std::vector<store::FileLock> cache_locks; // held until the command ends
  add_run_mounts(session, run, dir, spec.mounts, spec.env, cache_locks);
  spec.cwd = config.value("WorkingDir", std::string());
  if (spec.cwd.empty()) {
    spec.cwd = "/";
  }
  spec.user = config.value("User", std::string());
  spec.hostname = "buildkitsandbox";
  const bool none = run.network == parser::NetworkMode::none ||
                    (run.network == parser::NetworkMode::default_network &&
                     session.options.network == BuildNetwork::none);
  spec.network = none ? runtime::NetworkMode::none : runtime::NetworkMode::host;
  if (run.security == parser::SecurityMode::insecure) {
    throw Error(ErrorKind::unsupported,
                "RUN --security=insecure is not supported (it needs an entitlement strata does not grant)");
  }
  spec.default_seccomp_cache = session.images.root() + "/cache";
  spec.cgroup_name = "strata/build-" + random_hex(16);
  spec.forward_signals = false;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw_errno("pipe");
  }
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  spec.stdout_fd = write_end.get();
  spec.stderr_fd = write_end.get();
  runtime::ContainerProcess process = runtime::ContainerProcess::start(spec);
  write_end = UniqueFd();
  runtime::ContainerExit exit;
  if (process.exec_failure()) {
    exit = *process.exec_failure();
  } else {
    relay_output(session, read_end.get(), vertex);
    wait_for_exit(session, process.pid());
    exit = process.wait();
  }
  session.check_cancelled();
  if (exit.status() != 0) {
    throw Error(ErrorKind::child_failed,
                fmt::format("process \"{}\" did not complete successfully: exit code: {}",
                            joined(spec.args), exit.status()));
  }
  remove_mount_stubs(dir.upper(), spec.lower_dirs, spec.mounts);
  const bool layer = commit_upper(session, dir, state);
  add_history(session, state, run_created_by(spec.args, build_args), !layer);
}

} // namespace strata::builder

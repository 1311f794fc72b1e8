// The parent side of `run_container` (process.hpp): plan, clone, guide the child through its
// setup, then wait while forwarding signals.

#include "runtime/process.hpp"

#include "common/error.hpp"
#include "common/in_root.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/child_init.hpp"
#include "runtime/etc_files.hpp"
#include "runtime/exec_path.hpp"
#include "runtime/exec_target.hpp"
#include "runtime/init_layer.hpp"
#include "runtime/io_relay.hpp"
#include "runtime/parent_steps.hpp"
#include "runtime/process_support.hpp"
#include "runtime/rootfs_copy.hpp"
#include "runtime/user.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <future>
#include <string_view>

namespace strata::runtime {
namespace {

std::unique_ptr<ChildPlan> make_child_plan(const ContainerSpec& spec) {
  auto plan = std::make_unique<ChildPlan>();
  plan_command(plan->command, spec.args, spec.env, spec.cwd);
  plan->rootfs = make_rootfs_plan(spec);
  plan->hostname = spec.hostname;
  plan->network = spec.network;
  plan->stdin_mode = spec.stdin_mode;
  plan->capabilities = spec.capabilities;
  return plan;
}

// The seccomp program, compiled on a thread while the child sets up its rootfs (libseccomp takes
// tens of milliseconds for Docker's profile); an empty program means unconfined.
std::future<std::vector<sock_filter>> compile_in_background(const ContainerSpec& spec) {
  if (!spec.seccomp) {
    std::promise<std::vector<sock_filter>> none;
    none.set_value({});
    return none.get_future();
  }
  return std::async(std::launch::async, [profile = spec.seccomp, caps = spec.capabilities,
                                         dir = spec.default_seccomp_cache] {
    return seccomp_program(profile, caps, dir);
  });
}

// Sends `fd` with one byte (SCM_RIGHTS) on the sync socket.
void send_fd(int sock, int fd) {
  char byte = 't';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  ssize_t n = 0;
  do {
    n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    throw_errno("send the container's terminal");
  }
}

// The user message (and first, with `-t`, the pty slave: the master is returned).
UniqueFd send_user(int fd, const ContainerSpec& spec, pid_t pid,
                   const std::vector<sock_filter>& filter) {
  const std::string root_path = fmt::format("/proc/{}/root", pid);
  const UniqueFd root(::open(root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) {
    throw_errno("open", root_path);
  }
  UniqueFd master;
  if (spec.tty) {
    Pty pty = open_container_pty(root.get());
    send_fd(fd, pty.slave.get());
    master = std::move(pty.master);
  }
  UserMessage message;
  fill_user_message(message, resolve_user(root.get(), spec.user), spec.env);
  try {
    mkdir_all_in_root(root.get(), spec.cwd, 0755);
  } catch (const Error& e) {
    log::debug("create the working directory: {}", e.what()); // chdir reports it
  }
  check_filter_length(filter.size());
  message.filter_length = static_cast<std::uint32_t>(filter.size());
  send_all(fd, &message, sizeof message);
  send_all(fd, filter.data(), filter.size() * sizeof(sock_filter));
  return master;
}

// The child could not mount the overlay for a reason the rootfs copy avoids (`overlay_refused`);
// `ContainerProcess::start` makes the copy and starts again.
struct OverlayRefused {
  int err;
};

[[noreturn]] void throw_child_failure(ChildFailure failure) {
  // `Error` appends the errno's text.
  throw Error(ErrorKind::child_failed,
              fmt::format("container setup: {}", child_step_name(failure.step)), failure.err);
}

void plan_cgroup_binds(const Cgroup& cgroup, RootfsPlan& rootfs) {
  rootfs.cgroup_binds.clear();
  if (cgroup.version() == CgroupVersion::v2) {
    rootfs.cgroup_tmpfs = false;
    rootfs.cgroup_binds.emplace_back("sys/fs/cgroup", cgroup.dirs().front());
    return;
  }
  rootfs.cgroup_tmpfs = true;
  for (const std::string_view controller : k_cgroup_v1_controllers) {
    if (std::optional<std::string> dir = cgroup.dir(controller)) {
      rootfs.cgroup_binds.emplace_back("sys/fs/cgroup/" + std::string(controller), *dir);
    }
  }
}

int namespace_flags(const ContainerSpec& spec) {
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  if (spec.network == NetworkMode::none) {
    flags |= CLONE_NEWNET;
  }
  return flags;
}

// Steps 2-5 of process.hpp once the child exists: nullopt once the command runs, else how its
// exec failed (the child is reaped).
// The child sets up its rootfs while the parent moves it into the cgroup (a v1 attach costs
// milliseconds) and compiles seccomp; it execs only after the user message.
std::optional<ContainerExit> guide_child(ChildProcess& child, Pipe& sync, Pipe& report,
                                         const std::optional<Cgroup>& cgroup,
                                         const ContainerSpec& spec,
                                         std::future<std::vector<sock_filter>>& filter,
                                         UniqueFd& pty_master) {
  sync.read_end = UniqueFd();
  report.write_end = UniqueFd();
  send_all(sync.write_end.get(), "g", 1);
  if (cgroup) {
    cgroup->add_process(child.pid());
  }
  const std::optional<ChildFailure> first =
      read_report<ChildFailure>(report.read_end.get(), "container");
  if (!first) {
    throw Error(ErrorKind::child_failed, "container setup: the container process died");
  }
  if (first->step == ChildStep::mount_overlay && overlay_refused(first->err) &&
      !spec.rootfs_copy.empty()) {
    throw OverlayRefused{first->err};
  }
  if (first->step != ChildStep::ready) {
    throw_child_failure(*first);
  }
  pty_master = send_user(sync.write_end.get(), spec, child.pid(), filter.get());
  sync.write_end = UniqueFd();
  if (const std::optional<ChildFailure> failure =
          read_report<ChildFailure>(report.read_end.get(), "container")) {
    if (failure->step != ChildStep::exec) {
      throw_child_failure(*failure);
    }
    std::ignore = child.wait();
    return ContainerExit{ContainerExit::How::exec_failed, failure->err};
  }
  return std::nullopt;
}

void destroy_cgroup(const std::optional<Cgroup>& cgroup) noexcept {
  if (cgroup) {
    try {
      cgroup->kill_all(SIGKILL);
      cgroup->destroy();
    } catch (const Error& e) {
      log::warn("remove cgroup: {}", e.what());
    } catch (...) { // noexcept: bad_alloc is not worth a terminate here
      log::warn("remove cgroup: out of memory");
    }
  }
}

void fill_stdio(ChildPlan& plan, const ContainerSpec& spec) {
  plan.stdio[0] = spec.stdin_fd;
  plan.stdio[1] = spec.stdout_fd;
  plan.stdio[2] = spec.stderr_fd;
  plan.tty = spec.tty;
}

// The rootfs copy of `spec`'s layers (its upper dir on top: changes made on overlayfs before).
void make_copy(const ContainerSpec& spec) {
  std::vector<std::string> layers = spec.lower_dirs;
  struct stat st {};
  if (!spec.upper_dir.empty() && ::lstat(spec.upper_dir.c_str(), &st) == 0) {
    layers.insert(layers.begin(), spec.upper_dir);
  }
  make_rootfs_copy(spec.rootfs_copy, layers);
}

// STRATA_NO_OVERLAY=1: the rootfs copy even where overlayfs works (for tests).
bool overlay_disabled() {
  const char* value = std::getenv("STRATA_NO_OVERLAY");
  return value != nullptr && std::string_view(value) == "1";
}

} // namespace

int ContainerExit::status() const noexcept {
  switch (how) {
  case How::exited:
    return value;
  case How::signaled:
    return 128 + value;
  case How::exec_failed:
    return exec_failure_status(value);
  }
  return 125;
}

struct ContainerProcess::State {
  std::unique_ptr<ChildPlan> plan;
  std::unique_ptr<SignalBlock> signals;
  std::optional<Cgroup> cgroup;
  std::optional<ChildProcess> child;
  std::optional<ContainerExit> exec_failure;
  UniqueFd pty_master;
  bool forward_signals = true;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    child.reset(); // SIGKILLs and reaps PID 1 unless it was waited for
    destroy_cgroup(cgroup);
    cgroup.reset();
  }
};

ContainerProcess::ContainerProcess(std::unique_ptr<State> state) noexcept
    : state_(std::move(state)) {}
ContainerProcess::ContainerProcess(ContainerProcess&& other) noexcept = default;
ContainerProcess::~ContainerProcess() = default;

pid_t ContainerProcess::pid() const noexcept {
  return state_->child ? state_->child->pid() : 0;
}

UniqueFd ContainerProcess::take_pty_master() noexcept {
  return std::move(state_->pty_master);
}

const std::optional<ContainerExit>& ContainerProcess::exec_failure() const noexcept {
  return state_->exec_failure;
}

ContainerProcess ContainerProcess::start(const ContainerSpec& given) {
  ContainerSpec spec = given;
  if (!spec.init_dir.empty()) {
    make_init_layer(spec.init_dir, spec.lower_dirs);
    spec.lower_dirs.insert(spec.lower_dirs.begin(), spec.init_dir);
  }
  if (!spec.rootfs_copy.empty() && overlay_disabled()) {
    make_copy(spec);
  }
  try {
    return start_prepared(spec);
  } catch (const OverlayRefused& refused) {
    log::debug("overlayfs refused ({}): the container runs on a copy of its layers",
               std::strerror(refused.err));
  }
  make_copy(spec);
  return start_prepared(spec);
}

// `spec` with the init layer among its lower dirs; the copy is used when it exists.
ContainerProcess ContainerProcess::start_prepared(const ContainerSpec& spec) {
  auto state = std::make_unique<State>();
  state->plan = make_child_plan(spec);
  ChildPlan& plan = *state->plan;
  fill_stdio(plan, spec);
  write_etc_files(spec);
  make_overlay_links(plan.rootfs.overlay);
  if (!spec.cgroup_name.empty()) {
    state->cgroup = Cgroup::create(spec.cgroup_name, spec.limits);
    plan_cgroup_binds(*state->cgroup, plan.rootfs);
  }
  Pipe sync = Pipe::make_socket();
  Pipe report = Pipe::make();
  plan.sync_read = sync.read_end.get();
  plan.sync_write = sync.write_end.get();
  plan.report_read = report.read_end.get();
  plan.report_write = report.write_end.get();
  state->signals = std::make_unique<SignalBlock>();
  plan.saved_mask = state->signals->saved();
  if (!spec.forward_signals) {
    ::sigemptyset(&plan.saved_mask);
  }
  state->forward_signals = spec.forward_signals;
  // Started under the block, so the forwarded signals never land on this thread.
  std::future<std::vector<sock_filter>> filter = compile_in_background(spec);
  auto entry = [&plan] { child_main(plan); };
  state->child.emplace(ChildProcess::spawn(namespace_flags(spec), entry));
  state->exec_failure =
      guide_child(*state->child, sync, report, state->cgroup, spec, filter, state->pty_master);
  if (state->exec_failure) {
    state->child.reset();
  }
  return ContainerProcess(std::move(state));
}

ContainerExit ContainerProcess::wait(IoRelay* io) {
  State& s = *state_;
  if (s.exec_failure) {
    return *s.exec_failure;
  }
  if (!s.child) {
    throw Error(ErrorKind::internal, "the container was already waited for");
  }
  // The command runs already, so this no longer leaks into it: a reader that went away
  // (`strata run … | head -1`) is EPIPE for the relay, not the death of strata.
  ::signal(SIGPIPE, SIG_IGN);
  ContainerExit exit = s.child->wait_forwarding(*s.signals, io, s.forward_signals);
  s.child.reset();
  if (io != nullptr) {
    io->drain();
  }
  exit.oom_killed = s.cgroup && s.cgroup->oom_kills() > 0;
  destroy_cgroup(s.cgroup);
  s.cgroup.reset();
  return exit;
}

ContainerExit run_container(const ContainerSpec& spec) {
  ContainerProcess container = ContainerProcess::start(spec);
  return container.wait();
}

} // namespace strata::runtime

// The parent side of `ExecProcess` (exec_process.hpp): find and pin the target, plan, clone into
// its PID namespace, place the child in the cgroup, then wait while forwarding signals.

#include "runtime/exec_process.hpp"

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/exec_child.hpp"
#include "runtime/exec_path.hpp"
#include "runtime/exec_target.hpp"
#include "runtime/io_relay.hpp"
#include "runtime/process_support.hpp"
#include "runtime/seccomp_cache.hpp"
#include "runtime/terminal.hpp"
#include "runtime/user.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace strata::runtime {
namespace {

std::vector<char*> pointers_to(std::vector<std::string>& strings, std::size_t spare_slots) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + spare_slots + 1);
  for (std::string& s : strings) {
    pointers.push_back(s.data());
  }
  pointers.insert(pointers.end(), spare_slots + 1, nullptr);
  return pointers;
}

bool env_has(const std::vector<std::string>& env, std::string_view key) {
  for (const std::string& entry : env) {
    if (entry.size() > key.size() && entry.starts_with(key) && entry[key.size()] == '=') {
      return true;
    }
  }
  return false;
}

std::unique_ptr<ExecChildPlan> make_plan(const ExecSpec& spec) {
  if (spec.args.empty() || spec.args.front().empty()) {
    throw Error(ErrorKind::usage, "no command specified");
  }
  if (!spec.cwd.starts_with('/')) {
    throw Error(ErrorKind::usage, fmt::format("the working directory '{}' is invalid, it needs to "
                                              "be an absolute path",
                                              spec.cwd));
  }
  auto plan = std::make_unique<ExecChildPlan>();
  plan->cwd = spec.cwd;
  plan->arg_storage = spec.args;
  plan->env_storage = spec.env;
  plan->candidate_storage = exec_candidates(spec.args.front(), spec.env);
  plan->argv = pointers_to(plan->arg_storage, 0);
  plan->envp = pointers_to(plan->env_storage, 1);
  plan->candidates = pointers_to(plan->candidate_storage, 0);
  plan->capabilities = spec.capabilities;
  plan->stdin_mode = spec.stdin_mode;
  return plan;
}

// The user as the container's own /etc files say (allocation stays here, in the parent).
void resolve_exec_user(ExecChildPlan& plan, int root_fd, const ExecSpec& spec) {
  const ExecUser user = resolve_user(root_fd, spec.user);
  if (user.supplementary_gids.size() > k_max_groups) {
    throw Error(ErrorKind::unsupported,
                fmt::format("more than {} supplementary groups", k_max_groups));
  }
  UserMessage& message = plan.user;
  message.uid = user.uid;
  message.gid = user.gid;
  message.group_count = static_cast<std::uint32_t>(user.supplementary_gids.size());
  std::copy(user.supplementary_gids.begin(), user.supplementary_gids.end(), message.groups);
  if (!env_has(spec.env, "HOME") && user.home.size() < PATH_MAX) {
    std::memcpy(message.home_env, "HOME=", 5);
    std::memcpy(message.home_env + 5, user.home.data(), user.home.size());
    plan.envp[plan.envp.size() - 2] = message.home_env;
  }
}

std::vector<sock_filter> seccomp_program(const ExecSpec& spec) {
  if (!spec.seccomp) {
    return {};
  }
  std::vector<sock_filter> code =
      spec.default_seccomp_cache.empty()
          ? compile_seccomp(*spec.seccomp, spec.seccomp_capabilities).code()
          : default_seccomp_program(spec.seccomp_capabilities, spec.default_seccomp_cache);
  if (code.size() > k_max_filter_length) {
    throw Error(ErrorKind::unsupported,
                fmt::format("the seccomp program has {} instructions, over the kernel's {}",
                            code.size(), k_max_filter_length));
  }
  return code;
}

std::optional<Cgroup> open_cgroup(const std::string& name) {
  if (name.empty()) {
    return std::nullopt;
  }
  std::optional<Cgroup> cgroup = Cgroup::open(name);
  if (!cgroup) {
    throw Error(ErrorKind::not_found, fmt::format("the container's cgroup {} is gone", name));
  }
  return cgroup;
}

// Children of the calling thread are created in `pid_namespace` while this lives (step 3 of
// exec_process.hpp); an empty fd changes nothing.
class PidNamespaceForChildren {
public:
  explicit PidNamespaceForChildren(int pid_namespace) {
    if (pid_namespace < 0) {
      return;
    }
    saved_ = UniqueFd(::open("/proc/thread-self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
    if (!saved_) {
      throw_errno("open", "/proc/thread-self/ns/pid_for_children");
    }
    if (::setns(pid_namespace, CLONE_NEWPID) != 0) {
      throw_errno("setns", "the container's PID namespace");
    }
  }
  ~PidNamespaceForChildren() {
    if (saved_ && ::setns(saved_.get(), CLONE_NEWPID) != 0) {
      log::warn("restore the PID namespace for children: {}", std::strerror(errno));
      std::abort(); // every later child would start inside the container
    }
  }
  PidNamespaceForChildren(const PidNamespaceForChildren&) = delete;
  PidNamespaceForChildren& operator=(const PidNamespaceForChildren&) = delete;

private:
  UniqueFd saved_;
};

ChildProcess spawn_in_container(const ExecTarget& target, const ExecChildPlan& plan) {
  auto entry = [&plan] { exec_child_main(plan); };
  const PidNamespaceForChildren in_container(target.pid_namespace.get());
  try {
    return ChildProcess::spawn(0, entry);
  } catch (const Error&) {
    // A PID namespace whose PID 1 has exited refuses new processes (ENOMEM).
    if (target.has_exited()) {
      target.throw_gone();
    }
    throw;
  }
}

std::optional<ExecFailure> read_exec_report(int fd) {
  ExecFailure report;
  std::size_t got = 0;
  while (got < sizeof report) {
    const ssize_t n = ::read(fd, reinterpret_cast<char*>(&report) + got, sizeof report - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw_errno("read the exec's report pipe");
    }
    if (n == 0) {
      if (got == 0) {
        return std::nullopt;
      }
      throw Error(ErrorKind::child_failed, "exec setup: truncated report");
    }
    got += static_cast<std::size_t>(n);
  }
  return report;
}

[[noreturn]] void throw_child_failure(const ExecFailure& failure, const std::string& cwd) {
  std::string what = exec_step_name(failure);
  if (failure.step == ExecStep::chdir) {
    what += fmt::format(" (\"{}\")", cwd); // runc's "chdir to cwd ("/x")"
  }
  // `Error` appends the errno's text; `message()` keeps the step alone for the CLI's wording.
  Error error(ErrorKind::child_failed, what, failure.err);
  error.add_context("exec setup");
  throw error;
}

// Steps 4-6 once the child exists: nullopt once the command runs, else how its exec failed
// (the child is reaped).
std::optional<ContainerExit> guide_child(ChildProcess& child, Pipe& sync, Pipe& report,
                                         const std::optional<Cgroup>& cgroup,
                                         const ExecSpec& spec) {
  sync.read_end = UniqueFd();
  report.write_end = UniqueFd();
  if (cgroup) {
    cgroup->add_process(child.pid());
  }
  send_all(sync.write_end.get(), "g", 1);
  sync.write_end = UniqueFd();
  if (const std::optional<ExecFailure> failure = read_exec_report(report.read_end.get())) {
    if (failure->step != ExecStep::exec) {
      throw_child_failure(*failure, spec.cwd);
    }
    std::ignore = child.wait();
    return ContainerExit{ContainerExit::How::exec_failed, failure->err};
  }
  return std::nullopt;
}

// Polls the command's pidfd, the forwarded signals and `io` until the command exits
// (ContainerProcess::wait's loop, without the cgroup, which is the container's).
void relay_until_exit(const ChildProcess& child, const SignalBlock& block, IoRelay& io) {
  // The command runs already, so this no longer leaks into it: a reader that went away is
  // EPIPE for the relay, not the death of strata.
  ::signal(SIGPIPE, SIG_IGN);
  const UniqueFd signals(::signalfd(-1, &block.blocked(), SFD_CLOEXEC));
  if (!signals) {
    throw_errno("signalfd");
  }
  std::vector<pollfd> fds;
  while (true) {
    fds.assign({{child.pidfd(), POLLIN, 0}, {signals.get(), POLLIN, 0}});
    io.add_pollfds(fds);
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("poll");
    }
    if ((fds[0].revents & POLLIN) != 0) {
      return;
    }
    signalfd_siginfo info{};
    if ((fds[1].revents & POLLIN) != 0 &&
        ::read(signals.get(), &info, sizeof info) == sizeof info &&
        !io.on_signal(static_cast<int>(info.ssi_signo))) {
      ::syscall(SYS_pidfd_send_signal, child.pidfd(), static_cast<int>(info.ssi_signo), nullptr, 0);
    }
    io.handle(fds.data() + 2);
  }
}

} // namespace

struct ExecProcess::State {
  std::unique_ptr<ExecChildPlan> plan;
  std::unique_ptr<SignalBlock> signals;
  std::optional<ChildProcess> child; // destroyed first: SIGKILLs and reaps an unwaited command
  std::optional<ContainerExit> exec_failure;
  UniqueFd pty_master;
};

ExecProcess::ExecProcess(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
ExecProcess::ExecProcess(ExecProcess&& other) noexcept = default;
ExecProcess::~ExecProcess() = default;

pid_t ExecProcess::pid() const noexcept {
  return state_ && state_->child ? state_->child->pid() : 0;
}

UniqueFd ExecProcess::take_pty_master() noexcept {
  return std::move(state_->pty_master);
}

const std::optional<ContainerExit>& ExecProcess::exec_failure() const noexcept {
  return state_->exec_failure;
}

ContainerExit ExecProcess::wait(IoRelay* io) {
  State& s = *state_;
  if (s.exec_failure) {
    return *s.exec_failure;
  }
  if (!s.child) {
    throw Error(ErrorKind::internal, "the exec'd command was already waited for");
  }
  if (io == nullptr) {
    const ContainerExit exit = s.child->wait_forwarding(*s.signals);
    s.child.reset();
    return exit;
  }
  relay_until_exit(*s.child, *s.signals, *io);
  const ContainerExit exit = s.child->wait();
  s.child.reset();
  io->drain();
  return exit;
}

ExecProcess ExecProcess::start(const ExecSpec& spec) {
  auto state = std::make_unique<State>();
  state->plan = make_plan(spec);
  ExecChildPlan& plan = *state->plan;
  const ExecTarget target = ExecTarget::open(spec.target, spec.target_start_time);
  resolve_exec_user(plan, target.root.get(), spec);
  plan.filter = seccomp_program(spec);
  Pty pty;
  if (spec.tty == ExecTty::yes) {
    pty = open_container_pty(target.root.get());
    plan.tty_fd = pty.slave.get();
  }
  const std::optional<Cgroup> cgroup = open_cgroup(spec.cgroup_name);
  plan.namespaces = target.joins();
  Pipe sync = Pipe::make_socket();
  Pipe report = Pipe::make();
  plan.sync_read = sync.read_end.get();
  plan.report_write = report.write_end.get();
  state->signals = std::make_unique<SignalBlock>();
  plan.saved_mask = state->signals->saved();
  state->child.emplace(spawn_in_container(target, plan));
  state->exec_failure = guide_child(*state->child, sync, report, cgroup, spec);
  if (state->exec_failure) {
    state->child.reset();
  }
  // The command holds the only slave now: its exit is the master's EOF.
  state->pty_master = std::move(pty.master);
  return ExecProcess(std::move(state));
}

ContainerExit exec_in_container(const ExecSpec& spec) {
  ExecProcess process = ExecProcess::start(spec);
  return process.wait();
}

} // namespace strata::runtime

// The parent side of `ExecProcess` (exec_process.hpp): find and pin the target, plan, clone into
// its PID namespace, place the child in the cgroup, then wait while forwarding signals.

#include "runtime/exec_process.hpp"

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/exec_child.hpp"
#include "runtime/exec_target.hpp"
#include "runtime/io_relay.hpp"
#include "runtime/parent_steps.hpp"
#include "runtime/process_support.hpp"
#include "runtime/terminal.hpp"
#include "runtime/user.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace strata::runtime {
namespace {

std::unique_ptr<ExecChildPlan> make_plan(const ExecSpec& spec) {
  auto plan = std::make_unique<ExecChildPlan>();
  plan_command(plan->command, spec.args, spec.env, spec.cwd);
  plan->capabilities = spec.capabilities;
  plan->stdin_mode = spec.stdin_mode;
  return plan;
}

// The user as the container's own /etc files say (allocation stays here, in the parent).
void resolve_exec_user(ExecChildPlan& plan, int root_fd, const ExecSpec& spec) {
  fill_user_message(plan.user, resolve_user(root_fd, spec.user), spec.env);
  if (plan.user.home_env[0] != '\0') {
    plan.command.envp[plan.command.envp.size() - 2] = plan.user.home_env;
  }
}

std::vector<sock_filter> exec_seccomp_program(const ExecSpec& spec) {
  std::vector<sock_filter> code =
      seccomp_program(spec.seccomp, spec.seccomp_capabilities, spec.default_seccomp_cache);
  check_filter_length(code.size());
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
  if (const std::optional<ExecFailure> failure =
          read_report<ExecFailure>(report.read_end.get(), "exec")) {
    if (failure->step != ExecStep::exec) {
      throw_child_failure(*failure, spec.cwd);
    }
    std::ignore = child.wait();
    return ContainerExit{ContainerExit::How::exec_failed, failure->err};
  }
  return std::nullopt;
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
  if (io != nullptr) {
    // The command runs already, so this no longer leaks into it: a reader that went away is
    // EPIPE for the relay, not the death of strata.
    ::signal(SIGPIPE, SIG_IGN);
  }
  const ContainerExit exit = s.child->wait_forwarding(*s.signals, io);
  s.child.reset();
  if (io != nullptr) {
    io->drain();
  }
  return exit;
}

ExecProcess ExecProcess::start(const ExecSpec& spec) {
  auto state = std::make_unique<State>();
  state->plan = make_plan(spec);
  ExecChildPlan& plan = *state->plan;
  const ExecTarget target = ExecTarget::open(spec.target, spec.target_start_time);
  resolve_exec_user(plan, target.root.get(), spec);
  plan.filter = exec_seccomp_program(spec);
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

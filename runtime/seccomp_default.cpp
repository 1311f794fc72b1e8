// Docker's built-in seccomp profile (moby `profiles/seccomp/default.json`), as data.
#include "runtime/seccomp.hpp"

#include <sstream>

namespace strata::runtime {
namespace {

// Allowed for every container, whatever its capabilities. Names unknown on an architecture are
// skipped at compile time, which is why 32-bit and other-ABI names appear here.
constexpr std::string_view k_allowed = R"(
accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2
dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl
fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64
fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv futimesat getcpu
getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups
getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid
getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname
getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch
inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents
io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit io_uring_enter
io_uring_register io_uring_setup ipc kill landlock_add_rule landlock_create_ruleset
landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek
lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create memfd_secret mincore
mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify
mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap
msgctl msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep
newfstatat _newselect open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2
pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2
prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead
readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages
removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending
rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64
rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max
sched_get_priority_min sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64
sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select
semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto
setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid
setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32
setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32
setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn
socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync
sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun
timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime
timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit
umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid
waitpid write writev
)";

// The namespace flags `clone` may not carry without CAP_SYS_ADMIN: CLONE_NEWNS | NEWCGROUP |
// NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET.
constexpr std::uint64_t k_clone_namespace_flags = 0x7E020000;

std::vector<std::string> words(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> out;
  for (std::string w; in >> w;) {
    out.push_back(w);
  }
  return out;
}

SeccompFilter on_arches(std::vector<std::string> arches) {
  SeccompFilter f;
  f.arches = std::move(arches);
  return f;
}

SeccompFilter with_cap(std::string cap) {
  SeccompFilter f;
  f.caps = {std::move(cap)};
  return f;
}

SeccompRule allow(std::string_view names, SeccompFilter includes = {}) {
  SeccompRule rule;
  rule.names = words(names);
  rule.includes = std::move(includes);
  return rule;
}

SeccompRule allow_with_cap(std::string_view names, std::string cap) {
  return allow(names, with_cap(std::move(cap)));
}

SeccompRule allow_if_arg0(std::string_view name, std::uint64_t value, SeccompOp op) {
  SeccompRule rule = allow(name);
  rule.args.push_back(SeccompArg{0, value, 0, op});
  return rule;
}

void add_arch_rules(std::vector<SeccompRule>& rules) {
  rules.push_back(allow("sync_file_range2 swapcontext", on_arches({"ppc64le"})));
  rules.push_back(allow("arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint "
                        "cacheflush set_tls",
                        on_arches({"arm", "arm64"})));
  rules.push_back(allow("arch_prctl", on_arches({"amd64", "x32"})));
  rules.push_back(allow("modify_ldt", on_arches({"amd64", "x32", "x86"})));
  rules.push_back(allow("s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr",
                        on_arches({"s390", "s390x"})));
  rules.push_back(allow("riscv_flush_icache", on_arches({"riscv64"})));
}

void add_clone_rules(std::vector<SeccompRule>& rules) {
  SeccompRule clone = allow("clone");
  clone.args.push_back(SeccompArg{0, k_clone_namespace_flags, 0, SeccompOp::masked_equal});
  clone.excludes = with_cap("CAP_SYS_ADMIN");
  clone.excludes.arches = {"s390", "s390x"};
  rules.push_back(clone);
  // s390 passes the flags as the second argument.
  clone.args[0].index = 1;
  clone.includes = on_arches({"s390", "s390x"});
  clone.excludes = with_cap("CAP_SYS_ADMIN");
  rules.push_back(clone);
  // ENOSYS, not EPERM: libc then falls back to `clone`, whose flags the filter can inspect.
  SeccompRule clone3 = allow("clone3");
  clone3.action = SeccompAction::errno_ret;
  clone3.errno_ret = 38;
  clone3.excludes = with_cap("CAP_SYS_ADMIN");
  rules.push_back(clone3);
}

void add_capability_rules(std::vector<SeccompRule>& rules) {
  rules.push_back(allow_with_cap("open_by_handle_at", "CAP_DAC_READ_SEARCH"));
  rules.push_back(allow_with_cap(
      "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount "
      "mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname "
      "sethostname setns syslog umount umount2 unshare",
      "CAP_SYS_ADMIN"));
  rules.push_back(allow_with_cap("reboot", "CAP_SYS_BOOT"));
  rules.push_back(allow_with_cap("chroot", "CAP_SYS_CHROOT"));
  rules.push_back(allow_with_cap("delete_module init_module finit_module", "CAP_SYS_MODULE"));
  rules.push_back(allow_with_cap("acct", "CAP_SYS_PACCT"));
  rules.push_back(
      allow_with_cap("kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace",
                     "CAP_SYS_PTRACE"));
  rules.push_back(allow_with_cap("iopl ioperm", "CAP_SYS_RAWIO"));
  rules.push_back(
      allow_with_cap("settimeofday stime clock_settime clock_settime64", "CAP_SYS_TIME"));
  rules.push_back(allow_with_cap("vhangup", "CAP_SYS_TTY_CONFIG"));
  rules.push_back(
      allow_with_cap("get_mempolicy mbind set_mempolicy set_mempolicy_home_node", "CAP_SYS_NICE"));
  rules.push_back(allow_with_cap("syslog", "CAP_SYSLOG"));
  rules.push_back(allow_with_cap("bpf", "CAP_BPF"));
  rules.push_back(allow_with_cap("perf_event_open", "CAP_PERFMON"));
}

} // namespace

SeccompProfile default_seccomp_profile() {
  SeccompProfile p;
  p.default_action = SeccompAction::errno_ret;
  p.default_errno = 1; // EPERM
  p.arch_map = {
      {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
      {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
      {"SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}},
      {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
      {"SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}},
      {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
      {"SCMP_ARCH_RISCV64", {}},
  };
  auto& rules = p.syscalls;
  rules.push_back(allow(k_allowed));
  SeccompFilter since_4_8;
  since_4_8.min_kernel = "4.8";
  rules.push_back(allow("process_vm_readv process_vm_writev ptrace", since_4_8));
  rules.push_back(allow_if_arg0("socket", 40, SeccompOp::not_equal)); // no AF_VSOCK
  // personality: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the 0xffffffff query.
  for (const std::uint64_t persona : {0ULL, 8ULL, 131072ULL, 131080ULL, 4294967295ULL}) {
    rules.push_back(allow_if_arg0("personality", persona, SeccompOp::equal));
  }
  add_arch_rules(rules);
  add_capability_rules(rules);
  add_clone_rules(rules);
  return p;
}

} // namespace strata::runtime

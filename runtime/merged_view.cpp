// `open_merged_view` (merged_view.hpp): a detached read-only overlayfs mount from the new mount
// API, or, on kernels without it, a mount(2) in a short-lived child's private mount namespace.

#include "runtime/merged_view.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/log.hpp"
#include "runtime/process_support.hpp"

namespace strata::runtime {
namespace {

// The kernel copies at most one page of mount(2) data.
constexpr std::size_t k_max_mount_data = 4095;
constexpr unsigned k_view_attrs =
    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
constexpr unsigned long k_view_flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

// ---- The new mount API (Linux 6.5+ for "lowerdir+") ------------------------------------------

// The messages the kernel queued on an fs context ("e overlayfs: ..."), joined; "" when none.
std::string context_messages(int fs_fd) {
  std::string out;
  std::array<char, 1024> buffer{};
  for (;;) {
    const ssize_t n = ::read(fs_fd, buffer.data(), buffer.size());
    if (n <= 0) {
      return out;
    }
    std::string_view line(buffer.data(), static_cast<std::size_t>(n));
    if (line.size() > 2 && line[1] == ' ') {
      line.remove_prefix(2); // the "e "/"w "/"i " severity
    }
    out += out.empty() ? "" : "; ";
    out += line;
  }
}

[[noreturn]] void throw_context_error(int fs_fd, std::string_view operation, int err) {
  const std::string kernel = context_messages(fs_fd);
  if (kernel.empty()) {
    throw_errno(operation, "overlay", err);
  }
  throw Error(ErrorKind::io,
              fmt::format("{} overlay: {}: {}", operation, std::strerror(err), kernel), err);
}

bool fsmount_disabled() {
  const char* value = std::getenv("STRATA_NO_FSMOUNT");
  return value != nullptr && std::string_view(value) == "1";
}

// The detached mount, or nullopt when this kernel lacks `fsopen` or overlayfs's "lowerdir+".
std::optional<UniqueFd> mount_detached(const std::vector<std::string>& layers) {
  if (fsmount_disabled()) {
    return std::nullopt;
  }
  const UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) {
    if (errno == ENOSYS) {
      return std::nullopt;
    }
    throw_errno("fsopen", "overlay");
  }
  // index=off: a running container's upper dir is "in use" by its own mount; with the index on,
  // overlayfs would refuse to use it again (EBUSY) rather than warn.
  if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "index", "off", 0) != 0) {
    throw_context_error(fs.get(), "set index=off on", errno);
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", layers[i].c_str(), 0) != 0) {
      const int err = errno;
      if (i == 0 && err == EINVAL) {
        std::ignore = context_messages(fs.get());
        return std::nullopt; // "Unknown parameter 'lowerdir+'": before Linux 6.5
      }
      throw_context_error(fs.get(), fmt::format("add lower dir {} to", layers[i]), err);
    }
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    throw_context_error(fs.get(), "create", errno);
  }
  UniqueFd mount(::fsmount(fs.get(), FSMOUNT_CLOEXEC, k_view_attrs));
  if (!mount) {
    throw_context_error(fs.get(), "fsmount", errno);
  }
  return mount;
}

// ---- The fallback: mount(2) in a child's private mount namespace -----------------------------

// The child's plan, computed by the parent (the child must not allocate): in its own mount
// namespace, a private tmpfs on `target` holds one short symlink per layer ("0", "1", ...: what
// Docker's overlay2 keeps in `l/`) and the directory `merged`; the overlay is mounted on it with
// `lowerdir=0:1:...` relative to the tmpfs. Short names keep hundreds of layers within a page of
// mount data, and layer paths holding ',' or ':' need no escaping.
struct LegacyMount {
  std::string target;
  std::vector<std::pair<std::string, std::string>> links; // name, layer
  std::string options;
};

LegacyMount legacy_mount(const std::vector<std::string>& layers, const std::string& target) {
  LegacyMount plan{target, {}, "lowerdir="};
  for (std::size_t i = 0; i < layers.size(); ++i) {
    plan.links.emplace_back(std::to_string(i), layers[i]);
    plan.options += (i == 0 ? "" : ":") + plan.links.back().first;
  }
  plan.options += ",index=off";
  if (plan.options.size() > k_max_mount_data) {
    throw Error(ErrorKind::unsupported,
                fmt::format("{} layers make an overlayfs option string of {} bytes, over the "
                            "kernel's {} (Linux 6.5's \"lowerdir+\" has no such limit)",
                            layers.size(), plan.options.size(), k_max_mount_data));
  }
  return plan;
}

// What the child reports: the step that failed (none = it worked) and its errno, plus the fd.
enum class LegacyStep : int { none, make_private, mount_tmpfs, links, mount, open };

const char* step_name(LegacyStep step) {
  switch (step) {
  case LegacyStep::make_private:
    return "make / private in the merged view's mount namespace";
  case LegacyStep::mount_tmpfs:
    return "mount the merged view's tmpfs on";
  case LegacyStep::links:
    return "create the merged view's layer links in";
  case LegacyStep::mount:
    return "mount overlay";
  case LegacyStep::open:
    return "open the merged view";
  case LegacyStep::none:
    break;
  }
  return "merged view";
}

struct LegacyReport {
  LegacyStep step = LegacyStep::none;
  int err = 0;
};

// Child side: no allocation, no exceptions. Sends the report, with the fd when it worked.
void send_report(int sock, LegacyReport report, int fd) noexcept {
  iovec iov{&report, sizeof report};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  }
  while (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// The tmpfs on the target, the layer links and `merged` in it.
LegacyReport make_links(const LegacyMount& plan) noexcept {
  if (::mount("tmpfs", plan.target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "mode=0700") != 0 ||
      ::chdir(plan.target.c_str()) != 0) {
    return {LegacyStep::mount_tmpfs, errno};
  }
  for (const auto& [name, layer] : plan.links) {
    if (::symlink(layer.c_str(), name.c_str()) != 0) {
      return {LegacyStep::links, errno};
    }
  }
  if (::mkdir("merged", 0700) != 0) {
    return {LegacyStep::links, errno};
  }
  return {};
}

// Everything but the final open; the cwd is the tmpfs after.
LegacyReport mount_view(const LegacyMount& plan) noexcept {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return {LegacyStep::make_private, errno};
  }
  if (const LegacyReport links = make_links(plan); links.step != LegacyStep::none) {
    return links;
  }
  if (::mount("overlay", "merged", "overlay", k_view_flags, plan.options.c_str()) != 0) {
    return {LegacyStep::mount, errno};
  }
  return {};
}

void mount_in_child(const LegacyMount& plan, int sock) noexcept {
  LegacyReport report = mount_view(plan);
  int fd = -1;
  if (report.step == LegacyStep::none &&
      (fd = ::open("merged", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
    report = {LegacyStep::open, errno};
  }
  send_report(sock, report, fd);
  ::_exit(0);
}

// Parent side: the report and the fd it carries.
UniqueFd receive_view(int sock, const LegacyMount& plan) {
  LegacyReport report;
  iovec iov{&report, sizeof report};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n = -1;
  while ((n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n < 0) {
    throw_errno("receive the merged view");
  }
  UniqueFd fd;
  const cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg != nullptr && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
    int received = -1;
    std::memcpy(&received, CMSG_DATA(cmsg), sizeof received);
    fd = UniqueFd(received);
  }
  if (n != static_cast<ssize_t>(sizeof report)) {
    throw Error(ErrorKind::child_failed, "merged view: the mount helper died without a report");
  }
  if (report.step != LegacyStep::none) {
    const bool on_target =
        report.step == LegacyStep::mount_tmpfs || report.step == LegacyStep::links;
    throw_errno(step_name(report.step), on_target ? plan.target : "", report.err);
  }
  if (!fd) {
    throw Error(ErrorKind::child_failed, "merged view: the mount helper sent no fd");
  }
  return fd;
}

UniqueFd mount_in_namespace(const std::vector<std::string>& layers,
                            const std::string& mount_point) {
  const LegacyMount plan = legacy_mount(layers, mount_point);
  Pipe channel = Pipe::make_socket();
  auto body = [&plan, sock = channel.write_end.get()] { mount_in_child(plan, sock); };
  ChildProcess child = ChildProcess::spawn(CLONE_NEWNS, body);
  channel.write_end.close();
  UniqueFd view = receive_view(channel.read_end.get(), plan);
  std::ignore = child.wait();
  return view;
}

} // namespace

UniqueFd open_writable_view(const std::vector<std::string>& lowers, const std::string& upper,
                            const std::string& work) {
  if (lowers.empty()) {
    throw Error(ErrorKind::usage, "a writable view needs at least one lower dir");
  }
  if (fsmount_disabled()) {
    throw Error(ErrorKind::unsupported,
                "a writable overlay view needs the new mount API (STRATA_NO_FSMOUNT=1 is set)");
  }
  const UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) {
    throw_errno("fsopen", "overlay");
  }
  const auto set = [&fs](const char* key, const std::string& value) {
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0) {
      const int err = errno;
      if (err == EINVAL && std::string_view(key) == "lowerdir+") {
        std::ignore = context_messages(fs.get());
        throw Error(ErrorKind::unsupported,
                    "this kernel's overlayfs has no \"lowerdir+\" (Linux 6.5+ is needed to build)",
                    err);
      }
      throw_context_error(fs.get(), fmt::format("set {}={} on", key, value), err);
    }
  };
  set("index", "off");
  for (const std::string& lower : lowers) {
    set("lowerdir+", lower);
  }
  set("upperdir", upper);
  set("workdir", work);
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    throw_context_error(fs.get(), "create", errno);
  }
  UniqueFd mount(::fsmount(fs.get(), FSMOUNT_CLOEXEC,
                           MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  if (!mount) {
    throw_context_error(fs.get(), "fsmount", errno);
  }
  return mount;
}

UniqueFd open_merged_view(const std::vector<std::string>& layers, const std::string& mount_point) {
  if (layers.size() < 2) {
    throw Error(ErrorKind::usage,
                "a merged view needs at least two layers (overlayfs without an upper dir)");
  }
  if (std::optional<UniqueFd> view = mount_detached(layers)) {
    return std::move(*view);
  }
  log::debug("merged view: no overlayfs lowerdir+ here; mounting in a private mount namespace");
  return mount_in_namespace(layers, mount_point);
}

} // namespace strata::runtime

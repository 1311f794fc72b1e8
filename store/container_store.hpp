#pragma once
// `ContainerStore`: the containers of one store root, as files (DESIGN.md "The store on disk":
// `containers/<id>/`). strata has no daemon: every command reads and updates these files, under
// flocks, with write-temp-then-rename.
//
// On disk, under `<root>/containers/`:
//   <64-hex id>/config.json   the container's configuration: a JSON object shaped as docker's
//                             `inspect` output without "State" (Id, Created, Path, Args, Name,
//                             Image, Config, HostConfig, ...) plus "StrataChains" (the chain IDs
//                             of its image's layers, bottom first). Written once, at create.
//   <id>/summary.json         the subset of config.json `list()` reads (ContainerRecord::summary).
//   <id>/state.json           `ContainerState` (below), replaced atomically on every change.
//   <id>/lock                 flock: held exclusive around every read-modify-write of state.json.
//   <id>/wait.lock            flock: `wait` holds it shared so a `--rm` container outlives it.
//   <id>/upper, work, rootfs  overlayfs upper and work dirs, the (empty) mount point
//   <id>/init                 the init layer (runtime/init_layer.hpp), made at the first start
//   <id>/rootfs-copy          where overlayfs cannot be mounted: the container's layers merged
//                             into one tree (runtime/rootfs_copy.hpp), bind-mounted as its rootfs
//                             and holding its changes from then on (upper stays as it was);
//                             `rootfs-copy.partial` while being made
//   <id>/hosts, hostname, resolv.conf   the /etc files bind-mounted into the container
//   <id>/<id>-json.log        the log, docker's json-file format: one JSON object per line,
//                             {"log":"text\n","stream":"stdout"|"stderr","time":"RFC 3339 nano"}
//   names/<name>              a symlink to the id: the unique name (symlink(2) is the atomic
//                             claim); a link whose container directory is gone is stale and free.
//   .new-<id>/                a container being created; renamed to <id>/ once complete, so a
//                             listing never sees half a container. Swept by `remove_stale`.
//
// Concurrency: any number of strata processes. Creation claims the name first, then renames the
// complete directory into place. Removal unlinks the name last. State updates hold `<id>/lock`.
// Garbage collection of images must keep every container's chains (`used_chains`), read under
// the image store's exclusive gc lock; `create` is called with the content lock held shared.

#include "store/digest.hpp"
#include "store/file_lock.hpp"

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace strata::store {

// docker's State.Status words.
enum class ContainerStatus { created, running, paused, exited, dead };
[[nodiscard]] const char* status_name(ContainerStatus status) noexcept;

// A process identity that survives PID reuse: the PID and its start time (field 22 of
// /proc/PID/stat, in clock ticks since boot) plus the boot ID, so a reboot is detected too.
struct ProcessIdentity {
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  std::string boot_id;
  // Reads /proc/PID/stat and the boot ID; nullopt when the process is gone.
  [[nodiscard]] static std::optional<ProcessIdentity> of(pid_t pid);
  // Whether this very process is still alive (a zombie counts as gone).
  [[nodiscard]] bool alive() const;
};

struct ContainerState {
  ContainerStatus status = ContainerStatus::created;
  ProcessIdentity process; // the container's PID 1 on the host (pid 0 when not running)
  ProcessIdentity monitor; // the process that waits for it and records the exit
  int exit_code = 0;
  std::string error;       // why it failed to start or ended abnormally
  std::string started_at;  // RFC 3339 with nanoseconds; "0001-01-01T00:00:00Z" when never
  std::string finished_at; // likewise
  bool oom_killed = false;

  // What a reader should believe: a "running" or "paused" state whose monitor is gone (killed,
  // host rebooted) is exited with code 255 and an error saying so; never reported as running.
  [[nodiscard]] ContainerState effective() const;
  [[nodiscard]] bool is_running() const noexcept {
    return status == ContainerStatus::running || status == ContainerStatus::paused;
  }
};

struct ContainerRecord {
  std::string id;      // 64 hex
  std::string name;    // without docker's leading '/'
  std::string created; // RFC 3339 nano
  std::string image_id;        // "sha256:..."
  std::vector<Digest> chains; // bottom first
  std::string config;  // config.json, as written (empty in `list()`'s records: see `summary`)
  // `list()`'s records: summary.json, the keys of config.json a listing needs (Id, Created, Path,
  // Args, Image, Name, Mounts, Config.Image, Config.Labels, NetworkSettings, StrataChains), in
  // the same shape, so a listing never parses the whole document (`ps -a` of 100 containers).
  std::string summary;
  ContainerState state; // as stored (call `effective()` to interpret)
  std::string dir;     // <root>/containers/<id>
  [[nodiscard]] std::string short_id() const { return id.substr(0, 12); }
  [[nodiscard]] std::string log_path() const { return dir + "/" + id + "-json.log"; }
};

struct NewContainer {
  std::string name; // empty: generated (docker's adjective_surname)
  std::string image_id; // "sha256:..."
  std::vector<Digest> chains;
  // Makes config.json's text (a JSON object) once the ID and the final directory are known;
  // `create` then sets "Id", "Name" ("/name"), "Created", "Image", "LogPath" and "StrataChains"
  // in it.
  std::function<std::string(const std::string& id, const std::string& dir)> make_config;
};

class ContainerStore {
public:
  // `root` is the store root; `<root>/containers/` is created when missing.
  explicit ContainerStore(std::string root);

  // Allocates an ID, claims the name (`Error{conflict}` "the container name "/x" is already in
  // use by container ID"), writes config.json and a "created" state.json, makes upper/ work/
  // rootfs/, and publishes the directory. Nothing is left behind on failure.
  [[nodiscard]] ContainerRecord create(const NewContainer& request);

  // Every container, newest first; each record has `summary`, not `config` (use `load`).
  [[nodiscard]] std::vector<ContainerRecord> list() const;
  // By full ID, name (with or without '/'), or unique ID prefix, as docker: `Error{not_found}`
  // "No such container: X"; an ambiguous prefix is `Error{usage}`.
  [[nodiscard]] ContainerRecord resolve(const std::string& text) const;
  [[nodiscard]] std::optional<ContainerRecord> try_resolve(const std::string& text) const;
  // Re-reads one container (its state may have changed).
  [[nodiscard]] ContainerRecord load(const std::string& id) const;

  // Read-modify-write of state.json under the container's lock. `update` gets the stored state
  // and changes it; the result is written atomically and returned.
  template <typename F> ContainerState update_state(const std::string& id, F&& update) {
    auto lock = lock_container(id);
    ContainerState state = read_state(id);
    update(state);
    write_state(id, state);
    return state;
  }
  void write_state(const std::string& id, const ContainerState& state);
  [[nodiscard]] ContainerState read_state(const std::string& id) const;

  // Removes the container's directory and then its name. The caller has made sure it is not
  // running. A missing container is fine.
  void remove(const ContainerRecord& record);

  // The chains and image IDs every container uses (for gc and rmi).
  [[nodiscard]] std::vector<Digest> used_chains() const;
  [[nodiscard]] std::vector<ContainerRecord> users_of(const std::string& image_id) const;

  // Removes `.new-*` directories of creations that died (their lock is free) and stale names.
  void remove_stale();

  [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

  // `<id>/lock`, exclusive.
  [[nodiscard]] FileLock lock_container(const std::string& id) const;
  // `<id>/wait.lock`: `wait` holds it shared; the monitor of a `--rm` container takes it
  // exclusive after recording the exit and before removing the container. `Error{not_found}`
  // when the container is gone.
  [[nodiscard]] FileLock wait_lock(const std::string& id, LockMode mode) const;

private:
  // config.json (`summary` false) or summary.json into a record.
  [[nodiscard]] ContainerRecord load_document(const std::string& id, bool summary) const;

  std::string root_;
  std::string dir_;
};


// RFC 3339 with nanoseconds in UTC, as docker's State times ("2024-01-02T03:04:05.123456789Z").
[[nodiscard]] std::string now_rfc3339_nano();
// docker's zero time, for a StartedAt/FinishedAt that never happened.
inline constexpr const char* k_zero_time = "0001-01-01T00:00:00Z";

} // namespace strata::store
